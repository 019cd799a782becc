"""Report documents. Rates are fractions between 0 and 1 with four decimals (null
when nobody is counted)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field

from shared.contracts.base import ReadSchema


class PeriodOut(ReadSchema):
    key: str | None = Field(description="M2026-03, Q2026-1, Y2026 or ALL; null for a custom "
                                        "range")
    first_day: date
    last_day: date = Field(description="Included; days on the company's calendar")
    timezone: str


class ScopeOut(ReadSchema):
    department_code: str | None = Field(description="Sub-departments included; null: company")
    department_name: str | None
    family: str | None
    front_line: bool | None


class RateGroup(ReadSchema):
    key: str = Field(description="Department code, family, role code, front_line / "
                                 "not_front_line, pilot / rest, or all")
    label: str
    employees: int
    count: int = Field(description="Employees who meet the metric")
    rate: float | None
    front_line_employees: int
    front_line_count: int
    front_line_rate: float | None


class ParticipationReport(ReadSchema):
    period: PeriodOut
    scope: ScopeOut
    group_by: str | None
    total: RateGroup = Field(description="Active employees hired by the period's end, and "
                                         "those with at least one standing training record "
                                         "in the period")
    groups: list[RateGroup]


class SkillAttainment(ReadSchema):
    skill_code: str
    skill_name: str
    required_of: int = Field(description="Employees whose role requires the skill")
    holding: int
    lacking: int
    rate: float | None


class AttainmentReport(ReadSchema):
    as_of: date = Field(description="Skills proven by the end of this day count")
    period: PeriodOut
    scope: ScopeOut
    group_by: str | None
    total: RateGroup = Field(description="Employees whose role requires skills, and those "
                                         "holding all of them")
    groups: list[RateGroup]
    without_model: int = Field(description="Employees whose role requires no skill (not "
                                           "counted)")
    skills: list[SkillAttainment]


class LackingEmployee(ReadSchema):
    employee_no: str
    name: str
    department_code: str
    department_name: str
    job_role_code: str
    job_role_name: str
    is_front_line: bool
    hired_on: date | None
    missing_skills: list[str] = Field(description="Codes of required skills not held")
    missing_skill_names: list[str]


class CohortOut(ReadSchema):
    cohort: str = Field(description="Hiring month, YYYY-MM")
    hires: int = Field(description="New hires whose role requires skills")
    competent: int = Field(description="Of them, those now holding all their role's skills")
    not_yet: int
    median_days: float | None = Field(description="Median days from hired_on to holding all "
                                                   "skills, among the competent")
    distribution: dict[str, int] = Field(description="Competent hires per number of days: "
                                                     "'<=7', '<=14', ... '>91'")


class TimeToCompetencyReport(ReadSchema):
    period: PeriodOut = Field(description="Hiring dates counted")
    scope: ScopeOut
    total: CohortOut = Field(description="All cohorts together (cohort 'all')")
    cohorts: list[CohortOut]


class SetAttainment(ReadSchema):
    employees: int = Field(description="Employees in the set")
    measured: int = Field(description="Of them, those whose role requires skills")
    attained: int
    rate: float | None
    min_points: int | None
    max_points: int | None


class EffectivenessReport(ReadSchema):
    period: PeriodOut = Field(description="Points earned in this period rank the employees; "
                                          "skills are counted at its end")
    scope: ScopeOut
    fraction: float
    employees: int = Field(description="Active employees in the scope, as points_api knows "
                                       "them")
    top: SetAttainment
    bottom: SetAttainment
    difference: float | None = Field(description="top.rate - bottom.rate (rate points)")
    relative_difference: float | None = Field(
        description="top.rate / bottom.rate - 1, e.g. 0.35: the top attain 35% more often")


class GroupFigures(ReadSchema):
    group: Literal["pilot", "rest"]
    employees: int
    participation_rate: float | None
    front_line_participation_rate: float | None
    plan_completion_rate: float | None = Field(description="Plans due in the period")
    plan_assignments: int
    attainment_rate: float | None = Field(description="At the period's end")
    points_employees: int | None = Field(
        description="Active employees as points_api knows them (null: the period is not whole "
                    "months, in which points are totalled)")
    total_points: int | None = Field(description="Qualifying points earned in the period")
    points_per_head: float | None


class PilotComparison(ReadSchema):
    period: PeriodOut
    scope: ScopeOut
    pilot_departments: list[str] = Field(description="Departments marked pilot (with their "
                                                     "sub-departments)")
    pilot: GroupFigures
    rest: GroupFigures
