from shared.errors import Conflict, Forbidden, NotFound, ServiceError


class SurveyNotFound(NotFound):
    problem, title = "survey-not-found", "Survey not found"


class SurveyHasResponses(Conflict):
    problem, title = "survey-has-responses", "The questions of an answered survey cannot change"


class SurveyNotOpen(Conflict):
    problem, title = "survey-not-open", "The survey is not open at that time"


class AlreadyAnswered(Conflict):
    problem, title = "survey-already-answered", "The employee has already answered this survey"


class NotInAudience(Forbidden):
    problem, title = "not-in-audience", "The survey is not addressed to this employee"


class InvalidAnswers(ServiceError):
    status, problem, title = 422, "invalid-answers", "The answers do not fit the questions"


class AnsweringForOthers(Forbidden):
    problem, title = "answering-for-others", "Employees answer surveys for themselves only"
