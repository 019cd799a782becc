from shared.errors import Conflict, NotFound


class RunNotFound(NotFound):
    problem, title = "attrition-run-not-found", "No such risk run"


class RunInProgress(Conflict):
    problem, title = "attrition-run-in-progress", "A risk run is already running"


class NotScored(Conflict):
    problem, title = "attrition-not-scored", "No risk run has finished yet"
