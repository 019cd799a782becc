"""Who reads what belongs to one employee: one definition (``shared.auth.Principal``)
that every service asks. Assessors read every employee and training record (they
record exam and practical results about anyone), never points or redemptions."""

from __future__ import annotations

from shared.auth import Principal

PLANT_LINE = ["D-PLANT", "D-WS", "D-LINE1"]  # the employee's department and those above


def who(sub: str, *roles: str, departments: tuple[str, ...] = ()) -> Principal:
    return Principal(sub=sub, roles=frozenset(roles), departments=departments)


def test_an_employee_reads_only_their_own():
    assert who("E1", "employee").may_read_employee("E1", PLANT_LINE)
    assert not who("E2", "employee").may_read_employee("E1", PLANT_LINE)
    assert not who("E2", "employee").may_read_employee("E1", PLANT_LINE, training_records=True)


def test_a_manager_reads_the_departments_their_token_names_and_those_below():
    for managed in ("D-PLANT", "D-LINE1"):
        assert who("M1", "manager", departments=(managed,)).may_read_employee("E1", PLANT_LINE)
    assert not who("M1", "manager", departments=("D-OTHER",)).may_read_employee("E1", PLANT_LINE)
    assert not who("M1", "manager").may_read_employee("E1", PLANT_LINE)
    # departments in a token without the manager role grant nothing
    assert not who("E2", "employee", departments=("D-PLANT",)).manages(PLANT_LINE)


def test_privileged_readers_read_everyone_everywhere():
    for role in ("hr_admin", "auditor", "integration", "service"):
        assert who("X", role).may_read_employee("E1", PLANT_LINE), role
        assert who("X", role).may_read_employee("E1", [], training_records=True), role


def test_assessors_read_training_records_but_not_points_or_redemptions():
    assessor = who("A1", "assessor")
    assert assessor.reads_training_records and not assessor.is_privileged_reader
    assert assessor.may_read_employee("E1", PLANT_LINE, training_records=True)
    assert not assessor.may_read_employee("E1", PLANT_LINE)
    assert assessor.may_read_employee("A1", PLANT_LINE)  # their own, as any employee
