"""The colleague model's builds say what they are doing: progress and phase

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("recommendation_model_run", sa.Column("progress", sa.Float(), nullable=True))
    op.add_column("recommendation_model_run",
                  sa.Column("phase", sa.String(length=40), nullable=True))


def downgrade() -> None:
    op.drop_column("recommendation_model_run", "phase")
    op.drop_column("recommendation_model_run", "progress")
