from typing import ClassVar

from sqlalchemy import Table
from sqlalchemy.orm import DeclarativeBase

from shared.app import KitTables
from shared.db import make_metadata
from shared.employee_copy import employee_copy_table
from shared.idempotency import idempotency_table
from shared.inbox import processed_event_table
from shared.outbox import outbox_table

metadata = make_metadata()


class Base(DeclarativeBase):
    metadata = metadata
    # every model here maps one table (none maps a join or a select), so that
    # ``Model.__table__`` is typed for insert(), update() and delete()
    __table__: ClassVar[Table]


kit_tables = KitTables(outbox=outbox_table(metadata),
                       processed_event=processed_event_table(metadata),
                       idempotency=idempotency_table(metadata))
employee_copy = employee_copy_table(metadata)
