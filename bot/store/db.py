"""The aiosqlite connection: WAL, foreign keys, migrations applied at start, and the one write transaction.

Every write goes through `Database.transaction()`: all tasks share one connection, and SQLite has one
transaction per connection, so without a lock a task's commit would commit another task's half-finished
work ("cannot start a transaction within a transaction" when both begin). The lock serialises writers in
this process; `BEGIN IMMEDIATE` with a busy timeout and a bounded retry serialises them with other
processes on the same file. Repositories never commit: they join the caller's transaction, or open
their own when called outside one.
"""

from __future__ import annotations

import asyncio
import contextvars
import errno
import os
import re
import sqlite3
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from types import TracebackType
from typing import Any

import aiosqlite

from bot.errors import UserError

MIGRATION_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")
BUSY_TIMEOUT_MS = 5000  # SQLite's own wait for another process's lock, per attempt
WRITE_WAIT_S = 120.0  # how long a writer waits its turn behind other processes before giving up
OPEN_WAIT_S = 30.0  # how long opening waits for another process that is creating or migrating the store


def migration_files() -> list[tuple[int, str, str]]:
    """(version, name, sql) of every migration shipped in bot/store/migrations, in order."""
    folder = resources.files("bot.store") / "migrations"
    found: list[tuple[int, str, str]] = []
    for entry in folder.iterdir():
        match = MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    versions = [v for v, _, _ in found]
    if len(versions) != len(set(versions)):
        raise RuntimeError(f"two migrations share a number: {versions}")
    return found


def split_statements(script: str) -> list[str]:
    """The statements of an SQL script, whole (a trigger's body keeps its inner semicolons).

    `executescript` would do this, but it commits any open transaction first, and migrations must run
    inside the one transaction that also checks which of them are applied.
    """
    statements: list[str] = []
    start = 0
    for pos, char in enumerate(script):
        if char == ";" and sqlite3.complete_statement(script[start : pos + 1]):
            text = script[start : pos + 1].strip()
            if _strip_comments(text).strip(" \n\t;"):
                statements.append(text)
            start = pos + 1
    if _strip_comments(script[start:]).strip():
        statements.append(script[start:].strip())
    return statements


def _strip_comments(text: str) -> str:
    return re.sub(r"--[^\n]*", "", text)


def is_busy(exc: BaseException) -> bool:
    """Whether an SQLite error means another connection holds the lock (try again later)."""
    if not isinstance(exc, sqlite3.OperationalError):
        return False
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    text = str(exc)
    return "database is locked" in text or "database table is locked" in text


def describe_failure(exc: BaseException, path: Path | None = None) -> str:
    """The cause of a failed open or write, in words an operator can act on."""
    text = str(exc) or exc.__class__.__name__
    if path is not None and ("unable to open" in text or "readonly" in text):
        where = _not_writable(path)
        if where:
            return f"{where} is read-only ({text})"
    if isinstance(exc, OSError) and exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"permission denied ({exc.strerror})"
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return "the disk is full"
    if "readonly" in text or "read-only" in text:
        return f"it is read-only ({text})"
    if "not a database" in text or "malformed" in text:
        return f"it is not an SQLite database, or it is damaged ({text})"
    if "disk is full" in text or "disk I/O error" in text:
        return f"the disk is full or failing ({text})"
    if "unable to open" in text:
        return f"the file cannot be opened or created there ({text})"
    if is_busy(exc):
        return f"another process holds its write lock ({text})"
    return text


def _not_writable(path: Path) -> str | None:
    """The store file or its folder when this process may not write it (SQLite needs both, for the WAL)."""
    if path.exists() and not os.access(path, os.W_OK):
        return f"the file {path}"
    if path.parent.exists() and not os.access(path.parent, os.W_OK):
        return f"the folder {path.parent}"
    return None


class Database:
    """One aiosqlite connection to the store; use `open_database` to get one."""

    def __init__(self, conn: aiosqlite.Connection, path: Path, write_wait_s: float = WRITE_WAIT_S) -> None:
        self.conn = conn
        self.path = path
        self.write_wait_s = write_wait_s
        self._reader: sqlite3.Connection | None = None
        self._write_lock = asyncio.Lock()
        # The task that holds the write lock, as this context sees it (re-entrance is per task).
        self._holder: contextvars.ContextVar[asyncio.Task[Any] | None] = contextvars.ContextVar(
            f"briefbot_tx_{id(self)}", default=None
        )
        self._depth = 0
        # Outermost transactions rolled back so far: caches of rows read inside a transaction
        # (the near-duplicate index) compare it to know when what they read was undone.
        self.rollbacks = 0

    # ------------------------------------------------------------ transactions

    @property
    def in_transaction(self) -> bool:
        """Whether the current task is inside `transaction()`."""
        return self._holder.get() is not None and self._holder.get() is asyncio.current_task()

    @property
    def busy(self) -> bool:
        """Whether some task of this process holds the write lock now."""
        return self._write_lock.locked()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        """One write transaction: commit when the block ends, roll back when it raises.

        Inside another transaction of the same task it is a savepoint: an error caught by the
        outer block undoes only the inner block's writes, and nothing is committed until the
        outermost block ends.
        """
        task = asyncio.current_task()
        holder = self._holder.get()
        if holder is not None:
            if holder is not task:
                raise RuntimeError("a transaction belongs to the task that opened it; await writers in that task")
            await self._savepoint()
            try:
                yield None
            except BaseException:
                await self._rollback_savepoint()
                raise
            else:
                await self._release_savepoint()
            return
        async with self._write_lock:
            token = self._holder.set(task)
            try:
                await self._begin()
                try:
                    yield None
                except BaseException:
                    self.rollbacks += 1
                    if self.conn.in_transaction:
                        await self.conn.rollback()
                    raise
                else:
                    await self.conn.commit()
            finally:
                self._holder.reset(token)

    @asynccontextmanager
    async def idle(self) -> AsyncIterator[bool]:
        """Hold the write lock with no transaction open (a consistent read of committed rows).

        Yields False, without waiting, when the current task is itself inside a transaction.
        """
        if self.in_transaction:
            yield False
            return
        async with self._write_lock:
            yield True

    async def _begin(self) -> None:
        """BEGIN IMMEDIATE, waiting its turn behind other processes (busy timeout, then retry)."""
        deadline = time.monotonic() + self.write_wait_s
        delay = 0.05
        while True:
            try:
                await self.conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if not is_busy(exc) or time.monotonic() >= deadline:
                    if is_busy(exc):
                        raise UserError(
                            f"The store {self.path} stayed locked by another process for {self.write_wait_s:.0f} s;"
                            " try again when it has finished."
                        ) from exc
                    raise
            await asyncio.sleep(delay)
            delay = min(delay * 2, 1.0)

    async def _savepoint(self) -> None:
        self._depth += 1
        await self.conn.execute(f"SAVEPOINT bb_{self._depth}")

    async def _release_savepoint(self) -> None:
        await self.conn.execute(f"RELEASE bb_{self._depth}")
        self._depth -= 1

    async def _rollback_savepoint(self) -> None:
        name = f"bb_{self._depth}"
        self._depth -= 1
        self.rollbacks += 1
        if self.conn.in_transaction:
            await self.conn.execute(f"ROLLBACK TO {name}")
            await self.conn.execute(f"RELEASE {name}")

    # ------------------------------------------------------------ connections

    def reader(self) -> sqlite3.Connection | None:
        """A second, query-only connection for short reads on the event loop's own thread.

        It saves the trip to aiosqlite's thread (a search reads a few rows by primary key in
        ~0.05 ms; the trip costs more on a busy machine) and sees committed data only, like the
        search index. None for an in-memory database, which a second connection cannot see.
        """
        if self._reader is None and str(self.path) != ":memory:":
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA query_only=ON")
            conn.execute("PRAGMA busy_timeout=100")  # never hold the event loop long; callers fall back
            self._reader = conn
        return self._reader

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        await self.conn.close()

    async def __aenter__(self) -> "Database":
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    # ------------------------------------------------------------ schema

    async def schema_version(self) -> int:
        """The highest migration applied (0 for a new store)."""
        applied = await self.applied_migrations()
        return max(applied) if applied else 0

    async def applied_migrations(self) -> set[int]:
        async with self.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
        ) as cur:
            if await cur.fetchone() is None:
                return set()
        async with self.conn.execute("SELECT version FROM schema_migrations") as cur:
            return {int(r[0]) for r in await cur.fetchall()}

    async def migrate(self) -> list[str]:
        """Apply every migration not yet recorded in schema_migrations, all in one write transaction.

        Migrations are tracked one by one (not by a single version number), so a migration that
        lands on main after a higher-numbered one is still applied. Checking and applying under
        one BEGIN IMMEDIATE makes it safe for several processes to open a new store at once: the
        first migrates, the others wait for its lock and then find nothing left to do.
        """
        pending = migration_files()
        if not pending:
            return []
        applied_now: list[str] = []
        async with self.transaction():
            await self.conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
                " applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')))"
            )
            done = await self.applied_migrations()
            for version, name, sql in pending:
                if version in done:
                    continue
                for statement in split_statements(sql):
                    await self.conn.execute(statement)
                await self.conn.execute(
                    "INSERT INTO schema_migrations(version, name) VALUES (?, ?)", (version, name)
                )
                applied_now.append(name)
        return applied_now

    async def collection_id(self, name: str, create: bool = True) -> int:
        """The id of a named collection (a Discord server, or `default`), created on first use.

        Atomic: concurrent first calls (two commands in a new server's first second, or two
        processes) create it once and all get the same id.
        """
        found = await self._find_collection(name)
        if found is not None:
            return found
        if not create:
            raise UserError(f"No collection named {name!r}.")
        async with self.transaction():
            await self.conn.execute("INSERT INTO collections(name) VALUES (?) ON CONFLICT(name) DO NOTHING", (name,))
            found = await self._find_collection(name)
        assert found is not None
        return found

    async def _find_collection(self, name: str) -> int | None:
        async with self.conn.execute("SELECT id FROM collections WHERE name = ?", (name,)) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else None


async def open_database(
    path: str | Path, *, wait_s: float = OPEN_WAIT_S, write_wait_s: float = WRITE_WAIT_S
) -> Database:
    """Open (creating if needed) the store at `path` and bring its schema up to date.

    A store that cannot be opened or written fails here, at once (or after waiting up to `wait_s`
    for another process that holds its lock), with one UserError naming the path and the cause;
    the connection is closed whatever step failed, so a failed open never leaves a thread or a
    lock behind.
    """
    p = Path(path)
    memory = str(p) == ":memory:"
    if not memory:
        try:
            p.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UserError(f"Cannot create the folder for the store {p}: {describe_failure(exc)}.") from exc
        if p.is_dir():
            raise UserError(f"Cannot open the store {p}: it is a folder, not a file.")
    conn = aiosqlite.connect(str(p), isolation_level=None)
    try:
        await conn
    except Exception as exc:  # sqlite3.OperationalError and friends
        # aiosqlite stops its thread without waiting; wait here, or the thread reports to a closed loop.
        thread = getattr(conn, "_thread", None)
        if thread is not None:
            await asyncio.to_thread(thread.join, 5.0)
        raise UserError(f"Cannot open the store {p}: {describe_failure(exc, p)}.") from exc
    db = Database(conn, p, write_wait_s=write_wait_s)
    try:
        conn.row_factory = aiosqlite.Row
        await conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        await _retry_busy(lambda: conn.execute("PRAGMA journal_mode=WAL"), wait_s)
        await conn.execute("PRAGMA foreign_keys=ON")
        await conn.execute("PRAGMA synchronous=NORMAL")
        db.write_wait_s = wait_s
        await db.migrate()
        db.write_wait_s = write_wait_s
    except BaseException as exc:
        await conn.close()
        if isinstance(exc, UserError):
            raise UserError(f"Cannot open the store {p}: another process kept it locked for {wait_s:.0f} s.") from exc
        if isinstance(exc, (sqlite3.Error, OSError)):
            raise UserError(f"Cannot open the store {p}: {describe_failure(exc, p)}.") from exc
        raise
    return db


async def _retry_busy(step: Any, wait_s: float) -> None:
    """Run an async step, trying again while another process holds the lock, for up to `wait_s`."""
    deadline = time.monotonic() + wait_s
    delay = 0.05
    while True:
        try:
            await step()
            return
        except sqlite3.OperationalError as exc:
            if not is_busy(exc) or time.monotonic() >= deadline:
                raise
        await asyncio.sleep(delay)
        delay = min(delay * 2, 1.0)
