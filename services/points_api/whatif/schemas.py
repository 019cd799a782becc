"""What HR sends to start a what-if and apply its difference, and what they read back."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StringConstraints
from pydantic.json_schema import SkipJsonSchema

from services.points_api.whatif.models import SimulationStatus
from shared.contracts.base import ReadSchema, Schema, schema_extra
from shared.contracts.fields import DayOrTime, text
from shared.periods import period_pattern

CODE_PATTERN = r"^[A-Za-z0-9_.\-]{1,50}$"
Reason = Annotated[str, text(500)]


Period = Annotated[str, StringConstraints(pattern=period_pattern(all_time=False))]

class SimulationCreate(Schema):
    """The window of past events to replay: a ``period`` of the company calendar, or
    ``from`` (inclusive) and ``to`` (exclusive; a date includes that whole day), one or
    the other (the schema's ``oneOf``)."""

    model_config = ConfigDict(populate_by_name=True, json_schema_extra=schema_extra({"oneOf": [
        {"required": ["period"], "not": {"anyOf": [{"required": ["from"]},
                                                   {"required": ["to"]}]}},
        {"required": ["from", "to"], "not": {"required": ["period"]}},
    ]}))

    # optional but never null: absent is how a window says it does not use the field
    period: Period | SkipJsonSchema[None] = Field(
        default=None, examples=["M2026-10"], description="M2026-10, Q2026-3 or Y2026")
    from_: DayOrTime | SkipJsonSchema[None] = Field(
        default=None, alias="from", examples=["2026-10-01"],
        description="A date (company time zone) or RFC 3339 time")
    to: DayOrTime | SkipJsonSchema[None] = Field(default=None, examples=["2026-10-31"])
    department: str | None = Field(default=None, pattern=CODE_PATTERN, description=(
        "Only employees of this department and its sub-departments; everyone when absent"))


class SimulationApply(Schema):
    reason: Reason = Field(description="Why the difference is paid, kept on every entry",
                           examples=["实操考核分值由 30 调整为 40，补发 10 月差额"])


class Window(ReadSchema):
    from_: datetime = Field(alias="from", serialization_alias="from")
    to: datetime

    model_config = ConfigDict(populate_by_name=True)


class Progress(ReadSchema):
    events_done: int
    events_total: int | None = Field(description="Null until the window's events are counted")
    percent: float | None


class Mix(ReadSchema):
    total: int = Field(description="Qualifying points, net of the voids of these facts")
    by_category: dict[str, int]
    shares: dict[str, float | None] = Field(description="Share of the total (0-1) per category")


class RuleComparison(ReadSchema):
    rule_id: str
    rule_name: str | None
    category: str | None
    actual_points: int
    simulated_points: int
    difference: int


class MilestoneComparison(ReadSchema):
    kind: Literal["position", "certification"]
    code: str
    name: str
    min_points: int
    points_window_months: int | None
    gained: int = Field(description="Employees who would meet the points bar and do not")
    lost: int = Field(description="Employees who meet the points bar and would not")


class ReplayNotes(ReadSchema):
    skipped_voided: int = Field(description="Events of facts already voided when they came")
    unreadable: int = Field(description="Logged events the current event models refuse")
    confirmer_points_clamped: int = Field(
        description="Points a confirmer chose outside the draft's range, taken as the "
                    "nearest end of the range")
    unscorable: int = Field(description="Confirmed points no range of the draft could take "
                                        "(the event pays nothing)")
    reversed_by_hand: int = Field(
        description="Earnings of the window's events that HR reversed by hand: not replayed, "
                    "so caps and exam top-ups after them may differ")
    streak_rules_without_qualifications: list[str] = Field(
        description="Streak multipliers of the draft nobody qualifies for in the window "
                    "(streaks are computed for published rules only)")


class SimulationSummary(ReadSchema):
    events: int
    employees: int
    employees_changed: int
    actual: Mix
    simulated: Mix
    difference: int
    rules: list[RuleComparison]
    milestones: list[MilestoneComparison]
    notes: ReplayNotes


class Application(ReadSchema):
    applied_at: datetime
    applied_by: str
    reason: str
    entries: int
    points: int = Field(description="Net qualifying points the entries moved")


class Simulation(ReadSchema):
    id: uuid.UUID
    rule_set_version: int
    window: Window
    department: str | None
    status: SimulationStatus
    progress: Progress
    error: str | None
    created_by: str
    created_at: datetime
    finished_at: datetime | None
    summary: SimulationSummary | None = Field(description="When done")
    application: Application | None = Field(description="When the difference was applied")


class EmployeeComparison(ReadSchema):
    employee_no: str
    name: str | None
    events: int
    actual_points: int
    simulated_points: int
    difference: int
    actual_by_category: dict[str, int]
    simulated_by_category: dict[str, int]
    milestones_gained: list[str] = Field(
        description='Points bars the employee would meet, as "position:CODE" or '
                    '"certification:CODE"')
    milestones_lost: list[str]
