"""Idempotency-Key for every POST, as API.md specifies.

Same key and same request: the stored response is replayed (with
``Idempotent-Replayed: true``). Same key, different request: 409. Same key
while the first request still runs: 409. Keys are scoped to the caller (the
verified token subject) and kept ``idempotency_ttl_hours``. 5xx answers are
not stored, so a retry after a crash runs again.

"Still runs" is the owner's liveness, not a clock: a claim names the process
that made it (:class:`ClaimOwner`, a session-level advisory lock that process
holds on a connection of its own). PostgreSQL drops the lock the moment that
connection ends, when the process is killed or crashes, so the key of a request
that died with its process is free at once, and the key of one that runs long on a
live process stays taken. A claim made while the process holds no lock (its
database connection was lost and is not back yet) names no owner and is taken
to have died after :data:`ABANDONED_AFTER`, as every claim was before.

A takeover must not carry out again what the first request did: the request's
database session marks the claim ``applied`` in the transaction that commits its
work (``before_commit`` in the request's state, run by shared.db's session). A
claim whose process died after that commit and before its answer was stored is
never run again; the key answers 409 ``idempotency-key-answer-lost`` (the work
stands, read the resource to see it). Routes that write outside the request's
session keep their keys themselves (:class:`RouteKeys`).

The middleware claims the key before the request and stores the answer after it,
one autocommitted statement each. A hot route can keep its key in its own
transaction instead (:class:`RouteKeys`, the route listed in the service's
``keyed_routes``): the key is taken by a transaction-scoped advisory lock and the
answer stored by the statements that make it, committed together.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import structlog
from sqlalchemy import Column, DateTime, Integer, LargeBinary, MetaData, String, Table, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.auth import decode_token
from shared.db import Prebuilt, driver_connection, prebuild
from shared.errors import PROBLEM_MEDIA_TYPE, ServiceError, database_outage, problem_type

log = structlog.get_logger("jifen.idempotency")

HEADER = b"idempotency-key"
# A claim that names no owner (made while its process held no owner lock) and is held
# longer than this is taken to have died with its process.
ABANDONED_AFTER = timedelta(minutes=2)
# the advisory-lock namespace of claim owners (two int4 keys: pg_locks shows them as
# classid and objid, objsubid 2); the second key is the owner, random per process
OWNER_LOCK_CLASS = 0x4A49


class ClaimOwner:
    """This process as the owner of its Idempotency-Key claims: the session-level
    advisory lock (OWNER_LOCK_CLASS, :attr:`key`) held on a connection of its own,
    outside the pool, for the process's whole life. :attr:`key` is None while no lock
    is held (the database was away); the keeper connects again every
    ``check_seconds``."""

    def __init__(self, url: URL, *, application_name: str, check_seconds: float = 1.0) -> None:
        self._dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._application_name = application_name
        self._check_seconds = check_seconds
        self._conn: asyncpg.Connection | None = None
        self._task: asyncio.Task[None] | None = None
        self.key: int | None = None

    async def start(self) -> None:
        """Take the lock (once, now, so that the first requests name their owner) and
        keep it; a database that is away now does not stop the service starting."""
        if self._task is None:
            await self._ensure()
            self._task = asyncio.create_task(self._keep(), name="idempotency-claim-owner")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        self.key = None
        if self._conn is not None:
            await self._conn.close(timeout=5)  # ends the session: the lock goes with it
            self._conn = None

    async def _keep(self) -> None:
        while True:
            await asyncio.sleep(self._check_seconds)
            await self._ensure()

    async def _ensure(self) -> None:
        if self._conn is not None and not self._conn.is_closed():
            return
        self.key = None
        try:
            await self._acquire()
        except Exception as exc:  # the database may come back later
            log.warning("claim_owner_lock_not_held", error=repr(exc))

    async def _acquire(self) -> None:
        conn = await asyncpg.connect(
            self._dsn, server_settings={"application_name": self._application_name})
        try:
            for _ in range(16):  # another live process drew the same key: draw again
                key = secrets.randbelow(2**31 - 2) + 1
                if await conn.fetchval("SELECT pg_try_advisory_lock($1, $2)",
                                       OWNER_LOCK_CLASS, key):
                    break
            else:
                raise RuntimeError("no free claim-owner key after 16 draws")
        except BaseException:
            await conn.close()
            raise
        conn.add_termination_listener(self._lost)
        self._conn, self.key = conn, key
        log.info("claim_owner_lock_held", owner=key)

    def _lost(self, conn: asyncpg.Connection) -> None:
        if conn is self._conn:
            self.key = None  # claims from now on name no owner until the lock is back


def idempotency_table(metadata: MetaData) -> Table:
    return Table(
        "idempotency_key",
        metadata,
        Column("scope", String(200), primary_key=True),
        Column("key", String(200), primary_key=True),
        Column("request_hash", String(64), nullable=False),
        Column("state", String(10), nullable=False),  # running | applied | done
        # the ClaimOwner key of the process running the request (NULL: none known)
        Column("owner", Integer),
        Column("status_code", Integer),
        Column("response_headers", JSONB),
        Column("response_body", LargeBinary),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp, *, table: Table, ttl_hours: int = 48,
                 keyed_routes: frozenset[str] = frozenset()) -> None:
        self.app = app
        self.table = table
        self.ttl = timedelta(hours=ttl_hours)
        self._statements = _Statements.of(table)
        self.keyed_routes = keyed_routes  # POST paths that keep their keys (RouteKeys)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or scope["method"] != "POST"
                or scope["path"] in self.keyed_routes):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        key = headers.get(HEADER, b"").decode("latin-1").strip()
        # the token is read only for a keyed request: a service's call (a spend, a relay's
        # delivery) sends none, and its token is not a user's (decoding it would fail)
        caller = self._caller(scope, headers) if key else None
        if caller is None:
            await self.app(scope, receive, send)
            return
        if len(key) > 200:
            await _problem(
                send,
                400,
                "invalid-idempotency-key",
                "Idempotency-Key too long",
                "Use at most 200 characters, e.g. a UUID",
            )
            return
        body = await _read_body(receive)
        digest = request_digest(scope, headers, body)
        engine = scope["app"].state.engine
        owner: ClaimOwner | None = getattr(scope["app"].state, "claim_owner", None)
        try:
            claimed, existing = await self._claim(engine, caller, key, digest,
                                                  owner.key if owner is not None else None)
        except Exception as exc:
            if not database_outage(exc):
                raise
            await _problem(send, 503, "database-unavailable", "The database could not answer",
                           "Try again shortly", headers=[(b"retry-after", b"2")])
            return
        if not claimed:
            await self._answer_existing(send, existing, digest)
            return
        scope.setdefault("state", {}).setdefault("before_commit", []).append(
            self._mark_applied(caller, key))
        # the answer is stored before the client sees it, so a retry that follows
        # the response at once finds it replayable rather than "in progress"
        try:
            captured = await self._run(scope, body)
        except BaseException:
            await self._store(engine, caller, key, {"status": 500})
            raise
        await self._store(engine, caller, key, captured)
        await send(
            {
                "type": "http.response.start",
                "status": captured["status"],
                "headers": captured["raw_headers"],
            }
        )
        await send({"type": "http.response.body", "body": bytes(captured["body"])})

    def _mark_applied(self, caller: str, key: str) -> Callable[[AsyncSession], Awaitable[Any]]:
        return MarkApplied(self._statements.applied, caller, key)

    def _caller(self, scope: Scope, headers: dict[bytes, bytes]) -> str | None:
        auth = headers.get(b"authorization", b"").decode("latin-1")
        if not auth.lower().startswith("bearer "):
            return None
        s = scope["app"].state.settings
        try:
            principal = decode_token(
                auth[7:].strip(),
                secret=s.jwt_secret,
                algorithms=s.jwt_algorithms,
                issuer=s.jwt_issuer,
                audience=s.jwt_audience,
            )
        except Exception:
            return None  # the route itself answers 401
        return principal.sub

    async def _claim(self, engine: Any, caller: str, key: str, digest: str,
                     owner: int | None) -> tuple[bool, Any]:
        """One autocommitted statement: take the key for ``owner`` when it is new,
        expired, or held by a request whose process is gone; otherwise answer what
        holds it."""
        now = datetime.now(UTC)
        conn, db = await driver_connection(engine)
        try:
            row = await db.first(self._statements.claim, scope=caller, key=key, digest=digest,
                                 owner=owner,
                                 expired=now - self.ttl, abandoned=now - ABANDONED_AFTER)
        finally:
            await conn.close()
        assert row is not None
        if row["claimed"] is not None:
            return True, None
        return False, (row if row["state"] is not None else None)

    async def _answer_existing(self, send: Send, existing: Any, digest: str) -> None:
        if existing is None:  # deleted between our statements: ask the client to retry
            await _problem(
                send, 409, "idempotency-key-in-use", "Request in progress", "Retry in a moment"
            )
        elif existing["request_hash"] != digest:
            # 422 (API.md): the key was meant for another request, so this request as
            # sent cannot be processed; retrying it with the same key will never work
            await _problem(
                send,
                422,
                "idempotency-key-reused",
                "Idempotency-Key reused with a different request",
                "This key was already used for a different request body or path",
            )
        elif existing["state"] == "applied" and not existing["alive"]:
            await _problem(
                send,
                409,
                "idempotency-key-answer-lost",
                "Request carried out, answer lost",
                "The request with this Idempotency-Key was carried out, but its process "
                "stopped before its answer was kept; it is not carried out again. Read the "
                "resource to see its outcome",
            )
        elif existing["state"] != "done":
            await _problem(
                send,
                409,
                "idempotency-key-in-use",
                "Request in progress",
                "A request with this Idempotency-Key is still running; retry later",
            )
        else:
            await send(
                {
                    "type": "http.response.start",
                    "status": existing["status_code"],
                    "headers": _replayed_headers(existing["response_headers"]),
                }
            )
            await send({"type": "http.response.body", "body": existing["response_body"] or b""})

    async def _run(self, scope: Scope, body: bytes) -> dict[str, Any]:
        captured: dict[str, Any] = {
            "status": 500,
            "headers": [],
            "raw_headers": [],
            "body": bytearray(),
        }
        sent_body = False

        async def replay_receive() -> Message:
            nonlocal sent_body
            if not sent_body:
                sent_body = True
                return {"type": "http.request", "body": body, "more_body": False}
            return {"type": "http.disconnect"}

        async def capture_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                captured["raw_headers"] = list(message.get("headers", []))
                captured["headers"] = [
                    (k.decode("latin-1"), v.decode("latin-1"))
                    for k, v in message.get("headers", [])
                    if k.lower() not in (b"x-request-id", b"date", b"server")
                ]
            elif message["type"] == "http.response.body":
                captured["body"].extend(message.get("body", b""))

        await self.app(scope, replay_receive, capture_send)
        return captured

    async def _store(self, engine: Any, caller: str, key: str, captured: dict[str, Any]) -> None:
        conn, db = await driver_connection(engine)
        try:
            if captured["status"] >= 500:
                await db.first(self._statements.forget, scope=caller, key=key)
            else:
                await db.first(self._statements.store, scope=caller, key=key,
                               status=captured["status"],
                               headers=json.dumps(captured["headers"]),
                               body=bytes(captured["body"]))
        finally:
            await conn.close()


# a row when the claim owner ``owner`` holds its lock in this database
OWNER_ALIVE = f"""
    SELECT 1 FROM pg_locks
    WHERE locktype = 'advisory' AND granted AND classid = {OWNER_LOCK_CLASS}
      AND objid = {{owner}}::oid AND objsubid = 2
      AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"""


def _owner_alive(row: str) -> str:
    """SQL: the claim in ``row`` (a row of the key table) is held by a live process:
    its owner holds its lock, or, naming none, it is younger than ``:abandoned``."""
    return (f"CASE WHEN {row}.owner IS NULL THEN {row}.created_at >= :abandoned "
            f"ELSE EXISTS ({OWNER_ALIVE.format(owner=f'{row}.owner')}) END")


def _takeover(name: str) -> str:
    """SQL: the ON CONFLICT clause of a claim, which takes a key over when its row has
    expired (older than ``:expired``) or its claim died with its process."""
    return f"""ON CONFLICT (scope, key) DO UPDATE SET
                    request_hash = excluded.request_hash, state = 'running',
                    owner = excluded.owner,
                    status_code = NULL, response_headers = NULL, response_body = NULL,
                    created_at = now()
                WHERE {name}.created_at < :expired
                   OR ({name}.state = 'running' AND NOT {_owner_alive(name)})"""


@dataclass(frozen=True)
class _Statements:
    """The middleware's statements on its table, compiled once."""

    claim: Prebuilt
    store: Prebuilt
    forget: Prebuilt
    applied: Any  # run on the request's session, in its transaction

    @classmethod
    def of(cls, t: Table) -> _Statements:
        name = t.name
        # the claim and, when the key is held, the row that holds it: the SELECT sees
        # the table as it was before the INSERT, so it reads the holder's row
        claim = text(f"""
            WITH claimed AS (
                INSERT INTO {name} (scope, key, request_hash, state, owner)
                VALUES (:scope, :key, :digest, 'running', :owner)
                {_takeover(name)}
                RETURNING key)
            SELECT (SELECT key FROM claimed) AS claimed, t.request_hash, t.state,
                   t.status_code, t.response_headers, t.response_body,
                   {_owner_alive("t")} AS alive
            FROM (SELECT 1) AS one
            LEFT JOIN {name} t ON t.scope = :scope AND t.key = :key""")
        store = text(f"""
            UPDATE {name} SET state = 'done', status_code = :status,
                   response_headers = CAST(:headers AS jsonb), response_body = :body
            WHERE scope = :scope AND key = :key""")
        # a 5xx: the key is free again, unless the work was committed (then no process
        # owns it, OWNER 0 holding no lock: its answer is lost at once)
        forget = text(f"""
            WITH gone AS (DELETE FROM {name}
                          WHERE scope = :scope AND key = :key AND state = 'running')
            UPDATE {name} SET owner = 0
            WHERE scope = :scope AND key = :key AND state = 'applied'""")
        applied = text(f"""
            UPDATE {name} SET state = 'applied'
            WHERE scope = :scope AND key = :key AND state = 'running'""")
        return cls(prebuild(claim), prebuild(store), prebuild(forget), applied)


class MarkApplied:
    """The ``before_commit`` hook of a claimed key: marks it applied in the request's
    transaction. A route that commits its work in a statement of its own, on a driver
    connection, marks the claim there instead (:func:`applied_claim`)."""

    __slots__ = ("_statement", "scope", "key")

    def __init__(self, statement: Any, scope: str, key: str) -> None:
        self._statement, self.scope, self.key = statement, scope, key

    async def __call__(self, session: AsyncSession) -> None:
        await session.execute(self._statement, {"scope": self.scope, "key": self.key})


def applied_claim(state: Any) -> tuple[str | None, str | None] | None:
    """(scope, key) of the request's claimed Idempotency-Key, (None, None) without one,
    for a route whose own statement marks the claim applied (``UPDATE idempotency_key
    SET state = 'applied' WHERE scope = .. AND key = .. AND state = 'running'``) with
    the work it guards. None when the request's transaction has other work to do
    before it commits: such a route must commit through :func:`shared.db.commit_request`."""
    hooks = getattr(state, "before_commit", None) or []
    if not hooks:
        return None, None
    if len(hooks) != 1 or not isinstance(hooks[0], MarkApplied):
        return None
    return hooks[0].scope, hooks[0].key


def claim_applied(state: Any) -> None:
    """The route's own statement has marked the claim applied (see :func:`applied_claim`):
    nothing is left for the request's commit to do."""
    state.before_commit = []


def _replayed_headers(stored: list[list[str]]) -> list[tuple[bytes, bytes]]:
    out = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in stored]
    out.append((b"idempotent-replayed", b"true"))
    return out


class KeyInUse(ServiceError):
    status, problem, title = 409, "idempotency-key-in-use", "Request in progress"


class KeyReused(ServiceError):
    status, problem = 422, "idempotency-key-reused"
    title = "Idempotency-Key reused with a different request"


@dataclass(frozen=True)
class Keyed:
    """A request's Idempotency-Key, for :class:`RouteKeys`."""

    caller: str
    key: str
    digest: str
    fresh: datetime  # answers stored before this have expired


class RouteKeys:
    """Idempotency-Key kept by a route itself, with the middleware's rules, in one of
    two ways on a :class:`~shared.db.DriverConnection`:

    - **in the route's transaction**: the key taken with the transaction's BEGIN
      (:meth:`begin`, a transaction-scoped advisory lock), the stored answer read by
      the route's next statement, whose snapshot sees what the last holder committed
      (:meth:`lookup`, :meth:`stored`), and the answer stored by the transaction's
      last statement (:meth:`store_params`) or by :meth:`store` after a rollback (a
      4xx the route answers). A second request with the key gets 409 meanwhile and
      the stored answer after;
    - **by autocommitted statements**, for work whose every step is one statement
      that commits by itself: the key claimed for this process by a statement of the
      route (:meth:`claim_sql`, the middleware's claim: the row names the
      :class:`ClaimOwner`, so a claim dies with its process), the answer stored over
      the claim by the route's last statement (:meth:`store_params`, :meth:`store`),
      or the claim let go (:meth:`release`) when there is no answer to keep (5xx).

    The two exclude each other: a claim is only made while no transaction holds the
    key's lock, and a transaction that finds a live claim answers 409 (:meth:`stored`)."""

    def __init__(self, table: Table) -> None:
        name = self.name = table.name
        self.store_sql = prebuild(text(f"""
            INSERT INTO {name} (scope, key, request_hash, state, status_code,
                                response_headers, response_body)
            VALUES (:scope, :key, :digest, 'done', :status, CAST(:headers AS jsonb), :body)
            ON CONFLICT (scope, key) DO UPDATE SET
                request_hash = excluded.request_hash, state = 'done',
                status_code = excluded.status_code,
                response_headers = excluded.response_headers,
                response_body = excluded.response_body, created_at = now()
            WHERE {name}.created_at < :fresh OR {name}.state <> 'done'"""))
        self.release_sql = prebuild(text(f"""
            DELETE FROM {name} WHERE scope = :scope AND key = :key AND state = 'running'"""))

    @staticmethod
    def keyed(scope: Scope, body: bytes, key: str | None, caller: str,
              ttl_hours: int) -> Keyed | None:
        """The request's key with the digest of the request as received."""
        if not key:
            return None
        return Keyed(caller, key, request_digest(scope, dict(scope["headers"]), body),
                     fresh=datetime.now(UTC) - timedelta(hours=ttl_hours))

    @staticmethod
    def lock_id(keyed: Keyed) -> int:
        """The number of the key's advisory lock, made here from the key (so nothing of
        the request reaches the SQL text of :meth:`begin`)."""
        digest = hashlib.blake2b(f"{keyed.caller}\x1f{keyed.key}".encode(), digest_size=8,
                                 person=b"jifen-route-key").digest()
        return int.from_bytes(digest, "big", signed=True)

    @classmethod
    def begin(cls, keyed: Keyed | None) -> str:
        """The route's BEGIN (for :meth:`DriverConnection.transaction`), taking the key
        in the same round trip when there is one: a key another request holds makes
        the statement divide by zero, which :meth:`in_use` recognises."""
        if keyed is None:
            return "BEGIN"
        return f"BEGIN; SELECT 1 / pg_try_advisory_xact_lock({cls.lock_id(keyed)})::int"

    @staticmethod
    def in_use(exc: BaseException) -> KeyInUse | None:
        """The 409 for a :meth:`begin` that found the key held, else None."""
        if isinstance(getattr(exc, "orig", None), asyncpg.DivisionByZeroError):
            return KeyInUse("A request with this Idempotency-Key is still running; "
                            "retry later")
        return None

    def lookup(self, keyed: Keyed | None) -> dict[str, Any]:
        """Parameters of :meth:`lookup_sql`, in the route's statement that reads the
        stored answer."""
        if keyed is None:
            return {"scope": None, "key": None, "fresh": None, "abandoned": None}
        return {"scope": keyed.caller, "key": keyed.key, "fresh": keyed.fresh,
                "abandoned": datetime.now(UTC) - ABANDONED_AFTER}

    def lookup_sql(self, alias: str) -> str:
        """SQL: the columns :meth:`stored` reads, of the key's row joined as ``alias``
        (``LEFT JOIN <table> alias ON alias.scope = :scope AND alias.key = :key``)."""
        done = f"{alias}.state = 'done' AND {alias}.created_at >= :fresh"
        return f"""CASE WHEN {done} THEN {alias}.request_hash END AS request_hash,
            {alias}.status_code, {alias}.response_headers, {alias}.response_body,
            COALESCE({alias}.state = 'running' AND {alias}.created_at >= :fresh
                     AND {_owner_alive(alias)}, false) AS key_claimed"""

    @staticmethod
    def stored(keyed: Keyed, row: Any) -> Any | None:
        """The stored answer in ``row`` (:meth:`lookup_sql`'s columns) to replay, or
        None to go on; 422 when the key was another request's, 409 (:class:`KeyInUse`,
        never an answer to store) while a claim made by autocommitted statements holds
        it."""
        if row["key_claimed"]:
            raise KeyInUse("A request with this Idempotency-Key is still running; "
                           "retry later")
        if row["request_hash"] is None:
            return None
        if row["request_hash"] != keyed.digest:
            raise KeyReused("This key was already used for a different request body or path")
        return row

    def claim_sql(self, when: str) -> str:
        """SQL: a data-modifying CTE for the route's statement that claims the key for
        this process (RETURNING its key when claimed), when the statement's condition
        ``when`` holds, no transaction holds the key (:meth:`begin`'s lock, tried for
        the statement's duration) and the key is new, expired or held by a dead
        claim. Parameters: :meth:`claim_params`."""
        return f"""INSERT INTO {self.name} (scope, key, request_hash, state, owner)
            SELECT CAST(:scope AS varchar), CAST(:key AS varchar),
                   CAST(:digest AS varchar), 'running', CAST(:owner AS integer)
            WHERE ({when}) AND pg_try_advisory_xact_lock(CAST(:lock_id AS bigint))
            {_takeover(self.name)}
            RETURNING key"""

    def claim_params(self, keyed: Keyed | None, owner: ClaimOwner | None) -> dict[str, Any]:
        """:meth:`claim_sql`'s parameters (without a key nothing is claimed)."""
        if keyed is None:
            return {"scope": None, "key": None, "digest": None, "owner": None,
                    "lock_id": None, "expired": None, "abandoned": None}
        return {"scope": keyed.caller, "key": keyed.key, "digest": keyed.digest,
                "owner": owner.key if owner is not None else None,
                "lock_id": self.lock_id(keyed), "expired": keyed.fresh,
                "abandoned": datetime.now(UTC) - ABANDONED_AFTER}

    async def release(self, db: Any, keyed: Keyed) -> None:
        """Let go of the key claimed by :meth:`claim_sql` without an answer (a 5xx):
        a retry runs again."""
        await db.first(self.release_sql, scope=keyed.caller, key=keyed.key)

    def store_params(self, keyed: Keyed, status: int, headers: list[tuple[str, str]],
                     body: bytes) -> dict[str, Any]:
        return {"scope": keyed.caller, "key": keyed.key, "digest": keyed.digest,
                "status": status, "headers": json.dumps(headers), "body": body,
                "fresh": keyed.fresh}

    async def store(self, db: Any, keyed: Keyed, status: int, headers: list[tuple[str, str]],
                    body: bytes) -> None:
        await db.first(self.store_sql, **self.store_params(keyed, status, headers, body))

    @staticmethod
    def replay(stored: Any) -> Response:
        headers = _replayed_headers(stored["response_headers"])
        response = Response(content=stored["response_body"] or b"",
                            status_code=stored["status_code"])
        response.raw_headers = headers
        return response


def request_digest(scope: Scope, headers: dict[bytes, bytes], body: bytes) -> str:
    """Hash of what makes two requests "the same". A multipart boundary is random
    per attempt, so it is taken out: a retried upload of the same file matches."""
    content_type = headers.get(b"content-type", b"")
    normalised = body
    if content_type.startswith(b"multipart/") and b"boundary=" in content_type:
        boundary = content_type.split(b"boundary=", 1)[1].split(b";", 1)[0].strip(b'"')
        if boundary:
            normalised = body.replace(boundary, b"<boundary>")
    return hashlib.sha256(
        b"\n".join(
            [
                scope["method"].encode(),
                scope["path"].encode(),
                scope.get("query_string", b""),
                normalised,
            ]
        )
    ).hexdigest()


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.request":
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        elif message["type"] == "http.disconnect":
            break
    return b"".join(chunks)


async def _problem(send: Send, status: int, slug: str, title: str, detail: str,
                   headers: Sequence[tuple[bytes, bytes]] = ()) -> None:
    body = json.dumps(
        {"type": problem_type(slug), "title": title, "status": status, "detail": detail}
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
