from shared.errors import InvalidRequest, NotFound, ServiceError


class EmployeeNotFound(NotFound):
    problem, title = "employee-not-found", "Employee not found"


class EmployeeNoMismatch(InvalidRequest):
    problem, title = "employee-no-mismatch", "employee_no in the body differs from the path"


class ImportFileRejected(ServiceError):
    status, problem, title = 422, "import-file-rejected", "The import file cannot be read"


class ImportTooSlow(ServiceError):
    status, problem, title = 422, "import-too-slow", "The import file took too long to read"


class ImportTooLarge(ServiceError):
    status, problem, title = 413, "import-too-large", "The import file is too large"
