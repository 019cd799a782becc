from sqlalchemy.orm import DeclarativeBase

from shared.app import KitTables
from shared.db import make_metadata
from shared.idempotency import idempotency_table
from shared.inbox import processed_event_table
from shared.jobs import job_table
from shared.outbox import outbox_table

metadata = make_metadata()


class Base(DeclarativeBase):
    metadata = metadata


kit_tables = KitTables(outbox=outbox_table(metadata),
                       processed_event=processed_event_table(metadata),
                       idempotency=idempotency_table(metadata),
                       job=job_table(metadata))
