from shared.errors import Conflict


class InvalidBands(Conflict):
    problem, title = "invalid-bands", "Rank bands must not end before they start or overlap"


class PeriodNotClosed(Conflict):
    problem, title = "period-not-closed", "The period has not ended yet"
