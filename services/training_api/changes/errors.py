from shared.errors import Conflict, NotFound


class ChangeNotFound(NotFound):
    problem, title = "change-not-found", "No such change"


class UnknownReference(Conflict):
    problem, title = "unknown-reference", "The request names something that does not exist"


class NothingToBoost(Conflict):
    problem, title = "nothing-to-boost", "No course closes this change's gap"


class PlannedHireNotFound(NotFound):
    problem, title = "planned-hire-not-found", "No such planned hire"
