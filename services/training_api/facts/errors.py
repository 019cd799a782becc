from shared.errors import Conflict, Forbidden, NotFound


class FactNotFound(NotFound):
    problem, title = "fact-not-found", "Training record not found"


class UnknownEmployee(Conflict):
    problem, title = "unknown-employee", "The referenced employee does not exist"


class EmployeeLeft(Conflict):
    problem, title = "employee-left", "The employee has left the company"


class ClientIdConflict(Conflict):
    problem, title = "client-id-conflict", "This client_id was already used for other content"


class OccurredInFuture(Conflict):
    problem, title = "occurred-in-future", "The time of the record lies in the future"


class FactAlreadyVoided(Conflict):
    problem, title = "fact-already-voided", "The record was already voided"


class FactIsVoided(Conflict):
    problem, title = "fact-voided", "The record was voided"


class SelfRecording(Forbidden):
    problem, title = "self-recording", "Nobody records this kind of result about themselves"


class NotYourDepartment(Forbidden):
    problem, title = "not-your-department", "The employee is not in a department you manage"
