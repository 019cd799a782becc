from shared.errors import Conflict, NotFound, ServiceError


class EmployeeNotFound(NotFound):
    problem, title = "employee-not-found", "Employee not found"


class EmployeeNoMismatch(Conflict):
    problem, title = "employee-no-mismatch", "employee_no in the body differs from the path"


class LeftBeforeHired(Conflict):
    problem, title = "left-before-hired", "left_on is before hired_on"



class ImportTooSlow(ServiceError):
    status, problem, title = 422, "import-too-slow", "The import file took too long to read"


class ImportTooLarge(ServiceError):
    status, problem, title = 413, "import-too-large", "The import file is too large"
