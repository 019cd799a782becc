from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, field_validator

from services.training_api.feedback.models import FeedbackStatus
from shared.contracts.base import ReadSchema, Schema
from shared.contracts.fields import text
from shared.identity import EmployeeNo

Topic = Literal["rules", "courses", "rewards", "other"]
Tag = Annotated[str, text(50)]


Subject = Annotated[str, text(200)]
FeedbackText = Annotated[str, text(5000)]
Resolution = Annotated[str, text(2000)]

class FeedbackCreate(Schema):
    topic: Topic = Field(description="rules (积分规则), courses (课程), rewards (兑换) or other")
    subject: Subject | None = Field(
        None, examples=["质量管控进阶"], description="What it is about: a course, a rule...")
    text: FeedbackText = Field(
        examples=["课程时间太长，希望拆成几节 15 分钟的短课"])
    client_id: uuid.UUID | None = Field(None, description=(
        "Optional id made by the app: the same feedback sent again answers 200 with the "
        "stored one instead of filing it twice"))
    employee_no: EmployeeNo | None = Field(None, description=(
        "Whose feedback: the token's subject by default; HR and integrations may file it "
        "for an employee"))


class FeedbackTags(Schema):
    tags: list[Tag] = Field(max_length=20, examples=[["课程时长", "待改进"]],
                            description="Replaces the feedback's tags")

    @field_validator("tags")
    @classmethod
    def _distinct(cls, values: list[str]) -> list[str]:
        return list(dict.fromkeys(values))


class FeedbackClose(Schema):
    resolution: Resolution = Field(
        examples=["已将课程拆分为 3 节短课，下月上线"])


class Feedback(ReadSchema):
    id: int
    employee_no: str
    employee_name: str
    department_code: str = Field(description="The author's department when they wrote it")
    department_name: str
    topic: Topic
    subject: str | None
    text: str
    tags: list[str]
    status: FeedbackStatus
    created_at: datetime
    recorded_by: str
    tagged_by: str | None
    closed_at: datetime | None
    closed_by: str | None
    resolution: str | None
