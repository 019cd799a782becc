"""training changes: new equipment, processes and product lines HR knows are coming

A change names the skills and levels it requires, the departments and job roles it
affects and the share of them that must be ready at go-live; its forecast is
computed on request from the skill records and the plant's history.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 16:00:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "training_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=50), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("go_live_on", sa.Date(), nullable=False),
        sa.Column("target_share", sa.Numeric(precision=5, scale=4), server_default="0.9", nullable=False),
        sa.Column("description", sa.String(length=2000), nullable=True),
        sa.Column("department_codes", postgresql.ARRAY(sa.String(length=50)), server_default=sa.text("'{}'"), nullable=False),
        sa.Column("job_role_codes", postgresql.ARRAY(sa.String(length=50)), server_default=sa.text("'{}'"), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("kind IN ('equipment', 'process', 'product_line')", name=op.f("ck_training_change_kind_known")),
        sa.CheckConstraint("target_share > 0 AND target_share <= 1", name=op.f("ck_training_change_target_share_range")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_change")),
        sa.UniqueConstraint("code", name=op.f("uq_training_change_code")),
    )
    op.create_table(
        "training_change_skill",
        sa.Column("change_id", sa.Integer(), nullable=False),
        sa.Column("skill_code", sa.String(length=50), nullable=False),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.CheckConstraint("level BETWEEN 1 AND 5", name=op.f("ck_training_change_skill_level_range")),
        sa.ForeignKeyConstraint(["change_id"], ["training_change.id"], name=op.f("fk_training_change_skill_change_id_training_change"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["skill_code"], ["skill.code"], name=op.f("fk_training_change_skill_skill_code_skill"), ondelete="RESTRICT", onupdate="CASCADE"),
        sa.PrimaryKeyConstraint("change_id", "skill_code", name=op.f("pk_training_change_skill")),
    )


def downgrade() -> None:
    op.drop_table("training_change_skill")
    op.drop_table("training_change")
