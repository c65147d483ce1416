"""The tantivy passage index beside SQLite: freshness, isolation, filters, crash recovery."""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bot.config import Settings
from bot.ingest.models import RawArticle
from bot.ingest.pipeline import Ingestor
from bot.search import search_passages
from bot.search.engine import SearchIndex, index_path
from bot.store.db import Database, open_database
from tests.conftest import PROJECT_ROOT


def article(n: int, word: str, **kw: object) -> RawArticle:
    body = f"The {word} committee met on day {n} and approved a plan about {word} exports. Officials said more talks follow."
    return RawArticle(title=f"Report {n} on {word}", body=body, origin=f"test:{n}", **kw)  # type: ignore[arg-type]


async def stored_passage_ids(db: Database) -> set[int]:
    async with db.conn.execute(
        "SELECT p.id FROM passages p WHERE EXISTS (SELECT 1 FROM article_collections ac WHERE ac.article_id = p.article_id)"
    ) as cur:
        return {int(r[0]) for r in await cur.fetchall()}


async def test_a_new_article_is_searchable_right_after_ingest(db: Database, index: SearchIndex, settings: Settings) -> None:
    cid = await db.collection_id("default")
    ingestor = Ingestor(db, settings, index)
    await ingestor.ingest_one(article(1, "zeppelin"), cid)
    assert index.search(index.terms(["zeppelin"]), cid, 5)  # in the index itself, no search call needed
    result = await ingestor.ingest_one(article(2, "quokka"), cid)
    hits = await search_passages(index, cid, "what about the quokka?")
    assert [h.article_id for h in hits] == [result.article_id]
    assert index.passage_ids() == await stored_passage_ids(db)


async def test_collections_are_isolated_in_the_index_and_a_shared_article_joins_the_second(
    db: Database, index: SearchIndex, settings: Settings
) -> None:
    ingestor = Ingestor(db, settings, index)
    a, b = await db.collection_id("guild:a"), await db.collection_id("guild:b")
    first = await ingestor.ingest_one(article(1, "zeppelin"), a)
    await ingestor.ingest_one(article(2, "walrus"), b)
    assert index.search(index.terms(["zeppelin"]), b, 10) == []
    assert await search_passages(index, b, "zeppelin") == []
    assert [h.article_id for h in await search_passages(index, a, "zeppelin")] == [first.article_id]
    again = await ingestor.ingest_one(article(1, "zeppelin"), b)
    assert again.status == "duplicate"
    assert [h.article_id for h in index.search(index.terms(["zeppelin"]), b, 10)] == [first.article_id]
    assert [h.article_id for h in await search_passages(index, b, "zeppelin")] == [first.article_id]
    assert await search_passages(index, a, "walrus") == []


async def test_since_until_and_source_filters(db: Database, index: SearchIndex, settings: Settings) -> None:
    from datetime import UTC, datetime

    cid = await db.collection_id("default")
    ingestor = Ingestor(db, settings, index)
    old = await ingestor.ingest_one(article(1, "tariff", published=datetime(2020, 1, 1, tzinfo=UTC), source="Reuters"), cid)
    new = await ingestor.ingest_one(article(2, "tariff", published=datetime(2024, 6, 1, tzinfo=UTC), source="AP"), cid)
    ids = lambda hits: [h.article_id for h in hits]  # noqa: E731
    assert set(ids(await search_passages(index, cid, "tariff"))) == {old.article_id, new.article_id}
    assert ids(await search_passages(index, cid, "tariff", since="2024-01-01T00:00:00Z")) == [new.article_id]
    assert ids(await search_passages(index, cid, "tariff", until="2024-01-01T00:00:00Z")) == [old.article_id]
    assert ids(await search_passages(index, cid, "tariff", until="2024-06-01T00:00:00Z")) == [old.article_id]  # exclusive
    assert ids(await search_passages(index, cid, "tariff", source="reuters")) == [old.article_id]
    assert await search_passages(index, cid, "tariff", source="Nobody") == []


async def test_many_passages_of_one_article_do_not_hide_other_articles(db: Database, index: SearchIndex, settings: Settings) -> None:
    cid = await db.collection_id("default")
    settings.ingest.passage_tokens = 20
    ingestor = Ingestor(db, settings, index)
    long_body = " ".join(f"Sentence {i} is about the giraffe census." for i in range(200))
    big = await ingestor.ingest_one(RawArticle(title="Giraffes", body=long_body, origin="big"), cid)
    small = await ingestor.ingest_one(article(3, "giraffe"), cid)
    hits = await search_passages(index, cid, "giraffe", k=2)
    assert {h.article_id for h in hits} == {big.article_id, small.article_id}
    assert len(await search_passages(index, cid, "giraffe", k=3, per_article=3)) == 3


@pytest.mark.parametrize(
    "query",
    ['"unbalanced', "text:foo", "AND OR NOT", "a:[1 TO 2]", "*", "~2", "(((", "\\", "'; DROP TABLE articles; --",
     "ÜBER naïve ✓", "^col:foo", "-", "x" * 5000, "\x00\x01", "collection:1", "title:\"x\"^3", "日本 サムスン"],
)
async def test_hostile_queries_never_raise(db: Database, index: SearchIndex, settings: Settings, query: str) -> None:
    cid = await db.collection_id("default")
    await Ingestor(db, settings, index).ingest_one(article(1, "zeppelin"), cid)
    assert isinstance(await search_passages(index, cid, query), list)


async def test_deleted_rows_leave_the_index(db: Database, index: SearchIndex, settings: Settings) -> None:
    cid = await db.collection_id("default")
    result = await Ingestor(db, settings, index).ingest_one(article(1, "zeppelin"), cid)
    await db.conn.execute("DELETE FROM articles WHERE id = ?", (result.article_id,))
    await db.conn.commit()
    assert await search_passages(index, cid, "zeppelin") == []
    assert index.passage_ids() == set()


async def test_hits_the_database_drops_are_replaced_by_the_next_ones(
    db: Database, index: SearchIndex, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.search import engine

    monkeypatch.setattr(engine, "EXTERNAL_CHECK_S", 3600.0)  # the index does not look for others' commits
    cid = await db.collection_id("default")
    ingestor = Ingestor(db, settings, index)
    ids = [(await ingestor.ingest_one(article(n, "zeppelin"), cid)).article_id for n in range(1, 5)]
    first = await search_passages(index, cid, "zeppelin", k=2)
    assert len(first) == 2
    # Another process deletes the two best: the index still returns them, SQLite's check drops them
    # and the next ones are read.
    other = sqlite3.connect(db.path)
    other.execute("PRAGMA foreign_keys=ON")
    other.executemany("DELETE FROM articles WHERE id = ?", [(h.article_id,) for h in first])
    other.commit()
    other.close()
    assert len(index.search(["zeppelin"], cid, 10)) == 4  # lagging
    hits = await search_passages(index, cid, "zeppelin", k=2)
    assert len(hits) == 2 and {h.article_id for h in hits} == set(ids) - {h.article_id for h in first}


async def test_an_in_memory_store_is_searched_through_aiosqlite(settings: Settings) -> None:
    db = await open_database(":memory:")
    try:
        assert db.reader() is None
        index = SearchIndex(db)
        cid = await db.collection_id("default")
        result = await Ingestor(db, settings, index).ingest_one(article(1, "zeppelin"), cid)
        assert [h.article_id for h in await search_passages(index, cid, "zeppelin")] == [result.article_id]
        index.close()
    finally:
        await db.close()


async def test_one_collection_skips_the_membership_check_and_a_second_one_brings_it_back(
    db: Database, index: SearchIndex, settings: Settings
) -> None:
    ingestor = Ingestor(db, settings, index)
    a, b = await db.collection_id("guild:a"), await db.collection_id("guild:b")
    await ingestor.ingest_one(article(1, "zeppelin"), a)
    assert index.sole_collection == a
    assert index.search(index.terms(["zeppelin"]), b, 5) == []  # another collection is still filtered
    await ingestor.ingest_one(article(2, "zeppelin"), b)
    assert index.sole_collection is None
    assert len(index.search(index.terms(["zeppelin"]), a, 5)) == 1
    assert len(await search_passages(index, b, "zeppelin")) == 1
    await db.conn.execute("DELETE FROM article_collections WHERE collection_id = ?", (b,))
    await db.conn.commit()
    await index.sync()
    assert index.sole_collection == a and len(index.search(index.terms(["zeppelin"]), a, 5)) == 1


async def test_a_deleted_or_corrupt_index_is_rebuilt(settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    db = await open_database(settings.db_path)
    cid = await db.collection_id("default")
    index = SearchIndex(db)
    await Ingestor(db, settings, index).ingest_one(article(1, "zeppelin"), cid)
    path = index_path(db)
    index.close()
    await db.close()
    assert path is not None and path.is_dir()
    shutil.rmtree(path)
    async with await open_database(settings.db_path) as db:
        index = SearchIndex(db)
        assert len(await search_passages(index, cid, "zeppelin")) == 1
        assert index.passage_ids() == await stored_passage_ids(db)
        index.close()
    for name in ("meta.json",):
        (path / name).write_text("{ not json")
    with caplog.at_level(logging.WARNING, logger="bot.search.engine"):
        async with await open_database(settings.db_path) as db:
            index = SearchIndex(db)
            assert len(await search_passages(index, cid, "zeppelin")) == 1
            assert index.passage_ids() == await stored_passage_ids(db)
            index.close()
    assert any("rebuilding" in r.getMessage() for r in caplog.records)


CRASH_SCRIPT = textwrap.dedent(
    """
    import asyncio, os, signal, sys
    from bot.config import load_settings
    from bot.ingest.models import RawArticle
    from bot.ingest.pipeline import Ingestor
    from bot.search.engine import SearchIndex
    from bot.store.db import open_database

    async def main(db_path, mode):
        settings = load_settings(db_path=db_path)
        db = await open_database(db_path)
        cid = await db.collection_id("default")
        ingestor = Ingestor(db, settings, SearchIndex(db))
        for n in range(100000):
            raw = RawArticle(title=f"Dispatch {n}", body=f"Word marker{n} appears in dispatch number {n} today.",
                             origin=str(n))
            if mode == "after-sqlite-commit" and n == 5:
                async with db.transaction():  # committed when the block ends, before any index sync
                    await ingestor.ingest_one(raw, cid)
                os.kill(os.getpid(), signal.SIGKILL)  # SQLite has it; the index commit never happens
            await ingestor.ingest_one(raw, cid)
            if n == 3:
                print("ready", flush=True)
            elif n > 3:
                print(n, flush=True)

    asyncio.run(main(sys.argv[1], sys.argv[2]))
    """
)


async def _check_consistent(db_path: Path) -> int:
    async with await open_database(db_path) as db:
        cid = await db.collection_id("default")
        async with db.conn.execute("SELECT id, title FROM articles ORDER BY id") as cur:
            stored = [(int(r[0]), r[1]) for r in await cur.fetchall()]
        index = await SearchIndex(db).open()
        try:
            assert index.passage_ids() == await stored_passage_ids(db)
            last_id, last_title = stored[-1]
            n = int(last_title.split()[-1])
            hits = await search_passages(index, cid, f"marker{n}")
            assert [h.article_id for h in hits] == [last_id]
            assert await search_passages(index, cid, f"marker{n + 1}") == []  # nothing unstored comes back
        finally:
            index.close()
        return len(stored)


async def test_kill_9_after_the_sqlite_commit_is_caught_up_at_the_next_open(settings: Settings) -> None:
    proc = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-c", CRASH_SCRIPT, str(settings.db_path), "after-sqlite-commit"],
        cwd=PROJECT_ROOT, capture_output=True, timeout=60,
    )
    assert proc.returncode == -9, proc.stderr.decode()
    assert await _check_consistent(settings.db_path) == 6


async def test_kill_9_at_any_moment_of_an_ingest_loop_leaves_a_consistent_index(settings: Settings) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", CRASH_SCRIPT, str(settings.db_path), "loop"],
        cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        line = await asyncio.to_thread(proc.stdout.readline)
        assert line.strip() == b"ready", proc.stderr.read() if proc.stderr else b""
        while int(await asyncio.to_thread(proc.stdout.readline) or 0) < 20:  # mid-loop, whatever the machine's speed
            pass
    finally:
        proc.kill()
        await asyncio.to_thread(proc.wait)
    assert proc.returncode == -9
    assert await _check_consistent(settings.db_path) > 4


def test_reindex_command_rebuilds_the_index(tmp_path: Path) -> None:
    from tests.conftest import SAMPLES
    from tests.cli_runner import briefbot

    db = tmp_path / "cli.db"
    assert briefbot("ingest", str(SAMPLES), db=db).returncode == 0
    shutil.rmtree(tmp_path / "cli.db.index")
    done = briefbot("reindex", "--json", db=db)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["passages"] >= 10
    hits = json.loads(briefbot("search", "photoresist Samsung", "--json", db=db).stdout)
    assert "photoresist" in hits[0]["text"].lower()


async def test_the_app_owns_one_search_index_and_closes_it(settings: Settings) -> None:
    from bot.app import NO_MODEL, open_app

    async with open_app(settings, llm=NO_MODEL) as app:
        assert app.ingestor.index is app.index and app.answerer.index is app.index and app.articles.index is app.index
        assert not hasattr(app.db, "search_index")  # the store knows nothing of the index
        cid = await app.collection_id("default")
        added = await app.articles.add_text(cid, "Zeppelin hangar opens", "The zeppelin hangar opened on Monday in Friedrichshafen.")
        assert app.index.is_open and [h.article_id for h in await app.articles.search(cid, "zeppelin")] == [added.article_id]
        index = app.index
    assert not index.is_open and index.writer is None  # closed with the App: the writer lock is free
    async with open_app(settings, llm=NO_MODEL) as again:
        assert (await again.index.ready()).writable
