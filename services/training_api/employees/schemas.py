from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import ConfigDict, Field, model_validator

from services.training_api.import_jobs.schemas import ImportJob
from services.training_api.org.schemas import Code, RoleFamily
from shared.contracts.base import ReadSchema, Schema, schema_extra
from shared.contracts.events import EmployeeStatus
from shared.contracts.fields import day, name
from shared.identity import EmployeeNo

PersonName = Annotated[str, name(100)]

HireDate = Annotated[date, day(1950, 2100)]


class EmployeeUpsert(Schema):
    """A left_on before hired_on is 409 left-before-hired (the schema cannot compare)."""

    # left_on goes with status left only
    model_config = ConfigDict(json_schema_extra=schema_extra({"anyOf": [
        {"required": ["status"], "properties": {"status": {"const": "left"}}},
        {"properties": {"left_on": {"type": "null"}}}]}))

    employee_no: EmployeeNo | None = Field(
        None, description="Optional; when given it must equal the employee number in the path"
    )
    name: PersonName = Field(examples=["张伟"])
    department_code: Code
    job_role_code: Code
    is_front_line: bool = Field(False, description="Front-line operator (一线员工)")
    hired_on: HireDate | None = None
    status: EmployeeStatus = EmployeeStatus.ACTIVE
    left_on: HireDate | None = Field(None, description=(
        "Last working day, with status left only; a leaver sent without one keeps the day "
        "already known, or gets the day the directory learned it"))

    @model_validator(mode="after")
    def _left_on_fits(self) -> EmployeeUpsert:
        if self.left_on is not None and self.status != EmployeeStatus.LEFT:
            raise ValueError("left_on is given only with status left")
        return self


class Employee(ReadSchema):
    employee_no: str
    name: str
    department_code: str
    department_name: str
    department_path: list[str]
    job_role_code: str
    job_role_name: str
    job_role_family: RoleFamily
    is_front_line: bool
    hired_on: date | None
    status: EmployeeStatus
    left_on: date | None = Field(description="Last working day of an employee who left")
    version: int
    created_at: datetime
    updated_at: datetime


class RejectedRow(ReadSchema):
    line: int = Field(description="Line of the file where the row starts (the header is line "
                                  "1); 0: the file as a whole could not be read")
    employee_no: str | None
    reason: str


class ImportReport(ReadSchema):
    dry_run: bool
    encoding: str
    total_rows: int
    valid_rows: int
    created: int = Field(description="New employees (would be created, in a dry run)")
    updated: int
    unchanged: int
    rejected: list[RejectedRow]
    ignored_columns: list[str] = []


class EmployeeImportJob(ImportJob):
    """An employee import running as a job (202 from ``POST /employee-imports``)."""

    report: ImportReport | None = Field(
        description="Once done: the report the synchronous import answers with")
