from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StringConstraints, model_validator

from services.training_api.org.schemas import Code, RoleFamily
from services.training_api.reports.schemas import PeriodOut, ScopeOut
from shared.contracts.base import ReadSchema, Schema, schema_extra
from shared.contracts.fields import Timestamp, name, text
from shared.errors import FieldError
from shared.identity import EmployeeNo

SurveyKind = Literal["satisfaction", "training_needs", "general"]
QuestionKind = Literal["single_choice", "scale", "text"]
Preference = Literal["format", "length", "time_of_day"]
Text = Annotated[str, text(500)]
Label = Annotated[str, name(200)]
OptionValue = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.\-]{1,50}$")]


AnswerText = Annotated[str, text(5000)]

class Option(Schema):
    value: OptionValue = Field(examples=["online"], description="What answers send and store")
    label: Label = Field(examples=["线上视频"])


class QuestionIn(Schema):
    # options go with single_choice questions only, as does a preference
    model_config = ConfigDict(json_schema_extra=schema_extra({"oneOf": [
        {"properties": {"kind": {"const": "single_choice"}, "options": {"minItems": 2}},
         "required": ["options"]},
        {"properties": {"kind": {"enum": ["scale", "text"]}, "options": {"maxItems": 0},
                        "preference": {"type": "null"}}},
    ]}))

    code: Code | None = Field(None, examples=["fairness"], description=(
        "Optional stable key, e.g. fairness or willingness: the satisfaction report can "
        "follow one question across surveys"))
    kind: QuestionKind = Field(description="single_choice, scale (1-5) or text")
    text: Text = Field(examples=["您认为积分规则公平吗？"])
    options: list[Option] = Field(default_factory=list, max_length=20,
                                  description="The choices of a single_choice question")
    required: bool = True
    preference: Preference | None = Field(None, description=(
        "Training-needs surveys: the preference this single_choice question sets (format, "
        "length or time_of_day)"))

    @model_validator(mode="after")
    def _fits_kind(self) -> QuestionIn:
        if self.kind == "single_choice":
            if len(self.options) < 2:
                raise ValueError("a single_choice question needs two or more options")
        elif self.options:
            raise ValueError(f"a {self.kind} question has no options")
        if self.preference is not None and self.kind != "single_choice":
            raise ValueError("only a single_choice question can set a preference")
        return self


class Audience(Schema):
    department_code: Code | None = Field(None, description="With sub-departments")
    family: RoleFamily | None = None
    front_line: bool | None = None


class SurveyUpsert(Schema):
    """Well-formed surveys the schema cannot judge (closing before opening, an option
    value or question code used twice) are 409 invalid-survey."""

    # only training_needs surveys have questions that set preferences
    model_config = ConfigDict(json_schema_extra=schema_extra({"anyOf": [
        {"properties": {"kind": {"const": "training_needs"}}},
        {"properties": {"questions": {"items": {"properties": {
            "preference": {"type": "null"}}}}}},
    ]}))

    title: Label = Field(examples=["2026年第三季度培训满意度调查"])
    description: Annotated[str, StringConstraints(max_length=2000)] | None = None
    kind: SurveyKind = Field(description=(
        "satisfaction (its scale answers feed the satisfaction report), training_needs "
        "(its preference questions set employees' preferences) or general"))
    opens_at: Timestamp | None = Field(None, description="Default: when it is created")
    closes_at: Timestamp | None = None
    audience: Audience | None = Field(None, description="Who may answer; everyone when absent")
    questions: list[QuestionIn] = Field(min_length=1, max_length=100)

    @model_validator(mode="after")
    def _consistent(self) -> SurveyUpsert:
        if self.kind != "training_needs" and any(q.preference for q in self.questions):
            raise ValueError("only training_needs surveys set preferences")
        return self

    def problems(self) -> list[FieldError]:
        """What is wrong beyond the schema, each with its pointer."""
        errors = []
        if self.opens_at and self.closes_at and self.closes_at <= self.opens_at:
            errors.append(FieldError(pointer="#/closes_at", detail="must be after opens_at"))
        seen: set[str] = set()
        for i, question in enumerate(self.questions):
            if question.code and question.code in seen:
                errors.append(FieldError(pointer=f"#/questions/{i}/code",
                                         detail=f"{question.code!r} is used twice"))
            seen.add(question.code or "")
            values = [o.value for o in question.options]
            if len(set(values)) != len(values):
                errors.append(FieldError(pointer=f"#/questions/{i}/options",
                                         detail="option values must be distinct"))
        return errors


class QuestionOut(ReadSchema):
    position: int = Field(description="1-based; answers name questions by position")
    code: str | None
    kind: QuestionKind
    text: str
    options: list[Option]
    required: bool
    preference: Preference | None


class AudienceOut(ReadSchema):
    department_code: str | None
    family: str | None
    front_line: bool | None


class Survey(ReadSchema):
    code: str
    title: str
    description: str | None
    kind: SurveyKind
    status: Literal["scheduled", "open", "closed"]
    opens_at: datetime
    closes_at: datetime | None
    audience: AudienceOut
    questions: list[QuestionOut]
    responses: int
    created_by: str
    created_at: datetime
    updated_at: datetime


class AnswerIn(Schema):
    question: int = Field(ge=1, le=100, description="The question's position")
    choice: OptionValue | None = Field(None, description="single_choice: an option's value")
    scale: int | None = Field(None, ge=1, le=5, description="scale: 1 (worst) to 5 (best)")
    text: AnswerText | None = None


class ResponseCreate(Schema):
    answers: list[AnswerIn] = Field(min_length=1, max_length=100)
    employee_no: EmployeeNo | None = Field(None, description=(
        "Whose answers: the token's subject by default. HR and integrations may submit "
        "answers collected elsewhere (a paper questionnaire) for an employee."))
    answered_at: Timestamp | None = Field(None, description=(
        "HR and integrations only: when the employee answered; default now"))


class AnswerOut(ReadSchema):
    question: int
    choice: str | None
    scale: int | None
    text: str | None


class SurveyResponse(ReadSchema):
    survey_code: str
    employee_no: str
    answered_at: datetime
    answers: list[AnswerOut]
    preferences_updated: list[Preference] = Field(
        description="Preferences this response set (training-needs surveys)")


class OptionCount(ReadSchema):
    value: str
    label: str
    count: int
    share: float | None


class ScaleSummary(ReadSchema):
    mean: float | None
    distribution: dict[str, int] = Field(description="Answers per value '1'..'5'")
    satisfied: int = Field(description="Answers 4 or 5")
    satisfaction_share: float | None = Field(description="satisfied / answers")


class DepartmentResult(ReadSchema):
    department_code: str
    department_name: str
    answers: int
    satisfaction_share: float | None = Field(description="Scale questions")
    option_counts: dict[str, int] | None = Field(description="Single-choice questions")


class QuestionResult(ReadSchema):
    position: int
    code: str | None
    kind: QuestionKind
    text: str
    answers: int
    options: list[OptionCount] | None
    scale: ScaleSummary | None
    by_department: list[DepartmentResult] = Field(description=(
        "Per sub-department of the scope (with its subtree), by the department the "
        "employee was in when answering"))


class SurveyResults(ReadSchema):
    survey_code: str
    title: str
    kind: SurveyKind
    period: PeriodOut = Field(description="Answers given in this period count")
    scope: ScopeOut
    responses: int
    questions: list[QuestionResult]


class TextAnswer(ReadSchema):
    id: str = Field(description="Opaque id of the answer")
    question: int
    department_code: str
    department_name: str
    answered_at: date
    text: str


class SatisfactionRow(ReadSchema):
    period: str = Field(description="YYYY-MM or YYYY-Qn; 'all' for the whole range")
    question_code: str | None = Field(description="null: every scale question")
    answers: int
    satisfied: int
    satisfaction_share: float | None


class SatisfactionReport(ReadSchema):
    period: PeriodOut
    scope: ScopeOut
    granularity: Literal["month", "quarter"]
    survey_kind: SurveyKind
    rows: list[SatisfactionRow]


class PreferenceValue(ReadSchema):
    value: str
    label: str
    survey_code: str
    answered_at: datetime


class EmployeePreferences(ReadSchema):
    employee_no: str
    format: PreferenceValue | None = Field(description="e.g. 线上视频 / 线下实操")
    length: PreferenceValue | None = Field(description="e.g. 15 分钟以内")
    time_of_day: PreferenceValue | None = Field(description="e.g. 班前 / 午休 / 班后")
    updated_at: datetime | None
