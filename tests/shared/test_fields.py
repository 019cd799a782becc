"""Request field types say in their JSON Schema what pydantic accepts
(shared/contracts/fields.py): a value the schema admits is never refused (the OpenAPI
request check refuses the others before pydantic sees them). No database involved."""

import re
import unicodedata
from datetime import date
from decimal import Decimal
from typing import Annotated

import jsonschema_rs
import pytest
from pydantic import TypeAdapter, ValidationError

from shared.contracts.fields import (
    INVISIBLE,
    Timestamp,
    day,
    decimal,
    name,
    range_pattern,
    text,
)


def agree(annotation, values) -> int:
    """Every value the published schema admits, pydantic accepts; returns how many of
    ``values`` the schema refuses (so that a test knows it tried both sides)."""
    adapter = TypeAdapter(annotation)
    schema = jsonschema_rs.Draft202012Validator(adapter.json_schema(), validate_formats=True)
    refused = 0
    for value in values:
        if not schema.is_valid(value):
            refused += 1
            continue
        try:
            adapter.validate_python(value)
        except ValidationError as exc:
            raise AssertionError((value, adapter.json_schema(), str(exc))) from exc
    return refused


@pytest.mark.parametrize(("lo", "hi"), [(0, 0), (7, 7), (0, 999), (1, 365), (5, 9),
                                        (1950, 2100), (2000, 2100), (0, 65535)])
def test_range_pattern_matches_exactly_the_range(lo, hi):
    pattern = re.compile(f"^{range_pattern(lo, hi)}$")
    assert [n for n in range(0, 70_000) if bool(pattern.match(str(n))) != (lo <= n <= hi)] == []


@pytest.mark.parametrize("kwargs", [
    {"places": 2, "gt": 0, "le": 1000}, {"places": 4, "ge": 0, "le": 100},
    {"places": 1, "gt": 0, "le": 365, "step": "0.5"}, {"places": 2, "ge": 5, "le": 10},
    {"places": 4}, {"places": 6},
])
def test_a_decimal_schema_says_what_is_accepted(kwargs):
    strings = ["0", "0.0", "0.01", "0.5", "1", "1.5", "1.25", "1.255", "4.99", "5", "10",
               "10.00", "10.01", "99.99", "100", "100.0001", "364.5", "365", "365.5", "1000",
               "1000.01", "-1", "-1.5", "999999999999.9999", "1000000000000", "01", "1.",
               ".5", "1e3", "NaN", "Infinity", " 1"]
    numbers = [0, 0.01, 0.5, 1, 1.25, 1.255, 5, 10, 10.01, 100, 365, 365.5, 1000, -1, 1e12]
    agree(Annotated[Decimal, decimal(**kwargs)], strings + numbers)


def test_a_scaled_decimal_keeps_the_stored_places():
    scaled = TypeAdapter(Annotated[Decimal, decimal(places=2, ge=0, le=10, scaled=True)])
    assert scaled.validate_python("1.5") == Decimal("1.50")
    plain = TypeAdapter(Annotated[Decimal, decimal(places=2, ge=0, le=10)])
    assert str(plain.validate_python("1.5")) == "1.5"


def test_dates_and_times_carry_their_years():
    agree(Annotated[date, day(1950, 2100)], ["1949-12-31", "1950-01-01", "2100-12-31", "2101-01-01",
                            "2026-02-30", "0001-01-01", "9999-12-31", "20260101"])
    agree(Timestamp, ["2026-03-01T10:00:00+08:00", "2026-03-01T10:00:00Z",
                      "2026-03-01T10:00:00", "0001-01-01T00:00:00+08:00",
                      "9999-12-31T23:59:59-23:59", "1999-12-31T23:00:00Z", "0", "2026-03-01",
                      "2026-03-01T10:00:00.123456Z", "2026-03-01T10:00:00.5-23:59",
                      "2026-03-01t10:00:00z", "2026-03-01T24:00:00Z", "2026-02-29T00:00:00Z",
                      "2100-12-31T23:59:59+14:00", "2026-03-01T10:00:60Z"])


def test_text_and_names_say_what_blanks_and_characters_they_refuse():
    samples = [chr(c) for c in range(0, 0x3100)] + [
        " a ", "张伟", "a\u202eb", "\U000e0001", "a\x00", "x" * 11, "  abc  ", "\ufeffa"]
    agree(Annotated[str, text(10)], samples)
    agree(Annotated[str, name(10)], samples)


def test_the_invisible_characters_are_unicodes_own():
    """INVISIBLE is written out (computing it costs 0.4 s at start): a new Unicode
    version in a new Python must not make the schema and the check disagree."""
    written = re.compile(f"[{INVISIBLE}]")
    wrong = [hex(c) for c in range(0x110000)
             if bool(written.match(chr(c))) != (unicodedata.category(chr(c)) in ("Cc", "Cf"))]
    assert wrong == []


def test_a_dicts_keys_refuse_nul_in_the_schema_and_in_pydantic():
    """PostgreSQL stores no NUL, in a JSON object's keys either (a rule's payload_equals)."""
    from shared.contracts.base import Schema

    class Filters(Schema):
        payload_equals: dict[str, int] = {}

    schema = jsonschema_rs.Draft202012Validator(Filters.model_json_schema())
    assert schema.is_valid({"payload_equals": {"kind": 1}})
    assert not schema.is_valid({"payload_equals": {"ki\u0000nd": 1}})
    assert Filters(payload_equals={"kind": 1}).payload_equals == {"kind": 1}
    with pytest.raises(ValidationError, match="NUL"):
        Filters(payload_equals={"ki\u0000nd": 1})
