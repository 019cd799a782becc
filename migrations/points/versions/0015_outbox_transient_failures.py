"""Outbox deliveries that got no answer (a timeout, a refused or broken connection,
a busy consumer) are counted apart from the attempts, so that they never bring an
event to dead letters: ``outbox_event.transient_failures``.

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("outbox_event", sa.Column("transient_failures", sa.Integer(), nullable=False,
                                            server_default="0"))


def downgrade() -> None:
    op.drop_column("outbox_event", "transient_failures")
