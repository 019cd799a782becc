from shared.errors import Conflict, NotFound


class HistoryImportNotFound(NotFound):
    problem, title = "history-import-not-found", "History import not found"


class HistoryImportOptions(Conflict):
    """mode and cut_over contradict each other, or the cut-over lies ahead: what one
    parameter's schema cannot say of another."""

    problem, title = "history-import-options", "The import options do not fit together"


class HistoryReportNotReady(Conflict):
    problem, title = "history-report-not-ready", "The import has not finished"
