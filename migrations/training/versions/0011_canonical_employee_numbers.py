"""Employee numbers in their canonical form (upper case) in every table.

Identities are compared in one form from now on (shared/identity.py): numbers
stored in lower case before are upper-cased, foreign keys kept. Two employees whose
numbers differ only in case stop the migration with their numbers, for HR to merge
or renumber; nothing is changed then.

Revision ID: 0011
Revises: 0010
"""

from alembic import op

from shared.identity import canonicalize_stored_employee_numbers

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    canonicalize_stored_employee_numbers(op.get_bind())


def downgrade() -> None:
    """Nothing to undo: upper-case numbers were valid before and stay valid; the
    original case of renamed ones is not kept."""
