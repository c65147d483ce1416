from __future__ import annotations

import sqlite3

import bot.store
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


def test_every_migration_file_is_applied_and_numbers_are_unique() -> None:
    folder = Path(bot.store.__file__).parent / "migrations"
    on_disk = sorted(p.name for p in folder.iterdir() if p.suffix == ".sql")
    assert on_disk == [name for _, name, _ in migration_files()]  # no .sql file silently skipped by its name
    numbers = [name[:3] for name in on_disk]
    assert len(numbers) == len(set(numbers)), numbers
    conn = sqlite3.connect(":memory:")
    for _, _name, sql in migration_files():
        conn.executescript(sql)  # every file is valid SQL on its own, in order


async def test_the_fts5_copy_of_passages_is_dropped_and_its_data_kept(tmp_path: Path) -> None:
    # A store made before migration 008 (FTS5 table and triggers filled), then opened by this version.
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.execute(
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
        " applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')))"
    )
    for version, name, sql in migration_files():
        if version < 8:
            conn.executescript(sql)
            conn.execute("INSERT INTO schema_migrations(version, name) VALUES (?, ?)", (version, name))
    conn.execute("INSERT INTO articles(id, title, body, fetched, content_hash) VALUES (1, 'T', 'b', '2020-01-01T00:00:00Z', 'h')")
    conn.execute("INSERT INTO passages(article_id, position, text, tokens) VALUES (1, 0, 'zeppelin budget', 2)")
    conn.commit()
    assert conn.execute("SELECT count(*) FROM passages_fts WHERE passages_fts MATCH 'zeppelin'").fetchone()[0] == 1
    conn.close()

    db = await open_database(path)
    async with db.conn.execute(
        "SELECT name FROM sqlite_master WHERE name LIKE 'passages_fts%' OR name IN ('passages_ai', 'passages_ad', 'passages_au')"
    ) as cur:
        assert await cur.fetchall() == []
    await db.conn.execute("INSERT INTO passages(article_id, position, text, tokens) VALUES (1, 1, 'more text', 2)")
    await db.conn.execute("UPDATE passages SET text = 'zeppelins' WHERE position = 0")
    await db.conn.commit()
    async with db.conn.execute("SELECT text FROM passages ORDER BY position") as cur:
        assert [r[0] for r in await cur.fetchall()] == ["zeppelins", "more text"]
    await db.close()
