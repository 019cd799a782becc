from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from services.points_api.milestones.models import GrantStatus
from shared.contracts.base import Schema
from shared.contracts.fields import decimal, name, text

Code = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.\-]{1,50}$")]
Name = Annotated[str, name(200)]
RaisePercent = Annotated[Decimal, decimal(places=2, ge=5, le=10)]
Text = Annotated[str, text(2000, min_length=0)]
Reason = Annotated[str, text(500)]


class CriterionStatus(StrEnum):
    MET = "met"
    MISSING = "missing"
    UNKNOWN = "unknown"  # the facts are not available now


class _CriteriaIn(Schema):
    min_points: int = Field(default=0, ge=0, le=10**9, examples=[500],
                            description="Qualifying points needed within the window")
    points_window_months: int | None = Field(
        default=None, ge=1, le=120, examples=[12],
        description="Trailing calendar months counted (the current month and the ones "
                    "before it); null counts lifetime points")
    required_skills: list[Code] = Field(default_factory=list, max_length=50,
                                        examples=[["S-SETUP", "S-TROUBLESHOOT"]],
                                        description="Skill codes the employee must hold")
    active: bool = True


class PositionUpsert(_CriteriaIn):
    """What it takes to be eligible for promotion to a position."""

    name: Name = Field(examples=["生产组长"])
    description: Text | None = None
    min_tenure_months: int | None = Field(default=None, ge=0, le=600, examples=[12],
                                          description="Months since hired_on")


class CertificationUpsert(_CriteriaIn):
    """A certification granted automatically, once, when its criteria are met."""

    name: Name = Field(examples=["高级设备操作员"])
    description: Text | None = None
    salary_raise_percent: RaisePercent = Field(
        examples=["8"], description="Raise payroll applies")
    validity_months: int | None = Field(default=None, ge=1, le=600, examples=[24],
                                        description="How long a grant is valid; null: no end")


class _Audit(BaseModel):
    active: bool
    created_by: str
    created_at: datetime
    updated_by: str
    updated_at: datetime


class Position(_Audit):
    code: str
    name: str
    description: str | None
    min_points: int
    points_window_months: int | None
    required_skills: list[str]
    min_tenure_months: int | None


class Certification(_Audit):
    code: str
    name: str
    description: str | None
    min_points: int
    points_window_months: int | None
    required_skills: list[str]
    salary_raise_percent: Decimal
    validity_months: int | None


class Grant(BaseModel):
    """A certification granted to an employee."""

    id: int
    certification_code: str
    certification_name: str
    employee_no: str
    status: GrantStatus = Field(description="expired: active but past valid_until")
    qualifying_points: int = Field(description="Qualifying points (in the window) at grant")
    salary_raise_percent: Decimal
    valid_from: date
    valid_until: date | None = Field(description="Last valid day; null: no end")
    granted_at: datetime
    revoked_at: datetime | None
    revoked_by: str | None
    revoke_reason: str | None


class GrantRevoke(Schema):
    reason: Reason = Field(examples=["考核材料不实"])


class Criterion(BaseModel):
    """One requirement, where the employee stands on it, and what is missing."""

    kind: Literal["points", "skills", "tenure"]
    status: CriterionStatus = Field(description="unknown: the facts are not available now "
                                                "(skills: training_api did not answer; "
                                                "tenure: no hire date)")
    value: int | None = Field(description="Points in the window, required skills held, or "
                                          "months of tenure")
    target: int
    missing: int | None = Field(description="How much is still missing (0 when met)")
    unit: Literal["points", "skills", "months"]
    missing_skills: list[str] = Field(default_factory=list)
    detail: str = Field(examples=["近 12 个月合格积分 490 / 500，还差 10 分"])


class PositionEligibility(BaseModel):
    position_code: str
    position_name: str
    eligible: bool
    criteria: list[Criterion]
    reached_at: datetime | None = Field(description="When the employee first met every "
                                                    "criterion (notified then)")


class Eligibility(BaseModel):
    employee_no: str
    evaluated_at: datetime
    positions: list[PositionEligibility]


class CertificationProgress(BaseModel):
    certification_code: str
    certification_name: str
    salary_raise_percent: Decimal
    criteria: list[Criterion]


class EmployeeCertifications(BaseModel):
    employee_no: str
    grants: list[Grant] = Field(description="Granted certifications, newest first")
    progress: list[CertificationProgress] = Field(
        description="Active certifications not granted yet, with what is missing")
