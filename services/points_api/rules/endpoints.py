"""Rule sets: list, read, draft, edit, validate, publish; and the confirmer-range
check training_api makes before a manager confirms a skill application."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Path, Query, status

from services.points_api.models import RuleSetStatus
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
    RuleSetCreate,
    RuleSetDetail,
    RuleSetPublish,
    RuleSetSummary,
    RuleSetUpdate,
    RuleSetValidation,
)
from services.points_api.rules.service import rule_sets
from shared.auth import AuditReader, HRAdmin
from shared.contracts.fields import Timestamp
from shared.contracts.points import ConfirmerRange, ConfirmerRangeQuery
from shared.db import DBSession
from shared.errors import BadCursor, problems
from shared.pagination import Cursor, Limit, Page, decode_id_cursor, encode_id_cursor
from shared.routing import APIRouter
from shared.service_auth import FromTraining

router = APIRouter(prefix="/points/v1")
TAG = "rule-sets"
VersionPath = Annotated[int, Path(ge=1, le=2**31 - 1, description="Rule set version")]


@router.get("/rule-sets", response_model=Page[RuleSetSummary], tags=[TAG],
            operation_id="list_rule_sets", summary="List rule set versions",
            responses=problems(BadCursor))
async def list_rule_sets(session: DBSession, _: AuditReader, limit: Limit = 50,
                         cursor: Cursor = None,
                         status_: Annotated[RuleSetStatus | None, Query(alias="status")] = None,
                         ) -> Page[RuleSetSummary]:
    """Every version, newest first, without its rules (read one version for them).
    Filter by ``status`` (draft or published). A cursor not made by this list is
    a 400 ``invalid-cursor`` problem."""
    before = decode_id_cursor(cursor)
    items, last = await rule_sets.list(session, status=status_, before=before, limit=limit)
    return Page(items=items, next_cursor=encode_id_cursor(last))


@router.get("/rule-sets/active", response_model=RuleSetDetail, tags=[TAG],
            operation_id="get_active_rule_set", summary="The rule set in effect at a time",
            responses=problems(NoActiveRuleSet))
async def get_active_rule_set(
    session: DBSession, _: AuditReader,
    at: Annotated[Timestamp | None, Query(description="RFC 3339 time; now when left out")]
    = None,
) -> RuleSetDetail:
    """The published version with the latest effective time at or before ``at``: the
    rules an event occurring at ``at`` is scored with."""
    return await rule_sets.active(session, at=at or datetime.now(UTC))


@router.get("/rule-sets/{version:int}", response_model=RuleSetDetail, tags=[TAG],
            operation_id="get_rule_set", summary="Get a rule set version with its rules",
            responses=problems(RuleSetNotFound))
async def get_rule_set(version: VersionPath, session: DBSession,
                       _: AuditReader) -> RuleSetDetail:
    """One version with all its rules, its status and, once published, when it takes
    effect and who published it."""
    return await rule_sets.get(session, version)


@router.post("/rule-sets", response_model=RuleSetDetail, status_code=status.HTTP_201_CREATED,
             tags=[TAG], operation_id="create_rule_set", summary="Start a new draft",
             responses=problems(UnknownRuleSet))
async def create_rule_set(body: RuleSetCreate, session: DBSession,
                          principal: HRAdmin) -> RuleSetDetail:
    """A new draft version with the next version number: a copy of ``copy_from``'s
    rules (the usual start: copy the active version and change it), the given
    ``rules``, or no rules. Drafts apply to nothing until published."""
    return await rule_sets.create(session, data=body, actor=principal.sub)


@router.put("/rule-sets/{version:int}", response_model=RuleSetDetail, tags=[TAG],
            operation_id="update_rule_set", summary="Edit a draft",
            responses=problems(RuleSetNotFound, RuleSetPublished))
async def update_rule_set(version: VersionPath, body: RuleSetUpdate, session: DBSession,
                          _: HRAdmin) -> RuleSetDetail:
    """Replace a draft's rules and/or note (fields left out stay). Rules must be
    well-formed (422 otherwise); whether they make sense is what validate reports.
    A published version cannot change: 409 ``rule-set-published``."""
    return await rule_sets.update(session, version, data=body)


@router.post("/rule-sets/{version:int}/validate", response_model=RuleSetValidation, tags=[TAG],
             operation_id="validate_rule_set", summary="List a version's problems",
             responses=problems(RuleSetNotFound))
async def validate_rule_set(version: VersionPath, session: DBSession,
                            _: AuditReader) -> RuleSetValidation:
    """Every problem that would make the version pay wrongly (unsorted score bands,
    a multiplier aimed at a missing rule, a cap without a limit...), each with a
    pointer to its rule. Changes nothing."""
    return await rule_sets.validate(session, version)


@router.post("/rule-sets/{version:int}/publish", response_model=RuleSetDetail, tags=[TAG],
             operation_id="publish_rule_set", summary="Publish a draft with an effective time",
             responses=problems(
                 RuleSetNotFound, RuleSetPublished, RuleSetInvalid, EffectiveInPast))
async def publish_rule_set(version: VersionPath, body: RuleSetPublish, session: DBSession,
                           principal: HRAdmin) -> RuleSetDetail:
    """From ``effective_at`` (now when left out; never in the past) events are scored
    with this version; earlier events keep the version in force when they occurred.
    A draft with problems is refused with 409 ``rule-set-invalid`` listing them in
    ``errors``; a published version with 409 ``rule-set-published``."""
    return await rule_sets.publish(session, version, data=body, actor=principal.sub)


@router.post("/internal/confirmer-range", response_model=ConfirmerRange, tags=["internal"],
             operation_id="get_confirmer_range", summary="Points range a confirmer may choose",
             responses=problems(EmployeeUnknown, NoConfirmerRule), include_in_schema=False)
async def get_confirmer_range(body: ConfirmerRangeQuery, session: DBSession,
                              _: FromTraining) -> ConfirmerRange:
    """For training_api (only) before a manager confirms a skill
    application: the range of the rule that would pay it, under the rules in effect
    at ``payload.occurred_at`` (now when absent). 404 ``no-confirmer-rule`` when no
    rule lets a confirmer choose points for this employee and event."""
    return await rule_sets.confirmer_range(session, body)
