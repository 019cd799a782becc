from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import ConfigDict, Field, field_validator, model_validator

from services.training_api.org.schemas import Code
from services.training_api.reports.schemas import PeriodOut, ScopeOut
from shared.contracts.base import ReadSchema, Schema, any_given, given, schema_extra
from shared.contracts.fields import Day, name
from shared.identity import EmployeeNo

PlanName = Annotated[str, name(200)]
PlanDate = Day


class TrainingPlanUpsert(Schema):
    # exactly these employees, or a job role and/or a department
    model_config = ConfigDict(json_schema_extra=schema_extra({"oneOf": [
        given("employee_nos"), any_given("job_role_code", "department_code")]}))

    name: PlanName = Field(examples=["2026年新设备操作培训计划"])
    course_codes: list[Code] = Field(min_length=1, max_length=50,
                                     description="The required courses")
    job_role_code: Code | None = Field(None, description="Everyone in this job role...")
    department_code: Code | None = Field(
        None, description="...and/or everyone in this department and its sub-departments")
    employee_nos: list[EmployeeNo] | None = Field(
        None, max_length=10_000, description="Or exactly these employees (not combined with "
                                              "a role or a department)")
    starts_on: PlanDate | None = Field(
        None, description="Completions count from this day (company calendar); default: any "
                          "completion, however old")
    due_on: PlanDate = Field(description="Last day to complete the courses")

    @field_validator("course_codes", "employee_nos")
    @classmethod
    def _distinct(cls, values: list[str] | None) -> list[str] | None:
        return None if values is None else list(dict.fromkeys(values))

    @model_validator(mode="after")
    def _one_target(self) -> TrainingPlanUpsert:
        by_org = self.job_role_code is not None or self.department_code is not None
        if self.employee_nos is not None and by_org:
            raise ValueError("give employee_nos, or job_role_code and/or department_code, "
                             "not both")
        if self.employee_nos is None and not by_org:
            raise ValueError("a plan needs job_role_code, department_code or employee_nos")
        return self


class PlanCourse(ReadSchema):
    course_code: str
    course_title: str


class TrainingPlan(ReadSchema):
    code: str
    name: str
    courses: list[PlanCourse]
    job_role_code: str | None
    department_code: str | None
    listed_employees: int | None = Field(description="Number of listed employees (a plan "
                                                     "for a list), else null")
    starts_on: date | None
    due_on: date
    created_by: str
    updated_by: str
    created_at: datetime
    updated_at: datetime


class CourseProgress(ReadSchema):
    course_code: str
    course_title: str
    completed: int = Field(description="Assigned employees who completed this course")
    rate: float | None


class PlanProgress(ReadSchema):
    code: str
    name: str
    due_on: date
    past_due: bool = Field(description="The due date has passed")
    assigned: int = Field(description="Active employees the plan applies to (hired by the "
                                      "due date), within the report's scope")
    completed: int = Field(description="Of them, those who completed every course")
    completed_on_time: int = Field(description="...by the end of the due date")
    behind: int = Field(description="assigned - completed")
    completion_rate: float | None
    on_time_rate: float | None
    courses: list[CourseProgress]


class PlanTotals(ReadSchema):
    assigned: int = Field(description="Assignments (employee x plan)")
    completed: int
    completed_on_time: int
    behind: int
    completion_rate: float | None
    on_time_rate: float | None


class PlansReport(ReadSchema):
    period: PeriodOut = Field(description="Plans due in this period are counted")
    scope: ScopeOut
    total: PlanTotals
    plans: list[PlanProgress]


class BehindEmployee(ReadSchema):
    employee_no: str
    name: str
    department_code: str
    department_name: str
    job_role_code: str
    job_role_name: str
    missing_courses: list[str]
    missing_course_titles: list[str]
    completed_courses: int
    total_courses: int
    past_due: bool
