"""The incentive a forecast proposes, put where HR works with rules: a draft version
of points_api's rule set (the rules in force plus the time-boxed boost), created
with HR's own token. HR tries it with the what-if and publishes it, or not."""

from __future__ import annotations

from datetime import date, tzinfo
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from services.training_api.changes import schemas
from services.training_api.changes.errors import NothingToBoost
from services.training_api.changes.forecast import forecast
from services.training_api.clients.points_rules import RuleSetsClient


async def propose_draft(session: AsyncSession, code: str, *, factor: Decimal, today: date,
                        tz: tzinfo, authorization: str,
                        rule_sets: RuleSetsClient) -> schemas.IncentiveDraft:
    found = await forecast(session, code, today=today, tz=tz, class_size=1)
    if found.incentive is None:
        raise NothingToBoost(f"Nobody affected by {code} lacks a skill a course in the "
                             "catalogue teaches: there is no course to boost")
    rule = {**found.incentive, "award": {**found.incentive["award"], "factor": str(factor)}}
    active = await rule_sets.active(authorization)
    rules = [r for r in active["rules"] if r["id"] != rule["id"]] + [rule]
    change = found.change
    draft = await rule_sets.create_draft(authorization, rules=rules, note=(
        f"{change.name}（{change.code}）上线前课程加成 x{factor}，至 {change.go_live_on} 止；"
        f"由培训需求预测提出，预计上线时就绪 {found.projected_ready_share:.0%}，目标 "
        f"{found.target_share:.0%}"))
    version = int(draft["version"])
    return schemas.IncentiveDraft(
        rule_set_version=version, rule=rule, copied_from=active.get("version"),
        simulate=f"/points/v1/rule-sets/{version}/simulations",
        publish=f"/points/v1/rule-sets/{version}/publish")
