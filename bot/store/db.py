"""The aiosqlite connection: WAL, foreign keys, and numbered migrations applied at start."""

from __future__ import annotations

import re
import sqlite3
from importlib import resources
from pathlib import Path
from types import TracebackType
from typing import Any

import aiosqlite

from bot.errors import UserError

MIGRATION_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")


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


class Database:
    """One aiosqlite connection to the store; use `open_database` to get one."""

    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path
        self.search_index: Any = None  # bot.search.engine.SearchIndex, opened on first search or ingest
        self._reader: sqlite3.Connection | None = None

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
        if self.search_index is not None:
            self.search_index.close()
            self.search_index = None
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

    async def schema_version(self) -> int:
        """The highest migration applied (0 for a new store)."""
        applied = await self.applied_migrations()
        return max(applied) if applied else 0

    async def applied_migrations(self) -> set[int]:
        await self.conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
            " applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')))"
        )
        async with self.conn.execute("SELECT version FROM schema_migrations") as cur:
            return {int(r[0]) for r in await cur.fetchall()}

    async def migrate(self) -> list[str]:
        """Apply every migration not yet recorded in schema_migrations, each in one transaction.

        Migrations are tracked one by one (not by a single version number), so a
        migration that lands on main after a higher-numbered one is still applied.
        """
        applied_now: list[str] = []
        done = await self.applied_migrations()
        await self.conn.commit()
        for version, name, sql in migration_files():
            if version in done:
                continue
            # executescript commits first; wrap the script so it applies whole or not at all.
            await self.conn.executescript(
                f"BEGIN;\n{sql}\nINSERT INTO schema_migrations(version, name) VALUES ({version}, '{name}');\nCOMMIT;"
            )
            applied_now.append(name)
        return applied_now

    async def collection_id(self, name: str, create: bool = True) -> int:
        """The id of a named collection (a Discord server, or `default`), created on first use."""
        async with self.conn.execute("SELECT id FROM collections WHERE name = ?", (name,)) as cur:
            row = await cur.fetchone()
        if row:
            return int(row[0])
        if not create:
            raise UserError(f"No collection named {name!r}.")
        cur = await self.conn.execute("INSERT INTO collections(name) VALUES (?)", (name,))
        await self.conn.commit()
        return int(cur.lastrowid or 0)


async def open_database(path: str | Path) -> Database:
    """Open (creating if needed) the store at `path` and bring its schema up to date."""
    p = Path(path)
    if str(p) != ":memory:":
        try:
            p.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UserError(f"Cannot create the folder for the database {p}: {exc.strerror}") from exc
    try:
        conn = await aiosqlite.connect(str(p))
    except Exception as exc:  # sqlite3.OperationalError and friends
        raise UserError(f"Cannot open the database {p}: {exc}") from exc
    conn.row_factory = aiosqlite.Row
    await conn.execute("PRAGMA journal_mode=WAL")
    await conn.execute("PRAGMA foreign_keys=ON")
    await conn.execute("PRAGMA synchronous=NORMAL")
    await conn.execute("PRAGMA busy_timeout=5000")
    db = Database(conn, p)
    await db.migrate()
    return db
