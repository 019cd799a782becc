"""rewards mall: catalogue items with stock, voucher code pools, redemptions,
per-period limit counters and integration events

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 19:47:57.974783
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('reward_item',
    sa.Column('code', sa.String(length=50), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('leave_days', sa.Numeric(precision=5, scale=1), nullable=True),
    sa.Column('subsidy_amount', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('cost_points', sa.Integer(), nullable=False),
    sa.Column('stock_total', sa.Integer(), nullable=True),
    sa.Column('stock_remaining', sa.Integer(), nullable=True),
    sa.Column('stock_reserved', sa.Integer(), server_default='0', nullable=False),
    sa.Column('stock_issued', sa.Integer(), server_default='0', nullable=False),
    sa.Column('limit_count', sa.Integer(), nullable=True),
    sa.Column('limit_period', sa.String(length=10), nullable=True),
    sa.Column('min_qualifying_points', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('role_families', postgresql.ARRAY(sa.String(length=20)), server_default=sa.text("'{}'::varchar[]"), nullable=False),
    sa.Column('department_codes', postgresql.ARRAY(sa.String(length=50)), server_default=sa.text("'{}'::varchar[]"), nullable=False),
    sa.Column('requires_approval', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('active_from', sa.DateTime(timezone=True), nullable=True),
    sa.Column('active_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_by', sa.String(length=200), nullable=False),
    sa.CheckConstraint("(kind = 'paid_leave') = (leave_days IS NOT NULL) AND (leave_days IS NULL OR leave_days > 0)", name=op.f('ck_reward_item_leave_days_for_leave')),
    sa.CheckConstraint("(kind = 'subsidy') = (subsidy_amount IS NOT NULL) AND (subsidy_amount IS NULL OR subsidy_amount > 0)", name=op.f('ck_reward_item_amount_for_subsidy')),
    sa.CheckConstraint("kind <> 'voucher' OR stock_total IS NOT NULL", name=op.f('ck_reward_item_voucher_stock_is_pool')),
    sa.CheckConstraint("kind IN ('paid_leave', 'subsidy', 'health_check', 'voucher', 'gift')", name=op.f('ck_reward_item_kind_known')),
    sa.CheckConstraint("limit_period IS NULL OR limit_period IN ('month', 'quarter', 'year')", name=op.f('ck_reward_item_limit_period_known')),
    sa.CheckConstraint('(limit_count IS NULL) = (limit_period IS NULL) AND (limit_count IS NULL OR limit_count > 0)', name=op.f('ck_reward_item_limit_complete')),
    sa.CheckConstraint('(stock_total IS NULL AND stock_remaining IS NULL) OR stock_remaining = stock_total - stock_reserved - stock_issued', name=op.f('ck_reward_item_stock_balanced')),
    sa.CheckConstraint('active_from IS NULL OR active_until IS NULL OR active_until > active_from', name=op.f('ck_reward_item_active_window_ordered')),
    sa.CheckConstraint('cost_points > 0', name=op.f('ck_reward_item_cost_positive')),
    sa.CheckConstraint('min_qualifying_points >= 0', name=op.f('ck_reward_item_min_points_not_negative')),
    sa.CheckConstraint('stock_remaining >= 0', name=op.f('ck_reward_item_stock_not_negative')),
    sa.CheckConstraint('stock_reserved >= 0 AND stock_issued >= 0', name=op.f('ck_reward_item_stock_counts_positive')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_reward_item'))
    )
    op.create_table('limit_usage',
    sa.Column('employee_no', sa.String(length=50), nullable=False),
    sa.Column('item_code', sa.String(length=50), nullable=False),
    sa.Column('period_key', sa.String(length=10), nullable=False),
    sa.Column('used', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('used >= 0', name=op.f('ck_limit_usage_used_not_negative')),
    sa.ForeignKeyConstraint(['item_code'], ['reward_item.code'], name=op.f('fk_limit_usage_item_code_reward_item'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('employee_no', 'item_code', 'period_key', name=op.f('pk_limit_usage'))
    )
    op.create_table('redemption',
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('employee_no', sa.String(length=50), nullable=False),
    sa.Column('item_code', sa.String(length=50), nullable=False),
    sa.Column('item_name', sa.String(length=200), nullable=False),
    sa.Column('item_kind', sa.String(length=20), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('unit_cost_points', sa.Integer(), nullable=False),
    sa.Column('points', sa.BigInteger(), nullable=False),
    sa.Column('leave_days', sa.Numeric(precision=7, scale=1), nullable=True),
    sa.Column('subsidy_amount', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('requires_approval', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('stock_tracked', sa.Boolean(), nullable=False),
    sa.Column('limit_period_key', sa.String(length=10), nullable=True),
    sa.Column('hold_expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('requested_by', sa.String(length=200), nullable=False),
    sa.Column('idempotency_key', sa.String(length=200), nullable=True),
    sa.Column('decided_by', sa.String(length=200), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_reason', sa.Text(), nullable=True),
    sa.Column('fulfilled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('failure_reason', sa.String(length=50), nullable=True),
    sa.Column('hold_check_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('hold_checks', sa.Integer(), server_default='0', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("status <> 'failed' OR failure_reason IS NOT NULL", name=op.f('ck_redemption_failed_has_reason')),
    sa.CheckConstraint("status <> 'fulfilled' OR fulfilled_at IS NOT NULL", name=op.f('ck_redemption_fulfilled_has_time')),
    sa.CheckConstraint("status IN ('reserving', 'pending_approval', 'fulfilled', 'rejected', 'cancelled', 'expired', 'failed')", name=op.f('ck_redemption_status_known')),
    sa.CheckConstraint('points > 0 AND points = unit_cost_points * quantity', name=op.f('ck_redemption_points_match_cost')),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_redemption_quantity_positive')),
    sa.ForeignKeyConstraint(['item_code'], ['reward_item.code'], name=op.f('fk_redemption_item_code_reward_item'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_redemption')),
    sa.UniqueConstraint('requested_by', 'idempotency_key', name=op.f('uq_redemption_requested_by_idempotency_key'))
    )
    op.create_index('ix_redemption_created', 'redemption', ['created_at', 'id'], unique=False)
    op.create_index('ix_redemption_employee_created', 'redemption', ['employee_no', 'created_at', 'id'], unique=False)
    op.create_index('ix_redemption_hold_check', 'redemption', ['hold_check_due_at'], unique=False, postgresql_where=sa.text('hold_check_due_at IS NOT NULL'))
    op.create_index('ix_redemption_item_created', 'redemption', ['item_code', 'created_at'], unique=False)
    op.create_index('ix_redemption_pending_expiry', 'redemption', ['hold_expires_at'], unique=False, postgresql_where=sa.text("status = 'pending_approval'"))
    op.create_index('ix_redemption_reserving', 'redemption', ['created_at'], unique=False, postgresql_where=sa.text("status = 'reserving'"))
    op.create_table('integration_event',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('event_id', sa.UUID(), nullable=False),
    sa.Column('event_type', sa.String(length=50), nullable=False),
    sa.Column('redemption_id', sa.UUID(), nullable=False),
    sa.Column('employee_no', sa.String(length=50), nullable=False),
    sa.Column('payload', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['redemption_id'], ['redemption.id'], name=op.f('fk_integration_event_redemption_id_redemption'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_integration_event')),
    sa.UniqueConstraint('event_id', name=op.f('uq_integration_event_event_id')),
    sa.UniqueConstraint('redemption_id', 'event_type', name=op.f('uq_integration_event_redemption_id_event_type'))
    )
    op.create_index('ix_integration_event_employee_id', 'integration_event', ['employee_no', 'id'], unique=False)
    op.create_index('ix_integration_event_type_id', 'integration_event', ['event_type', 'id'], unique=False)
    op.create_table('voucher_code',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('item_code', sa.String(length=50), nullable=False),
    sa.Column('code', sa.String(length=200), nullable=False),
    sa.Column('imported_by', sa.String(length=200), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('redemption_id', sa.UUID(), nullable=True),
    sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('(redemption_id IS NULL) = (assigned_at IS NULL)', name=op.f('ck_voucher_code_assignment_complete')),
    sa.ForeignKeyConstraint(['item_code'], ['reward_item.code'], name=op.f('fk_voucher_code_item_code_reward_item'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['redemption_id'], ['redemption.id'], name=op.f('fk_voucher_code_redemption_id_redemption'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_voucher_code')),
    sa.UniqueConstraint('item_code', 'code', name=op.f('uq_voucher_code_item_code_code')),
    sa.UniqueConstraint('redemption_id', name=op.f('uq_voucher_code_redemption_id'))
    )
    op.create_index('ix_voucher_code_available', 'voucher_code', ['item_code', 'id'], unique=False, postgresql_where=sa.text('redemption_id IS NULL'))


def downgrade() -> None:
    op.drop_index('ix_voucher_code_available', table_name='voucher_code', postgresql_where=sa.text('redemption_id IS NULL'))
    op.drop_table('voucher_code')
    op.drop_index('ix_integration_event_type_id', table_name='integration_event')
    op.drop_index('ix_integration_event_employee_id', table_name='integration_event')
    op.drop_table('integration_event')
    op.drop_index('ix_redemption_reserving', table_name='redemption', postgresql_where=sa.text("status = 'reserving'"))
    op.drop_index('ix_redemption_pending_expiry', table_name='redemption', postgresql_where=sa.text("status = 'pending_approval'"))
    op.drop_index('ix_redemption_item_created', table_name='redemption')
    op.drop_index('ix_redemption_hold_check', table_name='redemption', postgresql_where=sa.text('hold_check_due_at IS NOT NULL'))
    op.drop_index('ix_redemption_employee_created', table_name='redemption')
    op.drop_index('ix_redemption_created', table_name='redemption')
    op.drop_table('redemption')
    op.drop_table('limit_usage')
    op.drop_table('reward_item')
