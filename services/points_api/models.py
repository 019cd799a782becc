"""points_api's tables. The kit's tables (outbox, processed events, idempotency keys)
and the employee read copy are defined in db.py."""

from services.points_api.db import Base  # noqa: F401
