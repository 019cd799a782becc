"""Planned hires from the HR suite: a job role's head count starting in a department in
a month, for the onboarding part of the training demand

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "planned_hire",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=50), nullable=False),
        sa.Column("department_code", sa.String(length=50), nullable=False),
        sa.Column("job_role_code", sa.String(length=50), nullable=False),
        sa.Column("month_on", sa.Date(), nullable=False),
        sa.Column("headcount", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.CheckConstraint("headcount BETWEEN 0 AND 10000",
                           name=op.f("ck_planned_hire_headcount_range")),
        sa.CheckConstraint("EXTRACT(DAY FROM month_on) = 1",
                           name=op.f("ck_planned_hire_month_first_day")),
        sa.ForeignKeyConstraint(["department_code"], ["department.code"],
                                name=op.f("fk_planned_hire_department_code_department"),
                                ondelete="RESTRICT", onupdate="CASCADE"),
        sa.ForeignKeyConstraint(["job_role_code"], ["job_role.code"],
                                name=op.f("fk_planned_hire_job_role_code_job_role"),
                                ondelete="RESTRICT", onupdate="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_planned_hire")),
        sa.UniqueConstraint("code", name=op.f("uq_planned_hire_code")),
    )
    for column in ("department_code", "job_role_code", "month_on"):
        op.create_index(op.f(f"ix_planned_hire_{column}"), "planned_hire", [column])


def downgrade() -> None:
    op.drop_table("planned_hire")
