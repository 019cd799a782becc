"""Following an employee or KPI import that answered 202, as a client does."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx


async def follow_job(gw: httpx.AsyncClient, headers: dict[str, str], accepted: httpx.Response,
                     *, within: float = 120) -> dict[str, Any]:
    """The job's last status once it is done or failed; checks what every poll says."""
    assert accepted.status_code == 202, accepted.text
    job = accepted.json()
    assert accepted.headers["location"] == job["links"]["status"]
    assert job["status"] == "queued" and job["report"] is None
    seen_phases = []
    deadline = time.monotonic() + within
    while job["status"] not in ("done", "failed"):
        assert time.monotonic() < deadline, f"import job still {job['status']}: {job}"
        await asyncio.sleep(0.2)
        r = await gw.get(job["links"]["status"], headers=headers)
        assert r.status_code == 200, r.text
        job = r.json()
        p = job["progress"]
        assert 0 <= p["percent"] <= 100 and p["rows_done"] <= (p["rows_total"] or 0)
        seen_phases.append(p["phase"])
    assert seen_phases == sorted(seen_phases, key=["queued", "reading", "writing", "done",
                                                   "failed"].index)
    return job
