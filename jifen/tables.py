"""Tables as a person reads them in a terminal: Chinese labels aligned by display
width, rates as percentages with one decimal, counts with thousands separators, the
totals row last and the scope and period as the title. Any command can build a
:class:`Table` and print it; ``jifen report`` builds them from report documents
(jifen/report_views.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TextIO


class Rate(float):
    """A fraction between 0 and 1, shown as a percentage: 0.5553 -> 55.5%."""


class Percent(float):
    """A number already in percent, shown with one decimal: 74.67 -> 74.7%."""


class Signed(float):
    """A change, shown with its sign: -610 -> -610, 21.2 -> +21.2."""


class RatePoints(float):
    """A difference of two rates, shown in percentage points: 0.3085 -> +30.9 pp."""


class PercentPoints(float):
    """A difference of two percentages, in percentage points: -15.23 -> -15.2 pp."""


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    totals: list[list[Any]] = field(default_factory=list)  # printed last, after a rule
    notes: list[str] = field(default_factory=list)  # printed under the table


def cell(value: Any) -> str:
    """One value as text; None (nobody counted) reads as a dash."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Rate):
        return f"{value * 100:.1f}%"
    if isinstance(value, Percent):
        return f"{value:.1f}%"
    if isinstance(value, RatePoints):
        return f"{value * 100:+.1f} pp"
    if isinstance(value, PercentPoints):
        return f"{value:+.1f} pp"
    if isinstance(value, Signed):
        return f"{int(value):+,}" if value.is_integer() else f"{value:+,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):  # per head, days: one decimal, two when it has them
        return f"{value:,.1f}" if round(value, 1) == value else f"{value:,.2f}"
    if isinstance(value, list | tuple):
        return "、".join(str(v) for v in value)
    return str(value)


def _numeric(values: list[Any]) -> bool:
    present = [v for v in values if v is not None and v != ""]
    return bool(present) and all(isinstance(v, int | float) and not isinstance(v, bool)
                                 for v in present)


def print_tables(tables: list[Table], file: TextIO | None = None) -> None:
    """Print with rich. Widths are display widths: a Chinese character takes two
    columns, so columns stay aligned."""
    from rich import box
    from rich.cells import cell_len
    from rich.console import Console
    from rich.table import Table as RichTable

    console = Console(file=file, highlight=False)
    for i, t in enumerate(tables):
        if i:
            console.print()
        table = _rich(t, RichTable, box.SIMPLE_HEAD)
        if not console.is_terminal:  # a file or a pipe: as wide as the table needs
            console.width = 10_000
            console.width = max(console.measure(table).maximum, cell_len(t.title))
        console.print(t.title, style="bold")  # above, not in, the table: it never wraps
        console.print(table)
        for note in t.notes:
            console.print(note, soft_wrap=not console.is_terminal)


def _rich(t: Table, rich_table: Any, box: Any) -> Any:
    table = rich_table(box=box, header_style="bold")
    every = t.rows + t.totals
    for n, label in enumerate(t.columns):
        numeric = _numeric([row[n] for row in every if n < len(row)])
        table.add_column(label, justify="right" if numeric else "left", no_wrap=numeric,
                         overflow="fold")
    for n, row in enumerate(t.rows):
        table.add_row(*(cell(v) for v in row),
                      end_section=n == len(t.rows) - 1 and bool(t.totals))
    for row in t.totals:
        table.add_row(*(cell(v) for v in row), style="bold")
    return table
