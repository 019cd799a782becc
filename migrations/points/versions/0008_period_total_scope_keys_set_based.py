"""Period totals take the boards' scope keys from the writing statement.

The statement that adds to period totals (ledger repository,
add_many_period_totals) now reads the employee's copy itself, once for every row
it writes, so the per-row BEFORE INSERT trigger that looked the copy up again for
each row goes. The trigger on employee_copy that keeps existing rows current when
an employee moves stays.

Revision ID: 0008
Revises: 0007
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DROP TRIGGER period_total_scope_keys ON period_total")
    op.execute("DROP FUNCTION period_total_scope_keys()")


def downgrade() -> None:
    op.execute("""
CREATE FUNCTION period_total_scope_keys() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    copy record;
BEGIN
    SELECT department_path, department_code, job_role_family, is_front_line INTO copy
    FROM employee_copy WHERE employee_no = NEW.employee_no;
    IF FOUND THEN
        NEW.department_key := department_key(copy.department_path, copy.department_code);
        NEW.job_role_family := copy.job_role_family;
        NEW.is_front_line := copy.is_front_line;
    END IF;
    RETURN NEW;
END $$
""")
    op.execute("""
CREATE TRIGGER period_total_scope_keys BEFORE INSERT ON period_total
FOR EACH ROW EXECUTE FUNCTION period_total_scope_keys()
""")
