from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from shared.jobs import JobStatus

Mode = Literal["replay", "opening"]
Phase = Literal["queued", "reading", "importing", "awaiting_voids", "replacing", "opening",
                "awaiting_points", "reconciling",
                "done", "failed"]


class Counts(BaseModel):
    rows_read: int = Field(0, description="Data rows in the file")
    imported: int = Field(0, description="Valid rows: created + updated + unchanged")
    created: int = Field(0, description="Legacy ids seen for the first time")
    updated: int = Field(0, description="Legacy ids whose record changed: the old fact was "
                                        "voided (its points reversed) and a new one recorded")
    unchanged: int = Field(0, description="Legacy ids imported before with the same content")
    rejected: int = Field(0, description="Rows rejected (see rejected-rows)")


class Progress(BaseModel):
    phase: Phase
    rows_total: int | None = Field(None, description="Rows to import, once the file is read")
    rows_done: int = 0
    events_total: int = Field(0, description="Events for points_api this import queued")
    events_delivered: int = Field(0, description="Of those, applied by points_api")
    percent: float = Field(description="Of the whole job, 0-100")
    rows_per_second: float | None = Field(None, description=(
        "Rows written per second while importing"))


class CategoryTotals(BaseModel):
    legacy: int | None = Field(description="Points the legacy file gave (null without a "
                                           "points column)")
    jifen: int | None = Field(description="Points Jifen holds for them (null on a dry run)")


class Totals(BaseModel):
    participation: CategoryTotals
    outcome: CategoryTotals
    growth: CategoryTotals
    total: CategoryTotals


class HistoryImport(BaseModel):
    """A history import job: poll it until ``status`` is done or failed."""

    id: uuid.UUID
    status: JobStatus
    mode: Mode
    cut_over_on: date | None
    dry_run: bool
    filename: str | None
    encoding: str | None = None
    has_points: bool | None = Field(None, description="The file has a points column")
    ignored_columns: list[str] = Field(default_factory=list)
    created_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    progress: Progress
    counts: Counts
    totals: Totals | None = Field(None, description="Per category, when done")
    seconds: float | None = Field(None, description="From start to done")
    error: str | None = None
    links: dict[str, str] = Field(description="status, rejected_rows, report, report_csv")


class RejectedRecord(BaseModel):
    line: int
    legacy_id: str | None
    employee_no: str | None
    reason: str


class EmployeeReconciliation(BaseModel):
    employee_no: str
    name: str | None
    records: int = Field(description="Rows of this file for the employee")
    legacy_points: int | None = Field(description=(
        "Replay: the legacy points column of those rows. Opening: the opening balance "
        "all the employee's opening records imply"))
    jifen_points: int | None = Field(description=(
        "Replay: the points Jifen's rules gave those records. Opening: the opening "
        "entries the ledger holds"))
    difference: int | None = Field(description="jifen_points - legacy_points")
    by_category: dict[str, CategoryTotals]


class Report(BaseModel):
    """The reconciliation of a finished import; employees are paginated."""

    id: uuid.UUID
    mode: Mode
    dry_run: bool
    counts: Counts
    totals: Totals
    employees_with_difference: int
    items: list[EmployeeReconciliation]
    next_cursor: str | None
