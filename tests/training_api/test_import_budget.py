"""Uploads are parsed away from the event loop within a size and time budget: a tiny
XLSX that expands to tens of megabytes is refused with 413 before it is parsed,
while the service keeps answering; a parse over its time budget is stopped."""

import io
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from services.training_api.employees.importing import MAX_EXPANDED_BYTES
from shared.bounded import BudgetExceeded, WorkerDied, run_bounded
from tests.conftest import auth

HR = auth("HR001", "hr_admin")
SHEET = ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns='
         '"http://schemas.openxmlformats.org/spreadsheetml/2006/main"><!--{pad}-->'
         '<sheetData/></worksheet>')


def bomb() -> bytes:
    """A valid-looking workbook of a few tens of kilobytes whose sheet is a 60 MB comment."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.'
                   'openxmlformats.org/package/2006/content-types"/>')
        z.writestr("xl/workbook.xml", '<?xml version="1.0"?><workbook/>')
        z.writestr("xl/worksheets/sheet1.xml", SHEET.format(pad="x" * 60_000_000))
    return buffer.getvalue()


@pytest.mark.parametrize("path", ["/training/v1/employee-imports", "/training/v1/kpi-imports",
                                  "/training/v1/history-imports"])
async def test_a_workbook_that_expands_too_much_is_refused_at_once(gw, path):
    content = bomb()
    assert len(content) < 200_000
    r = await gw.post(path, headers=HR, files={"file": ("staff.xlsx", content)})
    assert r.status_code == 413, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["type"].endswith("/import-too-large")
    assert f"{MAX_EXPANDED_BYTES // (1024 * 1024)} MiB" in r.json()["detail"]
    assert (await gw.get("/training/healthz")).status_code == 200


def _spin(seconds: float) -> int:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass
    return 1


def _explode() -> None:
    raise ValueError("bad cell")


def _die() -> None:
    import os
    os._exit(3)


async def test_work_over_its_budget_is_stopped_and_errors_come_back():
    assert await run_bounded(_spin, 0.0, seconds=30) == 1
    with pytest.raises(BudgetExceeded):
        await run_bounded(_spin, 3600.0, seconds=0.5)
    with pytest.raises(ValueError, match="bad cell"):
        await run_bounded(_explode, seconds=30)
    with pytest.raises(WorkerDied):
        await run_bounded(_die, seconds=30)


def _loaded(module: str) -> bool:
    return module in sys.modules


def test_the_fork_server_loads_the_parsers_once():
    """A child forked for an upload starts with its parser's module loaded (imported
    once by the fork server, not by each child): a service that imports the uploads
    module, then parses; the KPI parser is nowhere in this test module's imports."""
    code = ("import asyncio, services.training_api.employees.uploads\n"
            "from shared.bounded import run_bounded\n"
            "from tests.training_api.test_import_budget import _loaded\n"
            "print(asyncio.run(run_bounded(_loaded, 'services.training_api.kpis.importing',"
            " seconds=300)))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=600, cwd=Path(__file__).resolve().parents[2])
    assert done.stdout.strip() == "True", done.stderr
