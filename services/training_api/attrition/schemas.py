from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import Field

from services.training_api.attrition.models import RunStatus
from shared.contracts.base import ReadSchema, Schema

RiskLevel = Literal["high", "medium", "low"]


class RiskRunCreate(Schema):
    horizon_months: int = Field(3, ge=1, le=12, description=(
        "The target: leaving within this many months after a snapshot"))


class RiskRun(ReadSchema):
    id: uuid.UUID
    status: RunStatus
    phase: str
    progress: int = Field(description="0-100")
    horizon_months: int
    as_of: date
    method: Literal["model", "rules"] | None = Field(description=(
        "model: the validated model ranks; rules: too few leavers to validate one, the "
        "transparent engagement-drop rules rank"))
    requested_by: str
    started_at: datetime
    finished_at: datetime | None
    error: str | None
    model_card: dict[str, Any] | None = Field(description=(
        "Training window, features, candidates, validation figures on the held-out "
        "period against the rule and the rules, thresholds, date (done runs only)"))


class RiskReason(ReadSchema):
    indicator: str
    text: str = Field(description="In Chinese, with the employee's value and the typical one")
    contribution: float | None = Field(description=(
        "How much the indicator raises the risk, in log-odds against the plant's typical "
        "value (model); null for a rule"))


class RiskEmployee(ReadSchema):
    rank: int
    employee_no: str
    name: str
    department_code: str
    department_name: str
    level: RiskLevel
    risk: float | None = Field(description="Probability of leaving within the horizon (model)")
    flags: int | None = Field(description="Engagement-drop rules flagged (rules)")
    reasons: list[RiskReason]
    indicators: dict[str, float]


class RiskReport(ReadSchema):
    run: RiskRun
    department_code: str | None
    items: list[RiskEmployee]
    next_cursor: str | None = None


class ReportRead(ReadSchema):
    id: int
    run_id: uuid.UUID | None
    reader: str
    roles: list[str]
    department_code: str | None
    level: str | None
    format: str
    employees_shown: int
    request_id: str | None
    read_at: datetime


class Digest(ReadSchema):
    id: int
    week: str
    department_code: str
    run_id: uuid.UUID
    high_risk: list[str]
    new: list[str]
    managers: list[str]
    created_at: datetime
