"""Tables of the rule what-if: the log of training events as they were applied
(the history a draft rule set is replayed over) and the simulations with their
per-employee results."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from services.points_api.db import Base


class SimulationStatus(StrEnum):
    """running until the replay ends (failed when it stops on an error, or when its
    worker stops beating its heartbeat), done with its results."""

    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


SIMULATION_STATUSES = tuple(status.value for status in SimulationStatus)


class TrainingEventLog(Base):
    """Every training event points_api applied, in the order it applied them, with
    the employee facts the rules saw then. Written in the transaction that earns the
    event's points, so the log and the ledger never disagree."""

    __tablename__ = "training_event_log"

    seq: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), unique=True)
    event_type: Mapped[str] = mapped_column(String(100))
    employee_no: Mapped[str] = mapped_column(String(50))
    fact_id: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    employee: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                  server_default=func.now())

    __table_args__ = (
        Index("ix_training_event_log_occurred", "occurred_at"),
        # the outcome of one fact (ledger/outcomes.py)
        Index("ix_training_event_log_fact", "fact_id"),
    )


class RuleSimulation(Base):
    """One what-if: a rule-set version replayed over the events of a window (of a
    department subtree, or everyone), then at most one application of its difference."""

    __tablename__ = "rule_simulation"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    rule_set_version: Mapped[int] = mapped_column(
        Integer, ForeignKey("rule_set.version", ondelete="RESTRICT"))
    window_from: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    window_to: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    department_code: Mapped[str | None] = mapped_column(String(50))
    # the version's rules when the simulation started (a draft may change afterwards)
    rules: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(String(10), server_default="running")
    events_total: Mapped[int | None] = mapped_column(BigInteger)
    events_done: Mapped[int] = mapped_column(BigInteger, server_default="0")
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    error: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now())
    heartbeat_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                   server_default=func.now())
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    applied_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    applied_by: Mapped[str | None] = mapped_column(String(200))
    apply_reason: Mapped[str | None] = mapped_column(Text)
    applied_entries: Mapped[int | None] = mapped_column(Integer)
    applied_points: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (
        CheckConstraint(f"status IN {SIMULATION_STATUSES}", name="status_known"),
        CheckConstraint("window_from < window_to", name="window_ordered"),
        CheckConstraint("applied_at IS NULL OR status = 'done'", name="applied_when_done"),
        Index("ix_rule_simulation_created", text("created_at DESC"), "id"),
    )


class RuleSimulationEmployee(Base):
    """One employee's result: qualifying points their window's events earned and would
    have earned, by category, and the milestones whose points bar that changes."""

    __tablename__ = "rule_simulation_employee"

    simulation_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("rule_simulation.id", ondelete="CASCADE"),
        primary_key=True)
    employee_no: Mapped[str] = mapped_column(String(50), primary_key=True)
    events: Mapped[int] = mapped_column(Integer)
    actual_points: Mapped[int] = mapped_column(BigInteger)
    simulated_points: Mapped[int] = mapped_column(BigInteger)
    difference: Mapped[int] = mapped_column(BigInteger)
    actual_by_category: Mapped[dict[str, int]] = mapped_column(JSONB)
    simulated_by_category: Mapped[dict[str, int]] = mapped_column(JSONB)
    milestones_gained: Mapped[list[str]] = mapped_column(
        ARRAY(String(120)), server_default=text("'{}'::varchar[]"))
    milestones_lost: Mapped[list[str]] = mapped_column(
        ARRAY(String(120)), server_default=text("'{}'::varchar[]"))

    __table_args__ = (
        Index("ix_rule_simulation_employee_difference", "simulation_id", "difference",
              "employee_no"),
    )
