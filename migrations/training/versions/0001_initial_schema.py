"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-26 19:23:06.545442
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE SEQUENCE employee_version_seq")
    op.create_table('department',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=50), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('path', sa.String(length=2000), nullable=False),
    sa.Column('is_pilot', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('parent_id IS NULL OR parent_id <> id', name=op.f('ck_department_not_own_parent')),
    sa.ForeignKeyConstraint(['parent_id'], ['department.id'], name=op.f('fk_department_parent_id_department'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_department')),
    sa.UniqueConstraint('code', name=op.f('uq_department_code'))
    )
    op.create_index(op.f('ix_department_parent_id'), 'department', ['parent_id'], unique=False)
    op.create_index(op.f('ix_department_path'), 'department', ['path'], unique=False)
    op.create_index('ix_department_path_pattern', 'department', ['path'], unique=False, postgresql_ops={'path': 'text_pattern_ops'})
    op.create_table('idempotency_key',
    sa.Column('scope', sa.String(length=200), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('response_headers', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('response_body', sa.LargeBinary(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('scope', 'key', name=op.f('pk_idempotency_key'))
    )
    op.create_table('job_role',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=50), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('family', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("family IN ('production', 'technical', 'quality', 'management', 'logistics', 'other')", name=op.f('ck_job_role_family_known')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_role')),
    sa.UniqueConstraint('code', name=op.f('uq_job_role_code'))
    )
    op.create_table('outbox_event',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('event_id', sa.UUID(), nullable=False),
    sa.Column('event_type', sa.String(length=100), nullable=False),
    sa.Column('destination', sa.String(length=50), nullable=False),
    sa.Column('payload', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('available_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('dead_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_event')),
    sa.UniqueConstraint('event_id', 'destination', name=op.f('uq_outbox_event_event_id_destination'))
    )
    op.create_index('ix_outbox_event_pending', 'outbox_event', ['available_at'], unique=False, postgresql_where=sa.text('delivered_at IS NULL AND dead_at IS NULL'))
    op.create_table('processed_event',
    sa.Column('event_id', sa.UUID(), nullable=False),
    sa.Column('event_type', sa.String(length=100), nullable=False),
    sa.Column('producer', sa.String(length=50), nullable=False),
    sa.Column('processed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('event_id', name=op.f('pk_processed_event'))
    )
    op.create_table('skill',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=50), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.String(length=2000), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_skill')),
    sa.UniqueConstraint('code', name=op.f('uq_skill_code'))
    )
    op.create_table('employee',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('employee_no', sa.String(length=50), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('job_role_id', sa.Integer(), nullable=False),
    sa.Column('is_front_line', sa.Boolean(), nullable=False),
    sa.Column('hired_on', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('version', sa.BigInteger(), server_default=sa.text("nextval('employee_version_seq')"), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("status IN ('active', 'left')", name=op.f('ck_employee_status_known')),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_employee_department_id_department'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['job_role_id'], ['job_role.id'], name=op.f('fk_employee_job_role_id_job_role'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_employee')),
    sa.UniqueConstraint('employee_no', name=op.f('uq_employee_employee_no'))
    )
    op.create_index(op.f('ix_employee_department_id'), 'employee', ['department_id'], unique=False)
    op.create_index(op.f('ix_employee_job_role_id'), 'employee', ['job_role_id'], unique=False)
    op.create_table('job_role_skill',
    sa.Column('job_role_id', sa.Integer(), nullable=False),
    sa.Column('skill_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.SmallInteger(), nullable=False),
    sa.CheckConstraint('level BETWEEN 1 AND 5', name=op.f('ck_job_role_skill_level_range')),
    sa.ForeignKeyConstraint(['job_role_id'], ['job_role.id'], name=op.f('fk_job_role_skill_job_role_id_job_role'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['skill_id'], ['skill.id'], name=op.f('fk_job_role_skill_skill_id_skill'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('job_role_id', 'skill_id', name=op.f('pk_job_role_skill'))
    )
    op.create_index(op.f('ix_job_role_skill_skill_id'), 'job_role_skill', ['skill_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_job_role_skill_skill_id'), table_name='job_role_skill')
    op.drop_table('job_role_skill')
    op.drop_index(op.f('ix_employee_job_role_id'), table_name='employee')
    op.drop_index(op.f('ix_employee_department_id'), table_name='employee')
    op.drop_table('employee')
    op.drop_table('skill')
    op.drop_table('processed_event')
    op.drop_index('ix_outbox_event_pending', table_name='outbox_event', postgresql_where=sa.text('delivered_at IS NULL AND dead_at IS NULL'))
    op.drop_table('outbox_event')
    op.drop_table('job_role')
    op.drop_table('idempotency_key')
    op.drop_index('ix_department_path_pattern', table_name='department', postgresql_ops={'path': 'text_pattern_ops'})
    op.drop_index(op.f('ix_department_path'), table_name='department')
    op.drop_index(op.f('ix_department_parent_id'), table_name='department')
    op.drop_table('department')
    op.execute("DROP SEQUENCE employee_version_seq")
