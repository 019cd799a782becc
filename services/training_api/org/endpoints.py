"""Departments, skills and job roles (organisation master data)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Response

from services.training_api.org import repository as repo
from services.training_api.org import schemas
from services.training_api.org.errors import (
    DepartmentCycle,
    DepartmentNotFound,
    JobRoleNotFound,
    SkillNotFound,
    UnknownDepartment,
    UnknownSkill,
)
from services.training_api.org.service import departments, job_roles, skills
from shared.auth import CurrentUser, OrgWriter
from shared.db import DBSession
from shared.errors import problems
from shared.pagination import (
    Cursor,
    Limit,
    Page,
    decode_keyset,
    encode_cursor,
    text_key,
)
from shared.routing import APIRouter, created_or_ok, upsert_responses

router = APIRouter(prefix="/training/v1")
CodePath = Annotated[
    str, Path(pattern=schemas.CODE_PATTERN, description="Business key from the HR suite")
]


@router.put(
    "/departments/{code}",
    response_model=schemas.Department,
    tags=["organisation"],
    operation_id="upsert_department",
    summary="Create or update a department",
    status_code=200,
    responses=upsert_responses(schemas.Department, UnknownDepartment, DepartmentCycle),
)
async def upsert_department(
    code: CodePath,
    body: schemas.DepartmentUpsert,
    session: DBSession,
    _: OrgWriter,
    response: Response,
) -> schemas.Department:
    """Idempotent upsert by department code. Moving a department (a new parent)
    moves its sub-departments with it; a parent that is the department itself or
    one of its descendants is refused with 409 ``department-cycle``."""
    dept, created = await departments.upsert(session, code, data=body)
    created_or_ok(response, created)
    return dept


@router.get(
    "/departments/{code}",
    response_model=schemas.Department,
    tags=["organisation"],
    operation_id="get_department",
    summary="Get a department",
    responses=problems(DepartmentNotFound),
)
async def get_department(code: CodePath, session: DBSession, _: CurrentUser) -> schemas.Department:
    """One department with its path from the root."""
    return await departments.get(session, code)


@router.get(
    "/departments",
    response_model=Page[schemas.Department],
    tags=["organisation"],
    operation_id="list_departments",
    summary="List departments in tree order",
)
async def list_departments(
    session: DBSession, _: CurrentUser, limit: Limit = 50, cursor: Cursor = None
) -> Page[schemas.Department]:
    """All departments in tree order: every department follows its parent,
    siblings sorted by code (``path`` lists the codes from the root)."""
    after = decode_keyset(cursor, text_key)
    items, last = await departments.list(
        session, after_path=after[0] if after else None, limit=limit
    )
    return Page(items=items, next_cursor=encode_cursor([last]) if last else None)


@router.put(
    "/skills/{code}",
    response_model=schemas.Skill,
    tags=["organisation"],
    operation_id="upsert_skill",
    summary="Create or update a skill",
    responses=upsert_responses(schemas.Skill),
)
async def upsert_skill(
    code: CodePath, body: schemas.SkillUpsert, session: DBSession, _: OrgWriter, response: Response
) -> schemas.Skill:
    """Idempotent upsert by skill code."""
    skill, created = await skills.upsert(session, code, data=body)
    created_or_ok(response, created)
    return schemas.Skill.model_validate(skill)


@router.get(
    "/skills/{code}",
    response_model=schemas.Skill,
    tags=["organisation"],
    operation_id="get_skill",
    summary="Get a skill",
    responses=problems(SkillNotFound),
)
async def get_skill(code: CodePath, session: DBSession, _: CurrentUser) -> schemas.Skill:
    """One skill."""
    return schemas.Skill.model_validate(await skills.get(session, code))


@router.get(
    "/skills",
    response_model=Page[schemas.Skill],
    tags=["organisation"],
    operation_id="list_skills",
    summary="List skills",
)
async def list_skills(
    session: DBSession, _: CurrentUser, limit: Limit = 50, cursor: Cursor = None
) -> Page[schemas.Skill]:
    """Skills ordered by code."""
    after = decode_keyset(cursor, text_key)
    rows = await repo.list_skills(session, after=after[0] if after else None, limit=limit + 1)
    items = [schemas.Skill.model_validate(s) for s in rows[:limit]]
    return Page(
        items=items, next_cursor=encode_cursor([items[-1].code]) if len(rows) > limit else None
    )


@router.put(
    "/job-roles/{code}",
    response_model=schemas.JobRole,
    tags=["organisation"],
    operation_id="upsert_job_role",
    summary="Create or update a job role and its competency model",
    responses=upsert_responses(schemas.JobRole, UnknownSkill),
)
async def upsert_job_role(
    code: CodePath,
    body: schemas.JobRoleUpsert,
    session: DBSession,
    _: OrgWriter,
    response: Response,
) -> schemas.JobRole:
    """Idempotent upsert by role code. ``required_skills`` replaces the role's
    competency model; every skill must exist (409 ``unknown-skill``)."""
    role, created = await job_roles.upsert(session, code, data=body)
    created_or_ok(response, created)
    return role


@router.get(
    "/job-roles/{code}",
    response_model=schemas.JobRole,
    tags=["organisation"],
    operation_id="get_job_role",
    summary="Get a job role",
    responses=problems(JobRoleNotFound),
)
async def get_job_role(code: CodePath, session: DBSession, _: CurrentUser) -> schemas.JobRole:
    """One job role with its required skills and levels."""
    return await job_roles.get(session, code)


@router.get(
    "/job-roles",
    response_model=Page[schemas.JobRole],
    tags=["organisation"],
    operation_id="list_job_roles",
    summary="List job roles",
)
async def list_job_roles(
    session: DBSession, _: CurrentUser, limit: Limit = 50, cursor: Cursor = None
) -> Page[schemas.JobRole]:
    """Job roles ordered by code, each with its competency model."""
    after = decode_keyset(cursor, text_key)
    items, last = await job_roles.list(session, after=after[0] if after else None, limit=limit)
    return Page(items=items, next_cursor=encode_cursor([last]) if last else None)
