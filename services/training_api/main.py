"""training_api: organisation, employees and training facts."""

from __future__ import annotations

from fastapi import FastAPI

from services.training_api.attrition.digest import weekly_digest
from services.training_api.attrition.endpoints import router as attrition_router
from services.training_api.changes.endpoints import router as changes_router
from services.training_api.completions.endpoints import router as completions_router
from services.training_api.config import Settings
from services.training_api.courses.endpoints import router as courses_router
from services.training_api.db import kit_tables
from services.training_api.employees.endpoints import router as employees_router
from services.training_api.employees.service import EMPLOYEE_IMPORT
from services.training_api.exam_attempts.endpoints import router as exam_attempts_router
from services.training_api.facts.endpoints import router as facts_router
from services.training_api.feedback.endpoints import router as feedback_router
from services.training_api.history.endpoints import router as history_router
from services.training_api.history.job import run_history_import
from services.training_api.history.repository import JOB_KIND as HISTORY_IMPORT
from services.training_api.import_jobs.service import handler as import_job
from services.training_api.interactions.endpoints import router as interactions_router
from services.training_api.kpis.endpoints import router as kpis_router
from services.training_api.kpis.service import KPI_IMPORT
from services.training_api.notes.endpoints import router as notes_router
from services.training_api.org.endpoints import router as org_router
from services.training_api.plans.endpoints import router as plans_router
from services.training_api.practicals.endpoints import router as practicals_router
from services.training_api.recommendations import model as recommendation_model
from services.training_api.recommendations.endpoints import router as recommendations_router
from services.training_api.reports.endpoints import router as reports_router
from services.training_api.skill_applications.endpoints import router as skill_applications_router
from services.training_api.skill_records.endpoints import internal_router as skills_internal
from services.training_api.skill_records.endpoints import router as skill_records_router
from services.training_api.surveys.endpoints import router as surveys_router
from services.training_api.workers import warm_forecast_worker
from shared.app import ServiceSpec, create_service_app, every


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    return create_service_app(ServiceSpec(
        name="training",
        title="Jifen training API",
        description="Organisation master data synced from the HR suite (departments, job roles "
                    "and their competency models, skills, employees) and the training facts "
                    "that earn points.",
        settings=settings,
        tables=kit_tables,
        routers=[org_router, employees_router, skill_records_router, courses_router,
                 completions_router, interactions_router, notes_router, exam_attempts_router,
                 practicals_router, skill_applications_router, facts_router,
                 reports_router, plans_router, surveys_router, feedback_router, kpis_router,
                 recommendations_router, attrition_router, history_router,
                 skills_internal, changes_router],
        outbox_destinations={
            "points": (settings.points_url, "/points/v1/internal/events"),
            "rewards": (settings.rewards_url, "/rewards/v1/internal/events"),
        },
        background=[warm_forecast_worker,
                    every(settings.recommendation_refresh_seconds, recommendation_model.refresh),
                    *([every(settings.attrition_poll_seconds, weekly_digest)]
                      if settings.attrition_poll_seconds > 0 else [])],
        jobs={HISTORY_IMPORT: run_history_import,
              EMPLOYEE_IMPORT.kind: import_job(EMPLOYEE_IMPORT),
              KPI_IMPORT.kind: import_job(KPI_IMPORT)},
    ))


app = create_app()
