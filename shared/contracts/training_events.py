"""Training events: what training_api sends to points_api for each training fact.

Each fact (a completion, an interaction, an exam attempt...) travels as one event
whose ``payload`` is one of the models below. Consumers ignore unknown fields, so
the producer can add fields without breaking them.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any, ClassVar, Literal

from pydantic import (
    AliasChoices,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeInt,
    field_validator,
)

COURSE_COMPLETED = "course.completed"
LIVE_INTERACTION = "live.interaction"
NOTE_SHARED = "note.shared"
NOTE_REVIEWED = "note.reviewed"
EXAM_ATTEMPTED = "exam.attempted"
PRACTICAL_ASSESSED = "practical.assessed"
SKILL_APPLICATION_CONFIRMED = "skill_application.confirmed"
SKILL_LEVEL_RECORDED = "skill_level.recorded"
FACT_VOIDED = "fact.voided"

CourseFormat = Literal["online", "offline", "live", "practical"]
CourseDifficulty = Literal["basic", "intermediate", "advanced"]


class TrainingEventPayload(BaseModel):
    """Fields every training event carries."""

    model_config = ConfigDict(extra="ignore")

    event_type: ClassVar[str]

    fact_id: str = Field(description="UUID of the training fact this event reports")
    employee_no: str = Field(min_length=1)
    occurred_at: AwareDatetime
    legacy_id: str | None = Field(default=None, description=(
        "Set when the fact is a record of a history import (its id in the legacy system): "
        "its points are replayed history, announced to nobody"))

    @field_validator("fact_id")
    @classmethod
    def _canonical_uuid(cls, value: str) -> str:
        # One spelling per fact, so that dedupe and reversal lookups compare equal strings.
        return str(uuid.UUID(value))


class CourseCompleted(TrainingEventPayload):
    event_type: ClassVar[str] = COURSE_COMPLETED

    course_code: str
    course_title: str
    course_format: CourseFormat
    course_difficulty: CourseDifficulty
    class_hours: Decimal = Field(ge=0)
    hours_attended: Decimal | None = Field(default=None, ge=0)
    course_tags: list[str] = Field(default_factory=list)
    course_points: int | None = Field(
        default=None, ge=0, description="The course's explicit points value, if it has one"
    )
    course_role_points: dict[str, NonNegativeInt] = Field(
        default_factory=dict, description="Job role code -> points for completing this course"
    )
    course_family_points: dict[str, NonNegativeInt] = Field(
        default_factory=dict, description="Job role family -> points for completing this course"
    )


class LiveInteraction(TrainingEventPayload):
    event_type: ClassVar[str] = LIVE_INTERACTION

    kind: Literal["speak", "question"]
    course_code: str | None = None
    course_title: str | None = None


class NoteShared(TrainingEventPayload):
    event_type: ClassVar[str] = NOTE_SHARED

    title: str


class NoteReviewed(TrainingEventPayload):
    event_type: ClassVar[str] = NOTE_REVIEWED

    title: str = Field(validation_alias=AliasChoices("title", "note_title"))
    featured: bool
    reviewer: str


class ExamAttempted(TrainingEventPayload):
    event_type: ClassVar[str] = EXAM_ATTEMPTED

    exam_code: str
    exam_title: str
    course_code: str | None = None
    course_title: str | None = None
    score: int = Field(ge=0, le=100)
    pass_score: int = Field(ge=0, le=100)


class PracticalAssessed(TrainingEventPayload):
    event_type: ClassVar[str] = PRACTICAL_ASSESSED

    skill_code: str
    skill_name: str
    passed: bool
    assessor: str
    level: int = 1  # the skill level the assessment checked


class SkillApplicationConfirmed(TrainingEventPayload):
    event_type: ClassVar[str] = SKILL_APPLICATION_CONFIRMED

    skill_code: str | None = None
    summary: str
    points: int = Field(description="Chosen by the confirming manager within the rule's range")
    confirmer: str


class SkillLevelRecorded(TrainingEventPayload):
    """A skill level an employee held, as a legacy system recorded it (history import)."""

    event_type: ClassVar[str] = SKILL_LEVEL_RECORDED

    skill_code: str
    skill_name: str
    level: int = Field(ge=1, le=5)


class FactVoided(TrainingEventPayload):
    """A training fact was withdrawn: the ledger reverses the entries it produced."""

    event_type: ClassVar[str] = FACT_VOIDED

    voided_fact_id: str
    reason: str

    @field_validator("voided_fact_id")
    @classmethod
    def _canonical_voided(cls, value: str) -> str:
        return str(uuid.UUID(value))


TrainingEvent = (
    CourseCompleted
    | LiveInteraction
    | NoteShared
    | NoteReviewed
    | ExamAttempted
    | PracticalAssessed
    | SkillApplicationConfirmed
    | SkillLevelRecorded
    | FactVoided
)

TRAINING_EVENT_MODELS: dict[str, type[TrainingEventPayload]] = {
    model.event_type: model
    for model in (
        CourseCompleted,
        LiveInteraction,
        NoteShared,
        NoteReviewed,
        ExamAttempted,
        PracticalAssessed,
        SkillApplicationConfirmed,
        SkillLevelRecorded,
        FactVoided,
    )
}
TRAINING_EVENT_TYPES: frozenset[str] = frozenset(TRAINING_EVENT_MODELS)


def parse_training_event(event_type: str, payload: dict[str, Any]) -> TrainingEvent:
    """Validate ``payload`` as the model of ``event_type``.

    Raises ValueError for an unknown event type, and pydantic's ValidationError (also
    a ValueError) for a payload that does not fit the model.
    """
    model = TRAINING_EVENT_MODELS.get(event_type)
    if model is None:
        raise ValueError(f"unknown training event type: {event_type!r}")
    return model.model_validate(payload)  # type: ignore[return-value]


class EmployeeContext(BaseModel):
    """The employee facts rules filter on, as points_api knows them when the event arrives."""

    model_config = ConfigDict(extra="ignore")

    employee_no: str
    job_role_code: str
    job_role_family: str
    department_code: str
    department_path: list[str] = Field(
        default_factory=list, description="Department codes from the root down to the employee's"
    )
    is_pilot: bool = Field(
        default=False, description="The employee's department or one of its ancestors is a pilot"
    )
    is_front_line: bool = False

    @property
    def department_codes(self) -> frozenset[str]:
        """Own department and every ancestor, even when the path was sent without the leaf."""
        return frozenset(self.department_path) | {self.department_code}
