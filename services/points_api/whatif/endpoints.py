"""Rule what-if: simulate a rule-set version over past events, read the comparison,
apply the difference."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import Path, Query, Request, Response, status

from services.points_api.ledger.errors import SelfAdjustment
from services.points_api.mix.errors import DepartmentNotFound
from services.points_api.rules.endpoints import VersionPath
from services.points_api.rules.errors import RuleSetInvalid, RuleSetNotFound
from services.points_api.whatif.errors import (
    InvalidSimulationWindow,
    SimulationAlreadyApplied,
    SimulationIncomplete,
    SimulationNotFinished,
    SimulationNotFound,
    SimulationOverlapsApplied,
)
from services.points_api.whatif.schemas import (
    EmployeeComparison,
    Simulation,
    SimulationApply,
    SimulationCreate,
)
from services.points_api.whatif.service import what_if
from shared.auth import AuditReader, HRAdmin
from shared.db import DBSession
from shared.dependencies import CompanyTZ
from shared.errors import BadCursor, problems
from shared.export import CSV_RESPONSE, CsvTable, Format, csv_response, wants_csv
from shared.pagination import Cursor, Limit, Page
from shared.routing import APIRouter

router = APIRouter(prefix="/points/v1", tags=["what-if"])
SimulationPath = Annotated[uuid.UUID, Path(description="Simulation id")]
Order = Literal["employee_no", "gain", "loss"]
CATEGORY_WORDS = {"participation": "参与分", "outcome": "成果分", "growth": "成长分"}


@router.post("/rule-sets/{version:int}/simulations", response_model=Simulation,
             status_code=status.HTTP_202_ACCEPTED, operation_id="simulate_rule_set",
             summary="Replay a rule-set version over past events",
             responses=problems(RuleSetNotFound, RuleSetInvalid, InvalidSimulationWindow,
                                DepartmentNotFound))
async def simulate_rule_set(version: VersionPath, body: SimulationCreate, request: Request,
                            response: Response, principal: HRAdmin,
                            tz: CompanyTZ) -> Simulation:
    """HR only. Starts a what-if: every training event that occurred in the window (of
    the ``department`` subtree, or everyone) is scored again with this version (a draft
    or any published one), in the order the events were applied and with the caps,
    best-result top-ups and voids they met, and compared with what the ledger holds for
    those events. Read-only: nothing is written to the ledger. Answers 202 at once with
    the simulation (``Location`` says where); poll it until ``status`` is ``done``
    (``progress`` counts the events replayed). A window is a ``period`` (M2026-10,
    Q2026-3, Y2026) or ``from``/``to``, at most 400 days. A version with problems (see
    validate) is 409 ``rule-set-invalid`` listing them."""
    simulation = await what_if.start(request.app, version, body, actor=principal.sub, tz=tz)
    response.headers["Location"] = f"/points/v1/simulations/{simulation.id}"
    return simulation


@router.get("/simulations", response_model=Page[Simulation], operation_id="list_simulations",
            summary="List simulations", responses=problems(BadCursor))
async def list_simulations(session: DBSession, _: AuditReader, limit: Limit = 20,
                           cursor: Cursor = None) -> Page[Simulation]:
    """Newest first, with their summaries and whether their difference was applied."""
    items, next_cursor = await what_if.list(session, cursor=cursor, limit=limit)
    return Page(items=items, next_cursor=next_cursor)


@router.get("/simulations/{simulation_id}", response_model=Simulation,
            operation_id="get_simulation", summary="A simulation's progress and summary",
            responses=problems(SimulationNotFound))
async def get_simulation(simulation_id: SimulationPath, session: DBSession,
                         _: AuditReader) -> Simulation:
    """While ``running``: ``progress``. When ``done``: the ``summary`` — events and
    employees, points actually earned against simulated in total and by category (with
    shares), per rule, the position and certification points bars employees would
    newly meet (``gained``) or no longer meet (``lost``), and notes on what the replay
    could not reproduce. ``failed`` carries ``error``. Once applied: ``application``."""
    return await what_if.get(session, simulation_id)


@router.get("/simulations/{simulation_id}/employees", response_model=Page[EmployeeComparison],
            operation_id="list_simulation_employees",
            summary="Per employee: actual against simulated points",
            responses={**CSV_RESPONSE, **problems(SimulationNotFound, BadCursor)})
async def list_simulation_employees(
    simulation_id: SimulationPath, request: Request, session: DBSession, _: AuditReader,
    limit: Limit = 50, cursor: Cursor = None,
    order: Annotated[Order, Query(description=(
        "employee_no; gain (largest gain first); loss (largest loss first)"))] = "employee_no",
    changed_only: Annotated[bool, Query(
        description="Only employees whose points or category split would change")] = False,
    milestone_changes: Annotated[bool, Query(
        description="Only employees who would newly meet or miss a points bar")] = False,
    format: Format = None,  # noqa: A002
) -> Page[EmployeeComparison] | Response:
    """Every employee with events in the window: events, qualifying points actually
    earned and simulated, by category, the difference, and the milestones gained or
    lost. Paginated; the CSV (``?format=csv``, UTF-8 with BOM) holds every row."""
    csv = wants_csv(request, format)
    items, next_cursor = await what_if.employees(
        session, simulation_id, order=order, changed_only=changed_only,
        milestones_only=milestone_changes, cursor=None if csv else cursor,
        limit=None if csv else limit)
    if csv:
        return csv_response(_table(simulation_id, items))
    return Page(items=items, next_cursor=next_cursor)


@router.post("/simulations/{simulation_id}/apply", response_model=Simulation,
             operation_id="apply_simulation", summary="Pay the simulated difference",
             responses=problems(SimulationNotFound, SimulationNotFinished,
                                SimulationAlreadyApplied, SimulationOverlapsApplied,
                                SimulationIncomplete, SelfAdjustment))
async def apply_simulation(simulation_id: SimulationPath, body: SimulationApply,
                           session: DBSession, principal: HRAdmin,
                           tz: CompanyTZ) -> Simulation:
    """HR only, after review. For each employee and category whose points the
    simulation changes, one ``adjust`` entry dated now for the difference, with the
    reason, the HR user, the simulation and the rule-set version on it; old entries are
    never touched. Exactly once: a second apply, even a concurrent one, is 409
    ``simulation-already-applied`` and pays nothing. A finished simulation only (409
    ``simulation-not-finished``). Points already spent stay spent: a loss takes no more
    than the account holds (``details.shortfall``). Refused with 409
    ``simulation-overlaps-applied`` when another applied simulation of an overlapping
    window already paid some of these employees, and with 409 ``simulation-incomplete``
    when events of the window could not be read. 403 ``self-adjustment`` when the
    simulation changes the applier's own account (another HR administrator applies
    it)."""
    return await what_if.apply(session, simulation_id, body, actor=principal.sub, tz=tz)


def _table(simulation_id: uuid.UUID, items: list[EmployeeComparison]) -> CsvTable:
    categories = list(CATEGORY_WORDS)
    header = ["工号", "姓名", "事件数", "实际积分", "模拟积分", "差额",
              *[f"实际{CATEGORY_WORDS[c]}" for c in categories],
              *[f"模拟{CATEGORY_WORDS[c]}" for c in categories], "新达标", "不再达标"]
    rows = [[i.employee_no, i.name, i.events, i.actual_points, i.simulated_points,
             i.difference, *[i.actual_by_category.get(c, 0) for c in categories],
             *[i.simulated_by_category.get(c, 0) for c in categories],
             i.milestones_gained, i.milestones_lost] for i in items]
    return CsvTable(filename=f"规则模拟_{simulation_id}.csv", header=header, rows=rows)
