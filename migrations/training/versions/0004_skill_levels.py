"""skill levels: skill records, practical assessments, courses and exams carry levels

A skill record proves a level (1-5): a passed practical assessment the level it
checked, a passed exam the level HR maps a pass to (``exam.pass_level``) or else
the level at which the course teaches each skill (``course_skill.level``).

Records made before levels existed said only "holds the skill", and the reports
counted that as meeting the role's requirement. They are migrated so that every
report reads the same the day after the upgrade as the day before: each existing
proof counts at the level the employee's job role requires of that skill when
this migration runs, or level 1 when the role does not require it. Practical
assessments made before levels are given the level their proof got (level 1 for
failed ones). Courses teach their existing skills at level 1 and exams map a
pass to nothing (the course's level) until HR says otherwise. See
docs/training-records.md, "Skill levels".

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

LEVEL_RANGE = "level BETWEEN 1 AND 5"


def upgrade() -> None:
    op.add_column("employee_skill", sa.Column("level", sa.SmallInteger(), nullable=True))
    op.execute("""
        UPDATE employee_skill es
        SET level = COALESCE((
            SELECT jrs.level FROM employee e
            JOIN job_role_skill jrs ON jrs.job_role_id = e.job_role_id
            JOIN skill s ON s.id = jrs.skill_id
            WHERE e.employee_no = es.employee_no AND s.code = es.skill_code), 1)
    """)
    op.alter_column("employee_skill", "level", nullable=False)
    op.create_check_constraint(op.f("ck_employee_skill_level_range"), "employee_skill",
                               LEVEL_RANGE)

    op.add_column("practical_assessment", sa.Column("level", sa.SmallInteger(),
                                                    server_default="1", nullable=False))
    op.execute("""
        UPDATE practical_assessment pa SET level = es.level
        FROM employee_skill es WHERE es.fact_id = pa.id AND es.level <> 1
    """)
    op.create_check_constraint(op.f("ck_practical_assessment_level_range"),
                               "practical_assessment", LEVEL_RANGE)

    op.add_column("course_skill", sa.Column("level", sa.SmallInteger(), server_default="1",
                                            nullable=False))
    op.create_check_constraint(op.f("ck_course_skill_level_range"), "course_skill", LEVEL_RANGE)
    op.add_column("exam", sa.Column("pass_level", sa.SmallInteger(), nullable=True))
    op.create_check_constraint(op.f("ck_exam_pass_level_range"), "exam",
                               "pass_level BETWEEN 1 AND 5")
    # the current level of a skill: the highest of its proofs, read per employee
    op.create_index("ix_employee_skill_employee_level", "employee_skill",
                    ["employee_no", "skill_code", "level", "since"])


def downgrade() -> None:
    op.drop_index("ix_employee_skill_employee_level", table_name="employee_skill")
    op.drop_constraint(op.f("ck_exam_pass_level_range"), "exam", type_="check")
    op.drop_column("exam", "pass_level")
    op.drop_constraint(op.f("ck_course_skill_level_range"), "course_skill", type_="check")
    op.drop_column("course_skill", "level")
    op.drop_constraint(op.f("ck_practical_assessment_level_range"), "practical_assessment",
                       type_="check")
    op.drop_column("practical_assessment", "level")
    op.drop_constraint(op.f("ck_employee_skill_level_range"), "employee_skill", type_="check")
    op.drop_column("employee_skill", "level")
