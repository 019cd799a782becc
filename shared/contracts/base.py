"""Base for request and response schemas."""

from __future__ import annotations

import unicodedata
from typing import Any

from pydantic import AfterValidator, BaseModel, ConfigDict, field_validator


class Schema(BaseModel):
    """Request bodies reject unknown fields and NUL characters (PostgreSQL cannot store them)."""

    model_config = ConfigDict(extra="forbid", from_attributes=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("must not contain NUL characters")
        return value


def visible_text(value: str) -> str:
    """Refuse invisible format characters in a name people see: bidirectional
    overrides (U+202E turns "张伟" into something that reads differently on a
    leaderboard), zero-width characters, a byte-order mark, and control
    characters. Free text (a note's body, feedback) may keep them; names and titles
    people see (employees, departments, courses, plans, surveys, rules, honours,
    reward items) may not."""
    for char in value:
        if unicodedata.category(char) in ("Cf", "Cc"):
            raise ValueError(f"must not contain the invisible character U+{ord(char):04X} "
                             f"({unicodedata.name(char, 'control character')})")
    return value


VisibleText = AfterValidator(visible_text)


class ReadSchema(BaseModel):
    """Response models: built from ORM rows."""

    model_config = ConfigDict(from_attributes=True)
