from shared.errors import Forbidden, ServiceError


class InvalidPeriod(ServiceError):
    status, problem, title = 422, "invalid-period", "The report period is not valid"


class PeriodNotWholeMonths(ServiceError):
    status, problem = 422, "period-not-whole-months"
    title = "Points are totalled per month: the period must consist of whole months"


class DepartmentRequired(ServiceError):
    status, problem = 422, "department-required"
    title = "Name one of your departments with ?department="


class NotYourDepartment(Forbidden):
    problem, title = "not-your-department", "The department is not one you manage"
