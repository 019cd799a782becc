"""Reading an uploaded spreadsheet without stalling the service: the parse runs in a
child process (shared/bounded.py) within ``IMPORT_PARSE_SECONDS``, and every way it
can fail is a 4xx problem: too large once expanded (413), unreadable (422), too slow
to read (422)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from services.training_api.employees.errors import (
    ImportFileRejected,
    ImportTooLarge,
    ImportTooSlow,
)
from services.training_api.employees.importing import ImportFileError, WorkbookTooLarge
from shared.bounded import BudgetExceeded, WorkerDied, run_bounded

T = TypeVar("T")


async def parse_upload(parse: Callable[[bytes, str], T], content: bytes, filename: str, *,
                       seconds: float) -> T:
    try:
        return await run_bounded(parse, content, filename, seconds=seconds)
    except WorkbookTooLarge as exc:
        raise ImportTooLarge(str(exc)) from exc
    except ImportFileError as exc:
        raise ImportFileRejected(str(exc)) from exc
    except BudgetExceeded as exc:
        raise ImportTooSlow(f"reading the file took longer than {seconds:g} s and was stopped; "
                            "split it or save it as CSV") from exc
    except WorkerDied as exc:
        raise ImportFileRejected(f"the file could not be read ({exc})") from exc
