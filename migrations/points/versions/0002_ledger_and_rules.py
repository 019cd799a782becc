"""ledger and rules: rule sets, accounts, ledger entries, period totals, voided facts

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 19:28:21.371344
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # version 1 is the default rule set installed by the service on first start
    op.execute(sa.schema.CreateSequence(sa.Sequence('rule_set_version_seq', start=2)))
    op.create_table('account',
    sa.Column('employee_no', sa.String(length=50), nullable=False),
    sa.Column('balance', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('held', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('qualifying', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('participation_points', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('outcome_points', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('growth_points', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('balance - held >= 0', name=op.f('ck_account_spendable_not_negative')),
    sa.CheckConstraint('balance >= 0', name=op.f('ck_account_balance_not_negative')),
    sa.CheckConstraint('held >= 0', name=op.f('ck_account_held_not_negative')),
    sa.CheckConstraint('qualifying >= 0', name=op.f('ck_account_qualifying_not_negative')),
    sa.PrimaryKeyConstraint('employee_no', name=op.f('pk_account'))
    )
    op.create_table('period_total',
    sa.Column('period', sa.String(length=10), nullable=False),
    sa.Column('employee_no', sa.String(length=50), nullable=False),
    sa.Column('points', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('participation_points', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('outcome_points', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('growth_points', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('period', 'employee_no', name=op.f('pk_period_total'))
    )
    op.create_index('ix_period_total_rank', 'period_total', ['period', sa.literal_column('points DESC')], unique=False)
    op.create_table('rule_set',
    sa.Column('version', sa.Integer(), server_default=sa.text("nextval('rule_set_version_seq')"), nullable=False),
    sa.Column('status', sa.String(length=10), server_default='draft', nullable=False),
    sa.Column('rules', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'::jsonb"), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('copied_from', sa.Integer(), nullable=True),
    sa.Column('effective_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('published_by', sa.String(length=200), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status = 'draft' OR (effective_at IS NOT NULL AND published_at IS NOT NULL AND published_by IS NOT NULL)", name=op.f('ck_rule_set_published_complete')),
    sa.CheckConstraint("status IN ('draft', 'published')", name=op.f('ck_rule_set_status_known')),
    sa.PrimaryKeyConstraint('version', name=op.f('pk_rule_set'))
    )
    op.create_index('ix_rule_set_effective', 'rule_set', ['effective_at', 'version'], unique=False, postgresql_where=sa.text("status = 'published'"))
    op.create_table('voided_fact',
    sa.Column('fact_id', sa.String(length=64), nullable=False),
    sa.Column('employee_no', sa.String(length=50), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('source_event_id', sa.UUID(), nullable=False),
    sa.Column('voided_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('fact_id', name=op.f('pk_voided_fact'))
    )
    op.create_table('ledger_entry',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('employee_no', sa.String(length=50), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('qualifying_amount', sa.BigInteger(), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=True),
    sa.Column('rule_id', sa.String(length=64), nullable=True),
    sa.Column('rule_set_version', sa.Integer(), nullable=True),
    sa.Column('source_event_id', sa.UUID(), nullable=True),
    sa.Column('source_fact_id', sa.String(length=64), nullable=True),
    sa.Column('dedupe_key', sa.String(length=200), nullable=True),
    sa.Column('reverses_entry_id', sa.BigInteger(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=True),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('multiplier_rule_ids', postgresql.ARRAY(sa.String(length=64)), server_default=sa.text("'{}'::varchar[]"), nullable=False),
    sa.Column('base_points', sa.BigInteger(), nullable=True),
    sa.Column('details', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.CheckConstraint("category IS NULL OR category IN ('participation', 'outcome', 'growth')", name=op.f('ck_ledger_entry_category_known')),
    sa.CheckConstraint("kind <> 'adjust' OR (amount <> 0 AND actor IS NOT NULL)", name=op.f('ck_ledger_entry_adjust_complete')),
    sa.CheckConstraint("kind <> 'earn' OR (amount > 0 AND qualifying_amount = amount AND rule_id IS NOT NULL AND source_event_id IS NOT NULL)", name=op.f('ck_ledger_entry_earn_complete')),
    sa.CheckConstraint("kind <> 'reverse' OR reverses_entry_id IS NOT NULL", name=op.f('ck_ledger_entry_reverse_has_target')),
    sa.CheckConstraint("kind IN ('earn', 'reverse', 'adjust', 'spend')", name=op.f('ck_ledger_entry_kind_known')),
    sa.ForeignKeyConstraint(['employee_no'], ['account.employee_no'], name=op.f('fk_ledger_entry_employee_no_account'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['reverses_entry_id'], ['ledger_entry.id'], name=op.f('fk_ledger_entry_reverses_entry_id_ledger_entry'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['rule_set_version'], ['rule_set.version'], name=op.f('fk_ledger_entry_rule_set_version_rule_set'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_entry')),
    sa.UniqueConstraint('reverses_entry_id', name=op.f('uq_ledger_entry_reverses_entry_id'))
    )
    op.create_index('ix_ledger_entry_cap_usage', 'ledger_entry', ['employee_no', 'rule_id', 'occurred_at'], unique=False, postgresql_where=sa.text("kind = 'earn'"))
    op.create_index('ix_ledger_entry_dedupe', 'ledger_entry', ['employee_no', 'dedupe_key'], unique=False, postgresql_where=sa.text('dedupe_key IS NOT NULL'))
    op.create_index('ix_ledger_entry_employee_id', 'ledger_entry', ['employee_no', 'id'], unique=False)
    op.create_index('ix_ledger_entry_fact', 'ledger_entry', ['source_fact_id'], unique=False, postgresql_where=sa.text('source_fact_id IS NOT NULL'))
    # redelivery of one event can never pay one rule twice
    op.create_index('uq_ledger_entry_earn_event_rule', 'ledger_entry', ['source_event_id', 'rule_id'], unique=True, postgresql_where=sa.text("kind = 'earn'"))


def downgrade() -> None:
    op.drop_index('uq_ledger_entry_earn_event_rule', table_name='ledger_entry', postgresql_where=sa.text("kind = 'earn'"))
    op.drop_index('ix_ledger_entry_fact', table_name='ledger_entry', postgresql_where=sa.text('source_fact_id IS NOT NULL'))
    op.drop_index('ix_ledger_entry_employee_id', table_name='ledger_entry')
    op.drop_index('ix_ledger_entry_dedupe', table_name='ledger_entry', postgresql_where=sa.text('dedupe_key IS NOT NULL'))
    op.drop_index('ix_ledger_entry_cap_usage', table_name='ledger_entry', postgresql_where=sa.text("kind = 'earn'"))
    op.drop_table('ledger_entry')
    op.drop_table('voided_fact')
    op.drop_index('ix_rule_set_effective', table_name='rule_set', postgresql_where=sa.text("status = 'published'"))
    op.drop_table('rule_set')
    op.drop_index('ix_period_total_rank', table_name='period_total')
    op.drop_table('period_total')
    op.drop_table('account')
    op.execute(sa.schema.DropSequence(sa.Sequence('rule_set_version_seq')))
