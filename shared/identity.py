"""Employee numbers in one canonical form.

The HR suite's employee numbers are compared as identities everywhere: a token's
subject against the employee a record is about ("never your own"), path, query
and body parameters against stored rows, import rows against existing
employees. They are kept and compared in one form, upper case: ``e10001`` and
``E10001`` are one employee, whoever types it.

- API parameters and bodies accept what their pattern allows (letters, digits,
  ``_.-``) and are upper-cased after validation, so the published pattern stays
  true.
- Tokens and imported files are forgiving of what people and spreadsheets add:
  Unicode NFKC (a full-width ``Ｅ１０００１`` typed on a Chinese keyboard is
  ``E10001``) and surrounding white space, then upper case.
- Existing rows are brought to the form by each service's migration
  (:func:`canonicalize_stored_employee_numbers`).
"""

from __future__ import annotations

import unicodedata
from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import AfterValidator, StringConstraints
from sqlalchemy import Connection, text

EMPLOYEE_NO_PATTERN = r"^[A-Za-z0-9_.\-]{1,50}$"


def canonical_employee_no(value: str) -> str:
    """The one form employee numbers are stored and compared in."""
    return unicodedata.normalize("NFKC", value).strip().upper()


def _canonical_if_text(value: Any) -> Any:
    return canonical_employee_no(value) if isinstance(value, str) else value


EmployeeNo = Annotated[str, StringConstraints(pattern=EMPLOYEE_NO_PATTERN),
                       AfterValidator(canonical_employee_no)]
EmployeeNoPath = Annotated[
    str, Path(pattern=EMPLOYEE_NO_PATTERN,
              description="Employee number from the HR suite (any case: e10001 is E10001)"),
    AfterValidator(canonical_employee_no)]
EmployeeNoQuery = Annotated[
    str | None, Query(pattern=EMPLOYEE_NO_PATTERN,
                      description="Employee number (any case: e10001 is E10001)"),
    AfterValidator(_canonical_if_text)]


# -- existing rows ----------------------------------------------------------------------

_CANONICAL_SQL = "upper(btrim({col}))"


def canonicalize_stored_employee_numbers(conn: Connection) -> int:
    """Upper-case every ``employee_no`` column of this database (migrations). Returns
    how many rows changed. Refuses, changing nothing, when two employees differ only
    in case: merging them is HR's decision, not a migration's."""
    columns = [r[0] for r in conn.execute(text(
        "SELECT c.table_name FROM information_schema.columns c "
        "JOIN information_schema.tables t USING (table_schema, table_name) "
        "WHERE c.table_schema = current_schema() AND c.column_name = 'employee_no' "
        "AND t.table_type = 'BASE TABLE' ORDER BY 1"))]
    canon = _CANONICAL_SQL.format(col="employee_no")
    stale = [t for t in columns if conn.execute(text(
        f"SELECT EXISTS (SELECT 1 FROM {t} WHERE employee_no <> {canon})")).scalar()]
    if not stale:
        return 0
    _refuse_twins(conn, stale, canon)
    foreign_keys = conn.execute(text(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE contype = 'f' AND connamespace = current_schema()::regnamespace "
        "AND pg_get_constraintdef(oid) LIKE '%employee_no%'")).all()
    for table, name, _ in foreign_keys:
        conn.execute(text(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"'))
    changed = 0
    for table in stale:
        changed += conn.execute(text(
            f"UPDATE {table} SET employee_no = {canon} WHERE employee_no <> {canon}")).rowcount
    for table, name, definition in foreign_keys:
        conn.execute(text(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'))
    return changed


def _refuse_twins(conn: Connection, tables: list[str], canon: str) -> None:
    twins: list[str] = []
    for table in tables:
        unique = conn.execute(text(
            "SELECT EXISTS (SELECT 1 FROM pg_index i JOIN pg_attribute a ON a.attrelid = "
            "i.indrelid AND a.attnum = ANY(i.indkey) WHERE i.indrelid = CAST(:t AS regclass) "
            "AND i.indisunique AND i.indnatts = 1 AND a.attname = 'employee_no')"),
            {"t": table}).scalar()
        if not unique:
            continue
        twins += [f"{table}: {a} / {b}" for a, b in conn.execute(text(
            f"SELECT x.employee_no, y.employee_no FROM {table} x JOIN {table} y "
            f"ON {canon.replace('employee_no', 'x.employee_no')} = y.employee_no "
            "AND x.employee_no <> y.employee_no LIMIT 20"))]
    if twins:
        raise RuntimeError(
            "employee numbers that differ only in case belong to one employee now; merge "
            "or renumber these in the HR suite first: " + "; ".join(twins))
