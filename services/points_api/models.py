"""points_api's tables: rule sets, accounts, the ledger and its period totals.

The kit's tables (outbox, processed events, idempotency keys) and the employee
read copy are defined in db.py.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Sequence,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from services.points_api.db import Base
from shared.contracts.holds import HoldStatus


class RuleSetStatus(StrEnum):
    """A draft is edited freely; a published rule set is frozen and in force from its
    effective time."""

    DRAFT = "draft"
    PUBLISHED = "published"


RULE_SET_STATUSES = tuple(status.value for status in RuleSetStatus)
ENTRY_KINDS = ("earn", "reverse", "adjust", "spend", "opening")
CATEGORIES = ("participation", "outcome", "growth")

# Version 1 is the default rule set installed on first start; drafts count from 2.
rule_set_version_seq = Sequence("rule_set_version_seq", start=2, metadata=Base.metadata)


class RuleSetRecord(Base):
    """One version of the rules. Drafts are edited in place; published versions
    never change, so their parsed form can be cached by version."""

    __tablename__ = "rule_set"

    version: Mapped[int] = mapped_column(
        Integer, rule_set_version_seq, primary_key=True,
        server_default=rule_set_version_seq.next_value())
    status: Mapped[str] = mapped_column(String(10), server_default="draft")
    rules: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))
    note: Mapped[str | None] = mapped_column(Text)
    copied_from: Mapped[int | None] = mapped_column(Integer)
    effective_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    published_by: Mapped[str | None] = mapped_column(String(200))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint(f"status IN {RULE_SET_STATUSES}", name="status_known"),
        CheckConstraint("status = 'draft' OR (effective_at IS NOT NULL AND published_at IS NOT "
                        "NULL AND published_by IS NOT NULL)", name="published_complete"),
        Index("ix_rule_set_effective", "effective_at", "version",
              postgresql_where=text("status = 'published'")),
    )


class Account(Base):
    """An employee's balances, kept current in the same transaction as each entry.

    ``balance`` is spendable points including ``held`` ones (reserved by pending
    redemptions); ``qualifying`` counts for ranking and growth and never falls
    when points are spent. The category columns split ``qualifying``.
    """

    __tablename__ = "account"

    employee_no: Mapped[str] = mapped_column(String(50), primary_key=True)
    balance: Mapped[int] = mapped_column(BigInteger, server_default="0")
    held: Mapped[int] = mapped_column(BigInteger, server_default="0")
    qualifying: Mapped[int] = mapped_column(BigInteger, server_default="0")
    participation_points: Mapped[int] = mapped_column(BigInteger, server_default="0")
    outcome_points: Mapped[int] = mapped_column(BigInteger, server_default="0")
    growth_points: Mapped[int] = mapped_column(BigInteger, server_default="0")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        CheckConstraint("balance >= 0", name="balance_not_negative"),
        CheckConstraint("held >= 0", name="held_not_negative"),
        CheckConstraint("balance - held >= 0", name="spendable_not_negative"),
        CheckConstraint("qualifying >= 0", name="qualifying_not_negative"),
    )


class LedgerEntry(Base):
    """One append-only movement of points. ``amount`` moves the spendable balance,
    ``qualifying_amount`` the qualifying points (zero for spending); a reversal is
    a new entry pointing at the one it compensates."""

    __tablename__ = "ledger_entry"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    employee_no: Mapped[str] = mapped_column(
        String(50), ForeignKey("account.employee_no", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(10))
    amount: Mapped[int] = mapped_column(BigInteger)
    qualifying_amount: Mapped[int] = mapped_column(BigInteger)
    category: Mapped[str | None] = mapped_column(String(20))
    rule_id: Mapped[str | None] = mapped_column(String(64))
    rule_set_version: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("rule_set.version", ondelete="RESTRICT"))
    source_event_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    source_fact_id: Mapped[str | None] = mapped_column(String(64))
    dedupe_key: Mapped[str | None] = mapped_column(String(200))
    reverses_entry_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("ledger_entry.id", ondelete="RESTRICT"), unique=True)
    reason: Mapped[str] = mapped_column(Text)
    actor: Mapped[str | None] = mapped_column(String(200))
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    multiplier_rule_ids: Mapped[list[str]] = mapped_column(
        ARRAY(String(64)), server_default=text("'{}'::varchar[]"))
    base_points: Mapped[int | None] = mapped_column(BigInteger)
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))

    __table_args__ = (
        CheckConstraint(f"kind IN {ENTRY_KINDS}", name="kind_known"),
        CheckConstraint(f"category IS NULL OR category IN {CATEGORIES}", name="category_known"),
        CheckConstraint("kind <> 'earn' OR (amount > 0 AND qualifying_amount = amount "
                        "AND rule_id IS NOT NULL AND source_event_id IS NOT NULL)",
                        name="earn_complete"),
        # an opening balance from a history import: its category and the import that posted it
        CheckConstraint("kind <> 'opening' OR (category IS NOT NULL AND actor IS NOT NULL)",
                        name="opening_complete"),
        CheckConstraint("kind <> 'reverse' OR reverses_entry_id IS NOT NULL",
                        name="reverse_has_target"),
        # an adjustment that takes away more than is left moves only what it can: the
        # spendable or the qualifying part may then be zero, never both
        CheckConstraint("kind <> 'adjust' OR ((amount <> 0 OR qualifying_amount <> 0) "
                        "AND actor IS NOT NULL)", name="adjust_complete"),
        # redelivery of one event can never pay one rule twice
        Index("uq_ledger_entry_earn_event_rule", "source_event_id", "rule_id", unique=True,
              postgresql_where=text("kind = 'earn'")),
        Index("ix_ledger_entry_employee_id", "employee_no", "id"),
        Index("ix_ledger_entry_cap_usage", "employee_no", "rule_id", "occurred_at",
              postgresql_where=text("kind = 'earn'")),
        Index("ix_ledger_entry_dedupe", "employee_no", "dedupe_key",
              postgresql_where=text("dedupe_key IS NOT NULL")),
        Index("ix_ledger_entry_fact", "source_fact_id",
              postgresql_where=text("source_fact_id IS NOT NULL")),
        # the points mix of a period: its entries' points by category and rule, read from
        # the index alone (the entries of a month lie on nearly every page of the table)
        Index("ix_ledger_entry_occurred_mix", "occurred_at",
              postgresql_include=["kind", "category", "rule_id", "qualifying_amount",
                                  "employee_no"]),
    )


class PeriodTotal(Base):
    """Qualifying points an employee earned in a period of the company calendar
    (``M2026-11``, ``Q2026-4``, ``Y2026``, ``ALL``), net of reversals, split by
    category: the source of ranks and leaderboards.

    The scope columns (``department_key`` = ``/plant/workshop/line/``, the role
    family, the front-line flag) are copied from the employee read copy by database
    triggers (migration 0005) when a row is inserted and when the employee moves, so
    that every board is one index range: company ``(period, points DESC)``, family,
    front line and department subtree each have their own index."""

    __tablename__ = "period_total"

    period: Mapped[str] = mapped_column(String(10), primary_key=True)
    employee_no: Mapped[str] = mapped_column(String(50), primary_key=True)
    points: Mapped[int] = mapped_column(BigInteger, server_default="0")
    participation_points: Mapped[int] = mapped_column(BigInteger, server_default="0")
    outcome_points: Mapped[int] = mapped_column(BigInteger, server_default="0")
    growth_points: Mapped[int] = mapped_column(BigInteger, server_default="0")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    department_key: Mapped[str] = mapped_column(String(1000), server_default="")
    job_role_family: Mapped[str | None] = mapped_column(String(20))
    is_front_line: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))

    __table_args__ = (
        # counts "how many have more points" (narrow: btree deduplication packs ties)
        Index("ix_period_total_rank", "period", text("points DESC")),
        # lists a board in order, employee_no breaking ties: "the k above and below me"
        # is one range scan each way
        Index("ix_period_total_board", "period", text("points DESC"), "employee_no"),
        Index("ix_period_total_family", "period", "job_role_family", text("points DESC"),
              "employee_no"),
        Index("ix_period_total_front_line", "period", text("points DESC"), "employee_no",
              postgresql_where=text("is_front_line")),
        Index("ix_period_total_department", "period", "department_key",
              postgresql_ops={"department_key": "text_pattern_ops"},
              postgresql_include=["points", "employee_no"]),
        Index("ix_period_total_employee", "employee_no"),
    )


class VoidedFact(Base):
    """Training facts withdrawn by training_api. Kept so that a fact event
    delivered after its void (out of order, after retries) earns nothing."""

    __tablename__ = "voided_fact"

    fact_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    employee_no: Mapped[str] = mapped_column(String(50))
    reason: Mapped[str] = mapped_column(Text)
    source_event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    voided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                  server_default=func.now())


HOLD_STATUSES = tuple(status.value for status in HoldStatus)


class Hold(Base):
    """Points reserved by a redemption (two-phase: active, then captured into a spend
    entry, or released / expired). While active its points count in ``account.held``.
    A spend (no approval) is written at once: ``spent`` with its entry, ``captured``
    when the redemption confirms it, or released / expired with the entry reversed."""

    __tablename__ = "hold"

    hold_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    employee_no: Mapped[str] = mapped_column(
        String(50), ForeignKey("account.employee_no", ondelete="RESTRICT"), index=True)
    points: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(10), server_default="active")
    reason: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    settled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    spend_entry_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("ledger_entry.id", ondelete="RESTRICT"))

    __table_args__ = (
        CheckConstraint("points > 0", name="points_positive"),
        CheckConstraint(f"status IN {HOLD_STATUSES}", name="status_known"),
        CheckConstraint("status NOT IN ('spent', 'captured') OR spend_entry_id IS NOT NULL",
                        name="settled_spend_has_entry"),
        CheckConstraint("status <> 'active' OR spend_entry_id IS NULL",
                        name="active_has_no_entry"),
        Index("ix_hold_unsettled_expiry", "expires_at",
              postgresql_where=text("status IN ('active', 'spent')")),
    )
