"""Positions and certifications (HR's catalogue), an employee's eligibility and
certifications, and revoking a grant."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query, Response

from services.points_api.ledger.errors import AccountNotFound
from services.points_api.milestones.catalogue import certifications, positions
from services.points_api.milestones.errors import (
    CertificationNotFound,
    GrantAlreadyRevoked,
    GrantNotFound,
    PositionNotFound,
)
from services.points_api.milestones.schemas import (
    Certification,
    CertificationUpsert,
    Eligibility,
    EmployeeCertifications,
    Grant,
    GrantRevoke,
    Position,
    PositionUpsert,
)
from services.points_api.milestones.service import milestones
from shared.auth import AuditReader, CurrentUser, HRAdmin
from shared.contracts.fields import MAX_ID
from shared.db import DBSession
from shared.dependencies import CompanyTZ
from shared.errors import BadCursor, problems
from shared.identity import EmployeeNoPath, EmployeeNoQuery
from shared.pagination import (
    Cursor,
    Limit,
    Page,
    decode_id_cursor,
    decode_keyset,
    encode_cursor,
    encode_id_cursor,
    text_key,
)
from shared.routing import APIRouter, created_or_ok, upsert_responses

router = APIRouter(prefix="/points/v1")
CodePath = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.\-]{1,50}$", examples=["TEAM-LEADER"])]
CodeQuery = Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_.\-]{1,50}$")]
ActiveQuery = Annotated[bool | None, Query(description="Only active (true) or archived (false)")]
GrantIdPath = Annotated[int, Path(ge=1, le=MAX_ID)]


def _after(cursor: str | None) -> str | None:
    values = decode_keyset(cursor, text_key)
    return values[0] if values else None


# -- positions -------------------------------------------------------------------------------


@router.put("/positions/{code}", response_model=Position, tags=["positions"],
            operation_id="put_position", summary="Create or replace a position's criteria",
            responses=upsert_responses(Position))
async def put_position(code: CodePath, body: PositionUpsert, session: DBSession,
                       principal: HRAdmin, response: Response) -> Position:
    """HR only. What it takes to be eligible for promotion to a position (e.g. 生产组长:
    500 qualifying points over the trailing 12 months, the skills, 12 months' tenure).
    201 when created, 200 when replaced; idempotent."""
    item, created = await positions.upsert(session, code, data=body, actor=principal.sub)
    created_or_ok(response, created)
    return item


@router.get("/positions/{code}", response_model=Position, tags=["positions"],
            operation_id="get_position", summary="A position's criteria",
            responses=problems(PositionNotFound))
async def get_position(code: CodePath, session: DBSession, _: CurrentUser) -> Position:
    """Any signed-in user: employees see what a promotion takes."""
    return await positions.get(session, code)


@router.get("/positions", response_model=Page[Position], tags=["positions"],
            operation_id="list_positions", summary="List positions",
            responses=problems(BadCursor))
async def list_positions(session: DBSession, _: CurrentUser, limit: Limit = 50,
                         cursor: Cursor = None, active: ActiveQuery = None) -> Page[Position]:
    """By code; ``active`` filters."""
    items, last = await positions.list(session, active=active, after=_after(cursor),
                                       limit=limit)
    return Page(items=items, next_cursor=encode_cursor([last]) if last else None)


@router.delete("/positions/{code}", response_model=Position, tags=["positions"],
               operation_id="archive_position", summary="Archive a position",
               responses=problems(PositionNotFound))
async def archive_position(code: CodePath, session: DBSession, principal: HRAdmin) -> Position:
    """HR only. The position stops being evaluated; a PUT with ``active: true`` brings
    it back."""
    return await positions.archive(session, code, actor=principal.sub)


# -- certifications --------------------------------------------------------------------------


@router.put("/certifications/{code}", response_model=Certification, tags=["certifications"],
            operation_id="put_certification", summary="Create or replace a certification",
            responses=upsert_responses(Certification))
async def put_certification(code: CodePath, body: CertificationUpsert, session: DBSession,
                            principal: HRAdmin, response: Response) -> Certification:
    """HR only. A certification (e.g. 高级设备操作员): qualifying points (lifetime or a
    trailing window) and skills; the salary raise (5-10%) and how long a grant is
    valid. Employees who meet it are granted it automatically, once each, and payroll
    receives ``certification.granted``. 201 when created, 200 when replaced."""
    item, created = await certifications.upsert(session, code, data=body, actor=principal.sub)
    created_or_ok(response, created)
    return item


@router.get("/certifications/{code}", response_model=Certification, tags=["certifications"],
            operation_id="get_certification", summary="A certification",
            responses=problems(CertificationNotFound))
async def get_certification(code: CodePath, session: DBSession,
                            _: CurrentUser) -> Certification:
    """Any signed-in user. An archived certification is 404 (listed with
    ``active=false``)."""
    return await certifications.get(session, code)


@router.get("/certifications", response_model=Page[Certification], tags=["certifications"],
            operation_id="list_certifications", summary="List certifications",
            responses=problems(BadCursor))
async def list_certifications(session: DBSession, _: CurrentUser, limit: Limit = 50,
                              cursor: Cursor = None,
                              active: ActiveQuery = None) -> Page[Certification]:
    """By code; ``active`` filters."""
    items, last = await certifications.list(session, active=active, after=_after(cursor),
                                            limit=limit)
    return Page(items=items, next_cursor=encode_cursor([last]) if last else None)


@router.delete("/certifications/{code}", response_model=Certification,
               tags=["certifications"], operation_id="archive_certification",
               summary="Archive a certification", responses=problems(CertificationNotFound))
async def archive_certification(code: CodePath, session: DBSession,
                                principal: HRAdmin) -> Certification:
    """HR only. No new grants from now on; existing grants stay valid."""
    return await certifications.archive(session, code, actor=principal.sub)


@router.get("/certification-grants", response_model=Page[Grant], tags=["certifications"],
            operation_id="list_certification_grants", summary="List certification grants",
            responses=problems(BadCursor))
async def list_certification_grants(session: DBSession, _: AuditReader, tz: CompanyTZ,
                                    limit: Limit = 50, cursor: Cursor = None,
                                    certification_code: CodeQuery = None,
                                    employee_no: EmployeeNoQuery = None) -> Page[Grant]:
    """HR and auditors (payroll reconciliation): newest first, filtered by
    certification and employee."""
    items, last = await milestones.grants(
        session, certification_code=certification_code, employee_no=employee_no,
        before_id=decode_id_cursor(cursor), limit=limit, tz=tz)
    return Page(items=items, next_cursor=encode_id_cursor(last))


@router.post("/certification-grants/{grant_id}/revoke", response_model=Grant,
             tags=["certifications"], operation_id="revoke_certification_grant",
             summary="Revoke a certification grant",
             responses=problems(GrantNotFound, GrantAlreadyRevoked))
async def revoke_certification_grant(grant_id: GrantIdPath, body: GrantRevoke,
                                     session: DBSession, principal: HRAdmin,
                                     tz: CompanyTZ) -> Grant:
    """HR only, with a reason. Payroll receives ``certification.revoked``; the
    employee is notified. Revoking twice is 409 ``certification-grant-revoked``; a
    revoked certification is not granted again automatically."""
    return await milestones.revoke(session, grant_id, reason=body.reason,
                                   actor=principal.sub, tz=tz)


# -- an employee's milestones ------------------------------------------------------------------


@router.get("/accounts/{employee_no}/eligibility", response_model=Eligibility,
            tags=["positions"], operation_id="get_eligibility",
            summary="Promotion eligibility per position, with what is missing",
            responses=problems(AccountNotFound))
async def get_eligibility(employee_no: EmployeeNoPath, session: DBSession,
                          principal: CurrentUser, tz: CompanyTZ,
                          position_code: CodeQuery = None) -> Eligibility:
    """For each active position (or the one asked for): eligible or not, and for each
    criterion (points in the window, skills, tenure) the value, the target, its
    status and what is missing (a 490-point employee aiming at 500 sees 10). Skills
    come from training_api, reused for a short while; when it does not answer the
    skills criterion is ``unknown``. Same visibility as the account."""
    return await milestones.eligibility(session, employee_no, principal=principal,
                                        position_code=position_code, tz=tz)


@router.get("/accounts/{employee_no}/certifications", response_model=EmployeeCertifications,
            tags=["certifications"], operation_id="get_employee_certifications",
            summary="An employee's certifications and progress towards the others",
            responses=problems(AccountNotFound))
async def get_employee_certifications(employee_no: EmployeeNoPath, session: DBSession,
                                      principal: CurrentUser,
                                      tz: CompanyTZ) -> EmployeeCertifications:
    """Grants (active, revoked, or expired past ``valid_until``), and for each active
    certification not granted yet the criteria with what is missing. Same
    visibility as the account."""
    return await milestones.certifications_of(session, employee_no, principal=principal, tz=tz)
