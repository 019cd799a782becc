"""Employee facts published to points_api and rewards_api through the outbox."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.training_api.db import kit_tables
from services.training_api.employees import repository as repo
from services.training_api.org.repository import OrgSnapshot, load_snapshot
from shared.contracts.events import EMPLOYEE_UPSERTED, EmployeeFacts
from shared.outbox import enqueue

DESTINATIONS = ["points", "rewards"]


def employee_facts(row: Any, snapshot: OrgSnapshot) -> dict[str, Any]:
    """``row`` has employee_no, name, department_id, job_role_id, is_front_line,
    hired_on, status and version."""
    dept = snapshot.departments_by_id[row.department_id]
    role = snapshot.roles_by_id[row.job_role_id]
    return EmployeeFacts(
        employee_no=row.employee_no,
        name=row.name,
        department_code=dept.code,
        department_path=dept.codes,
        department_is_pilot=snapshot.is_pilot(dept),
        job_role_code=role.code,
        job_role_family=role.family,
        is_front_line=row.is_front_line,
        hired_on=row.hired_on,
        status=row.status,
        version=row.version,
    ).model_dump(mode="json")


class EmployeePublisher:
    async def publish(
        self, session: AsyncSession, rows: list[Any], snapshot: OrgSnapshot | None = None
    ) -> None:
        """Enqueue ``employee.upserted`` for each row, delivered after commit."""
        if not rows:
            return
        snapshot = snapshot or await load_snapshot(session)
        await enqueue(
            session,
            kit_tables.outbox,
            event_type=EMPLOYEE_UPSERTED,
            payload=[employee_facts(r, snapshot) for r in rows],
            destinations=DESTINATIONS,
        )

    async def republish_subtree(self, session: AsyncSession, department_path: str) -> int:
        rows = await repo.bump_versions(session, department_path=department_path)
        await self.publish(session, rows)
        return len(rows)

    async def republish_role(self, session: AsyncSession, job_role_id: int) -> int:
        rows = await repo.bump_versions(session, job_role_id=job_role_id)
        await self.publish(session, rows)
        return len(rows)


publisher = EmployeePublisher()
