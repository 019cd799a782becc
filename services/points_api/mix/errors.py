from shared.errors import Conflict, InvalidRequest, NotFound


class InvalidTargets(Conflict):
    """Well-formed targets that do not fit together (not adding up to 100, a least
    share above the most, a label or rule named twice): what the schema cannot say."""

    problem, title = "invalid-targets", "The target mix is not valid"


class InvalidPeriod(InvalidRequest):
    problem, title = "invalid-period", "The report period is not valid"


class DepartmentNotFound(NotFound):
    problem, title = "department-not-found", "No employee is in this department"
