"""dashboard: training plans, surveys, feedback, production KPIs and pilot starts

Training plans (required courses for a role, a department subtree or a list of
employees, with a due date); surveys with their questions, one response per
employee and survey, and the training preferences that needs surveys set;
employees' feedback; departments' monthly production figures and the day their
pilot started; and an index on the standing training facts by time for the
participation reports.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 19:56:01.032591
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "department_kpi",
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("defect_rate", sa.Numeric(precision=7, scale=4), nullable=True),
        sa.Column("skill_defect_share", sa.Numeric(precision=7, scale=4), nullable=True),
        sa.Column("efficiency", sa.Numeric(precision=8, scale=4), nullable=True),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "source IN ('api', 'import')", name=op.f("ck_department_kpi_source_known")
        ),
        sa.CheckConstraint(
            "defect_rate IS NULL OR defect_rate BETWEEN 0 AND 100",
            name=op.f("ck_department_kpi_defect_rate_range"),
        ),
        sa.CheckConstraint(
            "efficiency IS NULL OR efficiency BETWEEN 0 AND 1000",
            name=op.f("ck_department_kpi_efficiency_range"),
        ),
        sa.CheckConstraint(
            "extract(day from month) = 1", name=op.f("ck_department_kpi_month_first_day")
        ),
        sa.CheckConstraint(
            "num_nonnulls(defect_rate, skill_defect_share, efficiency) > 0",
            name=op.f("ck_department_kpi_has_a_figure"),
        ),
        sa.CheckConstraint(
            "skill_defect_share IS NULL OR skill_defect_share BETWEEN 0 AND 100",
            name=op.f("ck_department_kpi_skill_defect_share_range"),
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["department.id"],
            name=op.f("fk_department_kpi_department_id_department"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("department_id", "month", name=op.f("pk_department_kpi")),
    )
    op.create_table(
        "pilot_phase",
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["department.id"],
            name=op.f("fk_pilot_phase_department_id_department"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("department_id", name=op.f("pk_pilot_phase")),
    )
    op.create_table(
        "survey",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=50), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=2000), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("opens_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("audience_department_id", sa.Integer(), nullable=True),
        sa.Column("audience_family", sa.String(length=20), nullable=True),
        sa.Column("audience_front_line", sa.Boolean(), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "kind IN ('satisfaction', 'training_needs', 'general')",
            name=op.f("ck_survey_kind_known"),
        ),
        sa.CheckConstraint(
            "closes_at IS NULL OR closes_at > opens_at", name=op.f("ck_survey_closes_after_opening")
        ),
        sa.ForeignKeyConstraint(
            ["audience_department_id"],
            ["department.id"],
            name=op.f("fk_survey_audience_department_id_department"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey")),
        sa.UniqueConstraint("code", name=op.f("uq_survey_code")),
    )
    op.create_table(
        "training_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=50), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("job_role_id", sa.Integer(), nullable=True),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("by_list", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "NOT by_list OR (job_role_id IS NULL AND department_id IS NULL)",
            name=op.f("ck_training_plan_one_kind_of_target"),
        ),
        sa.CheckConstraint(
            "by_list OR job_role_id IS NOT NULL OR department_id IS NOT NULL",
            name=op.f("ck_training_plan_has_target"),
        ),
        sa.CheckConstraint(
            "starts_on IS NULL OR starts_on <= due_on",
            name=op.f("ck_training_plan_starts_before_due"),
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["department.id"],
            name=op.f("fk_training_plan_department_id_department"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["job_role_id"],
            ["job_role.id"],
            name=op.f("fk_training_plan_job_role_id_job_role"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_plan")),
        sa.UniqueConstraint("code", name=op.f("uq_training_plan_code")),
    )
    op.create_index(
        op.f("ix_training_plan_department_id"), "training_plan", ["department_id"], unique=False
    )
    op.create_index(op.f("ix_training_plan_due_on"), "training_plan", ["due_on"], unique=False)
    op.create_index(
        op.f("ix_training_plan_job_role_id"), "training_plan", ["job_role_id"], unique=False
    )
    op.create_table(
        "employee_preference",
        sa.Column("employee_no", sa.String(length=50), nullable=False),
        sa.Column(
            "preferences",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["employee_no"],
            ["employee.employee_no"],
            name=op.f("fk_employee_preference_employee_no_employee"),
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("employee_no", name=op.f("pk_employee_preference")),
    )
    op.create_table(
        "feedback",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("employee_no", sa.String(length=50), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.UUID(), nullable=True),
        sa.Column("topic", sa.String(length=10), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column(
            "tags",
            postgresql.ARRAY(sa.String(length=50)),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=10), server_default="open", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("tagged_by", sa.String(length=200), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=200), nullable=True),
        sa.Column("resolution", sa.String(length=2000), nullable=True),
        sa.CheckConstraint(
            "(status = 'closed') = (closed_at IS NOT NULL)",
            name=op.f("ck_feedback_closed_complete"),
        ),
        sa.CheckConstraint("status IN ('open', 'closed')", name=op.f("ck_feedback_status_known")),
        sa.CheckConstraint(
            "topic IN ('rules', 'courses', 'rewards', 'other')",
            name=op.f("ck_feedback_topic_known"),
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["department.id"],
            name=op.f("fk_feedback_department_id_department"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["employee_no"],
            ["employee.employee_no"],
            name=op.f("fk_feedback_employee_no_employee"),
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback")),
        sa.UniqueConstraint(
            "employee_no", "client_id", name=op.f("uq_feedback_employee_no_client_id")
        ),
    )
    op.create_index("ix_feedback_status_id", "feedback", ["status", "id"], unique=False)
    op.create_index("ix_feedback_tags", "feedback", ["tags"], unique=False, postgresql_using="gin")
    op.create_table(
        "survey_question",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("code", sa.String(length=50), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column(
            "options",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'"),
            nullable=False,
        ),
        sa.Column("required", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("preference", sa.String(length=20), nullable=True),
        sa.CheckConstraint(
            "kind IN ('single_choice', 'scale', 'text')", name=op.f("ck_survey_question_kind_known")
        ),
        sa.CheckConstraint(
            "preference IS NULL OR preference IN ('format', 'length', 'time_of_day')",
            name=op.f("ck_survey_question_preference_known"),
        ),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["survey.id"],
            name=op.f("fk_survey_question_survey_id_survey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_question")),
        sa.UniqueConstraint(
            "survey_id", "position", name=op.f("uq_survey_question_survey_id_position")
        ),
    )
    op.create_table(
        "survey_response",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("employee_no", sa.String(length=50), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column(
            "recorded_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["department.id"],
            name=op.f("fk_survey_response_department_id_department"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["employee_no"],
            ["employee.employee_no"],
            name=op.f("fk_survey_response_employee_no_employee"),
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["survey.id"],
            name=op.f("fk_survey_response_survey_id_survey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_response")),
        sa.UniqueConstraint(
            "survey_id", "employee_no", name=op.f("uq_survey_response_survey_id_employee_no")
        ),
    )
    op.create_index("ix_survey_response_answered", "survey_response", ["answered_at"], unique=False)
    op.create_index(
        "ix_survey_response_survey_answered",
        "survey_response",
        ["survey_id", "answered_at"],
        unique=False,
    )
    op.create_table(
        "training_plan_course",
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("course_code", sa.String(length=50), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_code"],
            ["course.code"],
            name=op.f("fk_training_plan_course_course_code_course"),
            onupdate="CASCADE",
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["training_plan.id"],
            name=op.f("fk_training_plan_course_plan_id_training_plan"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("plan_id", "course_code", name=op.f("pk_training_plan_course")),
    )
    op.create_index(
        op.f("ix_training_plan_course_course_code"),
        "training_plan_course",
        ["course_code"],
        unique=False,
    )
    op.create_table(
        "training_plan_member",
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("employee_no", sa.String(length=50), nullable=False),
        sa.ForeignKeyConstraint(
            ["employee_no"],
            ["employee.employee_no"],
            name=op.f("fk_training_plan_member_employee_no_employee"),
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["training_plan.id"],
            name=op.f("fk_training_plan_member_plan_id_training_plan"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("plan_id", "employee_no", name=op.f("pk_training_plan_member")),
    )
    op.create_index(
        op.f("ix_training_plan_member_employee_no"),
        "training_plan_member",
        ["employee_no"],
        unique=False,
    )
    op.create_table(
        "survey_answer",
        sa.Column("response_id", sa.BigInteger(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("choice", sa.String(length=50), nullable=True),
        sa.Column("scale", sa.SmallInteger(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "num_nonnulls(choice, scale, text) = 1", name=op.f("ck_survey_answer_one_value")
        ),
        sa.CheckConstraint(
            "scale IS NULL OR scale BETWEEN 1 AND 5", name=op.f("ck_survey_answer_scale_range")
        ),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["survey_question.id"],
            name=op.f("fk_survey_answer_question_id_survey_question"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["survey_response.id"],
            name=op.f("fk_survey_answer_response_id_survey_response"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("response_id", "question_id", name=op.f("pk_survey_answer")),
    )
    op.create_index(
        op.f("ix_survey_answer_question_id"), "survey_answer", ["question_id"], unique=False
    )
    op.create_index(
        "ix_training_fact_standing_occurred",
        "training_fact",
        ["occurred_at", "employee_no"],
        unique=False,
        postgresql_where=sa.text("voided_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_training_fact_standing_occurred",
        table_name="training_fact",
        postgresql_where=sa.text("voided_at IS NULL"),
    )
    op.drop_index(op.f("ix_survey_answer_question_id"), table_name="survey_answer")
    op.drop_table("survey_answer")
    op.drop_index(op.f("ix_training_plan_member_employee_no"), table_name="training_plan_member")
    op.drop_table("training_plan_member")
    op.drop_index(op.f("ix_training_plan_course_course_code"), table_name="training_plan_course")
    op.drop_table("training_plan_course")
    op.drop_index("ix_survey_response_survey_answered", table_name="survey_response")
    op.drop_index("ix_survey_response_answered", table_name="survey_response")
    op.drop_table("survey_response")
    op.drop_table("survey_question")
    op.drop_index("ix_feedback_tags", table_name="feedback", postgresql_using="gin")
    op.drop_index("ix_feedback_status_id", table_name="feedback")
    op.drop_table("feedback")
    op.drop_table("employee_preference")
    op.drop_index(op.f("ix_training_plan_job_role_id"), table_name="training_plan")
    op.drop_index(op.f("ix_training_plan_due_on"), table_name="training_plan")
    op.drop_index(op.f("ix_training_plan_department_id"), table_name="training_plan")
    op.drop_table("training_plan")
    op.drop_table("survey")
    op.drop_table("pilot_phase")
    op.drop_table("department_kpi")
