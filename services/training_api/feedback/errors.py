from shared.errors import Conflict, Forbidden, NotFound


class FeedbackNotFound(NotFound):
    problem, title = "feedback-not-found", "Feedback not found"


class FeedbackClosed(Conflict):
    problem, title = "feedback-closed", "The feedback is already closed"


class FeedbackForOthers(Forbidden):
    problem, title = "feedback-for-others", "Employees give feedback for themselves only"
