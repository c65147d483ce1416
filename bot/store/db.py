"""The aiosqlite connection: WAL, foreign keys, and numbered migrations applied at start."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from types import TracebackType

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

    async def close(self) -> None:
        await self.conn.close()

    async def __aenter__(self) -> "Database":
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def schema_version(self) -> int:
        async with self.conn.execute("PRAGMA user_version") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def migrate(self) -> list[str]:
        """Apply every migration newer than the store's version, each in one transaction."""
        applied: list[str] = []
        current = await self.schema_version()
        for version, name, sql in migration_files():
            if version <= current:
                continue
            # executescript commits first; wrap the script so it applies whole or not at all.
            await self.conn.executescript(f"BEGIN;\n{sql}\nPRAGMA user_version = {version};\nCOMMIT;")
            applied.append(name)
        return applied

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
