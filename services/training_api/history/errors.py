from shared.errors import Conflict, InvalidRequest, NotFound


class HistoryImportNotFound(NotFound):
    problem, title = "history-import-not-found", "History import not found"


class HistoryImportOptions(InvalidRequest):
    problem, title = "history-import-options", "The import options do not fit together"


class HistoryReportNotReady(Conflict):
    problem, title = "history-report-not-ready", "The import has not finished"
