from datetime import datetime
from typing import ClassVar

from sqlalchemy import DateTime, Table, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.app import KitTables
from shared.db import make_metadata
from shared.idempotency import idempotency_table
from shared.inbox import processed_event_table
from shared.jobs import job_table
from shared.outbox import outbox_table

metadata = make_metadata()


class Base(DeclarativeBase):
    metadata = metadata
    # every model here maps one table (none maps a join or a select), so that
    # ``Model.__table__`` is typed for insert(), update() and delete()
    __table__: ClassVar[Table]


class TimestampMixin:
    """``created_at`` and ``updated_at``, kept by the database."""

    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(),
                                                 onupdate=func.now())


# durable jobs: history imports, employee and KPI imports (shared/jobs.py)
jobs = job_table(metadata)
kit_tables = KitTables(outbox=outbox_table(metadata),
                       processed_event=processed_event_table(metadata),
                       idempotency=idempotency_table(metadata),
                       job=jobs)
