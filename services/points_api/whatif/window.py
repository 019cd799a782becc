"""The window a simulation replays: a period of the company calendar, or from/to
bounds, never empty and at most ``MAX_WINDOW`` long."""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo

from services.points_api.ledger.periods import parse_bound, period_bounds
from services.points_api.whatif.errors import InvalidSimulationWindow
from services.points_api.whatif.schemas import SimulationCreate
from shared.errors import FieldError
from shared.periods import keys_of_months

MAX_WINDOW = timedelta(days=400)


def simulation_window(data: SimulationCreate, tz: tzinfo) -> tuple[datetime, datetime]:
    """[start, end) in UTC of the period or the from/to bounds the request names
    (422 ``invalid-simulation-window`` naming the field at fault)."""
    if data.period is not None and (data.from_ is not None or data.to is not None):
        raise InvalidSimulationWindow("Give a period or from/to, not both", errors=[
            FieldError(pointer="#/period", detail="not allowed together with from/to")])
    if data.period is not None:
        return _period_window(data.period, tz)
    if data.from_ is None or data.to is None:
        raise InvalidSimulationWindow("Give a period, or both from and to", errors=[
            FieldError(pointer="#/period" if data.from_ is None and data.to is None
                       else "#/from" if data.from_ is None else "#/to", detail="required")])
    return _bounded_window(data.from_, data.to, tz)


def _period_window(period: str, tz: tzinfo) -> tuple[datetime, datetime]:
    if period == "ALL":
        raise InvalidSimulationWindow("Choose a month, quarter or year", errors=[
            FieldError(pointer="#/period", detail="ALL is not a window")])
    start, end = period_bounds(period, tz)
    assert start is not None and end is not None
    return start, end


def _bounded_window(from_: str, to: str, tz: tzinfo) -> tuple[datetime, datetime]:
    bounds = []
    for name, value, upper in (("from", from_, False), ("to", to, True)):
        try:
            bounds.append(parse_bound(value, tz, upper=upper))
        except ValueError as exc:
            raise InvalidSimulationWindow(str(exc), errors=[
                FieldError(pointer=f"#/{name}", detail=str(exc))]) from exc
    start, end = bounds
    if start >= end:
        raise InvalidSimulationWindow("from must come before to", errors=[
            FieldError(pointer="#/to", detail="must be later than from")])
    if end - start > MAX_WINDOW:
        raise InvalidSimulationWindow("A window is at most 400 days", errors=[
            FieldError(pointer="#/to", detail="at most 400 days after from")])
    return start, end


def window_months(start: datetime, end: datetime, tz: tzinfo) -> list[str]:
    """Month keys of the company calendar that [start, end) touches."""
    first, last = start.astimezone(tz), (end - timedelta(microseconds=1)).astimezone(tz)
    return keys_of_months((first.year, first.month), (last.year, last.month))


def window_label(start: datetime, end: datetime, tz: tzinfo) -> str:
    """The window's first and last day on the company calendar, as adjustment entries
    name it for the employee."""
    return (f"{start.astimezone(tz).date().isoformat()} – "
            f"{(end.astimezone(tz) - timedelta(microseconds=1)).date()}")
