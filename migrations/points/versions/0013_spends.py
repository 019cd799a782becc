"""Spends: a hold taken and spent at once, awaiting its redemption's confirmation.

A redemption without approval asks points_api for one ``spend``: the spend entry is
written and the hold recorded as ``spent``; the redemption's ``hold.capture`` event
confirms it (``captured``). A spent hold never confirmed by its expiry (the
redemption was not recorded after all) is expired and its spend reversed, as is one
released by rewards_api's look for stray holds; those keep their spend entry.

Revision ID: 0013
Revises: 0012
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_constraint(op.f("ck_hold_status_known"), "hold", type_="check")
    op.drop_constraint(op.f("ck_hold_captured_has_entry"), "hold", type_="check")
    op.create_check_constraint(
        op.f("ck_hold_status_known"), "hold",
        "status IN ('active', 'spent', 'captured', 'released', 'expired')")
    op.create_check_constraint(
        op.f("ck_hold_settled_spend_has_entry"), "hold",
        "status NOT IN ('spent', 'captured') OR spend_entry_id IS NOT NULL")
    op.create_check_constraint(
        op.f("ck_hold_active_has_no_entry"), "hold",
        "status <> 'active' OR spend_entry_id IS NULL")
    op.drop_index("ix_hold_active_expiry", table_name="hold")
    op.execute("CREATE INDEX ix_hold_unsettled_expiry ON hold (expires_at) "
               "WHERE status IN ('active', 'spent')")


def downgrade() -> None:
    op.execute("DROP INDEX ix_hold_unsettled_expiry")
    op.execute("CREATE INDEX ix_hold_active_expiry ON hold (expires_at) "
               "WHERE status = 'active'")
    op.drop_constraint(op.f("ck_hold_active_has_no_entry"), "hold", type_="check")
    op.drop_constraint(op.f("ck_hold_settled_spend_has_entry"), "hold", type_="check")
    op.drop_constraint(op.f("ck_hold_status_known"), "hold", type_="check")
    op.create_check_constraint(
        op.f("ck_hold_status_known"), "hold",
        "status IN ('active', 'captured', 'released', 'expired')")
    op.create_check_constraint(
        op.f("ck_hold_captured_has_entry"), "hold",
        "(status = 'captured') = (spend_entry_id IS NOT NULL)")
