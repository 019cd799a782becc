"""Indexes that serve the dashboard's reads of tables other folders own."""

from __future__ import annotations

from sqlalchemy import Index, text

from services.training_api.facts.models import TrainingFact

# Participation: the standing facts of a period, read by time and then by employee
# (an index-only scan when the visibility map is current).
Index("ix_training_fact_standing_occurred", TrainingFact.occurred_at, TrainingFact.employee_no,
      postgresql_where=text("voided_at IS NULL"))
