"""Rule sets: drafted, validated, published with an effective time, and looked
up by the time an event occurred. Published versions never change, so their
parsed form is cached in-process by version."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from fastapi import FastAPI
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from services.points_api import employee_copies
from services.points_api.models import RuleSetRecord, RuleSetStatus
from services.points_api.rules import repository as repo
from services.points_api.rules.defaults import default_rule_set
from services.points_api.rules.engine import confirmer_rule, validate_rule_set
from services.points_api.rules.errors import (
    EffectiveInPast,
    EmployeeUnknown,
    NoActiveRuleSet,
    NoConfirmerRule,
    RuleSetInvalid,
    RuleSetNotFound,
    RuleSetPublished,
    UnknownRuleSet,
)
from services.points_api.rules.schemas import (
    ConfirmerRangeAward,
    Rule,
    RuleSet,
    RuleSetCreate,
    RuleSetDetail,
    RuleSetProblem,
    RuleSetPublish,
    RuleSetSummary,
    RuleSetUpdate,
    RuleSetValidation,
)
from shared.contracts.points import ConfirmerRange, ConfirmerRangeQuery
from shared.errors import FieldError, InvalidRequest

log = structlog.get_logger("jifen.points.rules")

DEFAULT_VERSION = 1
DEFAULT_EFFECTIVE_AT = datetime(2000, 1, 1, tzinfo=UTC)
SYSTEM_ACTOR = "system"
# Clock skew between the HR client and the server that a "now" publication may carry.
PUBLISH_GRACE = timedelta(minutes=1)
_RULE_PROBLEM = re.compile(r"^rule (\S+): ")


def _summary_fields(record: RuleSetRecord) -> dict[str, Any]:
    return {"version": record.version, "status": record.status, "note": record.note,
            "copied_from": record.copied_from, "rule_count": len(record.rules),
            "effective_at": record.effective_at, "created_by": record.created_by,
            "created_at": record.created_at, "updated_at": record.updated_at,
            "published_by": record.published_by, "published_at": record.published_at}


def _problems(rule_set: RuleSet) -> list[RuleSetProblem]:
    """The engine's findings, each pointing at the rule it is about."""
    index: dict[str, int] = {}
    for position, rule in enumerate(rule_set.rules):
        index.setdefault(rule.id, position)
    problems = []
    if not rule_set.rules:
        problems.append(RuleSetProblem(pointer="#/rules", detail="the rule set has no rules"))
    for text in validate_rule_set(rule_set):
        match = _RULE_PROBLEM.match(text)
        pointer = (f"#/rules/{index[match[1]]}" if match and match[1] in index else "#/rules")
        problems.append(RuleSetProblem(pointer=pointer, detail=text))
    return problems


class RuleSetService:
    def __init__(self) -> None:
        self._published: dict[int, RuleSet] = {}

    # -- reading ---------------------------------------------------------------------------

    async def list(self, session: AsyncSession, *, status: RuleSetStatus | None, before: int | None,
                   limit: int) -> tuple[list[RuleSetSummary], int | None]:
        records = await repo.list_versions(session, status=status, before=before,
                                           limit=limit + 1)
        items = [RuleSetSummary(**_summary_fields(r)) for r in records[:limit]]
        return items, (items[-1].version if len(records) > limit else None)

    async def get(self, session: AsyncSession, version: int) -> RuleSetDetail:
        return self._detail(await self._record(session, version))

    async def active(self, session: AsyncSession, *, at: datetime) -> RuleSetDetail:
        """The version in effect at ``at``."""
        version = await repo.active_version(session, at)
        if version is None:
            raise NoActiveRuleSet(f"No published rule set is in effect at {at.isoformat()}")
        return await self.get(session, version)

    async def active_rule_set(self, session: AsyncSession, *, at: datetime) -> RuleSet | None:
        """The parsed rule set in effect at ``at`` (what the engine evaluates)."""
        version = await repo.active_version(session, at)
        return None if version is None else await self.published(session, version)

    async def published(self, session: AsyncSession, version: int) -> RuleSet:
        """A published version, parsed once per process (published rules never change)."""
        cached = self._published.get(version)
        if cached is None:
            rules = await repo.get_rules(session, version)
            cached = self._published[version] = RuleSet.model_validate(
                {"version": version, "rules": rules or []})
        return cached

    # -- drafting --------------------------------------------------------------------------

    async def create(self, session: AsyncSession, *, data: RuleSetCreate,
                     actor: str) -> RuleSetDetail:
        """A new draft, from the given rules, a copy of another version's, or empty."""
        if data.copy_from is not None and data.rules is not None:
            raise InvalidRequest("Give either copy_from or rules, not both", errors=[
                FieldError(pointer="#/copy_from", detail="not allowed together with rules")])
        rules: list[dict[str, Any]] = []
        if data.rules is not None:
            rules = [rule.model_dump(mode="json") for rule in data.rules]
        elif data.copy_from is not None:
            source = await repo.get_rules(session, data.copy_from)
            if source is None:
                raise UnknownRuleSet(f"Rule set version {data.copy_from} does not exist")
            rules = source
        record = await repo.add(session, RuleSetRecord(
            status=RuleSetStatus.DRAFT, rules=rules, note=data.note, copied_from=data.copy_from,
            created_by=actor))
        return self._detail(record)

    async def update(self, session: AsyncSession, version: int, *,
                     data: RuleSetUpdate) -> RuleSetDetail:
        record = await self._draft_for_update(session, version)
        if data.rules is not None:
            record.rules = [rule.model_dump(mode="json") for rule in data.rules]
        if "note" in data.model_fields_set:
            record.note = data.note
        record.updated_at = datetime.now(UTC)
        await session.flush()
        return self._detail(record)

    async def validate(self, session: AsyncSession, version: int) -> RuleSetValidation:
        """Every problem that would make the version pay wrongly."""
        record = await self._record(session, version)
        problems = _problems(self._parse(record))
        return RuleSetValidation(version=version, valid=not problems, problems=problems)

    async def publish(self, session: AsyncSession, version: int, *, data: RuleSetPublish,
                      actor: str) -> RuleSetDetail:
        """Publish a sound draft; it applies to events occurring from ``effective_at`` on."""
        now = datetime.now(UTC)
        effective_at = data.effective_at or now
        if effective_at < now - PUBLISH_GRACE:
            raise EffectiveInPast(
                "Events before now were already scored with the rules then in force; "
                "choose an effective time from now on", errors=[
                    FieldError(pointer="#/effective_at", detail="must not lie in the past")])
        record = await self._draft_for_update(session, version)
        problems = _problems(self._parse(record))
        if problems:
            raise RuleSetInvalid(
                f"Rule set version {version} has {len(problems)} problem(s)",
                errors=[FieldError(pointer=p.pointer, detail=p.detail) for p in problems])
        await repo.mark_published(session, version, effective_at=effective_at, actor=actor)
        await session.refresh(record)
        return self._detail(record)

    # -- defaults and the confirmer check --------------------------------------------------

    async def install_default(self, session: AsyncSession) -> bool:
        """Version 1, the rules of the domain spec, in effect since 2000; True when it was
        installed now (first start), False when it already existed."""
        return await repo.insert_if_absent(session, {
            "version": DEFAULT_VERSION, "status": RuleSetStatus.PUBLISHED,
            "rules": default_rule_set().model_dump(mode="json")["rules"],
            "note": "默认规则：制造业培训积分体系（参与度、成果、成长）",
            "effective_at": DEFAULT_EFFECTIVE_AT, "created_by": SYSTEM_ACTOR,
            "published_by": SYSTEM_ACTOR, "published_at": datetime.now(UTC)})

    async def confirmer_range(self, session: AsyncSession,
                              query: ConfirmerRangeQuery) -> ConfirmerRange:
        """The points range a confirmer may choose for this employee and payload,
        under the rules in effect when the fact occurred (now when not given)."""
        at = _payload_time(query.payload)
        employee = await employee_copies.get_context(session, query.employee_no)
        if employee is None:
            raise EmployeeUnknown(f"No employee {query.employee_no!r} is known to points_api")
        rule_set = await self.active_rule_set(session, at=at)
        rule = None if rule_set is None else confirmer_rule(
            rule_set, query.event_type, employee, query.payload, at=at)
        if rule_set is None or rule is None:
            raise NoConfirmerRule(
                f"No rule in effect lets a confirmer choose points for {query.event_type}")
        assert isinstance(rule.award, ConfirmerRangeAward)
        return ConfirmerRange(min_points=rule.award.min_points, max_points=rule.award.max_points,
                              rule_id=rule.id, rule_set_version=rule_set.version)

    # -- internals -------------------------------------------------------------------------

    async def _record(self, session: AsyncSession, version: int) -> RuleSetRecord:
        record = await repo.get(session, version)
        if record is None:
            raise RuleSetNotFound(f"Rule set version {version} does not exist")
        return record

    async def _draft_for_update(self, session: AsyncSession, version: int) -> RuleSetRecord:
        record = await repo.get(session, version, for_update=True)
        if record is None:
            raise RuleSetNotFound(f"Rule set version {version} does not exist")
        if record.status != RuleSetStatus.DRAFT:
            raise RuleSetPublished(
                f"Rule set version {version} is published; create a new draft from it "
                f"(copy_from={version}) and publish that")
        return record

    def _parse(self, record: RuleSetRecord) -> RuleSet:
        if record.status == RuleSetStatus.PUBLISHED and record.version in self._published:
            return self._published[record.version]
        parsed = RuleSet.model_validate({"version": record.version, "rules": record.rules})
        if record.status == RuleSetStatus.PUBLISHED:
            self._published[record.version] = parsed
        return parsed

    def _detail(self, record: RuleSetRecord) -> RuleSetDetail:
        rules: list[Rule] = self._parse(record).rules
        return RuleSetDetail(**_summary_fields(record), rules=rules)


def _payload_time(payload: dict[str, Any]) -> datetime:
    raw = payload.get("occurred_at")
    if raw is None:
        return datetime.now(UTC)
    try:
        at = raw if isinstance(raw, datetime) else datetime.fromisoformat(str(raw))
    except ValueError as exc:
        raise InvalidRequest("occurred_at is not an RFC 3339 time", errors=[
            FieldError(pointer="#/payload/occurred_at", detail=str(exc))]) from exc
    if at.tzinfo is None:
        raise InvalidRequest("occurred_at needs a UTC offset", errors=[
            FieldError(pointer="#/payload/occurred_at", detail="add an offset, e.g. +08:00")])
    return at


rule_sets = RuleSetService()


async def install_default_rule_set(app: FastAPI) -> None:
    """Startup hook: installs version 1 on first start. Several replicas may start at
    once; the insert does nothing when another one got there first."""
    try:
        async with app.state.sessionmaker() as session, session.begin():
            installed = await rule_sets.install_default(session)
    except DBAPIError as exc:  # not migrated yet: readyz says so, and a restart installs it
        log.warning("default_rule_set_not_installed", error=str(exc).splitlines()[0])
        return
    if installed:
        log.info("default_rule_set_installed", version=DEFAULT_VERSION)
