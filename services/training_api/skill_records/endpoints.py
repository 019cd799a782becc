"""Employees' skill records."""

from __future__ import annotations

from services.training_api.employees.errors import EmployeeNotFound
from services.training_api.skill_records import schemas
from services.training_api.skill_records.service import skill_records
from shared.auth import CurrentUser
from shared.db import DBSession
from shared.errors import problems
from shared.identity import EmployeeNoPath
from shared.routing import APIRouter
from shared.service_auth import FromPoints

router = APIRouter(prefix="/training/v1", tags=["skill records"])
internal_router = APIRouter(prefix="/training/v1/internal", tags=["internal"],
                            include_in_schema=False)


@router.get("/employees/{employee_no}/skills", response_model=schemas.EmployeeSkills,
            operation_id="get_employee_skills", summary="An employee's skills and gaps",
            responses=problems(EmployeeNotFound))
async def get_employee_skills(employee_no: EmployeeNoPath, session: DBSession,
                              principal: CurrentUser) -> schemas.EmployeeSkills:
    """The skills the employee holds (each with the records that prove it: passed
    exams prove their course's skills, passed practical assessments their skill),
    the skills their job role requires, and the gaps. Employees read their own,
    managers their departments', HR, auditors, assessors and integrations all;
    others answer 404."""
    return await skill_records.for_employee(session, employee_no, principal=principal)


@internal_router.get("/employees/{employee_no}/skills", response_model=schemas.EmployeeSkills,
                     operation_id="get_employee_skills_for_points",
                     summary="An employee's skills, for points_api",
                     responses=problems(EmployeeNotFound))
async def get_employee_skills_for_points(employee_no: EmployeeNoPath, session: DBSession,
                                         caller: FromPoints) -> schemas.EmployeeSkills:
    """The same answer, for points_api's certification checks (points_api only)."""
    return await skill_records.for_employee(session, employee_no, principal=caller)
