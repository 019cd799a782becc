"""Idempotency-Key claims name the process that runs their request.

The owner is the key of the session-level advisory lock that process holds
(shared/idempotency.py, ClaimOwner): a claim whose owner's lock is gone belongs to
a request that died with its process and is free at once. Claims made before have
no owner and keep the two-minute rule.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("idempotency_key", sa.Column("owner", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("idempotency_key", "owner")
