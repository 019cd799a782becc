"""Real-time feedback: a recording response carries the points it earned when
points_api answers within the feedback budget."""

from __future__ import annotations

from typing import Any, TypeVar

import structlog
from fastapi import Request, Response, status
from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from services.training_api.facts import repository as repo
from services.training_api.facts.schemas import PointsFeedback
from services.training_api.facts.service import Change
from shared import outbox
from shared.contracts.points import PointsOutcome
from shared.contracts.training_events import FACT_VOIDED
from shared.db import DriverConnection, commit_request

log = structlog.get_logger("jifen.training.feedback")

R = TypeVar("R", bound=BaseModel)


async def commit_and_deliver(session: AsyncSession, request: Request,
                             change: Change[Any]) -> PointsFeedback:
    """Commit the request's work; its events leave for points_api with the commit.

    The session dependency would commit only after the endpoint returns, too late
    for this response; and points_api must not see an event whose fact could still
    roll back. So the recording endpoints commit here, then wait for the answer.
    Whatever is not delivered within the budget stays in the outbox and the relay
    loop delivers it later.
    """
    await commit_request(session, request)  # the Idempotency-Key is marked applied with it
    return await hand_off(request, change, session)


async def hand_off(request: Request, change: Change[Any],
                   db: AsyncSession | DriverConnection) -> PointsFeedback:
    """The points of a committed change: points_api's answer to its event (handed to
    the relay by ``db``'s commit), waited for up to the feedback budget; ``pending``
    past it, the relay loop delivering the event later."""
    if not change.events and not change.redelivered:
        return PointsFeedback(status="awarded" if change.delivered_before else "none")
    budget = request.app.state.settings.feedback_budget_seconds
    deliveries = await outbox.answers(db, timeout=budget)
    for delivery in deliveries:
        if delivery.delivered and delivery.response is not None:
            return _from_receipt(delivery.response)
    if change.redelivered and not deliveries and isinstance(db, AsyncSession) and (
            change.fact.event_outbox_id is not None
            and await repo.event_delivered(db, change.fact.event_outbox_id)):
        # a replay whose event was delivered (and marked) between its look and now
        return PointsFeedback(status="awarded")
    return PointsFeedback(status="pending", outcome_url=outcome_url(change))


def outcome_url(change: Change[Any]) -> str | None:
    """Where the points of a fact answered ``pending`` can be read later (points_api);
    None for a change whose event is not the fact's own (a void)."""
    if any(e.event_type == FACT_VOIDED for e in change.events):
        return None
    return f"/points/v1/facts/{change.fact.id}/points"


def _from_receipt(receipt: dict[str, Any]) -> PointsFeedback:
    if receipt.get("status") == "ignored":
        return PointsFeedback(status="none")
    result = receipt.get("result")
    if not result:
        return PointsFeedback(status="awarded")
    try:
        return PointsFeedback(status="awarded", outcome=PointsOutcome.model_validate(result))
    except ValidationError as exc:
        log.warning("points_outcome_unreadable", error=str(exc)[:300])
        return PointsFeedback(status="awarded")


async def respond(session: AsyncSession, request: Request, response: Response,
                  change: Change[Any], schema: type[R]) -> R:
    """Commit, deliver, and answer 201 for a new record or 200 for a replay or an
    action on an existing one, with the points feedback."""
    points = await commit_and_deliver(session, request, change)
    return answer(response, change, points, schema)


def answer(response: Response, change: Change[Any], points: PointsFeedback,
           schema: type[R]) -> R:
    """201 for a new record, 200 for a replay or an action on an existing one."""
    response.status_code = status.HTTP_201_CREATED if change.created else status.HTTP_200_OK
    return schema.model_validate(recorded_fields(change, points, schema))


def rendered(response: Response, model: BaseModel) -> Response:
    """The answer as JSON text made once, with the status :func:`answer` set: returned
    as a Response, FastAPI neither validates the model it is given once more nor
    serializes it a second time (the route's response model still documents it)."""
    return Response(model.model_dump_json(), status_code=response.status_code,
                    media_type="application/json")


def recorded_fields(change: Change[Any], points: PointsFeedback,
                    schema: type[BaseModel]) -> dict[str, object]:
    """The fields of a recording's response: the points feedback and, for a void, the
    skills it removed, the rest read from the fact (the schema is the fact's read
    schema with these added; a field the fact lacks keeps its default)."""
    added: dict[str, object] = {"points": points, "skills_removed": change.skills_removed}
    fields: dict[str, object] = {}
    for name in schema.model_fields:
        if name in added:
            fields[name] = added[name]
        elif hasattr(change.fact, name):
            fields[name] = getattr(change.fact, name)
    return fields
