from shared.errors import Conflict


class PeriodNotClosed(Conflict):
    problem, title = "period-not-closed", "The period has not ended yet"
