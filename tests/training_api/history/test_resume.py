"""A history import survives its replica: training_api is killed in the middle of
the import, comes back, and the job resumes after its last committed chunk."""

from __future__ import annotations

import asyncio
import signal
import time

from tests.factories import HR
from tests.training_api.history.helpers import csv_file, finished, history_plant, report, start

ROWS = 700  # a chunk of 500 committed before the kill, the rest after


async def test_killed_in_the_middle_it_resumes_and_counts_every_row_once(gw, stack):
    p = await history_plant(gw)
    e0, e1 = p["employees"]
    rows = [[f"{p['prefix']}-{i}", (e0, e1)[i % 2], "课程完成",
             f"2023-{1 + i % 12:02d}-{1 + i % 28:02d}", p["course"], "", "", "", "", "", 16, ""]
            for i in range(ROWS)]
    r = await start(gw, csv_file(rows))
    assert r.status_code == 202, r.text
    job = r.json()
    deadline = time.monotonic() + 120
    while job["progress"]["rows_done"] == 0:  # the first chunk is committed
        assert time.monotonic() < deadline, job
        await asyncio.sleep(0.05)
        job = (await gw.get(job["links"]["status"], headers=HR)).json()
    stack.stop_service("training", sig=signal.SIGKILL)
    stack.start_service("training")

    job = await finished(gw, job, within=300)
    assert job["status"] == "done", job["error"]
    assert job["counts"]["created"] == ROWS and job["counts"]["rejected"] == 0
    assert job["progress"]["rows_done"] == ROWS
    doc = await report(gw, job)
    assert doc["totals"]["total"] == {"legacy": 16 * ROWS, "jifen": 16 * ROWS}
    for no in (e0, e1):  # a chunk done twice would have paid twice
        account = (await gw.get(f"/points/v1/accounts/{no}", headers=HR)).json()
        assert account["qualifying_points"] == 16 * ROWS // 2
