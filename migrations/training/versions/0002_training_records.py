"""training records: the course catalogue, training facts and skill records

Courses (with the skills they teach) and their exams; one ``training_fact`` row
per recorded fact plus a row in the table of its kind; ``employee_skill`` rows
tie a held skill to each fact that proves it.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 19:32:40.735616
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('course',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=50), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('format', sa.String(length=20), nullable=False),
    sa.Column('difficulty', sa.String(length=20), nullable=False),
    sa.Column('class_hours', sa.Numeric(precision=6, scale=2), nullable=False),
    sa.Column('tags', postgresql.ARRAY(sa.String(length=50)), server_default=sa.text("'{}'"), nullable=False),
    sa.Column('points', sa.Integer(), nullable=True),
    sa.Column('role_points', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'"), nullable=False),
    sa.Column('family_points', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'"), nullable=False),
    sa.Column('description', sa.String(length=2000), nullable=True),
    sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('archived_by', sa.String(length=100), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("difficulty IN ('basic', 'intermediate', 'advanced')", name=op.f('ck_course_difficulty_known')),
    sa.CheckConstraint("format IN ('online', 'offline', 'live', 'practical')", name=op.f('ck_course_format_known')),
    sa.CheckConstraint('class_hours > 0 AND class_hours <= 1000', name=op.f('ck_course_class_hours_range')),
    sa.CheckConstraint('points IS NULL OR points >= 0', name=op.f('ck_course_points_non_negative')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_course')),
    sa.UniqueConstraint('code', name=op.f('uq_course_code'))
    )
    op.create_index('ix_course_tags', 'course', ['tags'], unique=False, postgresql_using='gin')
    op.create_table('course_skill',
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('skill_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_course_skill_course_id_course'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['skill_id'], ['skill.id'], name=op.f('fk_course_skill_skill_id_skill'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('course_id', 'skill_id', name=op.f('pk_course_skill'))
    )
    op.create_index(op.f('ix_course_skill_skill_id'), 'course_skill', ['skill_id'], unique=False)
    op.create_table('exam',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=50), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('pass_score', sa.SmallInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('pass_score BETWEEN 0 AND 100', name=op.f('ck_exam_pass_score_range')),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_exam_course_id_course'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exam')),
    sa.UniqueConstraint('code', name=op.f('uq_exam_code'))
    )
    op.create_index(op.f('ix_exam_course_id'), 'exam', ['course_id'], unique=False)
    op.create_table('training_fact',
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('fact_type', sa.String(length=30), nullable=False),
    sa.Column('employee_no', sa.String(length=50), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('client_id', sa.UUID(), nullable=True),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('recorded_by', sa.String(length=200), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('event_outbox_id', sa.BigInteger(), nullable=True),
    sa.Column('voided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('voided_by', sa.String(length=200), nullable=True),
    sa.Column('void_reason', sa.String(length=500), nullable=True),
    sa.CheckConstraint("fact_type IN ('course_completion', 'live_interaction', 'study_note', 'exam_attempt', 'practical_assessment', 'skill_application')", name=op.f('ck_training_fact_fact_type_known')),
    sa.CheckConstraint('(voided_at IS NULL) = (voided_by IS NULL) AND (voided_at IS NULL) = (void_reason IS NULL)', name=op.f('ck_training_fact_void_complete')),
    sa.ForeignKeyConstraint(['employee_no'], ['employee.employee_no'], name=op.f('fk_training_fact_employee_no_employee'), onupdate='CASCADE', ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_fact')),
    sa.UniqueConstraint('fact_type', 'client_id', name=op.f('uq_training_fact_fact_type_client_id'))
    )
    op.create_index('ix_training_fact_employee', 'training_fact', ['employee_no', 'fact_type', 'occurred_at'], unique=False)
    op.create_index('ix_training_fact_type_occurred', 'training_fact', ['fact_type', 'occurred_at', 'id'], unique=False)
    op.create_table('course_completion',
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('course_code', sa.String(length=50), nullable=False),
    sa.Column('hours_attended', sa.Numeric(precision=6, scale=2), nullable=True),
    sa.ForeignKeyConstraint(['course_code'], ['course.code'], name=op.f('fk_course_completion_course_code_course'), onupdate='CASCADE', ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['id'], ['training_fact.id'], name=op.f('fk_course_completion_id_training_fact'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_course_completion'))
    )
    op.create_index(op.f('ix_course_completion_course_code'), 'course_completion', ['course_code'], unique=False)
    op.create_table('employee_skill',
    sa.Column('employee_no', sa.String(length=50), nullable=False),
    sa.Column('skill_code', sa.String(length=50), nullable=False),
    sa.Column('fact_id', sa.UUID(), nullable=False),
    sa.Column('proven_by', sa.String(length=30), nullable=False),
    sa.Column('since', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['employee_no'], ['employee.employee_no'], name=op.f('fk_employee_skill_employee_no_employee'), onupdate='CASCADE', ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['fact_id'], ['training_fact.id'], name=op.f('fk_employee_skill_fact_id_training_fact'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['skill_code'], ['skill.code'], name=op.f('fk_employee_skill_skill_code_skill'), onupdate='CASCADE', ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('employee_no', 'skill_code', 'fact_id', name=op.f('pk_employee_skill'))
    )
    op.create_index(op.f('ix_employee_skill_fact_id'), 'employee_skill', ['fact_id'], unique=False)
    op.create_table('exam_attempt',
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('exam_code', sa.String(length=50), nullable=False),
    sa.Column('score', sa.SmallInteger(), nullable=False),
    sa.Column('pass_score', sa.SmallInteger(), nullable=False),
    sa.Column('passed', sa.Boolean(), nullable=False),
    sa.CheckConstraint('score BETWEEN 0 AND 100', name=op.f('ck_exam_attempt_score_range')),
    sa.ForeignKeyConstraint(['exam_code'], ['exam.code'], name=op.f('fk_exam_attempt_exam_code_exam'), onupdate='CASCADE', ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['id'], ['training_fact.id'], name=op.f('fk_exam_attempt_id_training_fact'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exam_attempt'))
    )
    op.create_index(op.f('ix_exam_attempt_exam_code'), 'exam_attempt', ['exam_code'], unique=False)
    op.create_table('live_interaction',
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('course_code', sa.String(length=50), nullable=True),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.CheckConstraint("kind IN ('speak', 'question')", name=op.f('ck_live_interaction_kind_known')),
    sa.ForeignKeyConstraint(['course_code'], ['course.code'], name=op.f('fk_live_interaction_course_code_course'), onupdate='CASCADE', ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['id'], ['training_fact.id'], name=op.f('fk_live_interaction_id_training_fact'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_live_interaction'))
    )
    op.create_index(op.f('ix_live_interaction_course_code'), 'live_interaction', ['course_code'], unique=False)
    op.create_table('practical_assessment',
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('skill_code', sa.String(length=50), nullable=False),
    sa.Column('passed', sa.Boolean(), nullable=False),
    sa.Column('assessor', sa.String(length=200), nullable=False),
    sa.Column('remarks', sa.String(length=2000), nullable=True),
    sa.ForeignKeyConstraint(['id'], ['training_fact.id'], name=op.f('fk_practical_assessment_id_training_fact'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['skill_code'], ['skill.code'], name=op.f('fk_practical_assessment_skill_code_skill'), onupdate='CASCADE', ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_practical_assessment'))
    )
    op.create_index(op.f('ix_practical_assessment_skill_code'), 'practical_assessment', ['skill_code'], unique=False)
    op.create_table('skill_application',
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('skill_code', sa.String(length=50), nullable=True),
    sa.Column('summary', sa.String(length=2000), nullable=False),
    sa.Column('metric_name', sa.String(length=100), nullable=False),
    sa.Column('metric_before', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('metric_after', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('work_order_ref', sa.String(length=100), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by', sa.String(length=200), nullable=True),
    sa.Column('confirmed_points', sa.Integer(), nullable=True),
    sa.Column('rule_id', sa.String(length=100), nullable=True),
    sa.Column('rule_set_version', sa.Integer(), nullable=True),
    sa.Column('reject_reason', sa.String(length=500), nullable=True),
    sa.CheckConstraint("(status = 'submitted') = (decided_at IS NULL)", name=op.f('ck_skill_application_decision_complete')),
    sa.CheckConstraint("status <> 'confirmed' OR confirmed_points IS NOT NULL", name=op.f('ck_skill_application_confirmed_has_points')),
    sa.CheckConstraint("status <> 'rejected' OR reject_reason IS NOT NULL", name=op.f('ck_skill_application_rejected_has_reason')),
    sa.CheckConstraint("status IN ('submitted', 'confirmed', 'rejected')", name=op.f('ck_skill_application_status_known')),
    sa.ForeignKeyConstraint(['id'], ['training_fact.id'], name=op.f('fk_skill_application_id_training_fact'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['skill_code'], ['skill.code'], name=op.f('fk_skill_application_skill_code_skill'), onupdate='CASCADE', ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_skill_application'))
    )
    op.create_index(op.f('ix_skill_application_skill_code'), 'skill_application', ['skill_code'], unique=False)
    op.create_table('study_note',
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('url', sa.String(length=2000), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reviewed_by', sa.String(length=200), nullable=True),
    sa.Column('featured', sa.Boolean(), nullable=True),
    sa.CheckConstraint('(reviewed_at IS NULL) = (featured IS NULL)', name=op.f('ck_study_note_review_complete')),
    sa.CheckConstraint('body IS NOT NULL OR url IS NOT NULL', name=op.f('ck_study_note_has_content')),
    sa.ForeignKeyConstraint(['id'], ['training_fact.id'], name=op.f('fk_study_note_id_training_fact'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_study_note'))
    )


def downgrade() -> None:
    op.drop_table('study_note')
    op.drop_index(op.f('ix_skill_application_skill_code'), table_name='skill_application')
    op.drop_table('skill_application')
    op.drop_index(op.f('ix_practical_assessment_skill_code'), table_name='practical_assessment')
    op.drop_table('practical_assessment')
    op.drop_index(op.f('ix_live_interaction_course_code'), table_name='live_interaction')
    op.drop_table('live_interaction')
    op.drop_index(op.f('ix_exam_attempt_exam_code'), table_name='exam_attempt')
    op.drop_table('exam_attempt')
    op.drop_index(op.f('ix_employee_skill_fact_id'), table_name='employee_skill')
    op.drop_table('employee_skill')
    op.drop_index(op.f('ix_course_completion_course_code'), table_name='course_completion')
    op.drop_table('course_completion')
    op.drop_index('ix_training_fact_type_occurred', table_name='training_fact')
    op.drop_index('ix_training_fact_employee', table_name='training_fact')
    op.drop_table('training_fact')
    op.drop_index(op.f('ix_exam_course_id'), table_name='exam')
    op.drop_table('exam')
    op.drop_index(op.f('ix_course_skill_skill_id'), table_name='course_skill')
    op.drop_table('course_skill')
    op.drop_index('ix_course_tags', table_name='course', postgresql_using='gin')
    op.drop_table('course')
