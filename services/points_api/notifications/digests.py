"""The weekly attrition-risk digest from training_api: each of the department's
managers finds it in their notification feed, and webhook subscriptions that name
``attrition_risk.digest`` receive it (never a ``*`` subscription: the digest names
employees at risk, which only HR and their own managers may read)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.points_api.notifications.service import notifications
from services.points_api.webhooks.publish import publish
from shared.consumer import RejectEvent
from shared.contracts.digests import ATTRITION_DIGEST, AttritionDigestEvent
from shared.contracts.events import EventEnvelope

SHOWN = 5  # names in the message body; the report has them all


def _body(event: AttritionDigestEvent) -> str:
    names = "、".join(f"{e.name}（{e.reasons[0]}）" if e.reasons else e.name
                     for e in event.new[:SHOWN])
    more = f" 等 {len(event.new)} 人" if len(event.new) > SHOWN else ""
    return f"{names}{more}；部门高风险员工共 {event.high_risk} 人，详见流失风险报告"


async def apply_attrition_digest(session: AsyncSession,
                                 envelope: EventEnvelope) -> dict[str, Any]:
    try:
        event = AttritionDigestEvent.model_validate(envelope.payload)
    except ValueError as exc:
        raise RejectEvent(f"invalid attrition digest: {exc}") from exc
    title = f"{event.department_name}：本周新增 {len(event.new)} 名高流失风险员工"
    for manager in event.managers:
        await notifications.notify(
            session, manager, kind="attrition_risk_digest", title=title, body=_body(event),
            data={"digest_id": event.digest_id, "week": event.week,
                  "department_code": event.department_code,
                  "employee_nos": [e.employee_no for e in event.new],
                  "high_risk": event.high_risk, "method": event.method,
                  "report_path": event.report_path},
            dedupe_key=f"attrition-digest:{event.digest_id}:{manager}")
    deliveries = await publish(session, event_type=ATTRITION_DIGEST, payload=envelope.payload,
                               occurred_at=envelope.occurred_at, event_id=envelope.event_id)
    return {"notified": len(event.managers), "webhook_deliveries": deliveries}
