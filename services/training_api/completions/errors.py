from shared.errors import Conflict


class HoursExceedClassHours(Conflict):
    """The bound is the course's class hours, which the schema does not know."""

    problem = "hours-exceed-class-hours"
    title = "More hours attended than the course has"
