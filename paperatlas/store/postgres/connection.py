"""The PostgreSQL catalog's connections: the only place that creates them.

A pool of connections (psycopg_pool) serves every thread of the process; each read takes one for
a statement or two and gives it back. A write transaction holds one connection for its length,
and every store call made by the same thread while it is open joins it (reads see what the
transaction wrote so far, as on SQLite, where all of a process shares one connection).

Writers of catalog content (``store.writer()``) queue on one advisory lock held to the end of
their transaction: entity resolution reads the catalog and then writes what it decided, so two
imports at once must not interleave (SQLite's ``BEGIN IMMEDIATE`` does the same). Library changes
do not take it: they lock only the paper they touch (``FOR KEY SHARE``), so a star is not
delayed by an import that merges other papers.

Any lost connection (the server restarted, the network went away) becomes one
``CatalogUnavailable`` (a ``CatalogError``; HTTP 503) naming the catalog's URL without its
password; the pool checks a connection before handing it out and replaces broken ones, so the
next call after the server is back works without restarting paperatlas.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg.types import TypeInfo
from psycopg_pool import ConnectionPool, PoolTimeout

from ... import deadline
from ...errors import CatalogError, CatalogUnavailable, InvalidInput, WriteBusy
from . import migrations

POOL_MAX = 8  # connections per process: the web server's workers, the search pool, a warm-up thread
WAIT_S = 10.0  # longest a call waits for a connection (the server may be down) before it fails
CONNECT_TIMEOUT_S = 5  # libpq's connect_timeout
CATALOG_LOCK = 0x7061_7065_7261_746C  # "paperatl": the advisory lock of catalog writers
Connection = psycopg.Connection[tuple[Any, ...]]
Args = Sequence[object] | dict[str, object] | None
UNREACHABLE_HINT = ("is the server running and the URL right (postgresql://USER@HOST:PORT/DATABASE)? A password"
                    " can come from PGPASSWORD or ~/.pgpass instead of the URL")


def redact(url: str) -> str:
    """The URL without its password (in the user part or a ``password=`` parameter)."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        user, host = netloc.rsplit("@", 1)
        netloc = user.split(":", 1)[0] + "@" + host
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if k.lower() != "password"])
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def url_digest(url: str) -> str:
    """A short name for the catalog at ``url`` (its password left out, so changing a password
    keeps the derived indexes): 12 hex digits of its hash."""
    return hashlib.sha256(redact(url).encode()).hexdigest()[:12]


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0].removeprefix("connection failed: ")


def open_error(shown: str, exc: BaseException) -> CatalogError:
    """The one message for a catalog that cannot be reached or opened."""
    reason = _first_line(exc)
    if "does not exist" in reason and "database" in reason:
        name = urlsplit(shown).path.lstrip("/") or "paperatlas"
        return CatalogError(f"cannot open the catalog {shown}: {reason}",
                            hint=f"create it first (createdb {name}, or CREATE DATABASE {name}), or fix the URL")
    if "password" in reason or "authentication" in reason:
        return CatalogError(f"cannot open the catalog {shown}: {reason}",
                            hint="check the user name and password (PGPASSWORD, ~/.pgpass or the URL)")
    return CatalogError(f"cannot reach the catalog server {shown}: {reason}", hint=UNREACHABLE_HINT)


class Database:
    """One PostgreSQL catalog: its migrated schema, its connection pool, and which thread is in
    which write transaction."""

    def __init__(self, url: str, wait_s: float = WAIT_S) -> None:
        self.url = url
        self.wait_s = wait_s
        self.shown = redact(url)
        self._local = threading.local()
        self.oid = self._migrate()
        self.pool = ConnectionPool(
            url, min_size=1, max_size=POOL_MAX, open=False, timeout=wait_s, name=f"paperatlas {self.shown}",
            kwargs={"autocommit": True, "connect_timeout": CONNECT_TIMEOUT_S},
            configure=self._configure, check=ConnectionPool.check_connection,
        )
        try:
            self.pool.open(wait=True, timeout=wait_s)
        except PoolTimeout as exc:
            self.pool.close()
            raise CatalogError(f"cannot reach the catalog server {self.shown}: no connection within {wait_s:.0f} s",
                               hint=UNREACHABLE_HINT) from exc

    def _migrate(self) -> int:
        """Connect once, refuse a catalog of a newer version, apply the migrations this version
        has and the catalog lacks; the database's oid (a new database at the same URL has another)."""
        try:
            conn = psycopg.connect(self.url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S)
        except psycopg.Error as exc:
            raise open_error(self.shown, exc) from None
        except ValueError as exc:  # libpq could not parse the URL (a bad port, an unknown option)
            raise CatalogError(f"cannot use the catalog URL {self.shown}: {exc}",
                               hint="write it as postgresql://USER@HOST:PORT/DATABASE") from None
        try:
            with conn:
                migrations.check_and_apply(conn, self.shown)
                oid = conn.execute("SELECT oid FROM pg_database WHERE datname = current_database()").fetchone()
                self._halfvec = TypeInfo.fetch(conn, "halfvec")
                return int(oid[0]) if oid else 0
        except psycopg.OperationalError as exc:
            raise open_error(self.shown, exc) from None

    def _configure(self, conn: Connection) -> None:
        """Every new connection reads and writes pgvector's ``halfvec`` (the type's oid is looked
        up once, at open)."""
        from pgvector.psycopg.halfvec import register_halfvec_info

        if self._halfvec is not None:
            register_halfvec_info(conn, self._halfvec)

    # -- errors ------------------------------------------------------------------------------
    @contextmanager
    def guard(self) -> Iterator[None]:
        """A failure of the server or of the connection becomes one CatalogUnavailable."""
        try:
            yield
        except PoolTimeout as exc:
            raise CatalogUnavailable(f"cannot reach the catalog server {self.shown}: {_first_line(exc)}",
                               hint=UNREACHABLE_HINT + "; paperatlas reconnects on the next request") from None
        except psycopg.DataError as exc:
            if "NUL" not in str(exc):
                raise
            raise InvalidInput("text with a NUL character (\\0) cannot be stored in a PostgreSQL catalog",
                               hint="remove the character and try again") from None
        except psycopg.OperationalError as exc:
            raise CatalogUnavailable(f"the catalog server {self.shown} failed: {_first_line(exc)}",
                               hint="nothing of the unfinished change was kept; try again once the server is back"
                                    " (paperatlas reconnects by itself)") from None

    # -- connections ------------------------------------------------------------------------------
    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """The thread's open transaction, or a pooled connection for one or a few statements."""
        bound: Connection | None = getattr(self._local, "conn", None)
        if bound is not None:
            yield bound
            return
        with self.guard(), self.pool.connection(timeout=self._wait_s()) as conn:
            yield conn

    @contextmanager
    def transaction(self, catalog: bool = False, wait: float | None = None) -> Iterator[Connection]:
        """One transaction: all of it or, on any error, none. ``catalog``: a writer of catalog
        content, which waits for the one before it: at most ``wait`` seconds (default: what is
        left of the caller's ``deadline``, else as long as it takes), then ``WriteBusy``. Inside
        another transaction of the same thread it joins that one."""
        bound: Connection | None = getattr(self._local, "conn", None)
        if bound is not None:
            if catalog and not getattr(self._local, "catalog", False):
                self._lock_catalog(bound, wait)
                self._local.catalog = True
            yield bound
            return
        with self.guard(), self.pool.connection(timeout=self._wait_s()) as conn, conn.transaction():
            if catalog:
                self._lock_catalog(conn, wait)
            self._local.conn, self._local.catalog = conn, catalog
            try:
                yield conn
            finally:
                self._local.conn, self._local.catalog = None, False

    def _wait_s(self) -> float:
        """How long to wait for a connection: at most ``wait_s``, and within the caller's
        ``deadline`` (a web request's budget), so a server that is down answers "cannot reach
        the catalog server" before the request's budget runs out."""
        left = deadline.remaining()
        return self.wait_s if left is None else max(0.1, min(self.wait_s, 0.8 * left))

    def _lock_catalog(self, conn: Connection, wait: float | None) -> None:
        wait = deadline.remaining() if wait is None else wait
        if wait is None:
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (CATALOG_LOCK,))
            return
        try:
            conn.execute(f"SET LOCAL lock_timeout = {max(1, int(wait * 1000))}".encode())  # 0 would mean no limit
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (CATALOG_LOCK,))
            conn.execute(b"SET LOCAL lock_timeout = 0")
        except psycopg.errors.LockNotAvailable:
            raise WriteBusy("another write to the catalog (an import?) is still running",
                            hint="try again when it has finished") from None

    # -- statements ------------------------------------------------------------------------------
    def rows(self, query: str | bytes, args: Args = None) -> list[tuple[Any, ...]]:
        with self.connection() as conn:
            return conn.execute(query, args).fetchall()

    def one(self, query: str | bytes, args: Args = None) -> Any:
        """The first column of the first row (None when there is no row)."""
        with self.connection() as conn:
            row = conn.execute(query, args).fetchone()
        return None if row is None else row[0]

    def run(self, query: str | bytes, args: Args = None) -> int:
        """One statement in its own transaction (or the thread's); the rows it changed."""
        with self.transaction() as conn:
            return conn.execute(query, args).rowcount

    def close(self) -> None:
        self.pool.close()
