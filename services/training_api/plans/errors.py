from shared.errors import Conflict, NotFound


class PlanNotFound(NotFound):
    problem, title = "training-plan-not-found", "Training plan not found"


class UnknownEmployees(Conflict):
    problem, title = "unknown-employee", "The referenced employee does not exist"


class StartsAfterDue(Conflict):
    problem, title = "plan-starts-after-due", "A plan cannot start after it is due"
