from shared.errors import Conflict, Forbidden, ServiceError


class InvalidPeriod(ServiceError):
    status, problem, title = 422, "invalid-period", "The report period is not valid"


class DepartmentRequired(Conflict):
    """A well-formed request whose answer depends on who asks: a caller without one
    department of their own must name it."""

    problem, title = "department-required", "Name one of your departments with ?department="


class NotYourDepartment(Forbidden):
    problem, title = "not-your-department", "The department is not one you manage"
