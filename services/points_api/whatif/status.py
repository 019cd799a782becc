"""What a simulation row says to a client: its status (a running one whose heartbeat
stopped is failed), its progress in percent, and its application once paid."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from services.points_api.whatif.models import RuleSimulation, SimulationStatus
from services.points_api.whatif.schemas import (
    Application,
    Progress,
    Simulation,
    SimulationSummary,
    Window,
)

# a running simulation beats every HEARTBEAT_EVERY (running.py); silent for this long,
# the replica running it has stopped
STALE_AFTER = timedelta(minutes=2)
INTERRUPTED = "The service stopped while the simulation ran; start it again"


def simulation_out(row: RuleSimulation, *, now: datetime) -> Simulation:
    status, error = row.status, row.error
    if status == SimulationStatus.RUNNING and row.heartbeat_at < now - STALE_AFTER:
        status, error = SimulationStatus.FAILED, INTERRUPTED
    return Simulation(
        id=row.id, rule_set_version=row.rule_set_version,
        window=Window(from_=row.window_from, to=row.window_to),
        department=row.department_code, status=status, progress=_progress(row),
        error=error, created_by=row.created_by, created_at=row.created_at,
        finished_at=row.finished_at,
        summary=None if row.summary is None else SimulationSummary.model_validate(row.summary),
        application=_application(row))


def _progress(row: Any) -> Progress:
    percent = None
    if row.events_total is not None:
        percent = 100.0 if row.events_total == 0 else round(
            100 * row.events_done / row.events_total, 1)
    return Progress(events_done=row.events_done, events_total=row.events_total,
                    percent=percent)


def _application(row: Any) -> Application | None:
    if row.applied_at is None:
        return None
    return Application(applied_at=row.applied_at, applied_by=row.applied_by,
                       reason=row.apply_reason, entries=row.applied_entries,
                       points=row.applied_points)
