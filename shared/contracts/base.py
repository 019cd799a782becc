"""Base for request and response schemas."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator


class Schema(BaseModel):
    """Request bodies reject unknown fields and NUL characters (PostgreSQL cannot store them)."""

    model_config = ConfigDict(extra="forbid", from_attributes=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("must not contain NUL characters")
        return value


class ReadSchema(BaseModel):
    """Response models: built from ORM rows."""

    model_config = ConfigDict(from_attributes=True)
