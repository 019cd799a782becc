"""Database kit: metadata with one naming convention, engine factory, the request
session that commits once, the pooled connection used by the driver itself for
prebuilt statements (one-statement reads and writes, and hot-path transactions), and
the work a transaction leaves to run once it has committed (:func:`after_commit`)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, cast

import asyncpg
import structlog
from fastapi import Depends, Request
from sqlalchemy import MetaData, event, text
from sqlalchemy.dialects.postgresql import asyncpg as asyncpg_dialect
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.sql import ClauseElement, Executable
from sqlalchemy.sql.compiler import SQLCompiler

from shared.routing import after_endpoint

log = structlog.get_logger("jifen.db")

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
        # the connection given back last is handed out first: under a load that needs
        # fewer than all of them, the same few connections serve it, and PostgreSQL's
        # plan of a prepared statement, made afresh for its first runs on each
        # connection, is made on those few instead of on every connection in turn
        pool_use_lifo=True,
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


async def rowcount(session: AsyncSession, statement: Executable,
                   params: Mapping[str, Any] | None = None) -> int:
    """Run an INSERT, UPDATE or DELETE in the session's transaction and answer how
    many rows it wrote."""
    result = cast(CursorResult[Any], await session.execute(statement, params))
    return result.rowcount


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


# -- after commit ----------------------------------------------------------------------
# What a transaction owes once it has committed (the outbox rows it wrote, to deliver)
# is kept in its session's or driver connection's ``info``, as items per handler; the
# handler runs once with all of them right after COMMIT, and never when the transaction
# rolls back. Items added inside a savepoint that rolls back are dropped with it.

AfterCommit = Callable[[dict[str, Any], list[Any]], None]
_OWED = "jifen.after_commit"
_SAVEPOINTS = "jifen.after_commit.savepoints"


def after_commit(db: AsyncSession | DriverConnection, handler: AfterCommit,
                 items: Iterable[Any]) -> None:
    """Have ``handler(db.info, items)`` run once ``db``'s transaction commits, with
    every item added in it; at once for a driver connection outside
    :meth:`DriverConnection.transaction`, whose statements commit by themselves. The
    handler runs inside the commit call, so it must not block: it starts tasks."""
    owed: dict[AfterCommit, list[Any]] = db.info.setdefault(_OWED, {})
    owed.setdefault(handler, []).extend(items)
    if isinstance(db, DriverConnection) and not db.in_transaction():
        _committed(db.info)


def owed(info: dict[str, Any], handler: AfterCommit) -> list[Any]:
    """The items the open transaction holding ``info`` has so far left to ``handler``."""
    items: list[Any] = info.get(_OWED, {}).get(handler, [])
    return items


def _committed(info: dict[str, Any]) -> None:
    owed: dict[AfterCommit, list[Any]] = info.pop(_OWED, None) or {}
    for handler, items in owed.items():
        try:
            handler(info, items)
        except Exception as exc:  # committed already: never fail the caller's commit
            log.warning("after_commit_failed", handler=handler.__qualname__, error=repr(exc))


def _dropped(info: dict[str, Any]) -> None:
    info.pop(_OWED, None)
    info.pop(_SAVEPOINTS, None)


@event.listens_for(Session, "after_commit")
def _session_committed(session: Session) -> None:
    savepoint = session.get_nested_transaction()
    if savepoint is None:
        _committed(session.info)
    else:  # a savepoint's release: its items stay with the transaction around it
        session.info.get(_SAVEPOINTS, {}).pop(savepoint, None)


@event.listens_for(Session, "after_transaction_create")
def _savepoint_started(session: Session, transaction: SessionTransaction) -> None:
    if transaction.nested and _OWED in session.info:
        owed: dict[AfterCommit, list[Any]] = session.info[_OWED]
        session.info.setdefault(_SAVEPOINTS, {})[transaction] = {
            handler: len(items) for handler, items in owed.items()}


@event.listens_for(Session, "after_soft_rollback")
def _session_rolled_back(session: Session, previous: SessionTransaction) -> None:
    if not previous.nested:
        if previous.parent is None:
            _dropped(session.info)
        return
    marks = session.info.get(_SAVEPOINTS, {}).pop(previous, {})
    for handler, items in session.info.get(_OWED, {}).items():
        del items[marks.get(handler, 0):]


@event.listens_for(Session, "after_transaction_end")
def _session_ended(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # closed without a commit (after one, nothing is left)
        _dropped(session.info)


async def commit_request(session: AsyncSession, request: Request) -> None:
    """Commit the request's work. What the request's state lists as ``before_commit``
    runs first, once, in the same transaction (the Idempotency-Key marks itself
    applied with the work it guards). An endpoint that must commit before it answers
    (training_api's recordings) commits with this, never with ``session.commit()``."""
    hooks = getattr(request.state, "before_commit", None) or []
    request.state.before_commit = []
    for hook in hooks:
        await hook(session)
    await session.commit()


async def get_db_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request, committed once after the endpoint returns
    (rolled back on any error) by :func:`commit_request`. Services never commit."""
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with sessionmaker() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        else:
            if session.in_transaction():
                await commit_request(session, request)


async def _request_db_session(request: Request) -> AsyncSession:
    """:func:`get_db_session` as a plain dependency: the commit (or rollback) is left to
    the route (shared.routing.after_endpoint), which is cheaper per request than
    FastAPI's handling of a dependency with ``yield``; the same work, at the same point."""
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    session = sessionmaker()

    async def finish(error: BaseException | None) -> None:
        try:
            if error is not None:
                await session.rollback()
            elif session.in_transaction():
                await commit_request(session, request)
        finally:
            await session.close()

    after_endpoint(request, finish)
    return session


DBSession = Annotated[AsyncSession, Depends(_request_db_session)]
# the request's session opened by an endpoint itself, only when it needs one
request_session = contextlib.asynccontextmanager(get_db_session)


# SQLAlchemy declares no types on its dialect classes
_DIALECT = asyncpg_dialect.dialect()  # type: ignore[no-untyped-call]


@dataclass(frozen=True)
class Prebuilt:
    """A statement compiled once, when its module loads: the SQL the driver prepares
    (once per connection, in its statement cache) and the names of its parameters
    in order."""

    sql: str
    names: tuple[str, ...]
    # values the statement carries itself (e.g. ``.limit(1)``)
    defaults: Mapping[str, Any]

    def args(self, params: Mapping[str, Any]) -> list[Any]:
        return [params[name] if name in params else self.defaults[name] for name in self.names]


def prebuild(statement: ClauseElement) -> Prebuilt:
    """Compile a Core statement (or ``text()`` with named parameters) for
    :class:`DriverConnection`. Lists go in as one array parameter (``= ANY(:codes)``),
    never as an expanding ``IN``."""
    compiled = cast(SQLCompiler, statement.compile(dialect=_DIALECT))
    sql = str(compiled)
    if "__[POSTCOMPILE_" in sql:
        raise ValueError("expanding parameters cannot be prebuilt; use = ANY(:param)")
    names = tuple(compiled.positiontup or ())
    values = compiled.params
    defaults = {name: values[name] for name in names
                if not compiled.binds[name].required}
    return Prebuilt(sql, names, defaults)


class DriverConnection:
    """A pooled connection on which prebuilt statements run through the driver itself.
    Outside :meth:`transaction` each statement commits by itself: a read of one
    statement is one round trip, without BEGIN and COMMIT. Either way there is no ORM
    session, no statement compiled or cache key computed per request, and no isolation
    level set on the connection and reset when it goes back to the pool. Rows come
    back as mappings (JSON columns decoded); JSON parameters go in as JSON text."""

    __slots__ = ("_conn", "_driver", "info")

    def __init__(self, conn: AsyncConnection, driver: asyncpg.Connection,
                 info: Mapping[str, Any] | None = None) -> None:
        self._conn, self._driver = conn, driver
        # as a session's info: what the kit hands its transactions (the outbox relay),
        # and what a transaction leaves to run after its commit (:func:`after_commit`)
        self.info: dict[str, Any] = dict(info or {})

    @contextlib.asynccontextmanager
    async def transaction(self, begin: str = "BEGIN") -> AsyncIterator[None]:
        """BEGIN, the block's statements, COMMIT; ROLLBACK when the block raises. A
        connection whose transaction cannot be ended is taken out of the pool. What
        the block left to :func:`after_commit` runs once COMMIT has succeeded.

        ``begin`` may carry statements after its BEGIN that run in the transaction
        before the block's (e.g. taking an advisory lock): sent together, in one round
        trip, as one simple query, so without parameters: only literals the caller
        built safely (numbers)."""
        _dropped(self.info)
        try:
            await self._driver.execute(begin)
        except Exception as exc:
            await self._end("ROLLBACK")  # BEGIN may have run before what failed
            raise await self._failure(begin, exc) from exc
        try:
            yield
        except BaseException:
            _dropped(self.info)
            await self._end("ROLLBACK")
            raise
        try:
            ended = await self._driver.execute("COMMIT")
        except Exception as exc:
            _dropped(self.info)
            if self._driver.is_in_transaction():
                await self._conn.invalidate(exc)
            raise await self._failure("COMMIT", exc) from exc
        if ended != "COMMIT":  # a statement failed and its error was swallowed
            _dropped(self.info)
            raise DBAPIError("COMMIT", None, RuntimeError(f"the transaction ended in {ended}"))
        _committed(self.info)

    async def _end(self, command: str) -> None:
        if not self._driver.is_in_transaction():
            return
        try:
            await self._driver.execute(command)
        except Exception as exc:
            await self._conn.invalidate(exc)

    def in_transaction(self) -> bool:
        return bool(self._driver.is_in_transaction())

    async def all(self, statement: Prebuilt, **params: Any) -> list[asyncpg.Record]:
        try:
            rows: list[asyncpg.Record] = await self._driver.fetch(
                statement.sql, *statement.args(params))
            return rows
        except Exception as exc:
            raise await self._failure(statement.sql, exc) from exc

    async def first(self, statement: Prebuilt, **params: Any) -> asyncpg.Record | None:
        try:
            return await self._driver.fetchrow(statement.sql, *statement.args(params))
        except Exception as exc:
            raise await self._failure(statement.sql, exc) from exc

    async def _failure(self, sql: str, exc: Exception) -> Exception:
        """The driver's error as SQLAlchemy's, for the problem handlers; a connection
        that broke is taken out of the pool."""
        if (isinstance(exc, asyncpg.PostgresError)  # the server answered: the link is fine
                and not isinstance(exc, asyncpg.PostgresConnectionError)
                and not self._driver.is_closed()):  # unless it said goodbye (terminated)
            return DBAPIError(sql, None, exc)
        # asyncpg's InternalClientError: its protocol lost its state (the server went
        # away in the middle of a prepare): the connection cannot be used again
        if self._driver.is_closed() or isinstance(
                exc, asyncpg.PostgresError | asyncpg.InterfaceError | asyncpg.InternalClientError
                | OSError | ConnectionError | TimeoutError):
            await self._conn.invalidate(exc)
            return DBAPIError(sql, None, exc, connection_invalidated=True)
        return exc


class RowAttributes:
    """A row's columns as attributes, for code written against ORM objects."""

    __slots__ = ("_row",)

    def __init__(self, row: Mapping[str, Any]) -> None:
        self._row = row

    def __getattr__(self, name: str) -> Any:
        try:
            return self._row[name]
        except KeyError:
            raise AttributeError(name) from None


async def driver_connection(engine: AsyncEngine, info: Mapping[str, Any] | None = None
                            ) -> tuple[AsyncConnection, DriverConnection]:
    """Check out a pooled connection for :class:`DriverConnection` (close the first item
    to give it back). ``info``: what its transactions carry, as a session's."""
    conn = await engine.connect()
    try:
        raw = await conn.get_raw_connection()
    except BaseException:
        await conn.close()
        raise
    return conn, DriverConnection(conn, raw.driver_connection, info)


async def session_driver(session: AsyncSession) -> DriverConnection:
    """The session's connection as a :class:`DriverConnection`, for statements that run
    in the transaction the session began, straight through the driver, without
    SQLAlchemy's execution and result handling around each."""
    conn = await session.connection()
    db = DriverConnection(conn, (await conn.get_raw_connection()).driver_connection,
                          session.info)
    if not db.in_transaction():  # a statement here would commit by itself
        raise RuntimeError("the session's transaction has not begun")
    return db


async def get_driver_connection(request: Request) -> AsyncIterator[DriverConnection]:
    """A connection for prebuilt statements (see :class:`DriverConnection`): a read
    that is one statement, or a hot path's own transaction. Other work uses
    :data:`DBSession` (one ORM transaction per request)."""
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    conn, reader = await driver_connection(request.app.state.engine,
                                           sessionmaker.kw.get("info"))
    try:
        yield reader
    finally:
        await conn.close()


async def _request_driver_connection(request: Request) -> DriverConnection:
    """:func:`get_driver_connection` as a plain dependency, given back to the pool by
    the route (shared.routing.after_endpoint), as :func:`_request_db_session`."""
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    conn, reader = await driver_connection(request.app.state.engine,
                                           sessionmaker.kw.get("info"))

    async def finish(error: BaseException | None) -> None:
        await conn.close()

    after_endpoint(request, finish)
    return reader


DriverDB = Annotated[DriverConnection, Depends(_request_driver_connection)]
# the request's driver connection opened by an endpoint itself, only when it needs one
request_driver = contextlib.asynccontextmanager(get_driver_connection)
