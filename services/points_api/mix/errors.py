from shared.errors import InvalidRequest, NotFound


class InvalidTargets(InvalidRequest):
    problem, title = "invalid-targets", "The target mix is not valid"


class InvalidPeriod(InvalidRequest):
    problem, title = "invalid-period", "The report period is not valid"


class DepartmentNotFound(NotFound):
    problem, title = "department-not-found", "No employee is in this department"
