"""The attrition-risk report: the latest run's ranking within the reader's scope,
with each employee's reasons and the model card; every read recorded with its
reader (the audit trail HR and auditors read back)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.training_api.attrition import repository as repo
from services.training_api.attrition import schemas
from services.training_api.attrition.errors import NotScored
from services.training_api.attrition.service import run_out
from services.training_api.reports.scope import ReportScope
from shared.auth import Principal
from shared.export import CsvTable, file_name
from shared.pagination import decode_keyset, encode_cursor, int_key

LEVEL_WORDS = {"high": "高", "medium": "中", "low": "低"}


def _after_rank(cursor: str | None) -> int | None:
    values = decode_keyset(cursor, int_key)
    return values[0] if values else None


async def hidden_from(session: AsyncSession, principal: Principal,
                      scope: ReportScope) -> list[str]:
    """Whom a reader never sees in the ranking: themself, whatever their role, and for a
    manager also the other heads of the department they read (their peers); heads of
    its sub-departments report to them and stay."""
    hidden = {principal.sub}
    if not principal.has("hr_admin", "auditor") and scope.department_code is not None:
        hidden.update(await repo.department_heads(session, scope.department_code))
    return sorted(hidden)


class RiskReportService:
    async def report(self, session: AsyncSession, *, scope: ReportScope, principal: Principal,
                     level: str | None, cursor: str | None, limit: int | None, fmt: str,
                     request_id: str | None) -> schemas.RiskReport:
        """A page of the latest run's ranking (every row when ``limit`` is None), and
        one audit record of the read."""
        run = await repo.latest_done(session)
        if run is None:
            raise NotScored("No risk run has finished yet: POST /training/v1/attrition-risk/"
                            "runs (HR) or wait for the weekly run")
        rows = await repo.scores_page(session, run.id, path=scope.department_path, level=level,
                                      after_rank=_after_rank(cursor),
                                      limit=None if limit is None else limit + 1,
                                      hidden=await hidden_from(session, principal, scope))
        page = rows if limit is None else rows[:limit]
        names = await repo.employee_names(session, [r.employee_no for r in page])
        items = [_item(r, names.get(r.employee_no)) for r in page]
        await repo.add_read(session, run_id=run.id, reader=principal.sub,
                            roles=sorted(principal.roles), department_code=scope.department_code,
                            level=level, format=fmt, employees_shown=len(items),
                            request_id=request_id)
        more = limit is not None and len(rows) > limit
        return schemas.RiskReport(run=run_out(run), department_code=scope.department_code,
                                  items=items,
                                  next_cursor=encode_cursor([page[-1].rank]) if more else None)

    async def reads(self, session: AsyncSession, *, before_id: int | None,
                    limit: int) -> tuple[list[schemas.ReportRead], int | None]:
        rows = await repo.reads_page(session, before_id=before_id, limit=limit + 1)
        items = [schemas.ReportRead.model_validate(r, from_attributes=True)
                 for r in rows[:limit]]
        return items, (items[-1].id if len(rows) > limit else None)

    async def digests(self, session: AsyncSession, *, before_id: int | None,
                      limit: int) -> tuple[list[schemas.Digest], int | None]:
        rows = await repo.digests_page(session, before_id=before_id, limit=limit + 1)
        items = [schemas.Digest.model_validate(r, from_attributes=True) for r in rows[:limit]]
        return items, (items[-1].id if len(rows) > limit else None)


def _item(score: Any, found: tuple[str, str, str] | None) -> schemas.RiskEmployee:
    name, dept, dept_name = found or (score.employee_no, "", "")
    return schemas.RiskEmployee(
        rank=score.rank, employee_no=score.employee_no, name=name, department_code=dept,
        department_name=dept_name, level=score.level, risk=score.risk, flags=score.flags,
        reasons=[schemas.RiskReason(**r) for r in score.reasons], indicators=score.indicators)


def table(report: schemas.RiskReport) -> CsvTable:
    header = ["排名", "工号", "姓名", "部门编码", "部门", "风险等级", "离职概率", "规则命中数",
              "主要原因", "方法"]
    method = "模型" if report.run.method == "model" else "参与度下降规则"
    rows = [[i.rank, i.employee_no, i.name, i.department_code, i.department_name,
             LEVEL_WORDS[i.level], "" if i.risk is None else i.risk,
             "" if i.flags is None else i.flags, "；".join(r.text for r in i.reasons), method]
            for i in report.items]
    return CsvTable(filename=file_name("attrition-risk", report.run.as_of.isoformat(),
                                       report.department_code), header=header, rows=rows)


risk_report = RiskReportService()
