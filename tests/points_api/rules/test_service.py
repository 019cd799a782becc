"""Rule sets' lifecycle at the service layer: drafts, validation, publication and
the version in effect, without HTTP; each test in a transaction that is rolled back
(``points_db``), so that what it publishes never reaches another test."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.points_api.db import employee_copy
from services.points_api.rules.defaults import default_rule_set
from services.points_api.rules.errors import (
    EffectiveInPast,
    EmployeeUnknown,
    NoConfirmerRule,
    RuleSetInvalid,
    RuleSetNotFound,
    RuleSetPublished,
    UnknownRuleSet,
)
from services.points_api.rules.schemas import RuleSetCreate, RuleSetPublish, RuleSetUpdate
from services.points_api.rules.service import PUBLISH_GRACE, RuleSetService
from shared.contracts.points import ConfirmerRangeQuery
from shared.errors import InvalidRequest
from tests.copies import add_employee_copy


@pytest.fixture
def rule_sets() -> RuleSetService:
    """A service of its own: its cache of published versions must not outlive the
    transaction that published them."""
    return RuleSetService()


def _rules(*extra: dict[str, Any]) -> list[Any]:
    return [*default_rule_set().model_dump(mode="json")["rules"], *extra]


def _create(**fields: Any) -> RuleSetCreate:
    return RuleSetCreate.model_validate(fields)


_REVERSED_BANDS = {
    "id": "exam.reversed", "name": "倒序分数段", "event_type": "exam.attempted",
    "category": "outcome", "award": {"kind": "score_bands", "bands": [
        {"min_score": 60, "points": 5}, {"min_score": 90, "points": 10}]}}
_DANGLING_BOOST = {
    "id": "boost", "name": "加倍", "event_type": "course.completed", "category": "participation",
    "award": {"kind": "multiplier", "factor": "2", "target_rule_ids": ["missing"]}}


async def test_a_draft_starts_empty_from_rules_or_as_a_copy(points_db, rule_sets):
    empty = await rule_sets.create(points_db, data=_create(), actor="HR001")
    assert (empty.status, empty.rules) == ("draft", [])
    copy = await rule_sets.create(points_db, data=_create(copy_from=1, note="调整"),
                                  actor="HR001")
    assert (copy.copied_from, copy.note) == (1, "调整")
    assert copy.rules == (await rule_sets.get(points_db, 1)).rules
    with pytest.raises(InvalidRequest):
        await rule_sets.create(points_db, data=_create(copy_from=1, rules=[]), actor="HR001")
    with pytest.raises(UnknownRuleSet):
        await rule_sets.create(points_db, data=_create(copy_from=2**31 - 1), actor="HR001")


async def test_validation_points_at_each_broken_rule_and_blocks_publication(points_db,
                                                                           rule_sets):
    rules = _rules(_REVERSED_BANDS, _DANGLING_BOOST)
    draft = await rule_sets.create(points_db, data=_create(rules=rules, note="分数段"),
                                   actor="HR001")
    report = await rule_sets.validate(points_db, draft.version)
    assert not report.valid
    assert {p.pointer for p in report.problems} == {f"#/rules/{len(rules) - 2}",
                                                    f"#/rules/{len(rules) - 1}"}
    with pytest.raises(RuleSetInvalid) as refused:
        await rule_sets.publish(points_db, draft.version, data=RuleSetPublish(), actor="HR001")
    assert len(refused.value.errors or []) == len(report.problems)
    assert (await rule_sets.get(points_db, draft.version)).status == "draft"

    empty = await rule_sets.create(points_db, data=_create(), actor="HR001")
    assert [p.pointer for p in (await rule_sets.validate(points_db, empty.version)).problems
            ] == ["#/rules"]  # a set without rules would pay nothing


async def test_an_update_changes_what_it_names_and_keeps_the_rest(points_db, rule_sets):
    draft = await rule_sets.create(points_db, data=_create(copy_from=1, note="原因"),
                                   actor="HR001")
    fixed = await rule_sets.update(points_db, draft.version,
                                   data=RuleSetUpdate.model_validate({"rules": _rules()[:2]}))
    assert (len(fixed.rules), fixed.note) == (2, "原因")
    cleared = await rule_sets.update(points_db, draft.version,
                                     data=RuleSetUpdate.model_validate({"note": None}))
    assert (len(cleared.rules), cleared.note) == (2, None)
    with pytest.raises(RuleSetNotFound):
        await rule_sets.update(points_db, 2**31 - 1, data=RuleSetUpdate())


async def test_a_published_version_never_changes(points_db, rule_sets):
    draft = await rule_sets.create(points_db, data=_create(copy_from=1), actor="HR001")
    published = await rule_sets.publish(points_db, draft.version, actor="HR002",
                                        data=RuleSetPublish())
    assert (published.status, published.published_by) == ("published", "HR002")
    with pytest.raises(RuleSetPublished):
        await rule_sets.update(points_db, draft.version, data=RuleSetUpdate(note="改"))
    with pytest.raises(RuleSetPublished):
        await rule_sets.publish(points_db, draft.version, data=RuleSetPublish(), actor="HR002")


async def test_publication_never_reaches_into_the_past(points_db, rule_sets):
    draft = await rule_sets.create(points_db, data=_create(copy_from=1), actor="HR001")
    past = datetime.now(UTC) - PUBLISH_GRACE - timedelta(seconds=5)
    with pytest.raises(EffectiveInPast):
        await rule_sets.publish(points_db, draft.version, actor="HR001",
                                data=RuleSetPublish(effective_at=past))
    # a client's clock a little behind the server's is not the past
    skewed = datetime.now(UTC) - PUBLISH_GRACE / 2
    published = await rule_sets.publish(points_db, draft.version, actor="HR001",
                                        data=RuleSetPublish(effective_at=skewed))
    assert published.effective_at == skewed


async def test_the_version_in_effect_is_the_latest_published_at_that_time(points_db, rule_sets):
    effective = datetime.now(UTC).replace(microsecond=0) + timedelta(days=365 * 60)
    draft = await rule_sets.create(points_db, data=_create(copy_from=1), actor="HR001")
    await rule_sets.publish(points_db, draft.version, actor="HR001",
                            data=RuleSetPublish(effective_at=effective))
    assert (await rule_sets.active(points_db, at=effective)).version == draft.version
    before = await rule_sets.active(points_db, at=effective - timedelta(seconds=1))
    assert before.version != draft.version
    parsed = await rule_sets.active_rule_set(points_db, at=effective)
    assert parsed is not None and parsed.version == draft.version


async def test_the_confirmer_range_comes_from_the_rule_in_effect(points_db, rule_sets):
    no = await add_employee_copy(points_db, employee_copy)
    query = ConfirmerRangeQuery(event_type="skill_application.confirmed", employee_no=no,
                                payload={})
    found = await rule_sets.confirmer_range(points_db, query)
    assert (found.min_points, found.max_points, found.rule_id) == (
        50, 100, "skill_application.confirmed")
    with pytest.raises(NoConfirmerRule):
        await rule_sets.confirmer_range(points_db, query.model_copy(
            update={"event_type": "note.shared"}))
    with pytest.raises(EmployeeUnknown):
        await rule_sets.confirmer_range(points_db, query.model_copy(
            update={"employee_no": "NOBODY-X"}))
    with pytest.raises(InvalidRequest):
        await rule_sets.confirmer_range(points_db, query.model_copy(
            update={"payload": {"occurred_at": "2026-11-01T08:00:00"}}))  # no offset
