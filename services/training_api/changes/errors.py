from shared.errors import Conflict, NotFound


class ChangeNotFound(NotFound):
    problem, title = "change-not-found", "No such change"


class UnknownReference(Conflict):
    problem, title = "unknown-reference", "The change names something that does not exist"


class NothingToBoost(Conflict):
    problem, title = "nothing-to-boost", "No course closes this change's gap"
