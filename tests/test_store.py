from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.store.db import migration_files, open_database


async def test_migrations_apply_once_and_record_version(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    db = await open_database(path)
    latest = migration_files()[-1][0]
    assert await db.schema_version() == latest
    assert await db.migrate() == []  # nothing left to apply
    await db.close()
    # Reopening an up-to-date store applies nothing and keeps the data.
    db = await open_database(path)
    assert await db.schema_version() == latest
    await db.close()


async def test_store_uses_wal_and_foreign_keys(tmp_path: Path) -> None:
    db = await open_database(tmp_path / "s.db")
    async with db.conn.execute("PRAGMA journal_mode") as cur:
        assert (await cur.fetchone())[0].lower() == "wal"
    async with db.conn.execute("PRAGMA foreign_keys") as cur:
        assert (await cur.fetchone())[0] == 1
    await db.close()


async def test_collections_are_created_on_first_use(tmp_path: Path) -> None:
    db = await open_database(tmp_path / "s.db")
    a = await db.collection_id("guild:1")
    b = await db.collection_id("guild:2")
    assert a != b and await db.collection_id("guild:1") == a
    await db.close()


def test_migration_numbers_are_unique_and_ordered() -> None:
    versions = [v for v, _, _ in migration_files()]
    assert versions == sorted(set(versions))
    conn = sqlite3.connect(":memory:")
    for _, name, sql in migration_files():
        conn.executescript(sql)  # every file is valid SQL on its own, in order
