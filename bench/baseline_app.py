"""The baseline: a bare FastAPI app doing one query through SQLAlchemy on the
same PostgreSQL, served by the same uvicorn settings as the services, with the
services' pool settings. Every benchmark's figure is a ratio against it, so a
noisy machine cancels out.

Its routes answer under ``/baseline/...`` (called directly) and under
``/training/baseline/...`` (called through a gateway rendered from the services'
template, which routes only the services' prefixes): that second way is the
floor, what any endpoint behind the gateway costs at least.
"""

from __future__ import annotations

import os
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, HTTPException
from sqlalchemy import text

from shared.db import create_engine


@asynccontextmanager
async def lifespan(app: FastAPI):
    engine = create_engine(
        os.environ["BASELINE_DATABASE_URL"],
        pool_size=int(os.environ.get("BASELINE_DB_POOL_SIZE", "10")),
        max_overflow=int(os.environ.get("BASELINE_DB_MAX_OVERFLOW", "10")),
        application_name="jifen-baseline",
    )
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "CREATE TABLE IF NOT EXISTS bench_baseline_insert "
                "(id bigserial PRIMARY KEY, payload text NOT NULL, "
                "created_at timestamptz NOT NULL DEFAULT now())"
            )
        )
    app.state.engine = engine
    yield
    await engine.dispose()


app = FastAPI(lifespan=lifespan)
router = APIRouter(prefix="/baseline")


@router.get("/employees/{employee_no}")
async def read_one(employee_no: str) -> dict:
    async with app.state.engine.connect() as conn:
        row = (
            await conn.execute(
                text("SELECT employee_no, name FROM employee WHERE employee_no = :no"),
                {"no": employee_no},
            )
        ).first()
    if row is None:  # a load run that asks for a missing row fails instead of measuring it
        raise HTTPException(404)
    return {"employee_no": row[0], "name": row[1]}


@router.get("/select")
async def select_one() -> dict:
    async with app.state.engine.connect() as conn:
        value = (await conn.execute(text("SELECT 1"))).scalar_one()
    return {"value": value}


@router.post("/insert")
async def insert_one(body: dict) -> dict:
    async with app.state.engine.begin() as conn:
        new_id = (
            await conn.execute(
                text("INSERT INTO bench_baseline_insert (payload) VALUES (:p) RETURNING id"),
                {"p": str(body)},
            )
        ).scalar_one()
    return {"id": new_id}


app.include_router(router)
app.include_router(router, prefix="/training")
