from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import ConfigDict, Field, StringConstraints, model_validator

from services.training_api.facts.schemas import (
    FactCreate,
    FactRead,
    OccurredAt,
    ShortText,
    WithPoints,
)
from shared.contracts.base import Schema, any_given, schema_extra

# blanks spelled out: ECMA and pydantic's regex disagree on U+0085 and U+FEFF
Url = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000,
                                       pattern=r"^https?://[^\s\x00\x85\ufeff]+$")]
Body = Annotated[str, StringConstraints(min_length=1, max_length=20_000)]


class StudyNoteCreate(FactCreate):
    model_config = ConfigDict(json_schema_extra=schema_extra(any_given("body", "url")))

    title: ShortText = Field(examples=["新设备换模步骤总结"])
    body: Body | None = Field(None, description="The note itself (up to 20,000 characters)")
    url: Url | None = Field(None, description="Where the note is published in the community")
    shared_at: OccurredAt

    @model_validator(mode="after")
    def _has_content(self) -> StudyNoteCreate:
        if self.body is None and self.url is None:
            raise ValueError("a note needs a body or a url")
        return self


class StudyNote(FactRead):
    title: str
    body: str | None
    url: str | None
    shared_at: datetime
    reviewed_at: datetime | None
    reviewed_by: str | None
    featured: bool | None = Field(
        description="null until reviewed; true for a featured note (精华)")


class StudyNoteRecorded(WithPoints, StudyNote):
    pass


class NoteReview(Schema):
    featured: bool = Field(description="true marks the note featured (精华), false standard")
