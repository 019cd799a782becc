from shared.errors import Conflict, NotFound


class PositionNotFound(NotFound):
    problem, title = "position-not-found", "No such position"


class CertificationNotFound(NotFound):
    problem, title = "certification-not-found", "No such certification"


class GrantNotFound(NotFound):
    problem, title = "certification-grant-not-found", "No such certification grant"


class GrantAlreadyRevoked(Conflict):
    problem, title = "certification-grant-revoked", "The grant was already revoked"
