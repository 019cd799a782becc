"""attrition risk: leaving dates, department managers, risk runs, scores, reads, digests

Employees who left get the day they left (``left_on``, only with status left);
departments get their heads (``manager_nos``), who receive the weekly digest. The
early warning keeps each risk run with its model card, the run's ranking with
reasons, every read of the report (the audit trail) and the weekly digests.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 10:00:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("employee", sa.Column("left_on", sa.Date(), nullable=True))
    op.create_check_constraint(op.f("ck_employee_left_on_only_when_left"), "employee",
                               "left_on IS NULL OR status = 'left'")
    op.add_column("department", sa.Column("manager_nos", postgresql.ARRAY(sa.String(length=50)),
                                          server_default="{}", nullable=False))
    op.create_table(
        "attrition_run",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("status", sa.String(length=10), server_default="running", nullable=False),
        sa.Column("phase", sa.String(length=100), server_default="", nullable=False),
        sa.Column("progress", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column("horizon_months", sa.SmallInteger(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=True),
        sa.Column("card", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.CheckConstraint("status IN ('running', 'done', 'failed')", name=op.f("ck_attrition_run_status_known")),
        sa.CheckConstraint("progress BETWEEN 0 AND 100", name=op.f("ck_attrition_run_progress_range")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attrition_run")),
    )
    op.create_index("ix_attrition_run_finished", "attrition_run", ["status", "finished_at"])
    op.create_table(
        "attrition_score",
        sa.Column("run_id", sa.UUID(), nullable=False),
        sa.Column("employee_no", sa.String(length=50), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("department_path", sa.String(length=2000), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("risk", sa.Float(), nullable=True),
        sa.Column("flags", sa.SmallInteger(), nullable=True),
        sa.Column("reasons", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("indicators", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.CheckConstraint("level IN ('high', 'medium', 'low')", name=op.f("ck_attrition_score_level_known")),
        sa.ForeignKeyConstraint(["run_id"], ["attrition_run.id"], name=op.f("fk_attrition_score_run_id_attrition_run"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("run_id", "employee_no", name=op.f("pk_attrition_score")),
    )
    op.create_index("ix_attrition_score_rank", "attrition_score", ["run_id", "rank"])
    op.create_table(
        "attrition_read",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.UUID(), nullable=True),
        sa.Column("reader", sa.String(length=200), nullable=False),
        sa.Column("roles", postgresql.ARRAY(sa.String(length=30)), nullable=False),
        sa.Column("department_code", sa.String(length=50), nullable=True),
        sa.Column("level", sa.String(length=10), nullable=True),
        sa.Column("format", sa.String(length=10), nullable=False),
        sa.Column("employees_shown", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.String(length=200), nullable=True),
        sa.Column("read_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attrition_read")),
    )
    op.create_table(
        "attrition_digest",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("week", sa.String(length=10), nullable=False),
        sa.Column("department_code", sa.String(length=50), nullable=False),
        sa.Column("run_id", sa.UUID(), nullable=False),
        sa.Column("high_risk", postgresql.ARRAY(sa.String(length=50)), nullable=False),
        sa.Column("new", postgresql.ARRAY(sa.String(length=50)), nullable=False),
        sa.Column("managers", postgresql.ARRAY(sa.String(length=50)), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["attrition_run.id"], name=op.f("fk_attrition_digest_run_id_attrition_run"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attrition_digest")),
        sa.UniqueConstraint("week", "department_code", name=op.f("uq_attrition_digest_week_department_code")),
    )


def downgrade() -> None:
    op.drop_table("attrition_digest")
    op.drop_table("attrition_read")
    op.drop_index("ix_attrition_score_rank", table_name="attrition_score")
    op.drop_table("attrition_score")
    op.drop_index("ix_attrition_run_finished", table_name="attrition_run")
    op.drop_table("attrition_run")
    op.drop_column("department", "manager_nos")
    op.drop_constraint(op.f("ck_employee_left_on_only_when_left"), "employee", type_="check")
    op.drop_column("employee", "left_on")
