"""what-if: the training event log and rule simulations

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 22:30:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "training_event_log",
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("event_id", sa.UUID(), nullable=False),
        sa.Column("event_type", sa.String(length=100), nullable=False),
        sa.Column("employee_no", sa.String(length=50), nullable=False),
        sa.Column("fact_id", sa.String(length=64), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("employee", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_training_event_log")),
        sa.UniqueConstraint("event_id", name=op.f("uq_training_event_log_event_id")),
    )
    op.create_index("ix_training_event_log_occurred", "training_event_log", ["occurred_at"])
    op.create_table(
        "rule_simulation",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("rule_set_version", sa.Integer(), nullable=False),
        sa.Column("window_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("window_to", sa.DateTime(timezone=True), nullable=False),
        sa.Column("department_code", sa.String(length=50), nullable=True),
        sa.Column("rules", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("status", sa.String(length=10), server_default="running", nullable=False),
        sa.Column("events_total", sa.BigInteger(), nullable=True),
        sa.Column("events_done", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("summary", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("applied_by", sa.String(length=200), nullable=True),
        sa.Column("apply_reason", sa.Text(), nullable=True),
        sa.Column("applied_entries", sa.Integer(), nullable=True),
        sa.Column("applied_points", sa.BigInteger(), nullable=True),
        sa.CheckConstraint("status IN ('running', 'done', 'failed')",
                           name=op.f("ck_rule_simulation_status_known")),
        sa.CheckConstraint("window_from < window_to",
                           name=op.f("ck_rule_simulation_window_ordered")),
        sa.CheckConstraint("applied_at IS NULL OR status = 'done'",
                           name=op.f("ck_rule_simulation_applied_when_done")),
        sa.ForeignKeyConstraint(["rule_set_version"], ["rule_set.version"],
                                name=op.f("fk_rule_simulation_rule_set_version_rule_set"),
                                ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rule_simulation")),
    )
    op.create_index("ix_rule_simulation_created", "rule_simulation",
                    [sa.text("created_at DESC"), "id"])
    op.create_table(
        "rule_simulation_employee",
        sa.Column("simulation_id", sa.UUID(), nullable=False),
        sa.Column("employee_no", sa.String(length=50), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("actual_points", sa.BigInteger(), nullable=False),
        sa.Column("simulated_points", sa.BigInteger(), nullable=False),
        sa.Column("difference", sa.BigInteger(), nullable=False),
        sa.Column("actual_by_category", postgresql.JSONB(astext_type=sa.Text()),
                  nullable=False),
        sa.Column("simulated_by_category", postgresql.JSONB(astext_type=sa.Text()),
                  nullable=False),
        sa.Column("milestones_gained", postgresql.ARRAY(sa.String(length=120)),
                  server_default=sa.text("'{}'::varchar[]"), nullable=False),
        sa.Column("milestones_lost", postgresql.ARRAY(sa.String(length=120)),
                  server_default=sa.text("'{}'::varchar[]"), nullable=False),
        sa.ForeignKeyConstraint(["simulation_id"], ["rule_simulation.id"],
                                name=op.f("fk_rule_simulation_employee_simulation_id_rule_simulation"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("simulation_id", "employee_no",
                                name=op.f("pk_rule_simulation_employee")),
    )
    op.create_index("ix_rule_simulation_employee_difference", "rule_simulation_employee",
                    ["simulation_id", "difference", "employee_no"])
    # An adjustment that takes away more than is left may move only one of its two parts.
    # Added NOT VALID, then validated: validating scans the ledger without blocking writes.
    op.drop_constraint(op.f("ck_ledger_entry_adjust_complete"), "ledger_entry", type_="check")
    op.execute("ALTER TABLE ledger_entry ADD CONSTRAINT ck_ledger_entry_adjust_complete CHECK "
               "(kind <> 'adjust' OR ((amount <> 0 OR qualifying_amount <> 0) "
               "AND actor IS NOT NULL)) NOT VALID")
    op.execute("ALTER TABLE ledger_entry VALIDATE CONSTRAINT ck_ledger_entry_adjust_complete")


def downgrade() -> None:
    # entries written meanwhile may break the older rule: it holds for new rows only
    op.drop_constraint(op.f("ck_ledger_entry_adjust_complete"), "ledger_entry", type_="check")
    op.execute("ALTER TABLE ledger_entry ADD CONSTRAINT ck_ledger_entry_adjust_complete CHECK "
               "(kind <> 'adjust' OR (amount <> 0 AND actor IS NOT NULL)) NOT VALID")
    op.drop_index("ix_rule_simulation_employee_difference",
                  table_name="rule_simulation_employee")
    op.drop_table("rule_simulation_employee")
    op.drop_index("ix_rule_simulation_created", table_name="rule_simulation")
    op.drop_table("rule_simulation")
    op.drop_index("ix_training_event_log_occurred", table_name="training_event_log")
    op.drop_table("training_event_log")
