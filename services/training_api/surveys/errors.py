from shared.errors import Conflict, Forbidden, NotFound


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


class InvalidAnswers(Conflict):
    """Answers are judged against the survey's questions, which the schema does not know."""

    problem, title = "invalid-answers", "The answers do not fit the questions"


class InvalidSurvey(Conflict):
    problem, title = "invalid-survey", "The survey does not hold together"


class AnsweringForOthers(Forbidden):
    problem, title = "answering-for-others", "Employees answer surveys for themselves only"
