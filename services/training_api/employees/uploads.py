"""Reading an uploaded spreadsheet without stalling the service: the parse runs in a
child process (shared/bounded.py) within ``IMPORT_PARSE_SECONDS``, and every way it
can fail is answered: too large once expanded (413), too slow to read (422), and
unreadable as the ImportFileError the import reports on line 0."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel

from services.training_api.employees.errors import ImportTooLarge, ImportTooSlow
from services.training_api.employees.importing import ImportFileError, WorkbookTooLarge
from shared.bounded import BudgetExceeded, WorkerDied, preload, run_bounded

T = TypeVar("T")
R = TypeVar("R", bound=BaseModel)

# the parsers parse_upload is given, loaded once by the fork server
preload("services.training_api.employees.importing", "services.training_api.history.parsing",
        "services.training_api.kpis.importing")


async def parse_upload(parse: Callable[[bytes, str], T], content: bytes, filename: str, *,
                       seconds: float) -> T:
    try:
        return await run_bounded(parse, content, filename, seconds=seconds)
    except WorkbookTooLarge as exc:
        raise ImportTooLarge(str(exc)) from exc
    except BudgetExceeded as exc:
        raise ImportTooSlow(f"reading the file took longer than {seconds:g} s and was stopped; "
                            "split it or save it as CSV") from exc
    except WorkerDied as exc:
        raise ImportFileError(f"the file could not be read ({exc})") from exc


def unreadable_report(report: type[R], row: type[BaseModel], *, dry_run: bool, reason: str,
                      **row_fields: Any) -> R:
    """An import's report of a file that cannot be read as one: nothing imported, and
    line 0 (the file as a whole) says why."""
    zeros = {name: 0 for name in ("total_rows", "valid_rows", "created", "updated",
                                  "unchanged") if name in report.model_fields}
    return report(dry_run=dry_run, encoding="unknown", **zeros,
                  rejected=[row(line=0, reason=reason, **row_fields)])
