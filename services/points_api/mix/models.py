"""Tables of the points mix: the target mix HR sets, one version per change.

A change never edits a stored version: it adds one, so the versions are the audit
trail of who set which targets and when, and the newest is the one in force. With
no version stored the defaults of :mod:`services.points_api.mix.defaults` apply."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from services.points_api.db import Base

CATEGORY_COLUMNS = {"participation": ("participation_percent", "participation_tolerance_percent"),
                    "outcome": ("outcome_percent", "outcome_tolerance_percent"),
                    "growth": ("growth_percent", "growth_tolerance_percent")}


def _in_range(column: str, name: str) -> CheckConstraint:
    return CheckConstraint(f"{column} BETWEEN 0 AND 100", name=name)


class PointsMixTargetSet(Base):
    """One version of the target mix: each category's share of the points earned
    (percent, adding up to 100) and the tolerance around it that raises no alert."""

    __tablename__ = "points_mix_target_set"

    version: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    participation_percent: Mapped[int] = mapped_column(Integer)
    participation_tolerance_percent: Mapped[int] = mapped_column(Integer)
    outcome_percent: Mapped[int] = mapped_column(Integer)
    outcome_tolerance_percent: Mapped[int] = mapped_column(Integer)
    growth_percent: Mapped[int] = mapped_column(Integer)
    growth_tolerance_percent: Mapped[int] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        *(_in_range(target, f"{category}_target_range")
          for category, (target, _) in CATEGORY_COLUMNS.items()),
        *(_in_range(tolerance, f"{category}_tolerance_range")
          for category, (_, tolerance) in CATEGORY_COLUMNS.items()),
        CheckConstraint("participation_percent + outcome_percent + growth_percent = 100",
                        name="targets_add_up"),
    )


class PointsMixSourceTarget(Base):
    """A named source of points (``实操任务``: the rules that pay for practical
    assessments) with the least and/or most share of the points it should have."""

    __tablename__ = "points_mix_source_target"

    version: Mapped[int] = mapped_column(
        Integer, ForeignKey("points_mix_target_set.version", ondelete="CASCADE"),
        primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    label: Mapped[str] = mapped_column(String(50))
    rule_ids: Mapped[list[str]] = mapped_column(ARRAY(String(64)))
    min_percent: Mapped[int | None] = mapped_column(Integer)
    max_percent: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (
        UniqueConstraint("version", "label"),
        CheckConstraint("cardinality(rule_ids) >= 1", name="has_rules"),
        CheckConstraint("min_percent IS NOT NULL OR max_percent IS NOT NULL", name="has_bound"),
        CheckConstraint("min_percent IS NULL OR min_percent BETWEEN 0 AND 100",
                        name="min_in_range"),
        CheckConstraint("max_percent IS NULL OR max_percent BETWEEN 0 AND 100",
                        name="max_in_range"),
        CheckConstraint("min_percent IS NULL OR max_percent IS NULL OR min_percent <= max_percent",
                        name="min_not_above_max"),
    )
