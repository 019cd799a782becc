from shared.errors import Conflict, Forbidden, InvalidRequest, NotFound


class AccountNotFound(NotFound):
    problem, title = "account-not-found", "No such employee account"


class EntryNotFound(NotFound):
    problem, title = "entry-not-found", "Ledger entry not found"


class EntryAlreadyReversed(Conflict):
    problem, title = "entry-already-reversed", "The entry was already reversed"


class EntryIsReversal(Conflict):
    problem, title = "entry-is-reversal", "A reversal cannot itself be reversed"


class InsufficientPoints(Conflict):
    problem, title = "insufficient-points", "Not enough points"


class SelfAdjustment(Forbidden):
    problem, title = "self-adjustment", "Nobody changes their own points"


class InvalidEntryFilter(InvalidRequest):
    problem, title = "invalid-filter", "A filter value is not valid"


class FactPointsNotFound(NotFound):
    problem, title = "fact-points-not-found", "No points of this fact visible to you"
