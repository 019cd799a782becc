"""history opening balances: ledger entries of kind 'opening', posted by history
imports with their category and the import that posted them

The checks are added NOT VALID and then validated, so that the ledger takes writes
while its existing rows are checked.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 16:00:00
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

KINDS_BEFORE = "('earn', 'reverse', 'adjust', 'spend')"
KINDS = "('earn', 'reverse', 'adjust', 'spend', 'opening')"


def _kinds(kinds: str) -> None:
    op.drop_constraint(op.f("ck_ledger_entry_kind_known"), "ledger_entry", type_="check")
    op.execute(f"ALTER TABLE ledger_entry ADD CONSTRAINT ck_ledger_entry_kind_known "
               f"CHECK (kind IN {kinds}) NOT VALID")
    op.execute("ALTER TABLE ledger_entry VALIDATE CONSTRAINT ck_ledger_entry_kind_known")


def upgrade() -> None:
    _kinds(KINDS)
    op.execute("ALTER TABLE ledger_entry ADD CONSTRAINT ck_ledger_entry_opening_complete "
               "CHECK (kind <> 'opening' OR (category IS NOT NULL AND actor IS NOT NULL)) "
               "NOT VALID")
    op.execute("ALTER TABLE ledger_entry VALIDATE CONSTRAINT ck_ledger_entry_opening_complete")


def downgrade() -> None:
    # opening entries become adjustments by their import: balances stay as they are
    op.execute("UPDATE ledger_entry SET kind = 'adjust' WHERE kind = 'opening'")
    op.drop_constraint(op.f("ck_ledger_entry_opening_complete"), "ledger_entry", type_="check")
    _kinds(KINDS_BEFORE)
