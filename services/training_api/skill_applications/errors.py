from shared.errors import Conflict, Forbidden


class SelfConfirmation(Forbidden):
    problem, title = "self-confirmation", "Nobody confirms or rejects their own skill application"


class AlreadyDecided(Conflict):
    problem, title = "already-decided", "The skill application was already confirmed or rejected"


class NoConfirmationRule(Conflict):
    problem, title = "no-confirmation-rule", "No points rule applies to this skill application"


class PointsOutOfRange(Conflict):
    """The range is the rule's in force (points_api's), not the schema's."""

    problem, title = "points-out-of-range", "The points lie outside the rule's range"
