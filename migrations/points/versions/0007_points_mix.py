"""points mix: the target mix HR sets, and an index for the mix of a period

The target mix is versioned (each change adds a version; the newest is in force).
The ledger gains an index on occurred_at that carries the columns the points mix
adds up (kind, category, rule_id, qualifying_amount, employee_no), so a period's
mix is an index-only range scan. Building it locks writes to the ledger while it
runs (about a minute at ten million entries); events wait in the producers'
outboxes meanwhile and nothing is lost. Index-only scans skip the table only for
pages vacuum has marked all-visible; the ledger only grows, and by default
autovacuum would visit it after every 20% of growth (two million entries at ten
million), so it is told to come every 2% instead: cheap on an insert-only table,
and the recent months HR looks at most stay index-only.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 09:00:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

CATEGORIES = ("participation", "outcome", "growth")


def upgrade() -> None:
    op.create_table(
        "points_mix_target_set",
        sa.Column("version", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("participation_percent", sa.Integer(), nullable=False),
        sa.Column("participation_tolerance_percent", sa.Integer(), nullable=False),
        sa.Column("outcome_percent", sa.Integer(), nullable=False),
        sa.Column("outcome_tolerance_percent", sa.Integer(), nullable=False),
        sa.Column("growth_percent", sa.Integer(), nullable=False),
        sa.Column("growth_tolerance_percent", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        *[sa.CheckConstraint(f"{c}_percent BETWEEN 0 AND 100",
                             name=op.f(f"ck_points_mix_target_set_{c}_target_range"))
          for c in CATEGORIES],
        *[sa.CheckConstraint(f"{c}_tolerance_percent BETWEEN 0 AND 100",
                             name=op.f(f"ck_points_mix_target_set_{c}_tolerance_range"))
          for c in CATEGORIES],
        sa.CheckConstraint("participation_percent + outcome_percent + growth_percent = 100",
                           name=op.f("ck_points_mix_target_set_targets_add_up")),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_points_mix_target_set")),
    )
    op.create_table(
        "points_mix_source_target",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=50), nullable=False),
        sa.Column("rule_ids", postgresql.ARRAY(sa.String(length=64)), nullable=False),
        sa.Column("min_percent", sa.Integer(), nullable=True),
        sa.Column("max_percent", sa.Integer(), nullable=True),
        sa.CheckConstraint("cardinality(rule_ids) >= 1",
                           name=op.f("ck_points_mix_source_target_has_rules")),
        sa.CheckConstraint("min_percent IS NOT NULL OR max_percent IS NOT NULL",
                           name=op.f("ck_points_mix_source_target_has_bound")),
        sa.CheckConstraint("min_percent IS NULL OR min_percent BETWEEN 0 AND 100",
                           name=op.f("ck_points_mix_source_target_min_in_range")),
        sa.CheckConstraint("max_percent IS NULL OR max_percent BETWEEN 0 AND 100",
                           name=op.f("ck_points_mix_source_target_max_in_range")),
        sa.CheckConstraint("min_percent IS NULL OR max_percent IS NULL OR min_percent <= max_percent",
                           name=op.f("ck_points_mix_source_target_min_not_above_max")),
        sa.ForeignKeyConstraint(["version"], ["points_mix_target_set.version"],
                                name=op.f("fk_points_mix_source_target_version_points_mix_target_set"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("version", "position", name=op.f("pk_points_mix_source_target")),
        sa.UniqueConstraint("version", "label",
                            name=op.f("uq_points_mix_source_target_version_label")),
    )
    op.create_index("ix_ledger_entry_occurred_mix", "ledger_entry", ["occurred_at"],
                    postgresql_include=["kind", "category", "rule_id", "qualifying_amount",
                                        "employee_no"])
    op.execute("ALTER TABLE ledger_entry SET (autovacuum_vacuum_insert_scale_factor = 0.02)")


def downgrade() -> None:
    op.execute("ALTER TABLE ledger_entry RESET (autovacuum_vacuum_insert_scale_factor)")
    op.drop_index("ix_ledger_entry_occurred_mix", table_name="ledger_entry")
    op.drop_table("points_mix_source_target")
    op.drop_table("points_mix_target_set")
