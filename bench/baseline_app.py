"""The baseline: a bare FastAPI app doing one query through SQLAlchemy on the
same PostgreSQL, served by the same uvicorn settings as the services. Every
benchmark's figure is a ratio against it, so a noisy machine cancels out."""

from __future__ import annotations

import os
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy import text

from shared.db import create_engine


@asynccontextmanager
async def lifespan(app: FastAPI):
    engine = create_engine(os.environ["BASELINE_DATABASE_URL"])
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


@app.get("/baseline/employees/{employee_no}")
async def read_one(employee_no: str) -> dict:
    async with app.state.engine.connect() as conn:
        row = (
            await conn.execute(
                text("SELECT employee_no, name FROM employee WHERE employee_no = :no"),
                {"no": employee_no},
            )
        ).first()
    return {"employee_no": row[0], "name": row[1]} if row else {}


@app.get("/baseline/select")
async def select_one() -> dict:
    async with app.state.engine.connect() as conn:
        value = (await conn.execute(text("SELECT 1"))).scalar_one()
    return {"value": value}


@app.post("/baseline/insert")
async def insert_one(body: dict) -> dict:
    async with app.state.engine.begin() as conn:
        new_id = (
            await conn.execute(
                text("INSERT INTO bench_baseline_insert (payload) VALUES (:p) RETURNING id"),
                {"p": str(body)},
            )
        ).scalar_one()
    return {"id": new_id}
