"""holds

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 19:46:43.219170
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('hold',
    sa.Column('hold_id', sa.UUID(), nullable=False),
    sa.Column('employee_no', sa.String(length=50), nullable=False),
    sa.Column('points', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=10), server_default='active', nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('settled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('spend_entry_id', sa.BigInteger(), nullable=True),
    sa.CheckConstraint("(status = 'captured') = (spend_entry_id IS NOT NULL)", name=op.f('ck_hold_captured_has_entry')),
    sa.CheckConstraint("status IN ('active', 'captured', 'released', 'expired')", name=op.f('ck_hold_status_known')),
    sa.CheckConstraint('points > 0', name=op.f('ck_hold_points_positive')),
    sa.ForeignKeyConstraint(['employee_no'], ['account.employee_no'], name=op.f('fk_hold_employee_no_account'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['spend_entry_id'], ['ledger_entry.id'], name=op.f('fk_hold_spend_entry_id_ledger_entry'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('hold_id', name=op.f('pk_hold'))
    )
    op.create_index('ix_hold_active_expiry', 'hold', ['expires_at'], unique=False, postgresql_where=sa.text("status = 'active'"))
    op.create_index(op.f('ix_hold_employee_no'), 'hold', ['employee_no'], unique=False)



def downgrade() -> None:

    op.drop_index(op.f('ix_hold_employee_no'), table_name='hold')
    op.drop_index('ix_hold_active_expiry', table_name='hold', postgresql_where=sa.text("status = 'active'"))
    op.drop_table('hold')

