"""Surveys (问卷): HR defines a questionnaire with an optional audience; employees
answer once. Answers to a training-needs survey set the employee's training
preferences (format, length, time of day)."""

from __future__ import annotations

import builtins
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.training_api.facts.errors import EmployeeLeft, UnknownEmployee
from services.training_api.org import repository as org_repo
from services.training_api.org.errors import UnknownDepartment
from services.training_api.surveys import repository as repo
from services.training_api.surveys import schemas
from services.training_api.surveys.errors import (
    AlreadyAnswered,
    AnsweringForOthers,
    InvalidAnswers,
    InvalidSurvey,
    NotInAudience,
    SurveyHasResponses,
    SurveyNotFound,
    SurveyNotOpen,
)
from services.training_api.surveys.models import Survey, SurveyQuestion
from shared.auth import Principal
from shared.contracts.events import EmployeeStatus
from shared.errors import FieldError

# Who answers for someone else (answers collected on paper or in another tool)
PROXY_ROLES = ("hr_admin", "integration")


def _status(survey: Survey, now: datetime) -> str:
    if now < survey.opens_at:
        return "scheduled"
    return "closed" if survey.closes_at is not None and now >= survey.closes_at else "open"


def _question_values(q: schemas.QuestionIn, position: int) -> dict[str, Any]:
    return {"position": position, "code": q.code, "kind": q.kind, "text": q.text,
            "options": [o.model_dump() for o in q.options], "required": q.required,
            "preference": q.preference}


def _stored_values(q: SurveyQuestion) -> dict[str, Any]:
    return {"position": q.position, "code": q.code, "kind": q.kind, "text": q.text,
            "options": q.options, "required": q.required, "preference": q.preference}


class SurveyService:
    async def upsert(self, session: AsyncSession, code: str, *, data: schemas.SurveyUpsert,
                     actor: str) -> tuple[schemas.Survey, bool]:
        """Create or update by code. Once answered, the questions cannot change (409);
        title, description, window and audience can."""
        errors = data.problems()
        if errors:
            raise InvalidSurvey("; ".join(e.detail for e in errors), errors=errors)
        values = {"title": data.title, "description": data.description, "kind": data.kind,
                  "closes_at": data.closes_at, **await self._audience(session, data)}
        survey = await repo.get_survey(session, code, for_update=True)
        created = survey is None
        if survey is None:
            survey = Survey(code=code, created_by=actor,
                            opens_at=data.opens_at or datetime.now(UTC), **values)
            session.add(survey)
            await session.flush()
        else:
            if survey.kind != data.kind and (await repo.response_counts(
                    session, [survey.id])).get(survey.id):
                raise SurveyHasResponses(f"Survey {code} has responses; its kind stays "
                                         f"{survey.kind}")
            for name, value in values.items():
                setattr(survey, name, value)
            survey.opens_at = data.opens_at or survey.opens_at
        await self._set_questions(session, survey, data.questions)
        await session.refresh(survey)
        return (await self.out(session, [survey]))[0], created

    async def _audience(self, session: AsyncSession,
                        data: schemas.SurveyUpsert) -> dict[str, Any]:
        audience = data.audience or schemas.Audience()
        dept_id = None
        if audience.department_code:
            dept = await org_repo.get_department(session, audience.department_code)
            if dept is None:
                raise UnknownDepartment(f"Department {audience.department_code!r} does not exist")
            dept_id = dept.id
        return {"audience_department_id": dept_id, "audience_family": audience.family,
                "audience_front_line": audience.front_line}

    async def _set_questions(self, session: AsyncSession, survey: Survey,
                             questions: list[schemas.QuestionIn]) -> None:
        """Replace the questions when they differ; never those of an answered survey."""
        wanted = [_question_values(q, i) for i, q in enumerate(questions, start=1)]
        stored = await self._questions(session, survey)
        if [_stored_values(q) for q in stored] == wanted:
            return
        if stored and (await repo.response_counts(session, [survey.id])).get(survey.id):
            raise SurveyHasResponses(f"Survey {survey.code} has responses; publish the new "
                                     "questions under a new code")
        for q in stored:
            await session.delete(q)
        await session.flush()
        session.add_all([SurveyQuestion(survey_id=survey.id, **q) for q in wanted])
        await session.flush()

    async def _questions(self, session: AsyncSession, survey: Survey) -> list[SurveyQuestion]:
        return (await repo.questions(session, [survey.id]))[survey.id]

    async def find(self, session: AsyncSession, code: str) -> Survey:
        survey = await repo.get_survey(session, code)
        if survey is None:
            raise SurveyNotFound(f"No survey {code!r}")
        return survey

    async def get(self, session: AsyncSession, code: str) -> schemas.Survey:
        return (await self.out(session, [await self.find(session, code)]))[0]

    async def list(self, session: AsyncSession, *, principal: Principal, after: str | None,
                   limit: int, kind: str | None,
                   status: str | None) -> tuple[list[schemas.Survey], str | None]:
        """Staff see every survey; employees those addressed to them."""
        staff = principal.has("hr_admin", "auditor", "manager", "integration")
        facts = None if staff else await repo.employee_facts(session, principal.sub)
        if not staff and facts is None:
            return [], None
        items: list[schemas.Survey] = []
        cursor = after
        while len(items) <= limit:
            rows = await repo.list_surveys(session, after=cursor, limit=200, kind=kind)
            if not rows:
                break
            cursor = rows[-1].code
            for survey in rows:
                if facts is not None and not await self._addressed(session, survey, facts):
                    continue
                out = (await self.out(session, [survey]))[0]
                if status is None or out.status == status:
                    items.append(out)
        more = len(items) > limit
        items = items[:limit]
        return items, (items[-1].code if more else None)

    async def close(self, session: AsyncSession, code: str) -> schemas.Survey:
        """Closing now; a closed survey stays closed."""
        survey = await repo.get_survey(session, code, for_update=True)
        if survey is None:
            raise SurveyNotFound(f"No survey {code!r}")
        now = datetime.now(UTC)
        if survey.closes_at is None or survey.closes_at > now:
            survey.closes_at = max(now, survey.opens_at)
            await session.flush()
            await session.refresh(survey)
        return (await self.out(session, [survey]))[0]

    async def out(
        self, session: AsyncSession, surveys: builtins.list[Survey]
    ) -> builtins.list[schemas.Survey]:
        ids = [s.id for s in surveys]
        questions = await repo.questions(session, ids)
        counts = await repo.response_counts(session, ids)
        depts = await repo.department_codes(
            session, {s.audience_department_id for s in surveys if s.audience_department_id})
        now = datetime.now(UTC)
        return [schemas.Survey(
            code=s.code, title=s.title, description=s.description, kind=s.kind,
            status=_status(s, now), opens_at=s.opens_at, closes_at=s.closes_at,
            audience=schemas.AudienceOut(department_code=depts.get(s.audience_department_id),
                                         family=s.audience_family,
                                         front_line=s.audience_front_line),
            questions=[schemas.QuestionOut(
                position=q.position, code=q.code, kind=q.kind, text=q.text,
                options=[schemas.Option(**o) for o in q.options], required=q.required,
                preference=q.preference) for q in questions[s.id]],
            responses=counts.get(s.id, 0), created_by=s.created_by, created_at=s.created_at,
            updated_at=s.updated_at) for s in surveys]

    async def _addressed(self, session: AsyncSession, survey: Survey, facts: Any) -> bool:
        _, _, path, family, front_line = facts
        if survey.audience_family is not None and survey.audience_family != family:
            return False
        if survey.audience_front_line is not None and survey.audience_front_line != front_line:
            return False
        audience_path = await repo.department_path(session, survey.audience_department_id)
        return audience_path is None or path.startswith(audience_path)

    async def answer(self, session: AsyncSession, code: str, *, data: schemas.ResponseCreate,
                     principal: Principal) -> schemas.SurveyResponse:
        """Record one employee's answers, once per survey (409 the second time)."""
        employee_no, answered_at = self._who_and_when(data, principal)
        survey = await self.find(session, code)
        facts = await repo.employee_facts(session, employee_no)
        if facts is None:
            raise UnknownEmployee(f"Employee {employee_no!r} does not exist")
        if facts[0] == EmployeeStatus.LEFT:
            raise EmployeeLeft(f"Employee {employee_no!r} has left")
        if not await self._addressed(session, survey, facts):
            raise NotInAudience(f"Survey {code} is not addressed to {employee_no}")
        if answered_at < survey.opens_at or (survey.closes_at is not None
                                             and answered_at >= survey.closes_at):
            raise SurveyNotOpen(f"Survey {code} is open from {survey.opens_at.isoformat()}"
                                + (f" to {survey.closes_at.isoformat()}"
                                   if survey.closes_at else ""))
        questions = {q.position: q for q in await self._questions(session, survey)}
        rows = _check_answers(data.answers, questions)
        response_id = await repo.insert_response(session, {
            "survey_id": survey.id, "employee_no": employee_no, "department_id": facts[1],
            "answered_at": answered_at, "recorded_by": principal.sub})
        if response_id is None:
            raise AlreadyAnswered(f"{employee_no} has already answered survey {code}")
        await repo.insert_answers(session, [{**r, "response_id": response_id} for r in rows])
        updated = await self._set_preferences(session, employee_no, survey, answered_at,
                                              data.answers, questions)
        return schemas.SurveyResponse(
            survey_code=code, employee_no=employee_no, answered_at=answered_at,
            answers=[schemas.AnswerOut(question=a.question, choice=a.choice, scale=a.scale,
                                       text=a.text) for a in data.answers],
            preferences_updated=updated)

    def _who_and_when(self, data: schemas.ResponseCreate,
                      principal: Principal) -> tuple[str, datetime]:
        proxy = principal.has(*PROXY_ROLES)
        if not proxy and (data.employee_no not in (None, principal.sub)
                          or data.answered_at is not None):
            raise AnsweringForOthers("Employees answer for themselves, now; HR and "
                                     "integrations enter answers collected elsewhere")
        employee_no = data.employee_no or principal.sub
        answered_at = (data.answered_at or datetime.now(UTC)).astimezone(UTC)
        if answered_at > datetime.now(UTC):
            raise InvalidAnswers("answered_at must not lie in the future", errors=[
                FieldError(pointer="#/answered_at", detail="must not lie in the future")])
        return employee_no, answered_at

    async def _set_preferences(self, session: AsyncSession, employee_no: str, survey: Survey,
                               answered_at: datetime, answers: builtins.list[schemas.AnswerIn],
                               questions: dict[int, SurveyQuestion]) -> builtins.list[str]:
        """The latest training-needs answer of each preference wins."""
        chosen = {preference: (a.choice, questions[a.question]) for a in answers
                  if (preference := questions[a.question].preference) and a.choice}
        if survey.kind != "training_needs" or not chosen:
            return []
        row = await repo.preferences_for_update(session, employee_no)
        stored = dict(row.preferences)
        updated = []
        for preference, (value, question) in chosen.items():
            previous = stored.get(preference)
            if previous and datetime.fromisoformat(previous["answered_at"]) > answered_at:
                continue
            label = next(o["label"] for o in question.options if o["value"] == value)
            stored[preference] = {"value": value, "label": label, "survey_code": survey.code,
                                  "answered_at": answered_at.isoformat()}
            updated.append(preference)
        row.preferences = stored
        row.updated_at = datetime.now(UTC)
        await session.flush()
        return sorted(updated)


def _check_answers(answers: list[schemas.AnswerIn],
                   questions: dict[int, SurveyQuestion]) -> list[dict[str, Any]]:
    """Answer rows for the database, or 422 with a pointer at every wrong answer."""
    errors: list[FieldError] = []
    rows: list[dict[str, Any]] = []
    seen: set[int] = set()
    for i, answer in enumerate(answers):
        question = questions.get(answer.question)
        problem = _answer_problem(answer, question, seen)
        if problem:
            errors.append(FieldError(pointer=f"#/answers/{i}", detail=problem))
            continue
        assert question is not None
        seen.add(answer.question)
        rows.append({"question_id": question.id, "choice": answer.choice,
                     "scale": answer.scale, "text": answer.text})
    attempted = {a.question for a in answers}
    errors += [FieldError(pointer="#/answers", detail=f"question {position} must be answered")
               for position, question in sorted(questions.items())
               if question.required and position not in attempted]
    if errors:
        raise InvalidAnswers(f"{len(errors)} answer(s) do not fit the questions", errors=errors)
    return rows


def _answer_problem(answer: schemas.AnswerIn, question: SurveyQuestion | None,
                    seen: set[int]) -> str | None:
    if question is None:
        return f"the survey has no question {answer.question}"
    if answer.question in seen:
        return f"question {answer.question} is answered twice"
    given = [name for name in ("choice", "scale", "text") if getattr(answer, name) is not None]
    field = {"single_choice": "choice", "scale": "scale", "text": "text"}[question.kind]
    if given != [field]:
        return f"question {answer.question} ({question.kind}) takes exactly one {field}"
    if field == "choice" and answer.choice not in {o["value"] for o in question.options}:
        values = ", ".join(o["value"] for o in question.options)
        return f"question {answer.question}: choose one of {values}"
    return None


surveys = SurveyService()
