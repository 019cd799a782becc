from shared.errors import ServiceError


class HoursExceedClassHours(ServiceError):
    status, problem = 422, "hours-exceed-class-hours"
    title = "More hours attended than the course has"
