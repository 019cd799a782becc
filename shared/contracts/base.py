"""Base for request and response schemas."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import Any

from pydantic import AfterValidator, BaseModel, ConfigDict, field_validator

NO_NUL = r"^[^\x00]*$"


def _say_no_nul(schema: dict[str, Any]) -> None:
    """Write into the schema what pydantic checks that its schema leaves out: the NUL
    rule on every string without a pattern of its own (the patterns of codes and texts
    already leave NUL out) and on the keys of a dict, and that a dict with constrained
    keys (``patternProperties``) takes no other keys."""
    for node in schema.get("properties", {}).values():
        _no_nul_in(node)


def _no_nul_in(node: Any) -> None:
    if not isinstance(node, dict):
        return
    if node.get("type") == "string" and not {"pattern", "format", "enum", "const"} & set(node):
        node["pattern"] = NO_NUL
    if "patternProperties" in node:
        node.setdefault("additionalProperties", False)
    if isinstance(node.get("additionalProperties"), dict) and "propertyNames" not in node:
        node["propertyNames"] = {"pattern": NO_NUL}  # a dict's keys are stored too
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in node.get(key, []):
            _no_nul_in(sub)
    for key in ("items", "additionalProperties"):
        _no_nul_in(node.get(key))
    for sub in node.get("patternProperties", {}).values():
        _no_nul_in(sub)


def schema_extra(extra: dict[str, Any] | Callable[[dict[str, Any]], None]
                 ) -> Callable[[dict[str, Any]], None]:
    """``json_schema_extra`` for a Schema subclass: its own additions (constraints
    across fields, such as ``oneOf``) on top of the NUL rule, which a plain
    ``json_schema_extra`` would replace."""

    def apply(schema: dict[str, Any]) -> None:
        _say_no_nul(schema)
        if callable(extra):
            extra(schema)
        else:
            schema.update(extra)

    return apply


def given(name: str) -> dict[str, Any]:
    """JSON Schema: property ``name`` is present and not null."""
    return {"required": [name], "properties": {name: {"not": {"type": "null"}}}}


def any_given(*names: str) -> dict[str, Any]:
    return {"anyOf": [given(n) for n in names]}


def not_together(*names: str) -> dict[str, Any]:
    return {"not": {"allOf": [given(n) for n in names]}}


class Schema(BaseModel):
    """Request bodies reject unknown fields and NUL characters (PostgreSQL cannot store
    them); both are in their JSON Schema, so that clients and the OpenAPI request check
    (shared.routing) know."""

    model_config = ConfigDict(extra="forbid", from_attributes=True,
                              json_schema_extra=_say_no_nul)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("must not contain NUL characters")
        if isinstance(value, dict) and any(isinstance(k, str) and "\x00" in k for k in value):
            raise ValueError("must not contain NUL characters in its keys")
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
