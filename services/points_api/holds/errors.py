from shared.errors import Conflict, InvalidRequest, NotFound


class HoldNotFound(NotFound):
    problem, title = "hold-not-found", "Hold not found"


class HoldMismatch(Conflict):
    problem, title = "hold-mismatch", "A hold with this id exists with different terms"


class HoldExpiryInvalid(InvalidRequest):
    problem, title = "hold-expiry-invalid", "A hold must expire in the future"
