from shared.errors import Conflict, Forbidden


class AlreadyReviewed(Conflict):
    problem, title = "already-reviewed", "The note was already reviewed"


class SelfReview(Forbidden):
    problem, title = "self-review", "Nobody reviews their own note"
