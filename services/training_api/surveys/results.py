"""Survey results per question and department, free-text answers, the satisfaction
trend across surveys, and employees' stated training preferences."""

from __future__ import annotations

import base64
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.training_api.employees.service import employees
from services.training_api.reports import repository as reports_repo
from services.training_api.reports.period import Period
from services.training_api.reports.scope import ReportScope
from services.training_api.reports.service import period_out, rate, scope_out
from services.training_api.surveys import repository as repo
from services.training_api.surveys import schemas
from services.training_api.surveys.models import SurveyQuestion
from services.training_api.surveys.service import surveys
from shared.auth import Principal
from shared.errors import BadCursor


class SurveyResultService:
    async def results(self, session: AsyncSession, code: str, *, scope: ReportScope,
                      period: Period) -> schemas.SurveyResults:
        """Per question: answers, option counts and shares (single choice), mean,
        distribution and satisfaction share = answers 4-5 / answers (scale); and the same
        per sub-department of the scope."""
        survey = await surveys.find(session, code)
        questions = (await repo.questions(session, [survey.id]))[survey.id]
        counts = await repo.answer_counts(session, survey.id, scope, start=period.start,
                                          end=period.end)
        names = await reports_repo.department_names(session, {g for _, g, *_ in counts})
        return schemas.SurveyResults(
            survey_code=survey.code, title=survey.title, kind=survey.kind,
            period=period_out(period), scope=scope_out(scope),
            responses=await repo.count_responses(session, survey.id, scope,
                                                 start=period.start, end=period.end),
            questions=[_question_result(q, [c for c in counts if c[0] == q.id], names)
                       for q in questions])

    async def text_answers(self, session: AsyncSession, code: str, *, scope: ReportScope,
                           period: Period, question: int | None, cursor: str | None,
                           limit: int) -> tuple[list[schemas.TextAnswer], str | None]:
        """Free-text answers without the author's name, oldest first."""
        survey = await surveys.find(session, code)
        questions = {q.id: q.position for q in
                     (await repo.questions(session, [survey.id]))[survey.id]}
        question_id = next((i for i, p in questions.items() if p == question), -1) \
            if question is not None else None
        rows = await repo.text_answers(session, survey.id, scope, question_id=question_id,
                                       start=period.start, end=period.end,
                                       after=_decode(cursor), limit=limit + 1)
        items = [schemas.TextAnswer(id=_encode(r[0], r[1]), question=questions[r[1]],
                                    department_code=r[2], department_name=r[3],
                                    answered_at=r[4].astimezone(period.tz).date(), text=r[5])
                 for r in rows[:limit]]
        return items, (items[-1].id if len(rows) > limit else None)

    async def satisfaction(self, session: AsyncSession, *, scope: ReportScope, period: Period,
                           granularity: str, kind: str,
                           question_code: str | None) -> schemas.SatisfactionReport:
        """Satisfaction share (answers 4-5 / answers) of the scale questions of surveys of
        ``kind``, per month or quarter of answering, per question code and overall."""
        rows = await repo.satisfaction(session, scope, kind=kind, question_code=question_code,
                                       start=period.start, end=period.end,
                                       timezone=str(period.tz), granularity=granularity)
        rows.sort(key=lambda r: (r[0] == "all", r[0], r[1] is not None, r[1] or ""))
        return schemas.SatisfactionReport(
            period=period_out(period), scope=scope_out(scope), granularity=granularity,
            survey_kind=kind, rows=[schemas.SatisfactionRow(
                period=p, question_code=c, answers=n, satisfied=s,
                satisfaction_share=rate(s, n)) for p, c, n, s in rows])

    async def preferences(self, session: AsyncSession, employee_no: str, *,
                          principal: Principal) -> schemas.EmployeePreferences:
        """Visible to whoever may read the employee (404 otherwise)."""
        employee = await employees.get(session, employee_no, principal=principal)
        row = await repo.get_preferences(session, employee.employee_no)
        stored = row.preferences if row else {}
        return schemas.EmployeePreferences(
            employee_no=employee.employee_no,
            **{p: schemas.PreferenceValue(**stored[p]) if p in stored else None
               for p in ("format", "length", "time_of_day")},
            updated_at=row.updated_at if row and stored else None)


def _question_result(q: SurveyQuestion, counts: list[tuple[int, str, Any, Any, int]],
                     names: dict[str, str]) -> schemas.QuestionResult:
    answers = sum(c[4] for c in counts)
    groups = sorted({c[1] for c in counts})
    options = scale = None
    if q.kind == "single_choice":
        per_value = {o["value"]: 0 for o in q.options}
        for _, _, choice, _, n in counts:
            per_value[choice] = per_value.get(choice, 0) + n
        options = [schemas.OptionCount(value=o["value"], label=o["label"],
                                       count=per_value[o["value"]],
                                       share=rate(per_value[o["value"]], answers))
                   for o in q.options]
    elif q.kind == "scale":
        scale = _scale([(s, n) for _, _, _, s, n in counts])
    by_department = []
    for g in groups:
        mine = [c for c in counts if c[1] == g]
        n = sum(c[4] for c in mine)
        by_department.append(schemas.DepartmentResult(
            department_code=g, department_name=names.get(g, g), answers=n,
            satisfaction_share=rate(sum(c[4] for c in mine if (c[3] or 0) >= 4), n)
            if q.kind == "scale" else None,
            option_counts={o["value"]: sum(c[4] for c in mine if c[2] == o["value"])
                           for o in q.options} if q.kind == "single_choice" else None))
    return schemas.QuestionResult(position=q.position, code=q.code, kind=q.kind, text=q.text,
                                  answers=answers, options=options, scale=scale,
                                  by_department=by_department)


def _scale(values: list[tuple[int, int]]) -> schemas.ScaleSummary:
    distribution = {str(v): 0 for v in range(1, 6)}
    for value, n in values:
        distribution[str(value)] += n
    total = sum(distribution.values())
    satisfied = distribution["4"] + distribution["5"]
    mean = round(sum(int(v) * n for v, n in distribution.items()) / total, 2) if total else None
    return schemas.ScaleSummary(mean=mean, distribution=distribution, satisfied=satisfied,
                                satisfaction_share=rate(satisfied, total))


def _encode(response_id: int, question_id: int) -> str:
    return base64.urlsafe_b64encode(f"{response_id}.{question_id}".encode()).decode().rstrip("=")


def _decode(cursor: str | None) -> tuple[int, int] | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        first, second = (int(v) for v in raw.split("."))
        if not (0 < first < 2**63 and 0 < second < 2**31):
            raise ValueError("out of range")
        return first, second
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadCursor("The cursor was not made by this API; start again without it") from exc


results = SurveyResultService()
