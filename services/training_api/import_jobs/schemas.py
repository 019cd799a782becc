"""An employee or KPI import that runs as a job: what its status URL answers."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import Field

from shared.contracts.base import ReadSchema
from shared.jobs import JobStatus

ImportJobPhase = Literal["queued", "reading", "writing", "done", "failed"]


class ImportJobProgress(ReadSchema):
    phase: ImportJobPhase = Field(description=(
        "queued; reading (the file is parsed, off the event loop); writing (the rows "
        "are checked and written, in one transaction: nothing is visible before its "
        "end); done; failed"))
    rows_total: int | None = Field(description="Data rows of the file, once read")
    rows_done: int = Field(description="Rows checked and written so far")
    percent: float = Field(ge=0, le=100)


class ImportJobLinks(ReadSchema):
    status: str = Field(description="Poll this until status is done or failed")


class ImportJob(ReadSchema):
    id: uuid.UUID
    status: JobStatus
    dry_run: bool
    filename: str | None
    created_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    progress: ImportJobProgress
    error: str | None = Field(description="Why the job failed (the file could not be read, "
                                          "...); nothing was written then")
    links: ImportJobLinks
