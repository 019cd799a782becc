"""Periodic honours: the monthly TOP N (company, and configured departments) with
bonus points per rank band, and the yearly top percent (年度优秀员工).

The job closes a period once its late-arrival window has passed (facts recorded
late still count in it); HR may run a closed period at any time. A run for a
closed period holds an advisory lock on (kind, period) for its
transaction, and every honour is unique per (kind, period, board, employee): runs
one after the other, or at once on several replicas, award each honour once. A
later run of the same period awards only winners not on the roll yet (after late
events changed the ranking) and never takes an honour back. A dry run shows the
same result without writing anything.

Ranks are among active employees with points in the period (standard competition
ranking; ties at the last rank all win). Bonuses are growth-category ``earn``
entries (rule ``honour.monthly`` / ``honour.yearly``) posted when the run applies,
so they count in the month of the run, not in the month they reward.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, tzinfo

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from services.points_api.honours import repository as repo
from services.points_api.honours.errors import InvalidBands, PeriodNotClosed
from services.points_api.honours.models import Honour
from services.points_api.honours.schemas import (
    HonourEntry,
    HonourRun,
    HonourRunResult,
    HonourSettings,
    HonourWinner,
    MonthlyHonours,
    RankBand,
    WinnerStatus,
    YearlyHonours,
    band_problems,
)
from services.points_api.incentives.service import previous_month, streaks
from services.points_api.leaderboards import repository as board_repo
from services.points_api.leaderboards.schemas import ANONYMOUS
from services.points_api.leaderboards.service import sees_hidden_names
from services.points_api.ledger import repository as ledger_repo
from services.points_api.ledger.periods import period_bounds
from services.points_api.ledger.service import Posting, ledger
from services.points_api.milestones.service import milestones
from services.points_api.notifications.service import notifications
from services.points_api.webhooks.event_types import HONOUR_AWARDED
from services.points_api.webhooks.publish import publish
from shared.auth import Principal
from shared.errors import FieldError
from shared.periods import key_of_month, month_of_key

HONOUR_NAMESPACE = uuid.UUID("3d9a7f10-2c6b-4e85-a4d1-8f0b6c2e5a37")
SYSTEM = "system:honours"


def period_key(kind: str, label: str) -> str:
    return f"M{label}" if kind == "monthly" else f"Y{label}"


def period_label(key: str) -> str:
    return key[1:]


def chinese_label(key: str) -> str:
    return f"{key[1:5]}年{int(key[6:8])}月" if key.startswith("M") else f"{key[1:5]}年"


def _bonus(bands: list[RankBand], rank: int) -> int:
    return next((band.points for band in bands if band.from_rank <= rank <= band.to_rank), 0)


class HonourService:
    async def settings(self, session: AsyncSession) -> HonourSettings:
        stored = await repo.settings(session)
        return HonourSettings(monthly=MonthlyHonours.model_validate(stored.get("monthly", {})),
                              yearly=YearlyHonours.model_validate(stored.get("yearly", {})))

    async def save_settings(self, session: AsyncSession, data: HonourSettings, *,
                            actor: str) -> HonourSettings:
        errors = [FieldError(pointer=f"#/monthly/{name}", detail=problem)
                  for name in ("bands", "department_bands")
                  for problem in band_problems(getattr(data.monthly, name) or [])]
        if errors:
            raise InvalidBands("; ".join(e.detail for e in errors), errors=errors)
        for kind in ("monthly", "yearly"):
            config = getattr(data, kind).model_dump(mode="json")
            await repo.save_settings(session, kind, config, actor)
        return await self.settings(session)

    async def run(self, session: AsyncSession, *, kind: str, label: str, dry_run: bool,
                  actor: str, tz: tzinfo,
                  closing_after: datetime | None = None) -> HonourRunResult | None:
        """Award the honours of a closed period (or show them, for a dry run). With
        ``closing_after`` (the periodic job: the end of the period's late-arrival
        window) the period is left alone (None) unless it still needs closing."""
        key = period_key(kind, label)
        _, end = period_bounds(key, tz)
        assert end is not None
        if end > datetime.now(UTC):
            raise PeriodNotClosed(f"{chinese_label(key)} ends at {end.astimezone(tz)}; "
                                  "honours are awarded after it closes")
        config = await self.settings(session)
        if not dry_run:
            await repo.lock_period(session, kind, key)
            if closing_after is not None and not await self._needs_closing(
                    session, kind, key, since=closing_after, config=config):
                return None
        winners = await self._winners(session, kind, key, config)
        already = await repo.awarded(session, kind, key)
        for winner in winners:
            if (winner.scope, winner.scope_value or "", winner.employee_no) in already:
                winner.status = WinnerStatus.ALREADY_AWARDED
        new = [w for w in winners if w.status == WinnerStatus.NEW]
        result = HonourRunResult(kind=kind, period=label, dry_run=dry_run, run_id=None,
                                 winners=winners, awarded=len(new),
                                 bonus_points=sum(w.bonus_points for w in new))
        if kind == "monthly":
            result.streaks = await streaks.compute(session, self._next_month(key), tz=tz,
                                                   dry_run=dry_run)
        if dry_run:
            return result
        result.run_id = await repo.insert_run(session, kind=kind, period=key, actor=actor)
        await self._award(session, new, kind=kind, key=key, run_id=result.run_id, tz=tz)
        if kind == "monthly" and config.monthly.notify_rank_changes:
            await notifications.rank_changes(session, period=key, previous=previous_month(key),
                                             shown=label, label=chinese_label(key))
        await repo.finish_run(session, result.run_id, awarded=result.awarded,
                              bonus=result.bonus_points)
        return result

    async def roll(self, session: AsyncSession, *, kind: str | None, label: str | None,
                   employee_no: str | None, offset: int, limit: int,
                   principal: Principal) -> list[HonourEntry]:
        """``label`` 2026-10 is a month, 2026 a year."""
        key = None if label is None else period_key(
            "monthly" if "-" in label else "yearly", label)
        rows = await repo.roll(session, kind=kind, period=key, employee_no=employee_no,
                               offset=offset, limit=limit)
        return [self._entry(row, principal) for row in rows]

    async def runs(self, session: AsyncSession, *, before_id: int | None,
                   limit: int) -> tuple[list[HonourRun], int | None]:
        rows = await repo.runs(session, before_id=before_id, limit=limit + 1)
        items = [HonourRun(id=r.id, kind=r.kind, period=period_label(r.period),
                           requested_by=r.requested_by, awarded=r.awarded,
                           bonus_points=r.bonus_points, started_at=r.started_at)
                 for r in rows[:limit]]
        return items, (items[-1].id if len(rows) > limit else None)

    # -- internals ---------------------------------------------------------------------------

    async def _needs_closing(self, session: AsyncSession, kind: str, key: str, *,
                             since: datetime, config: HonourSettings) -> bool:
        """A period is closed once by the job, by a run after its late-arrival window.
        Nobody with points yet (an empty database, history still to be imported): not
        now, the job looks again. A run after the window that put nobody on the roll
        although the kind is on and people have points closed nothing: run again."""
        if not await repo.has_ranked(session, key):
            return False
        if not await repo.has_run(session, kind, key, since=since):
            return True
        enabled = config.monthly.enabled if kind == "monthly" else config.yearly.enabled
        return enabled and not await repo.awarded(session, kind, key)

    async def _winners(self, session: AsyncSession, kind: str, key: str,
                       config: HonourSettings) -> list[HonourWinner]:
        if kind == "yearly":
            yearly = config.yearly
            if not yearly.enabled:
                return []
            rows = await repo.top_ranks(session, key, top_percent=yearly.top_percent)
            return [_winner(r, "company", None, yearly.title, yearly.bonus_points)
                    for r in rows]
        monthly = config.monthly
        if not monthly.enabled:
            return []
        title = f"{chinese_label(key)} {monthly.title}"
        winners = [_winner(r, "company", None, title, _bonus(monthly.bands, r.rank))
                   for r in await repo.top_ranks(session, key,
                                                 last_rank=monthly.bands[-1].to_rank)]
        bands = monthly.department_bands or monthly.bands
        for code in monthly.department_codes:
            path = await board_repo.department_path(session, code)
            if path is None:
                continue
            rows = await repo.top_ranks(session, key, last_rank=bands[-1].to_rank,
                                        department_like=board_repo.subtree_pattern(path))
            winners += [_winner(r, "department", code, f"{title}（{code}）",
                                _bonus(bands, r.rank)) for r in rows]
        return winners

    async def _award(self, session: AsyncSession, new: list[HonourWinner], *, kind: str,
                     key: str, run_id: int, tz: tzinfo) -> None:
        """Roll entries first; then bonuses in employee order, so that two runs locking
        the same accounts take them in the same order."""
        honour_ids: list[tuple[int, HonourWinner]] = []
        for winner in new:
            honour_id = await repo.insert_honour(session, {
                "kind": kind, "period": key, "scope": winner.scope,
                "scope_value": winner.scope_value or "", "employee_no": winner.employee_no,
                "rank": winner.rank, "points": winner.points, "title": winner.title,
                "bonus_points": winner.bonus_points, "run_id": run_id})
            if honour_id is not None:
                honour_ids.append((honour_id, winner))
        for honour_id, winner in sorted(honour_ids, key=lambda item: item[1].employee_no):
            entry_id = await self._pay(session, honour_id, winner, kind=kind, key=key, tz=tz)
            label = chinese_label(key)
            await notifications.notify(
                session, winner.employee_no, kind="honour_won", title=f"荣誉：{winner.title}",
                body=f"{label} 第 {winner.rank} 名，积分 {winner.points}"
                     + (f"，奖励 {winner.bonus_points} 积分" if winner.bonus_points else ""),
                data={"honour_id": honour_id, "period": period_label(key), "kind": kind,
                      "rank": winner.rank, "bonus_points": winner.bonus_points,
                      "entry_id": entry_id},
                dedupe_key=f"honour:{honour_id}")
            await publish(session, event_type=HONOUR_AWARDED,
                          event_id=uuid.uuid5(HONOUR_NAMESPACE, f"honour/{honour_id}"),
                          payload={"honour_id": honour_id, "kind": kind,
                                   "period": period_label(key), "scope": winner.scope,
                                   "scope_value": winner.scope_value,
                                   "employee_no": winner.employee_no,
                                   "employee_name": winner.name, "rank": winner.rank,
                                   "points": winner.points, "title": winner.title,
                                   "bonus_points": winner.bonus_points, "entry_id": entry_id})

    async def _pay(self, session: AsyncSession, honour_id: int, winner: HonourWinner, *,
                   kind: str, key: str, tz: tzinfo) -> int | None:
        """The bonus entry (under the account lock), and the milestone check it may
        trigger; None when the honour carries no bonus."""
        if not winner.bonus_points:
            return None
        await ledger_repo.lock_account(session, winner.employee_no)
        entries, _ = await ledger.post(session, winner.employee_no, [Posting(
            kind="earn", amount=winner.bonus_points, qualifying_amount=winner.bonus_points,
            category="growth", reason=f"{winner.title} 第 {winner.rank} 名奖励",
            occurred_at=datetime.now(UTC), rule_id=f"honour.{kind}",
            source_event_id=uuid.uuid5(HONOUR_NAMESPACE, f"bonus/{honour_id}"),
            details={"honour_id": honour_id, "period": period_label(key), "rank": winner.rank,
                     "scope": winner.scope, "scope_value": winner.scope_value})], tz=tz)
        await repo.set_entry(session, honour_id, entries[0].id)
        await milestones.check(session, winner.employee_no, tz=tz)
        entry_id: int = entries[0].id
        return entry_id

    def _next_month(self, key: str) -> str:
        year, month = month_of_key(key)
        return key_of_month(year + month // 12, month % 12 + 1)

    def _entry(self, row: Row[Honour, str | None, bool], principal: Principal) -> HonourEntry:
        honour, name, hidden = row.tuple()
        shown = (not hidden or honour.employee_no == principal.sub
                 or sees_hidden_names(principal))
        return HonourEntry(
            id=honour.id, kind=honour.kind, period=period_label(honour.period),
            scope=honour.scope, scope_value=honour.scope_value or None, rank=honour.rank,
            points=honour.points, title=honour.title, bonus_points=honour.bonus_points,
            entry_id=honour.entry_id, employee_no=honour.employee_no if shown else None,
            name=(name or honour.employee_no) if shown else ANONYMOUS, name_hidden=hidden,
            awarded_at=honour.awarded_at)


def _winner(row: repo.Ranked, scope: str, scope_value: str | None, title: str,
            bonus: int) -> HonourWinner:
    return HonourWinner(scope=scope, scope_value=scope_value, employee_no=row.employee_no,
                        name=row.name, rank=row.rank, points=row.points, title=title,
                        bonus_points=bonus, status=WinnerStatus.NEW)


def due_periods(tz: tzinfo, *, late: timedelta,
                now: datetime) -> list[tuple[str, str, datetime]]:
    """(kind, label, end of its late-arrival window) of the month and the year whose
    window ended most recently (company calendar): closed, and late facts waited for."""
    day = (now - late).astimezone(tz).date()
    last_month = day.replace(day=1) - timedelta(days=1)
    out = []
    for kind, label in (("monthly", f"{last_month.year:04d}-{last_month.month:02d}"),
                        ("yearly", f"{day.year - 1:04d}")):
        _, end = period_bounds(period_key(kind, label), tz)
        assert end is not None
        out.append((kind, label, end + late))
    return out


honours = HonourService()
