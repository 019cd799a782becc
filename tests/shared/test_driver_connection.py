"""Reads of one statement on the driver's own autocommit: prebuilt statements, rows
with JSON decoded, errors as the problem handlers expect them, broken connections
taken out of the pool, and pooled connections left as they were."""

import asyncpg
import pytest
from sqlalchemy import bindparam, column, select, table, text
from sqlalchemy.exc import DBAPIError

from shared.db import create_engine, driver_connection, make_sessionmaker, prebuild, session_driver

_ITEMS = table("t", column("a"), column("b"))


def test_a_statement_is_compiled_once_with_its_own_values():
    built = prebuild(select(_ITEMS).where(_ITEMS.c.a == bindparam("a")).limit(5))

    assert "$1" in built.sql and "$2" in built.sql
    assert built.names[0] == "a"
    assert built.args({"a": "x"}) == ["x", 5]
    with pytest.raises(KeyError):
        built.args({})  # a parameter the caller must give is never silently NULL


def test_a_repeated_parameter_is_sent_once():
    built = prebuild(text("SELECT :x AS one, :y AS two, :x AS three"))

    assert built.names == ("x", "y")
    assert built.sql.count("$1") == 2


def test_expanding_lists_are_refused():
    with pytest.raises(ValueError, match="ANY"):
        prebuild(select(_ITEMS).where(_ITEMS.c.a.in_(bindparam("codes", expanding=True))))


async def test_rows_errors_and_the_pool(stack):
    engine = create_engine(stack.database_url("points"), pool_size=1, max_overflow=0)
    try:
        conn, db = await driver_connection(engine)
        try:
            row = await db.first(prebuild(text(
                "SELECT CAST(:n AS int) + 1 AS n, CAST('{\"k\": [1, 2]}' AS jsonb) AS doc")),
                n=41)
            assert (row["n"], row["doc"]) == (42, {"k": [1, 2]})
            assert await db.all(prebuild(text("SELECT 1 AS n WHERE false"))) == []
            # the server refuses a value: a data error (the handlers answer 422), and
            # the connection carries on
            with pytest.raises(DBAPIError) as refused:
                await db.first(prebuild(text("SELECT 1 / CAST(:zero AS int) AS n")), zero=0)
            assert refused.value.orig.sqlstate == "22012"
            assert not refused.value.connection_invalidated
            assert (await db.first(prebuild(text("SELECT 2 AS n"))))["n"] == 2
            pid = (await db.first(prebuild(text("SELECT pg_backend_pid() AS pid"))))["pid"]
        finally:
            await conn.close()

        # the pooled connection was used without a transaction: no isolation level was
        # set on it, so a transaction on it later begins with a plain BEGIN
        async with make_sessionmaker(engine)() as session, session.begin():
            raw = await (await session.connection()).get_raw_connection()
            assert raw.dbapi_connection.isolation_level is None
            assert (await session.execute(text("SELECT pg_backend_pid()"))).scalar() == pid

        # a connection that breaks is invalidated and replaced, not handed out again
        killer = create_engine(stack.database_url("points"), pool_size=1, max_overflow=0)
        try:
            async with killer.connect() as k:
                await k.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        finally:
            await killer.dispose()
        conn, db = await driver_connection(engine)
        try:
            with pytest.raises(DBAPIError) as broken:
                await db.first(prebuild(text("SELECT 3 AS n")))
            assert broken.value.connection_invalidated
        finally:
            await conn.close()
        await _replaced(engine, pid)
    finally:
        await engine.dispose()


_PID = prebuild(text("SELECT pg_backend_pid() AS pid"))


async def _next_pid(engine) -> int:
    """The backend of the connection the pool hands out next (given back at once)."""
    conn, db = await driver_connection(engine)
    try:
        return (await db.first(_PID))["pid"]
    finally:
        await conn.close()


async def _replaced(engine, pid: int) -> None:
    """The pool's next connection is a new one: the broken one was not handed out."""
    assert await _next_pid(engine) != pid


async def test_a_transaction_begins_with_its_own_statements_and_never_commits_a_failure(stack):
    engine = create_engine(stack.database_url("points"), pool_size=1, max_overflow=0)
    lock = prebuild(text("SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' "
                         "AND objid = 4242 AND pid = pg_backend_pid()"))
    try:
        conn, db = await driver_connection(engine)
        try:
            async with db.transaction("BEGIN; SELECT pg_advisory_xact_lock(4242)"):
                assert (await db.first(lock))["n"] == 1  # taken with the BEGIN
            assert (await db.first(lock))["n"] == 0  # and released by the COMMIT
            # what BEGIN carries fails: the transaction it began is rolled back
            with pytest.raises(DBAPIError) as refused:
                async with db.transaction("BEGIN; SELECT 1 / 0"):
                    raise AssertionError("the block must not run")
            assert refused.value.orig.sqlstate == "22012"
            # a statement's error swallowed in the block: the COMMIT does not pass
            with pytest.raises(DBAPIError, match="ended in ROLLBACK"):
                async with db.transaction():
                    with pytest.raises(DBAPIError):
                        await db.first(prebuild(text("SELECT 1 / CAST(:z AS int) AS n")), z=0)
            assert (await db.first(prebuild(text("SELECT 5 AS n"))))["n"] == 5
        finally:
            await conn.close()
    finally:
        await engine.dispose()


async def test_a_connection_whose_protocol_lost_its_state_is_taken_out_of_the_pool(stack):
    """asyncpg raises InternalClientError (not a PostgresError) when the server goes away
    in the middle of a prepare: such a connection is broken, whatever the error's class."""
    engine = create_engine(stack.database_url("points"), pool_size=1, max_overflow=0)
    try:
        conn, db = await driver_connection(engine)
        try:
            pid = (await db.first(prebuild(text("SELECT pg_backend_pid() AS pid"))))["pid"]

            class Lost:  # the same connection, whose next statement meets a lost protocol
                def __init__(self, real: asyncpg.Connection) -> None:
                    self.real = real

                def __getattr__(self, name: str) -> object:
                    return getattr(self.real, name)

                async def fetchrow(self, *args: object) -> None:
                    raise asyncpg.InternalClientError("cannot switch to state 11")

            db._driver = Lost(db._driver)
            with pytest.raises(DBAPIError) as broken:
                await db.first(prebuild(text("SELECT 4 AS n")))
            assert broken.value.connection_invalidated
        finally:
            await conn.close()
        await _replaced(engine, pid)
    finally:
        await engine.dispose()


async def test_the_connection_given_back_last_is_handed_out_first(stack):
    """Under a load that needs fewer connections than the pool holds, the same few
    serve it, so each prepared statement's plan is made on those few."""
    engine = create_engine(stack.database_url("points"), pool_size=2, max_overflow=0)
    try:
        first, first_db = await driver_connection(engine)
        second, second_db = await driver_connection(engine)
        first_pid = (await first_db.first(_PID))["pid"]
        second_pid = (await second_db.first(_PID))["pid"]
        assert first_pid != second_pid
        await first.close()
        await second.close()  # given back last
        for _ in range(3):
            assert await _next_pid(engine) == second_pid
    finally:
        await engine.dispose()


async def test_a_session_driver_runs_in_the_sessions_transaction_only(stack):
    engine = create_engine(stack.database_url("points"), pool_size=1, max_overflow=0)
    try:
        async with make_sessionmaker(engine)() as session:
            with pytest.raises(RuntimeError):  # no statement yet: nothing has begun
                await session_driver(session)
            await session.execute(text("SELECT 1"))  # the session's first statement begins
            db = await session_driver(session)
            await db.first(prebuild(text("CREATE TEMP TABLE sd (n int)")))
            await session.rollback()  # the driver's statement was in the session's work
        async with make_sessionmaker(engine)() as session:
            missing = await session.execute(text("SELECT to_regclass('pg_temp.sd')"))
            assert missing.scalar() is None
    finally:
        await engine.dispose()
