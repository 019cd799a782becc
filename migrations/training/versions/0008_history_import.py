"""history import: durable jobs, legacy records by legacy id, opening balances posted,
rejected rows and the reconciliation per employee; skill levels as training facts

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 15:19:54
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


FACT_TYPES_BEFORE = "('course_completion', 'live_interaction', 'study_note', 'exam_attempt', 'practical_assessment', 'skill_application')"
FACT_TYPES = "('course_completion', 'live_interaction', 'study_note', 'exam_attempt', 'practical_assessment', 'skill_application', 'skill_level')"


def _fact_types(types: str) -> None:
    op.drop_constraint(op.f("ck_training_fact_fact_type_known"), "training_fact", type_="check")
    op.create_check_constraint("fact_type_known", "training_fact", f"fact_type IN {types}")


def upgrade() -> None:
    _fact_types(FACT_TYPES)
    op.create_table('job',
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('kind', sa.String(length=50), nullable=False),
    sa.Column('status', sa.String(length=10), server_default='queued', nullable=False),
    sa.Column('params', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('input', sa.LargeBinary(), nullable=True),
    sa.Column('input_name', sa.String(length=255), nullable=True),
    sa.Column('progress', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('result', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('lease_id', sa.UUID(), nullable=True),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name=op.f('ck_job_status_known')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job'))
    )
    op.create_index('ix_job_due', 'job', ['created_at'], unique=False, postgresql_where=sa.text("status IN ('queued', 'running')"))
    op.create_index('ix_job_kind_created', 'job', ['kind', 'created_at'], unique=False)
    op.create_table('history_import_employee',
    sa.Column('import_id', sa.UUID(), nullable=False),
    sa.Column('employee_no', sa.String(length=50), nullable=False),
    sa.Column('records', sa.Integer(), nullable=False),
    sa.Column('legacy_points', sa.BigInteger(), nullable=True),
    sa.Column('jifen_points', sa.BigInteger(), nullable=True),
    sa.Column('by_category', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.ForeignKeyConstraint(['import_id'], ['job.id'], name=op.f('fk_history_import_employee_import_id_job'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('import_id', 'employee_no', name=op.f('pk_history_import_employee'))
    )
    op.create_table('history_rejected_row',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('import_id', sa.UUID(), nullable=False),
    sa.Column('line', sa.Integer(), nullable=False),
    sa.Column('legacy_id', sa.String(length=100), nullable=True),
    sa.Column('employee_no', sa.String(length=50), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['import_id'], ['job.id'], name=op.f('fk_history_rejected_row_import_id_job'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_history_rejected_row'))
    )
    op.create_index(op.f('ix_history_rejected_row_import_id'), 'history_rejected_row', ['import_id'], unique=False)
    op.create_table('history_opening_balance',
    sa.Column('employee_no', sa.String(length=50), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('points', sa.BigInteger(), nullable=False),
    sa.Column('cut_over_on', sa.String(length=10), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['employee_no'], ['employee.employee_no'], name=op.f('fk_history_opening_balance_employee_no_employee'), onupdate='CASCADE', ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('employee_no', 'category', name=op.f('pk_history_opening_balance'))
    )
    op.create_table('history_record',
    sa.Column('legacy_id', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('mode', sa.String(length=10), nullable=False),
    sa.Column('employee_no', sa.String(length=50), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('fact_id', sa.UUID(), nullable=False),
    sa.Column('fact_hash', sa.String(length=64), nullable=False),
    sa.Column('fact_pending', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('legacy_points', sa.Integer(), nullable=True),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('import_id', sa.UUID(), nullable=False),
    sa.Column('line', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("category IN ('participation', 'outcome', 'growth')", name=op.f('ck_history_record_category_known')),
    sa.CheckConstraint("kind IN ('course', 'exam', 'practical', 'skill_level')", name=op.f('ck_history_record_kind_known')),
    sa.CheckConstraint("mode IN ('replay', 'opening')", name=op.f('ck_history_record_mode_known')),
    sa.CheckConstraint('legacy_points IS NULL OR legacy_points >= 0', name=op.f('ck_history_record_legacy_points_not_negative')),
    sa.ForeignKeyConstraint(['employee_no'], ['employee.employee_no'], name=op.f('fk_history_record_employee_no_employee'), onupdate='CASCADE', ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['fact_id'], ['training_fact.id'], name=op.f('fk_history_record_fact_id_training_fact'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('legacy_id', name=op.f('pk_history_record')),
    sa.UniqueConstraint('fact_id', name=op.f('uq_history_record_fact_id'))
    )
    op.create_index('ix_history_record_employee_mode', 'history_record', ['employee_no', 'mode'], unique=False)
    op.create_table('skill_level_record',
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('skill_code', sa.String(length=50), nullable=False),
    sa.Column('level', sa.SmallInteger(), nullable=False),
    sa.CheckConstraint('level BETWEEN 1 AND 5', name=op.f('ck_skill_level_record_level_range')),
    sa.ForeignKeyConstraint(['id'], ['training_fact.id'], name=op.f('fk_skill_level_record_id_training_fact'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['skill_code'], ['skill.code'], name=op.f('fk_skill_level_record_skill_code_skill'), onupdate='CASCADE', ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_skill_level_record'))
    )
    op.create_index(op.f('ix_skill_level_record_skill_code'), 'skill_level_record', ['skill_code'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_history_record_employee_mode', table_name='history_record')
    op.drop_table('history_record')
    op.drop_table('history_opening_balance')
    op.drop_index(op.f('ix_history_rejected_row_import_id'), table_name='history_rejected_row')
    op.drop_table('history_rejected_row')
    op.drop_table('history_import_employee')
    op.drop_index('ix_job_kind_created', table_name='job')
    op.drop_index('ix_job_due', table_name='job', postgresql_where=sa.text("status IN ('queued', 'running')"))
    op.drop_table('job')
    op.execute("DELETE FROM training_fact WHERE fact_type = 'skill_level'")
    op.drop_index(op.f('ix_skill_level_record_skill_code'), table_name='skill_level_record')
    op.drop_table('skill_level_record')
    _fact_types(FACT_TYPES_BEFORE)
