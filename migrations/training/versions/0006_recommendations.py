"""recommendations: HR's weights, dismissals, what was shown, colleague signals

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 12:00:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _pair(table: str) -> list:
    return [
        sa.Column("employee_no", sa.String(length=50), nullable=False),
        sa.Column("course_code", sa.String(length=50), nullable=False),
        sa.ForeignKeyConstraint(["course_code"], ["course.code"], name=op.f(f"fk_{table}_course_code_course"), onupdate="CASCADE", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["employee_no"], ["employee.employee_no"], name=op.f(f"fk_{table}_employee_no_employee"), onupdate="CASCADE", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("employee_no", "course_code", name=op.f(f"pk_{table}")),
    ]


def upgrade() -> None:
    op.create_table(
        "recommendation_setting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("values", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_recommendation_setting_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recommendation_setting")),
    )
    op.create_table(
        "recommendation_dismissal",
        *_pair("recommendation_dismissal"),
        sa.Column("dismissed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
    )
    op.create_table(
        "recommendation_shown",
        *_pair("recommendation_shown"),
        sa.Column("first_shown_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_shown_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("times", sa.Integer(), server_default="1", nullable=False),
        sa.Column("reasons", postgresql.ARRAY(sa.String(length=20)), server_default=sa.text("'{}'"), nullable=False),
    )
    op.create_index(op.f("ix_recommendation_shown_first_shown_at"), "recommendation_shown", ["first_shown_at"])
    op.create_table(
        "recommendation_role_signal",
        sa.Column("job_role_code", sa.String(length=50), nullable=False),
        sa.Column("members", sa.Integer(), nullable=False),
        sa.Column("achievers", sa.Integer(), nullable=False),
        sa.Column("achiever_share", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("popularity", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint("job_role_code", name=op.f("pk_recommendation_role_signal")),
    )
    op.create_table(
        "recommendation_neighbour",
        sa.Column("course_code", sa.String(length=50), nullable=False),
        sa.Column("neighbours", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint("course_code", name=op.f("pk_recommendation_neighbour")),
    )
    op.create_table(
        "recommendation_model_run",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("employees", sa.Integer(), nullable=True),
        sa.Column("completions", sa.BigInteger(), nullable=True),
        sa.Column("error", sa.String(length=2000), nullable=True),
        sa.CheckConstraint("status IN ('running', 'ready', 'failed')", name=op.f("ck_recommendation_model_run_status_known")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recommendation_model_run")),
    )


def downgrade() -> None:
    op.drop_table("recommendation_model_run")
    op.drop_table("recommendation_neighbour")
    op.drop_table("recommendation_role_signal")
    op.drop_index(op.f("ix_recommendation_shown_first_shown_at"), table_name="recommendation_shown")
    op.drop_table("recommendation_shown")
    op.drop_table("recommendation_dismissal")
    op.drop_table("recommendation_setting")
