"""Reports as CSV files that Excel opens with Chinese intact: UTF-8 with a byte
order mark, CRLF line ends, a file name in Content-Disposition. Every service's
reports answer CSV through these (training_api's dashboard, points_api's points mix)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import Query, Request, Response

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
# Cells starting with these are formulas to Excel; a leading apostrophe keeps them text.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Format = Annotated[Literal["json", "csv"] | None, Query(
    description="csv for a CSV download (UTF-8 with BOM, for Excel); the same as sending "
                "Accept: text/csv. JSON otherwise.")]

CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}},
          "description": "The report; as CSV with ?format=csv or Accept: text/csv"}}


@dataclass
class CsvTable:
    filename: str
    header: list[str]
    rows: Sequence[Sequence[Any]] = field(default_factory=list)


def wants_csv(request: Request, fmt: str | None) -> bool:
    if fmt is not None:
        return fmt == "csv"
    accept = request.headers.get("accept", "").lower()
    return "text/csv" in accept and "application/json" not in accept


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".")
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, int):  # a negative number is no formula
        return str(value)
    if isinstance(value, list | tuple):
        return ";".join(cell(v) for v in value)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def render(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([cell(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def csv_response(table: CsvTable) -> Response:
    ascii_name = table.filename.encode("ascii", "replace").decode().replace("?", "_")
    disposition = (f'attachment; filename="{ascii_name}"; '
                   f"filename*=UTF-8''{quote(table.filename)}")
    return Response(render(table.header, table.rows), media_type=CSV_MEDIA_TYPE,
                    headers={"Content-Disposition": disposition})


def file_name(report: str, *parts: str | None) -> str:
    return "_".join([report, *[p for p in parts if p]]) + ".csv"
