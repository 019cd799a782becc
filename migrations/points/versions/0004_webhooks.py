"""webhooks: subscriptions, published events, deliveries and their attempts

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 19:51:21.161025
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('webhook_event',
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('type', sa.String(length=64), nullable=False),
    sa.Column('payload', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_event'))
    )
    op.create_table('webhook_subscription',
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('event_types', postgresql.ARRAY(sa.String(length=64)), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('active', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('secret', sa.String(length=128), nullable=False),
    sa.Column('previous_secret', sa.String(length=128), nullable=True),
    sa.Column('previous_secret_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_by', sa.String(length=200), nullable=True),
    sa.Column('secret_rotated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('cardinality(event_types) > 0', name=op.f('ck_webhook_subscription_has_event_types')),
    sa.CheckConstraint('deleted_at IS NULL OR NOT active', name=op.f('ck_webhook_subscription_deleted_inactive')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_subscription'))
    )
    op.create_index('ix_webhook_subscription_active_types', 'webhook_subscription', ['event_types'], unique=False, postgresql_using='gin', postgresql_where=sa.text('active'))
    op.create_table('webhook_delivery',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('event_id', sa.UUID(), nullable=False),
    sa.Column('subscription_id', sa.UUID(), nullable=False),
    sa.Column('status', sa.String(length=10), server_default='pending', nullable=False),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('round_attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('lease_id', sa.UUID(), nullable=True),
    sa.Column('last_status_code', sa.Integer(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('dead_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('replays', sa.Integer(), server_default='0', nullable=False),
    sa.Column('replayed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('replayed_by', sa.String(length=200), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'delivered', 'dead')", name=op.f('ck_webhook_delivery_status_known')),
    sa.CheckConstraint('attempts >= round_attempts AND round_attempts >= 0', name=op.f('ck_webhook_delivery_attempts_consistent')),
    sa.ForeignKeyConstraint(['event_id'], ['webhook_event.id'], name=op.f('fk_webhook_delivery_event_id_webhook_event'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['subscription_id'], ['webhook_subscription.id'], name=op.f('fk_webhook_delivery_subscription_id_webhook_subscription'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_delivery')),
    sa.UniqueConstraint('event_id', 'subscription_id', name=op.f('uq_webhook_delivery_event_id_subscription_id'))
    )
    op.create_index('ix_webhook_delivery_due', 'webhook_delivery', ['next_attempt_at'], unique=False, postgresql_where=sa.text("status = 'pending'"))
    op.create_index('ix_webhook_delivery_subscription', 'webhook_delivery', ['subscription_id', 'id'], unique=False)
    op.create_table('webhook_attempt',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('delivery_id', sa.BigInteger(), nullable=False),
    sa.Column('attempt_no', sa.Integer(), nullable=False),
    sa.Column('attempted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('succeeded', sa.Boolean(), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('duration_ms', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('response_excerpt', sa.String(length=500), nullable=True),
    sa.CheckConstraint('attempt_no > 0', name=op.f('ck_webhook_attempt_attempt_no_positive')),
    sa.CheckConstraint('duration_ms >= 0', name=op.f('ck_webhook_attempt_duration_not_negative')),
    sa.ForeignKeyConstraint(['delivery_id'], ['webhook_delivery.id'], name=op.f('fk_webhook_attempt_delivery_id_webhook_delivery'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_attempt')),
    sa.UniqueConstraint('delivery_id', 'attempt_no', name=op.f('uq_webhook_attempt_delivery_id_attempt_no'))
    )


def downgrade() -> None:
    op.drop_table('webhook_attempt')
    op.drop_index('ix_webhook_delivery_subscription', table_name='webhook_delivery')
    op.drop_index('ix_webhook_delivery_due', table_name='webhook_delivery', postgresql_where=sa.text("status = 'pending'"))
    op.drop_table('webhook_delivery')
    op.drop_index('ix_webhook_subscription_active_types', table_name='webhook_subscription', postgresql_using='gin', postgresql_where=sa.text('active'))
    op.drop_table('webhook_subscription')
    op.drop_table('webhook_event')
