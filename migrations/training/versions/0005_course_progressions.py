"""course progressions: prerequisites (courses, skill levels), who may take a course,
and the course formats a job role can attend

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 11:00:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "course_prerequisite",
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("prerequisite_id", sa.Integer(), nullable=False),
        sa.CheckConstraint("course_id <> prerequisite_id", name=op.f("ck_course_prerequisite_not_own")),
        sa.ForeignKeyConstraint(["course_id"], ["course.id"], name=op.f("fk_course_prerequisite_course_id_course"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["prerequisite_id"], ["course.id"], name=op.f("fk_course_prerequisite_prerequisite_id_course"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("course_id", "prerequisite_id", name=op.f("pk_course_prerequisite")),
    )
    op.create_index(op.f("ix_course_prerequisite_prerequisite_id"), "course_prerequisite", ["prerequisite_id"])
    op.create_table(
        "course_prerequisite_skill",
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("skill_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.CheckConstraint("level BETWEEN 1 AND 5", name=op.f("ck_course_prerequisite_skill_level_range")),
        sa.ForeignKeyConstraint(["course_id"], ["course.id"], name=op.f("fk_course_prerequisite_skill_course_id_course"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["skill_id"], ["skill.id"], name=op.f("fk_course_prerequisite_skill_skill_id_skill"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("course_id", "skill_id", name=op.f("pk_course_prerequisite_skill")),
    )
    op.create_index(op.f("ix_course_prerequisite_skill_skill_id"), "course_prerequisite_skill", ["skill_id"])
    op.add_column("course", sa.Column("open_to_job_roles", postgresql.ARRAY(sa.String(length=50)), server_default=sa.text("'{}'"), nullable=False))
    op.add_column("course", sa.Column("open_to_families", postgresql.ARRAY(sa.String(length=20)), server_default=sa.text("'{}'"), nullable=False))
    op.add_column("job_role", sa.Column("course_formats", postgresql.ARRAY(sa.String(length=20)), server_default=sa.text("'{}'"), nullable=False))


def downgrade() -> None:
    op.drop_column("job_role", "course_formats")
    op.drop_column("course", "open_to_families")
    op.drop_column("course", "open_to_job_roles")
    op.drop_index(op.f("ix_course_prerequisite_skill_skill_id"), table_name="course_prerequisite_skill")
    op.drop_table("course_prerequisite_skill")
    op.drop_index(op.f("ix_course_prerequisite_prerequisite_id"), table_name="course_prerequisite")
    op.drop_table("course_prerequisite")
