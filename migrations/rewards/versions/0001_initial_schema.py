"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-26 19:23:13.925868
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('employee_copy',
    sa.Column('employee_no', sa.String(length=50), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('department_code', sa.String(length=50), nullable=False),
    sa.Column('department_path', postgresql.ARRAY(sa.String(length=50)), nullable=False),
    sa.Column('is_pilot', sa.Boolean(), nullable=False),
    sa.Column('job_role_code', sa.String(length=50), nullable=False),
    sa.Column('job_role_family', sa.String(length=20), nullable=False),
    sa.Column('is_front_line', sa.Boolean(), nullable=False),
    sa.Column('hired_on', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.Column('synced_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('employee_no', name=op.f('pk_employee_copy'))
    )
    op.create_index(op.f('ix_employee_copy_department_code'), 'employee_copy', ['department_code'], unique=False)
    op.create_index('ix_employee_copy_department_path', 'employee_copy', ['department_path'], unique=False, postgresql_using='gin')
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



def downgrade() -> None:

    op.drop_table('processed_event')
    op.drop_index('ix_outbox_event_pending', table_name='outbox_event', postgresql_where=sa.text('delivered_at IS NULL AND dead_at IS NULL'))
    op.drop_table('outbox_event')
    op.drop_table('idempotency_key')
    op.drop_index('ix_employee_copy_department_path', table_name='employee_copy', postgresql_using='gin')
    op.drop_index(op.f('ix_employee_copy_department_code'), table_name='employee_copy')
    op.drop_table('employee_copy')

