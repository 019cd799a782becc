"""growth: leaderboard scopes, milestones, honours, streaks, notifications

period_total gains the scope keys of each employee (department subtree key, role
family, front-line flag), copied from employee_copy by two triggers: when a
period_total row is inserted, and when an employee's copy changes department,
family or front-line flag. Existing rows are filled here.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 19:56:05.081251
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "board_privacy",
        sa.Column("employee_no", sa.String(length=50), nullable=False),
        sa.Column("hide_name", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("employee_no", name=op.f("pk_board_privacy")),
    )
    op.create_table(
        "certification",
        sa.Column("code", sa.String(length=50), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("salary_raise_percent", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("validity_months", sa.Integer(), nullable=True),
        sa.Column("min_points", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("points_window_months", sa.Integer(), nullable=True),
        sa.Column(
            "required_skills",
            postgresql.ARRAY(sa.String(length=50)),
            server_default=sa.text("'{}'::varchar[]"),
            nullable=False,
        ),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "min_points >= 0", name=op.f("ck_certification_min_points_not_negative")
        ),
        sa.CheckConstraint(
            "points_window_months IS NULL OR points_window_months > 0",
            name=op.f("ck_certification_window_positive"),
        ),
        sa.CheckConstraint(
            "salary_raise_percent >= 0 AND salary_raise_percent <= 100",
            name=op.f("ck_certification_raise_in_range"),
        ),
        sa.CheckConstraint(
            "validity_months IS NULL OR validity_months > 0",
            name=op.f("ck_certification_validity_positive"),
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_certification")),
    )
    op.create_table(
        "honour_run",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("awarded", sa.Integer(), server_default="0", nullable=False),
        sa.Column("bonus_points", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column(
            "started_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("kind IN ('monthly', 'yearly')", name=op.f("ck_honour_run_kind_known")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_honour_run")),
    )
    op.create_index("ix_honour_run_period", "honour_run", ["kind", "period"], unique=False)
    op.create_table(
        "honour_setting",
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("config", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "kind IN ('monthly', 'yearly')", name=op.f("ck_honour_setting_kind_known")
        ),
        sa.PrimaryKeyConstraint("kind", name=op.f("pk_honour_setting")),
    )
    op.create_table(
        "milestone_sweep",
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("watermark", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_milestone_sweep")),
    )
    op.create_table(
        "notification",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("employee_no", sa.String(length=50), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), server_default="", nullable=False),
        sa.Column(
            "data",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("dedupe_key", sa.String(length=200), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "kind IN ('points_gained', 'points_reversed', 'rank_changed', "
            "'eligibility_reached', 'certification_granted', 'certification_revoked', "
            "'honour_won')",
            name=op.f("ck_notification_kind_known"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_notification_dedupe_key")),
    )
    op.create_index(
        "ix_notification_feed",
        "notification",
        ["employee_no", sa.literal_column("id DESC")],
        unique=False,
    )
    op.create_index(
        "ix_notification_unread",
        "notification",
        ["employee_no", sa.literal_column("id DESC")],
        unique=False,
        postgresql_where=sa.text("read_at IS NULL"),
    )
    op.create_table(
        "promotion_position",
        sa.Column("code", sa.String(length=50), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("min_tenure_months", sa.Integer(), nullable=True),
        sa.Column("min_points", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("points_window_months", sa.Integer(), nullable=True),
        sa.Column(
            "required_skills",
            postgresql.ARRAY(sa.String(length=50)),
            server_default=sa.text("'{}'::varchar[]"),
            nullable=False,
        ),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "min_points >= 0", name=op.f("ck_promotion_position_min_points_not_negative")
        ),
        sa.CheckConstraint(
            "points_window_months IS NULL OR points_window_months > 0",
            name=op.f("ck_promotion_position_window_positive"),
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_promotion_position")),
    )
    op.create_table(
        "streak_computation",
        sa.Column("month", sa.String(length=10), nullable=False),
        sa.Column("rule_id", sa.String(length=64), nullable=False),
        sa.Column(
            "condition",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("qualified", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "computed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("month", "rule_id", name=op.f("pk_streak_computation")),
    )
    op.create_table(
        "streak_qualification",
        sa.Column("employee_no", sa.String(length=50), nullable=False),
        sa.Column("month", sa.String(length=10), nullable=False),
        sa.Column("rule_id", sa.String(length=64), nullable=False),
        sa.Column(
            "qualified_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint(
            "employee_no", "month", "rule_id", name=op.f("pk_streak_qualification")
        ),
    )
    op.create_table(
        "certification_grant",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("certification_code", sa.String(length=50), nullable=False),
        sa.Column("employee_no", sa.String(length=50), nullable=False),
        sa.Column("status", sa.String(length=10), server_default="active", nullable=False),
        sa.Column("qualifying_points", sa.BigInteger(), nullable=False),
        sa.Column("salary_raise_percent", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column(
            "granted_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.String(length=200), nullable=True),
        sa.Column("revoke_reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "(status = 'revoked') = (revoked_at IS NOT NULL AND revoked_by IS NOT NULL "
            "AND revoke_reason IS NOT NULL)",
            name=op.f("ck_certification_grant_revocation_complete"),
        ),
        sa.CheckConstraint(
            "status IN ('active', 'revoked')", name=op.f("ck_certification_grant_status_known")
        ),
        sa.ForeignKeyConstraint(
            ["certification_code"],
            ["certification.code"],
            name=op.f("fk_certification_grant_certification_code_certification"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["employee_no"],
            ["account.employee_no"],
            name=op.f("fk_certification_grant_employee_no_account"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certification_grant")),
        sa.UniqueConstraint(
            "certification_code",
            "employee_no",
            name=op.f("uq_certification_grant_certification_code_employee_no"),
        ),
    )
    op.create_index(
        "ix_certification_grant_employee",
        "certification_grant",
        ["employee_no", "id"],
        unique=False,
    )
    op.create_table(
        "position_eligibility",
        sa.Column("employee_no", sa.String(length=50), nullable=False),
        sa.Column("position_code", sa.String(length=50), nullable=False),
        sa.Column("qualifying_points", sa.BigInteger(), nullable=False),
        sa.Column(
            "reached_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["position_code"],
            ["promotion_position.code"],
            name=op.f("fk_position_eligibility_position_code_promotion_position"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "employee_no", "position_code", name=op.f("pk_position_eligibility")
        ),
    )
    op.create_table(
        "honour",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("scope", sa.String(length=12), nullable=False),
        sa.Column("scope_value", sa.String(length=50), server_default="", nullable=False),
        sa.Column("employee_no", sa.String(length=50), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("bonus_points", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("entry_id", sa.BigInteger(), nullable=True),
        sa.Column("run_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "awarded_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("kind IN ('monthly', 'yearly')", name=op.f("ck_honour_kind_known")),
        sa.CheckConstraint(
            "scope IN ('company', 'department')", name=op.f("ck_honour_scope_known")
        ),
        sa.CheckConstraint("bonus_points >= 0", name=op.f("ck_honour_bonus_not_negative")),
        sa.ForeignKeyConstraint(
            ["employee_no"],
            ["account.employee_no"],
            name=op.f("fk_honour_employee_no_account"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["ledger_entry.id"],
            name=op.f("fk_honour_entry_id_ledger_entry"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["honour_run.id"],
            name=op.f("fk_honour_run_id_honour_run"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_honour")),
        sa.UniqueConstraint(
            "kind",
            "period",
            "scope",
            "scope_value",
            "employee_no",
            name=op.f("uq_honour_kind_period_scope_scope_value_employee_no"),
        ),
    )
    op.create_index("ix_honour_employee", "honour", ["employee_no"], unique=False)
    op.create_index(
        "ix_honour_roll", "honour", ["period", "kind", "scope", "scope_value", "rank"], unique=False
    )
    op.add_column(
        "period_total",
        sa.Column("department_key", sa.String(length=1000), server_default="", nullable=False),
    )
    op.add_column("period_total", sa.Column("job_role_family", sa.String(length=20), nullable=True))
    op.add_column(
        "period_total",
        sa.Column("is_front_line", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )
    _scope_triggers()
    op.create_index(
        "ix_period_total_board",
        "period_total",
        ["period", sa.literal_column("points DESC"), "employee_no"],
        unique=False,
    )
    op.create_index(
        "ix_period_total_department",
        "period_total",
        ["period", "department_key"],
        unique=False,
        postgresql_ops={"department_key": "text_pattern_ops"},
        postgresql_include=["points", "employee_no"],
    )
    op.create_index("ix_period_total_employee", "period_total", ["employee_no"], unique=False)
    op.create_index(
        "ix_period_total_family",
        "period_total",
        ["period", "job_role_family", sa.literal_column("points DESC"), "employee_no"],
        unique=False,
    )
    op.create_index(
        "ix_period_total_front_line",
        "period_total",
        ["period", sa.literal_column("points DESC"), "employee_no"],
        unique=False,
        postgresql_where=sa.text("is_front_line"),
    )


def _scope_triggers() -> None:
    op.execute(DEPARTMENT_KEY_FUNCTION)
    op.execute("""
        UPDATE period_total t SET department_key = department_key(c.department_path,
                                                                  c.department_code),
               job_role_family = c.job_role_family, is_front_line = c.is_front_line
        FROM employee_copy c WHERE c.employee_no = t.employee_no
    """)
    for statement in (*PERIOD_TOTAL_TRIGGER, *EMPLOYEE_COPY_TRIGGER):
        op.execute(statement)


DEPARTMENT_KEY_FUNCTION = """
CREATE FUNCTION department_key(path varchar[], code varchar) RETURNS varchar
LANGUAGE sql IMMUTABLE AS $$
    SELECT '/' || array_to_string(CASE WHEN path[cardinality(path)] = code THEN path
                                       ELSE path || code END, '/') || '/'
$$
"""

PERIOD_TOTAL_TRIGGER = (
    """
CREATE FUNCTION period_total_scope_keys() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    copy record;
BEGIN
    SELECT department_path, department_code, job_role_family, is_front_line INTO copy
    FROM employee_copy WHERE employee_no = NEW.employee_no;
    IF FOUND THEN
        NEW.department_key := department_key(copy.department_path, copy.department_code);
        NEW.job_role_family := copy.job_role_family;
        NEW.is_front_line := copy.is_front_line;
    END IF;
    RETURN NEW;
END $$
""",
    """
CREATE TRIGGER period_total_scope_keys BEFORE INSERT ON period_total
FOR EACH ROW EXECUTE FUNCTION period_total_scope_keys()
""",
)

EMPLOYEE_COPY_TRIGGER = (
    """
CREATE FUNCTION employee_copy_scope_keys() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE period_total
    SET department_key = department_key(NEW.department_path, NEW.department_code),
        job_role_family = NEW.job_role_family, is_front_line = NEW.is_front_line
    WHERE employee_no = NEW.employee_no
      AND (department_key, job_role_family, is_front_line) IS DISTINCT FROM
          (department_key(NEW.department_path, NEW.department_code), NEW.job_role_family,
           NEW.is_front_line);
    RETURN NULL;
END $$
""",
    """
CREATE TRIGGER employee_copy_scope_keys
AFTER INSERT OR UPDATE OF department_path, department_code, job_role_family, is_front_line
ON employee_copy FOR EACH ROW EXECUTE FUNCTION employee_copy_scope_keys()
""",
)


def downgrade() -> None:
    op.execute("DROP TRIGGER employee_copy_scope_keys ON employee_copy")
    op.execute("DROP FUNCTION employee_copy_scope_keys()")
    op.execute("DROP TRIGGER period_total_scope_keys ON period_total")
    op.execute("DROP FUNCTION period_total_scope_keys()")
    op.execute("DROP FUNCTION department_key(varchar[], varchar)")
    op.drop_index(
        "ix_period_total_front_line",
        table_name="period_total",
        postgresql_where=sa.text("is_front_line"),
    )
    op.drop_index("ix_period_total_family", table_name="period_total")
    op.drop_index("ix_period_total_employee", table_name="period_total")
    op.drop_index(
        "ix_period_total_department",
        table_name="period_total",
        postgresql_ops={"department_key": "text_pattern_ops"},
        postgresql_include=["points", "employee_no"],
    )
    op.drop_index("ix_period_total_board", table_name="period_total")
    op.drop_column("period_total", "is_front_line")
    op.drop_column("period_total", "job_role_family")
    op.drop_column("period_total", "department_key")
    op.drop_index("ix_honour_roll", table_name="honour")
    op.drop_index("ix_honour_employee", table_name="honour")
    op.drop_table("honour")
    op.drop_table("position_eligibility")
    op.drop_index("ix_certification_grant_employee", table_name="certification_grant")
    op.drop_table("certification_grant")
    op.drop_table("streak_qualification")
    op.drop_table("streak_computation")
    op.drop_table("promotion_position")
    op.drop_index(
        "ix_notification_unread",
        table_name="notification",
        postgresql_where=sa.text("read_at IS NULL"),
    )
    op.drop_index("ix_notification_feed", table_name="notification")
    op.drop_table("notification")
    op.drop_table("milestone_sweep")
    op.drop_table("honour_setting")
    op.drop_index("ix_honour_run_period", table_name="honour_run")
    op.drop_table("honour_run")
    op.drop_table("certification")
    op.drop_table("board_privacy")
