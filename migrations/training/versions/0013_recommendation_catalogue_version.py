"""A version of the course catalogue, bumped by every statement that changes a course,
what it teaches or needs, or a skill: recommendation requests read it and keep the
catalogue in memory while it stays the same

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

TABLES = ("course", "course_skill", "course_prerequisite", "course_prerequisite_skill", "skill")


def upgrade() -> None:
    op.create_table(
        "recommendation_catalogue_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_recommendation_catalogue_version_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recommendation_catalogue_version")),
    )
    op.execute("INSERT INTO recommendation_catalogue_version (id, version) VALUES (1, 1)")
    op.execute("""
        CREATE FUNCTION bump_recommendation_catalogue_version() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
          UPDATE recommendation_catalogue_version SET version = version + 1 WHERE id = 1;
          RETURN NULL;
        END $$""")
    for table in TABLES:
        op.execute(f"""
            CREATE TRIGGER {table}_bumps_catalogue_version
            AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION bump_recommendation_catalogue_version()""")


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP TRIGGER {table}_bumps_catalogue_version ON {table}")
    op.execute("DROP FUNCTION bump_recommendation_catalogue_version()")
    op.drop_table("recommendation_catalogue_version")
