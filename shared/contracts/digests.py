"""The weekly attrition-risk digest: what training_api sends points_api so that a
department's managers hear of its newly high-risk employees in their notification
feed, and the HR suite through a webhook that names this event type."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

ATTRITION_DIGEST = "attrition_risk.digest"


class DigestEmployee(BaseModel):
    model_config = ConfigDict(extra="ignore")

    employee_no: str
    name: str
    department_code: str
    rank: int
    reasons: list[str] = Field(description="The top reasons, in Chinese")


class AttritionDigestEvent(BaseModel):
    model_config = ConfigDict(extra="ignore")

    digest_id: int
    week: str = Field(description="ISO week, e.g. 2026-W49")
    department_code: str
    department_name: str
    managers: list[str] = Field(description="Employee numbers of the department's managers")
    new: list[DigestEmployee] = Field(description="Newly high-risk this week")
    high_risk: int = Field(description="High-risk employees of the department in all")
    method: str = Field(description="model or rules")
    report_path: str
