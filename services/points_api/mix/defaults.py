"""The target mix in force while HR has set none: the case study's 40% participation,
50% outcome, 10% growth, each with 5 points of tolerance either way, and practical
tasks (实操任务, the rule ``practical.passed``) at 20% of the points at least, the
article's example of an alert ("practical tasks under 20% -> raise their value")."""

from __future__ import annotations

from services.points_api.mix.schemas import (
    CategoryTarget,
    CategoryTargets,
    SourceTarget,
    Targets,
)

DEFAULT_TOLERANCE_PERCENT = 5


def default_targets() -> Targets:
    return Targets(
        categories=CategoryTargets(
            participation=CategoryTarget(target_percent=40,
                                         tolerance_percent=DEFAULT_TOLERANCE_PERCENT),
            outcome=CategoryTarget(target_percent=50, tolerance_percent=DEFAULT_TOLERANCE_PERCENT),
            growth=CategoryTarget(target_percent=10, tolerance_percent=DEFAULT_TOLERANCE_PERCENT)),
        sources=[SourceTarget(label="实操任务", rule_ids=["practical.passed"], min_percent=20)],
        version=None, is_default=True, note=None, updated_by=None, updated_at=None)
