from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, model_validator

from services.training_api.import_jobs.schemas import ImportJob
from services.training_api.reports.schemas import PeriodOut
from shared.contracts.base import ReadSchema, Schema, any_given, schema_extra
from shared.contracts.fields import Day, decimal, text

Percent = Annotated[Decimal, decimal(places=4, ge=0, le=100, scaled=True)]
Efficiency = Annotated[Decimal, decimal(places=4, ge=0, le=1000, scaled=True)]


KpiNote = Annotated[str, text(500, min_length=0)]

class KpiUpsert(Schema):
    model_config = ConfigDict(json_schema_extra=schema_extra(
        any_given("defect_rate", "skill_defect_share", "efficiency")))

    defect_rate: Percent | None = Field(None, examples=["1.2"], description=(
        "Defective units per 100 produced (1.2 = 1.2%)"))
    skill_defect_share: Percent | None = Field(None, examples=["40"], description=(
        "Share of the defects caused by lacking skill, in percent"))
    efficiency: Efficiency | None = Field(None, examples=["100"], description=(
        "Output against the standard, in percent (100 = on standard)"))

    @model_validator(mode="after")
    def _some_figure(self) -> KpiUpsert:
        if self.defect_rate is None and self.skill_defect_share is None \
                and self.efficiency is None:
            raise ValueError("give at least one of defect_rate, skill_defect_share, efficiency")
        return self


class Kpi(ReadSchema):
    department_code: str
    department_name: str
    month: str = Field(description="YYYY-MM")
    defect_rate: Decimal | None
    skill_defect_share: Decimal | None
    efficiency: Decimal | None
    source: Literal["api", "import"]
    updated_by: str
    updated_at: datetime


class RejectedKpiRow(ReadSchema):
    line: int
    department_code: str | None
    month: str | None
    reason: str


class KpiImportReport(ReadSchema):
    dry_run: bool
    encoding: str
    total_rows: int
    valid_rows: int
    created: int
    updated: int
    rejected: list[RejectedKpiRow]


class KpiImportJob(ImportJob):
    """A KPI import running as a job (202 from ``POST /kpi-imports``)."""

    report: KpiImportReport | None = Field(
        description="Once done: the report the synchronous import answers with")


class PilotUpsert(Schema):
    started_on: Day = Field(description="First day of the pilot (试点)")
    note: KpiNote | None = \
        Field(None, examples=["积分体系试点：机加工一车间"])


class Pilot(ReadSchema):
    department_code: str
    department_name: str
    is_pilot: bool
    started_on: date
    note: str | None
    updated_by: str
    updated_at: datetime


class KpiMonth(ReadSchema):
    month: str = Field(description="YYYY-MM")
    phase: Literal["before", "after"] | None = Field(
        description="Relative to the pilot start: its month and later are after")
    defect_rate: Decimal | None
    skill_defect_share: Decimal | None
    efficiency: Decimal | None
    employees: int = Field(description="Active employees of the department subtree hired by "
                                       "the month's end")
    participation_rate: float | None
    front_line_participation_rate: float | None
    attainment_rate: float | None = Field(description="Skill attainment at the month's end")


class PhaseAverages(ReadSchema):
    months: int = Field(description=(
        "Months of the phase with production figures posted (a month without any does "
        "not count); each mean is over the months that have that figure"))
    defect_rate: float | None
    skill_defect_share: float | None
    efficiency: float | None
    participation_rate: float | None
    front_line_participation_rate: float | None
    attainment_rate: float | None


class KpiReport(ReadSchema):
    department_code: str
    department_name: str
    period: PeriodOut
    pilot_started_on: date | None = Field(description="From ?pilot_start, else the pilot "
                                                      "start of the department or its "
                                                      "nearest ancestor")
    months: list[KpiMonth]
    before: PhaseAverages | None = Field(description="Means over the months before the pilot")
    after: PhaseAverages | None
    change: PhaseAverages | None = Field(description="after - before (months: after's)")
