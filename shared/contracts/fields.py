"""Request field types whose JSON Schema says exactly what they accept.

The OpenAPI request check (:mod:`shared.routing`) validates requests against the
published schema, and pydantic parses what passed. A rule that lives only in
Python (a year range on a date, the digits of a decimal) is invisible to clients
and fuzzers, who then send year 0001 or ``"1e400"`` and get a refusal the
document did not announce, or a crash when the value overflows later. These
types carry their range in the schema: a ``pattern`` on the year of a date, on
the digits of a decimal string, ``minimum``/``maximum``/``multipleOf`` on a
decimal number, and check it again in pydantic.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, TypeVar

from annotated_types import GroupedMetadata
from pydantic import AfterValidator, AwareDatetime, Field, StringConstraints, WithJsonSchema

from shared.contracts.base import visible_text

FIRST_YEAR, LAST_YEAR = 2000, 2100
# NUL cannot be stored by PostgreSQL; request strings refuse it (shared.contracts.base).
NO_NUL = r"^[^\x00]*$"


@dataclass(frozen=True, slots=True)
class Rules(GroupedMetadata):
    """The constraints of one field type, as one ``Annotated`` item that pydantic
    unpacks: ``Annotated[str, text(200)]`` (so that type checkers see the base type)."""

    items: tuple[Any, ...]

    def __iter__(self) -> Iterator[Any]:
        return iter(self.items)


def range_pattern(lo: int, hi: int) -> str:
    """A regex group matching the decimal integers ``lo``..``hi`` (no sign, no
    leading zeros), e.g. ``(19[5-9][0-9]|20[0-9]{2}|2100)`` for 1950..2100."""
    assert 0 <= lo <= hi, (lo, hi)
    parts = []
    for width in range(len(str(lo)), len(str(hi)) + 1):
        first = max(lo, 10 ** (width - 1) if width > 1 else 0)
        last = min(hi, 10**width - 1)
        parts += _fixed_width(first, last, width)
    return "(" + "|".join(parts) + ")"


def _fixed_width(first: int, last: int, width: int) -> list[str]:
    """Alternatives for ``first``..``last``, all ``width`` digits long."""
    blocks: list[tuple[str, int]] = []  # (fixed leading digits, free trailing digits)
    value = first
    while value <= last:
        free = next(n for n in range(width - 1, -1, -1)
                    if value % 10**n == 0 and value + 10**n - 1 <= last)
        blocks.append((str(value).zfill(width)[: width - free], free))
        value += 10**free
    parts: list[str] = []
    while blocks:  # merge runs like 195x..199x into 19[5-9]x
        head, free = blocks.pop(0)
        tail = head
        while blocks and blocks[0][1] == free and blocks[0][0][:-1] == head[:-1] \
                and int(blocks[0][0][-1]) == int(tail[-1]) + 1:
            tail = blocks.pop(0)[0]
        lead = head if tail == head else f"{head[:-1]}[{head[-1]}-{tail[-1]}]"
        parts.append(lead + ("" if free == 0 else "[0-9]" if free == 1 else f"[0-9]{{{free}}}"))
    return parts


def text(max_length: int, *, min_length: int = 1, exclude: str = r"\x00") -> Rules:
    """Free text whose surrounding blanks are dropped. When it must hold something, the
    schema says "at least one character that is not a blank" (pydantic's own check
    comes after the blanks are stripped, which a length alone cannot say).
    ``exclude`` is a regex character-class body of characters refused anywhere."""
    blank = r"\s\x1c-\x1f\x85"  # Python/pydantic blanks that ECMA \s lacks too
    pattern = (f"^[^{exclude}]*[^{blank}{exclude}][^{exclude}]*$" if min_length
               else f"^[^{exclude}]*$")
    return Rules((StringConstraints(strip_whitespace=True, min_length=min_length,
                                    max_length=max_length, pattern=pattern),))


# Unicode's control (Cc) and format (Cf) characters, as Python's unicodedata has them
# (a test compares): what shared.contracts.base.visible_text refuses in names. Written
# out rather than computed, which would take 0.4 s at every start. Astral ones are
# literal characters: the three regex dialects share no escape for them.
INVISIBLE = ("\\x00-\\x1f\\x7f-\\x9f\\xad\\u0600-\\u0605\\u061c\\u06dd\\u070f\\u0890-\\u0891"
             "\\u08e2\\u180e\\u200b-\\u200f\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u206f"
             "\\ufeff\\ufff9-\\ufffb\U000110bd\U000110cd\U00013430-\U00013438"
             "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f")


def name(max_length: int) -> Rules:
    """A name people see (of an employee, a department, an item): text without
    invisible characters, which could make it read as another."""
    return Rules((*text(max_length, exclude=INVISIBLE), AfterValidator(visible_text)))


def year_pattern(first: int = FIRST_YEAR, last: int = LAST_YEAR) -> str:
    assert 1000 <= first <= last <= 9999, (first, last)
    return range_pattern(first, last)


def _date_body(first: int, last: int) -> str:
    return f"{year_pattern(first, last)}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"


def date_pattern(first: int = FIRST_YEAR, last: int = LAST_YEAR) -> str:
    """A ``format: date`` in the years, spelled out whole: a generator that draws from
    the pattern then draws dates, not strings that only start like one."""
    return f"^{_date_body(first, last)}$"


def time_pattern(first: int = FIRST_YEAR, last: int = LAST_YEAR) -> str:
    """A ``format: date-time`` in the years with its offset, spelled out whole."""
    return (f"^{_date_body(first, last)}T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
            r"(\.[0-9]{1,6})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$")


D = TypeVar("D", date, datetime)


def _years(first: int, last: int) -> Callable[[D], D]:
    def check(value: D) -> D:
        if not first <= value.year <= last:
            raise ValueError(f"must be in the years {first} to {last}")
        return value
    return check


def day(first: int = FIRST_YEAR, last: int = LAST_YEAR, **field: Any) -> Rules:
    """A ``date`` (YYYY-MM-DD) in the years ``first``..``last``."""
    return Rules((AfterValidator(_years(first, last)), Field(
        json_schema_extra={"pattern": date_pattern(first, last)}, **field)))


def timestamp(first: int = FIRST_YEAR, last: int = LAST_YEAR, **field: Any) -> Rules:
    """Of an ``AwareDatetime``: RFC 3339 with its offset, in the years ``first``..``last``
    as written (checked before any shift to UTC, as the pattern reads it)."""
    return Rules((AfterValidator(_years(first, last)), Field(
        json_schema_extra={"pattern": time_pattern(first, last)}, **field)))


def decimal(*, places: int, ge: int | None = None, gt: int | None = None,
            le: int | None = None, step: str | None = None, scaled: bool = False) -> Rules:
    """A decimal given as a JSON number or (exactly) as a string, with 1..``places``
    decimals, between the integer bounds ``ge``/``gt`` and ``le`` or, with no bounds,
    signed and below 10^12 in size; optionally a multiple of ``step`` (``"0.5"``).
    ``scaled``: kept with exactly ``places`` decimals, as a numeric column stores it,
    so that the answer to a write echoes what a later read returns."""
    if ge is None and gt is None:
        assert le is None and step is None
        return _decimal(places, scaled, lambda v: -LIMIT < v < LIMIT, {
            "exclusiveMinimum": -LIMIT, "exclusiveMaximum": LIMIT, "multipleOf": 10.0 ** -places,
        }, f"^-?(0|[1-9][0-9]{{0,11}})(\\.[0-9]{{1,{places}}})?$")
    lo = ge if ge is not None else gt
    assert lo is not None and le is not None and places > 0
    exclusive = gt is not None
    digit = "[05]" if step == "0.5" else "[0-9]"
    parts = [f"{range_pattern(lo + exclusive, le - 1)}(\\.{digit}{{1,{places}}})?"] \
        if le - 1 >= lo + exclusive else []
    if exclusive:
        parts.append(f"{lo}\\.{_nonzero(places, step)}")
    parts.append(f"{le}(\\.0{{1,{places}}})?")

    def within(v: Decimal) -> bool:
        return (v > lo if exclusive else v >= lo) and v <= le and not (step and v % Decimal(step))

    number = {"exclusiveMinimum" if exclusive else "minimum": lo, "maximum": le,
              "multipleOf": float(step) if step else 10.0 ** -places}
    return _decimal(places, scaled, within, number, "^(" + "|".join(parts) + ")$")


LIMIT = 10**12


def _decimal(places: int, scaled: bool, within: Callable[[Decimal], bool],
             number: dict[str, Any], pattern: str) -> Rules:
    exponent = Decimal(1).scaleb(-places)

    def check(value: Decimal) -> Decimal:
        try:
            rounded = value.quantize(exponent)
        except InvalidOperation as exc:
            raise ValueError("too many digits") from exc
        if rounded != value or not within(value):
            raise ValueError(f"must be a number or a string matching {pattern}")
        return rounded if scaled else value

    return Rules((Field(allow_inf_nan=False), AfterValidator(check),
                  WithJsonSchema({"anyOf": [{"type": "number", **number},
                                            {"type": "string", "pattern": pattern}]})))


def _nonzero(places: int, step: str | None) -> str:
    """A fraction of 1..places digits that is not all zeros."""
    if step == "0.5":
        return "5"
    return "(" + "|".join(f"0{{{k}}}[1-9][0-9]{{0,{places - 1 - k}}}"
                          for k in range(places)) + ")"


# The largest id a request may name: far beyond any table's rows, below bigint's limit
# (which PostgreSQL would refuse as out of range) and exact as a JSON number in every
# client (a float64 holds integers exactly up to 2^53).
MAX_ID = 2**53 - 1
RowId = Annotated[int, Field(ge=1, le=MAX_ID)]

# A day (the whole day on the company's calendar) or an RFC 3339 time with offset.
DayOrTime = Annotated[str, WithJsonSchema({"anyOf": [
    {"type": "string", "format": "date", "pattern": date_pattern()},
    {"type": "string", "format": "date-time", "pattern": time_pattern()},
]})]

Day = Annotated[date, day()]
Timestamp = Annotated[AwareDatetime, timestamp()]
