"""Database kit: metadata with one naming convention, engine factory, the request
session that commits once, and the autocommit connection of one-statement reads."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import MetaData, text
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def make_metadata() -> MetaData:
    """Each service builds its own MetaData from here; never one Base for all services."""
    return MetaData(naming_convention=NAMING_CONVENTION)


def create_engine(
    url: str, *, pool_size: int = 10, max_overflow: int = 10, application_name: str = "jifen"
) -> AsyncEngine:
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=max_overflow,
        # no pre-ping: it costs a round trip per request; a connection the server
        # closed fails one request with a 503 problem and is then replaced
        pool_recycle=1800,
        connect_args={"server_settings": {"application_name": application_name, "timezone": "UTC"}},
    )


async def warm_pool(engine: AsyncEngine, connections: int) -> None:
    """Open ``connections`` connections at once and put them in the pool, so that the
    first requests under load do not each pay a PostgreSQL fork, asyncpg's type
    introspection and a login."""
    held: list[AsyncConnection] = []
    try:
        held = list(await asyncio.gather(*[engine.connect() for _ in range(connections)]))
        await asyncio.gather(*[conn.execute(text("SELECT 1")) for conn in held])
    finally:
        for conn in held:
            await conn.close()


def autocommit_engine(engine: AsyncEngine) -> AsyncEngine:
    """The same pool, in autocommit: a one-statement read sends just its statement,
    without BEGIN and COMMIT around it."""
    return engine.execution_options(isolation_level="AUTOCOMMIT")


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


async def get_db_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request, committed once after the endpoint returns
    (rolled back on any error). Services never commit."""
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with sessionmaker() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        else:
            if session.in_transaction():
                await session.commit()


DBSession = Annotated[AsyncSession, Depends(get_db_session, scope="function")]


async def get_read_connection(request: Request) -> AsyncIterator[AsyncConnection]:
    """An autocommit connection for a read that is one statement: one round trip to
    PostgreSQL, no ORM session. Reads of several statements that must agree with each
    other use :data:`DBSession` (one transaction)."""
    async with request.app.state.read_engine.connect() as conn:
        yield conn


ReadDB = Annotated[AsyncConnection, Depends(get_read_connection, scope="function")]
