"""The reconciliation at the end of a history import: per employee, the legacy
system's points against the points Jifen holds for the same records, by category.

Replay: the legacy points column of the file's rows against what Jifen's rules gave
their facts (net of reversals). Opening: the opening balance all the employee's
opening records imply against the opening entries in the ledger. A dry run has no
Jifen side. The result is stored with the import, as it was at its end.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.training_api.clients.points import PointsClient
from services.training_api.history import repository as repo
from services.training_api.history.models import CATEGORIES
from services.training_api.history.parsing import HistoryRow
from shared.contracts.history import MAX_QUERY_ITEMS, HistoryPointsQuery


@dataclass
class EmployeeTally:
    records: int = 0
    legacy: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CATEGORIES, 0))
    jifen: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CATEGORIES, 0))


@dataclass(frozen=True)
class Sides:
    """Which sides the report has: a legacy points column, Jifen's points."""

    legacy: bool
    jifen: bool


def _chunks(items: list[Any]) -> list[list[Any]]:
    return [items[i:i + MAX_QUERY_ITEMS] for i in range(0, len(items), MAX_QUERY_ITEMS)]


async def tally(sessionmaker: async_sessionmaker[AsyncSession], points: PointsClient | None,
                rows: list[HistoryRow], *, mode: str) -> dict[str, EmployeeTally]:
    """Per employee: the file's rows, legacy points and (with ``points``) Jifen's."""
    tallies: dict[str, EmployeeTally] = defaultdict(EmployeeTally)
    for row in rows:
        tallies[row.employee_no].records += 1
        if mode == "replay":
            tallies[row.employee_no].legacy[row.category] += row.points or 0
    if points is None:
        return tallies
    if mode == "replay":
        await _replayed(sessionmaker, points, rows, tallies)
    else:
        await _openings(sessionmaker, points, sorted(tallies), tallies)
    return tallies


async def _replayed(sessionmaker: async_sessionmaker[AsyncSession], points: PointsClient,
                    rows: list[HistoryRow], tallies: dict[str, EmployeeTally]) -> None:
    for chunk in _chunks([r.legacy_id for r in rows]):
        async with sessionmaker() as session:
            found = await repo.records(session, chunk)
        facts = [r.fact_id for r in found.values() if r.mode == "replay"]
        answer = await points.history_points(HistoryPointsQuery(fact_ids=facts))
        for f in answer.facts:
            if f.category is not None:
                tallies[f.employee_no].jifen[f.category] += f.points


async def _openings(sessionmaker: async_sessionmaker[AsyncSession], points: PointsClient,
                    employees: list[str], tallies: dict[str, EmployeeTally]) -> None:
    for chunk in _chunks(employees):
        async with sessionmaker() as session:
            targets = await repo.opening_targets(session, chunk)
        for no, category, amount in targets:
            tallies[no].legacy[category] += amount
        answer = await points.history_points(HistoryPointsQuery(employee_nos=chunk))
        for o in answer.openings:
            tallies[o.employee_no].jifen[o.category] += o.points


def store_rows(job_id: uuid.UUID, tallies: dict[str, EmployeeTally],
               sides: Sides) -> list[dict[str, Any]]:
    out = []
    for no, t in sorted(tallies.items()):
        out.append({
            "import_id": job_id, "employee_no": no, "records": t.records,
            "legacy_points": sum(t.legacy.values()) if sides.legacy else None,
            "jifen_points": sum(t.jifen.values()) if sides.jifen else None,
            "by_category": {c: {"legacy": t.legacy[c] if sides.legacy else None,
                                "jifen": t.jifen[c] if sides.jifen else None}
                            for c in CATEGORIES}})
    return out


def totals(tallies: dict[str, EmployeeTally], sides: Sides) -> dict[str, Any]:
    """Per category and overall, over every employee of the import."""
    out: dict[str, Any] = {}
    for category in (*CATEGORIES, "total"):
        pick = CATEGORIES if category == "total" else (category,)
        legacy = sum(t.legacy[c] for t in tallies.values() for c in pick)
        jifen = sum(t.jifen[c] for t in tallies.values() for c in pick)
        out[category] = {"legacy": legacy if sides.legacy else None,
                         "jifen": jifen if sides.jifen else None}
    return out
