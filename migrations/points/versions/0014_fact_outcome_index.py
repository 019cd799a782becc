"""The points of one training fact are looked up by its id (GET
/points/v1/facts/{fact_id}/points, the outcome URL of a recording answered
``pending``): the event log gets an index on ``fact_id``.

Revision ID: 0014
Revises: 0013
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_training_event_log_fact", "training_event_log", ["fact_id"])


def downgrade() -> None:
    op.drop_index("ix_training_event_log_fact", table_name="training_event_log")
