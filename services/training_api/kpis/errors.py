from shared.errors import NotFound, ServiceError


class KpiNotFound(NotFound):
    problem, title = "kpi-not-found", "No figures for this department and month"


class PilotNotFound(NotFound):
    problem, title = "pilot-not-found", "The department has no pilot start date"


class KpiFileTooLarge(ServiceError):
    status, problem, title = 413, "import-too-large", "The import file is too large"
