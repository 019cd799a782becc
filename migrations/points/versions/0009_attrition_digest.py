"""attrition digest: a notification kind for the managers' weekly digest

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 10:00:00
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

BEFORE = ("'points_gained', 'points_reversed', 'rank_changed', 'eligibility_reached', "
          "'certification_granted', 'certification_revoked', 'honour_won'")


def upgrade() -> None:
    op.drop_constraint(op.f("ck_notification_kind_known"), "notification", type_="check")
    op.create_check_constraint(op.f("ck_notification_kind_known"), "notification",
                               f"kind IN ({BEFORE}, 'attrition_risk_digest')")


def downgrade() -> None:
    op.execute("DELETE FROM notification WHERE kind = 'attrition_risk_digest'")
    op.drop_constraint(op.f("ck_notification_kind_known"), "notification", type_="check")
    op.create_check_constraint(op.f("ck_notification_kind_known"), "notification", f"kind IN ({BEFORE})")
