"""The store owns transactions: concurrent writers on one connection, atomic get-or-create, a shared Ingestor."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime

import pytest

from bot.config import Settings
from bot.ingest.models import RawArticle
from bot.ingest.pipeline import Ingestor
from bot.ingest.poller import FeedPoller
from bot.store.db import Database, split_statements
from bot.store.feeds import FeedRepo
from bot.store.usage import UsageRepo
from tests.newsserver import STORIES, NewsServer, site  # noqa: F401  (fixture)

FIXED = datetime(2026, 3, 5, 8, 30, tzinfo=UTC)


def paste(n: int, word: str = "zeppelin") -> RawArticle:
    return RawArticle(title=f"Pasted note {n}", body=f"A {word} flew over the town {n} times on Monday.", origin=f"paste{n}")


async def count(db: Database, table: str) -> int:
    async with db.conn.execute(f"SELECT COUNT(*) FROM {table}") as cur:
        return int((await cur.fetchone())[0])


async def test_poll_paste_and_usage_at_once_on_one_store(db: Database, settings: Settings, site: NewsServer) -> None:
    cid = await db.collection_id("default")
    feed = await FeedRepo(db).follow(site.url("/poll.xml"), cid)
    ingestor = Ingestor(db, settings)
    poller = FeedPoller(db, settings, ingestor=ingestor)
    usage = UsageRepo(db)
    results = await asyncio.gather(
        poller.poll(feed),
        *(ingestor.ingest_one(paste(n), cid) for n in range(5)),
        *(usage.add(cid, "2026-03-05", 10, 5) for _ in range(5)),
        return_exceptions=True,
    )
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors
    assert results[0].error is None and results[0].new_count == 2  # type: ignore[union-attr]
    assert await count(db, "articles") == 7
    assert (await usage.get(cid, "2026-03-05")).requests == 5
    assert not db.conn.in_transaction


async def test_another_writer_never_commits_a_poll_half_way(
    db: Database, settings: Settings, site: NewsServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A token count recorded while a poll is mid-way must not commit the poll's rows; the poll then fails whole."""
    cid = await db.collection_id("default")
    feed = await FeedRepo(db).follow(site.url("/poll.xml"), cid)
    poller = FeedPoller(db, settings)
    usage = UsageRepo(db)
    inside, counted = asyncio.Event(), asyncio.Event()

    async def broken_success(*args: object, **kwargs: object) -> None:
        inside.set()  # the poll's articles are written, not committed
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(counted.wait(), 1.0)  # without the lock, the count commits everything now
        raise RuntimeError("the feed row could not be updated")

    monkeypatch.setattr(poller.feeds, "record_success", broken_success)

    async def count_tokens() -> None:
        await inside.wait()
        await usage.add(cid, "2026-03-05", 10, 5)
        counted.set()

    result, _ = await asyncio.gather(poller.poll(feed), count_tokens())
    assert result.error == "internal error (RuntimeError)"
    assert await count(db, "articles") == 0 and await count(db, "feed_items") == 0
    assert await count(db, "near_dup_bands") == 0
    assert (await usage.get(cid, "2026-03-05")).requests == 1
    stored = await FeedRepo(db).get(feed.id)
    assert stored is not None and stored.error_count == 1


async def test_twenty_first_commands_create_a_collection_once(db: Database) -> None:
    ids = await asyncio.gather(*(db.collection_id("guild:1") for _ in range(20)))
    assert len(set(ids)) == 1
    async with db.conn.execute("SELECT COUNT(*) FROM collections WHERE name = 'guild:1'") as cur:
        assert (await cur.fetchone())[0] == 1


async def test_a_read_only_lookup_does_not_create(db: Database) -> None:
    from bot.errors import UserError

    with pytest.raises(UserError):
        await db.collection_id("nosuch", create=False)
    assert await count(db, "collections") == 0


async def test_a_nested_transaction_is_a_savepoint(db: Database) -> None:
    cid = await db.collection_id("default")
    usage = UsageRepo(db)
    async with db.transaction():
        await usage.add(cid, "d1", 1, 1)
        with pytest.raises(RuntimeError):
            async with db.transaction():
                await usage.add(cid, "d2", 1, 1)
                raise RuntimeError("inner")
        assert db.in_transaction
    assert (await usage.get(cid, "d1")).requests == 1 and (await usage.get(cid, "d2")).requests == 0
    with pytest.raises(RuntimeError):
        async with db.transaction():
            await usage.add(cid, "d3", 1, 1)
            raise RuntimeError("outer")
    assert (await usage.get(cid, "d3")).requests == 0


async def test_a_transaction_is_not_shared_with_a_child_task(db: Database) -> None:
    cid = await db.collection_id("default")
    async with db.transaction():
        with pytest.raises(RuntimeError, match="task"):
            await asyncio.create_task(UsageRepo(db).add(cid, "d", 1, 1))


def test_migration_scripts_split_whole_statements() -> None:
    script = (
        "-- a comment; with a semicolon\nCREATE TABLE t (a TEXT DEFAULT ';');\n"
        "CREATE TRIGGER x AFTER INSERT ON t BEGIN\n    INSERT INTO t(a) VALUES ('1');\n    SELECT 1;\nEND;\n-- end\n"
    )
    parts = split_statements(script)
    assert len(parts) == 2 and parts[1].startswith("CREATE TRIGGER") and parts[1].endswith("END;")


# ---------------------------------------------------------------- one Ingestor per store, shareable


async def test_two_ingestors_on_one_store_see_each_others_originals(db: Database, settings: Settings) -> None:
    cid = await db.collection_id("default")
    first, second = Ingestor(db, settings), Ingestor(db, settings)
    await second.ingest_one(paste(1), cid)  # its near-duplicate index is loaded now
    title, paragraphs = STORIES["copper"]
    original = await first.ingest_one(RawArticle(title=title, body="\n\n".join(paragraphs), origin="a"), cid)
    copy = await second.ingest_one(
        RawArticle(title=f"{title} (update)", body="\n\n".join(paragraphs[:-1]), origin="b"), cid
    )
    assert copy.status == "added" and copy.near_duplicate_of == original.article_id


async def test_a_copy_the_poller_ingests_links_to_an_article_pasted_earlier(
    db: Database, settings: Settings, site: NewsServer
) -> None:
    cid = await db.collection_id("default")
    feed = await FeedRepo(db).follow(site.url("/poll.xml"), cid)
    poller = FeedPoller(db, settings)  # its own Ingestor, as the bot builds it
    assert (await poller.poll(feed)).new_count == 2
    title, paragraphs = STORIES["copper"]
    pasted = await Ingestor(db, settings).ingest_one(
        RawArticle(title=f"{title}, pasted", body="\n\n".join(paragraphs[:-1]), origin="paste"), cid
    )
    site.poll_items.append("copper")
    second = await poller.poll(await FeedRepo(db).get(feed.id))  # type: ignore[arg-type]
    [new_id] = second.new_articles[cid]
    async with db.conn.execute("SELECT duplicate_of FROM articles WHERE id = ?", (new_id,)) as cur:
        assert (await cur.fetchone())[0] == pasted.article_id


async def test_the_clock_gives_fetched_and_added_at(db: Database, settings: Settings, site: NewsServer) -> None:
    cid = await db.collection_id("default")
    await Ingestor(db, settings, clock=lambda: FIXED).ingest_one(paste(1), cid)
    feed = await FeedRepo(db).follow(site.url("/poll.xml"), cid)
    await FeedPoller(db, settings, clock=lambda: FIXED).poll(feed)
    async with db.conn.execute(
        "SELECT DISTINCT a.fetched, ac.added_at FROM articles a JOIN article_collections ac ON ac.article_id = a.id"
    ) as cur:
        assert [tuple(r) for r in await cur.fetchall()] == [("2026-03-05T08:30:00Z", "2026-03-05T08:30:00Z")]
    async with db.conn.execute("SELECT DISTINCT seen_at FROM feed_items") as cur:
        assert [r[0] for r in await cur.fetchall()] == ["2026-03-05T08:30:00Z"]
    stored = await FeedRepo(db).get(feed.id)
    assert stored is not None and stored.last_polled == "2026-03-05T08:30:00Z"
