"""Who may record, read and decide on training facts."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from services.training_api.facts import repository as repo
from services.training_api.facts.errors import NotYourDepartment, SelfRecording
from shared.auth import Principal
from shared.errors import Forbidden

SYSTEM_ROLES = ("integration", "service")


@dataclass(frozen=True)
class ReadScope:
    everyone: bool = False
    employee_no: str | None = None
    department_paths: tuple[str, ...] = ()


async def read_scope(session: AsyncSession, principal: Principal) -> ReadScope:
    # Those who read every training record (Principal.reads_training_records) see all;
    # others see their own, managers also their departments'.
    if principal.reads_training_records:
        return ReadScope(everyone=True)
    paths: tuple[str, ...] = ()
    if principal.has("manager") and principal.departments:
        paths = tuple(await repo.department_paths(session, principal.departments))
    return ReadScope(employee_no=principal.sub, department_paths=paths)


def may_read(scope: ReadScope, employee_no: str, department_path: str) -> bool:
    return (scope.everyone or employee_no == scope.employee_no
            or any(department_path.startswith(p) for p in scope.department_paths))


def check_may_record(principal: Principal, employee_no: str, *, roles: tuple[str, ...],
                     self_service: bool, what: str) -> None:
    """Self-service kinds are recorded by the employee themself; the others by the
    given roles, and never by a person about themself."""
    own = principal.sub == employee_no
    if self_service and own:
        return
    if not principal.has(*roles):
        whom = [f"one of the roles {', '.join(roles)}"] if roles else []
        if self_service:
            whom.insert(0, "the employee themself")
        raise Forbidden(f"{what} are recorded by {' or by '.join(whom)}")
    if own and not principal.has(*SYSTEM_ROLES):
        raise SelfRecording(f"{what} about yourself are recorded by someone else")


async def check_manages(session: AsyncSession, principal: Principal, employee_no: str,
                        department_path: str) -> None:
    """HR decides for everyone; a manager for the departments in their token, with
    sub-departments."""
    if principal.has("hr_admin"):
        return
    paths = await repo.department_paths(session, principal.departments)
    if not any(department_path.startswith(p) for p in paths):
        raise NotYourDepartment(f"Employee {employee_no} is not in a department you manage")
