from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.config import Settings
from bot.ingest.dates import parse_date
from bot.ingest.poller import FeedPoller, next_poll_time
from bot.store.articles import ArticleRepo
from bot.store.db import Database
from bot.store.feeds import FeedRepo
from tests.cli_runner import abriefbot
from tests.newsserver import STORIES, NewsServer, site  # noqa: F401  (fixture)


async def article_count(db: Database) -> int:
    async with db.conn.execute("SELECT COUNT(*) FROM articles") as cur:
        return int((await cur.fetchone())[0])


async def titles(db: Database, ids: list[int]) -> list[str]:
    repo = ArticleRepo(db)
    return [(await repo.get(i)).title for i in ids]  # type: ignore[union-attr]


async def test_follow_list_unfollow(db: Database) -> None:
    repo = FeedRepo(db)
    a, b = await db.collection_id("guild:1"), await db.collection_id("guild:2")
    feed = await repo.follow("https://example.com/feed.xml", a, channel_id=11, added_by=5, interval_s=3600)
    again = await repo.follow("https://example.com/feed.xml", b, interval_s=900)
    assert again.id == feed.id and again.interval_s == 900  # the shortest interval wins
    assert await repo.followers(feed.id) == [(a, 11), (b, None)]
    [info] = await repo.list(a)
    assert info.url == "https://example.com/feed.xml" and info.channel_id == 11 and info.error_count == 0
    assert [f.id for f in await repo.due("2030-01-01T00:00:00Z")] == [feed.id]
    assert [f.id for f in await repo.due(datetime(2030, 1, 1, tzinfo=UTC))] == [feed.id]
    assert await repo.unfollow(feed.id, a) and not await repo.unfollow(feed.id, a)
    assert await repo.list(a) == [] and len(await repo.list(b)) == 1
    assert await repo.unfollow(feed.id, b)
    assert await repo.get(feed.id) is None  # nobody follows it: forgotten


async def test_a_new_item_in_the_feed_is_exactly_what_the_next_poll_stores(db: Database, settings: Settings, site: NewsServer) -> None:
    cid = await db.collection_id("default")
    feed = await FeedRepo(db).follow(site.url("/poll.xml"), cid)
    poller = FeedPoller(db, settings)
    first = await poller.poll(feed)
    assert first.error is None and first.item_count == 2 and first.title == "Polled Wire"
    assert await titles(db, first.new_articles[cid]) == [STORIES["harbour"][0], STORIES["wheat"][0]]

    site.poll_items.append("copper")
    second = await poller.poll(await FeedRepo(db).get(feed.id))  # type: ignore[arg-type]
    assert list(second.new_articles) == [cid] and await titles(db, second.new_articles[cid]) == [STORIES["copper"][0]]
    assert await article_count(db) == 3

    third = await poller.poll(await FeedRepo(db).get(feed.id))  # type: ignore[arg-type]
    assert third.new_articles == {} and third.error is None and await article_count(db) == 3
    [info] = await FeedRepo(db).list(cid)
    assert info.item_count == 3 and info.last_success and info.last_error is None and info.title == "Polled Wire"


async def test_conditional_get_uses_the_stored_validators(db: Database, settings: Settings, site: NewsServer) -> None:
    cid = await db.collection_id("default")
    repo = FeedRepo(db)
    feed = await repo.follow(site.url("/etag.xml"), cid)
    poller = FeedPoller(db, settings)
    first = await poller.poll(feed)
    assert first.new_count == 1 and not first.not_modified
    stored = await repo.get(feed.id)
    assert stored is not None and stored.etag == '"v1"' and stored.last_modified == "Tue, 10 Mar 2026 09:30:00 GMT"
    second = await poller.poll(stored)
    assert second.not_modified and second.error is None and second.new_articles == {}
    assert site.seen_headers["/etag.xml"]["If-None-Match"] == '"v1"'
    assert (await repo.get(feed.id)).item_count == 1  # type: ignore[union-attr]


async def test_one_failing_feed_does_not_stop_the_others(db: Database, settings: Settings, site: NewsServer) -> None:
    settings.ingest.fetch_timeout = 0.5
    cid = await db.collection_id("default")
    repo = FeedRepo(db)
    broken = await repo.follow(site.url("/500"), cid)
    slow = await repo.follow(site.url("/slow"), cid)
    malformed = await repo.follow(site.url("/malformed.xml"), cid)
    page = await repo.follow(site.url("/article.html"), cid)
    good = await repo.follow(site.url("/rss.xml"), cid)
    results = {r.feed_id: r for r in await FeedPoller(db, settings).poll_due()}
    assert results[broken.id].error == "HTTP 500 Internal Server Error"
    assert results[slow.id].error == "timed out after 0.5 s"
    assert "malformed" in (results[malformed.id].error or "")
    assert results[page.id].error == "this is a web page, not an RSS or Atom feed"
    assert results[good.id].error is None and results[good.id].new_count == 3
    assert await article_count(db) == 3
    listed = {f.id: f for f in await repo.list(cid)}
    assert listed[broken.id].error_count == 1 and listed[broken.id].last_error == "HTTP 500 Internal Server Error"


async def test_failure_threshold_flags_once_and_recovery_flags_once(db: Database, settings: Settings, site: NewsServer) -> None:
    settings.discord.feed_failure_threshold = 3
    cid = await db.collection_id("default")
    repo = FeedRepo(db)
    feed = await repo.follow(site.url("/poll.xml"), cid, interval_s=600)
    poller = FeedPoller(db, settings)
    site.broken.add("/poll.xml")
    flags = []
    for _ in range(5):
        result = await poller.poll(await repo.get(feed.id))  # type: ignore[arg-type]
        stored = await repo.get(feed.id)
        assert stored is not None and stored.last_polled and stored.next_poll_at
        delay = parse_date(stored.next_poll_at) - parse_date(stored.last_polled)  # type: ignore[operator]
        flags.append((result.error_count, result.became_failing, result.recovered, delay.total_seconds()))
    assert flags == [(1, False, False, 1200), (2, False, False, 2400), (3, True, False, 4800),
                     (4, False, False, 9600), (5, False, False, 19200)]
    site.broken.clear()
    healed = await poller.poll(await repo.get(feed.id))  # type: ignore[arg-type]
    again = await poller.poll(await repo.get(feed.id))  # type: ignore[arg-type]
    assert healed.recovered and healed.error is None and healed.error_count == 0 and healed.new_count == 2
    assert not again.recovered and not again.became_failing
    assert (await repo.get(feed.id)).error_count == 0  # type: ignore[union-attr]


def test_back_off_doubles_per_error_and_is_capped_at_a_day() -> None:
    now = datetime(2026, 1, 1)
    assert next_poll_time(now, 1800, 0) - now == timedelta(minutes=30)
    assert next_poll_time(now, 1800, 1) - now == timedelta(hours=1)
    assert next_poll_time(now, 1800, 5) - now == timedelta(hours=16)
    assert next_poll_time(now, 1800, 9) - now == timedelta(hours=16)  # 2^min(errors, 5)
    assert next_poll_time(now, 7200, 5) - now == timedelta(hours=24)


async def test_due_feeds_wait_for_their_interval(db: Database, settings: Settings, site: NewsServer) -> None:
    cid = await db.collection_id("default")
    repo = FeedRepo(db)
    hourly = await repo.follow(site.url("/rss.xml"), cid, interval_s=3600)
    often = await repo.follow(site.url("/other.xml"), cid, interval_s=600)
    poller = FeedPoller(db, settings)
    assert {r.feed_id for r in await poller.poll_due()} == {hourly.id, often.id}
    assert await poller.poll_due() == []
    later = datetime.now().astimezone() + timedelta(minutes=11)
    assert [r.feed_id for r in await poller.poll_due(later)] == [often.id]
    assert site.hits["/rss.xml"] == 1 and site.hits["/other.xml"] == 2


async def test_two_collections_following_one_feed_share_one_stored_copy(db: Database, settings: Settings, site: NewsServer) -> None:
    a, b = await db.collection_id("guild:1"), await db.collection_id("guild:2")
    repo = FeedRepo(db)
    feed = await repo.follow(site.url("/atom.xml"), a)
    await repo.follow(site.url("/atom.xml"), b)
    result = await FeedPoller(db, settings).poll(feed)
    assert result.error is None and sorted(result.new_articles) == [a, b]
    assert result.new_articles[a] == result.new_articles[b] and len(result.new_articles[a]) == 3
    assert await article_count(db) == 3
    articles = ArticleRepo(db)
    assert await articles.count(a) == 3 and await articles.count(b) == 3
    assert site.hits["/story/rail.html"] == 1 and site.hits["/atom.xml"] == 1  # fetched once for both


async def test_an_item_already_stored_joins_a_new_follower_without_a_fetch(db: Database, settings: Settings, site: NewsServer) -> None:
    a, b = await db.collection_id("guild:1"), await db.collection_id("guild:2")
    repo = FeedRepo(db)
    poller = FeedPoller(db, settings)
    await poller.poll(await repo.follow(site.url("/atom.xml"), a))
    # Another feed lists the same story page: it is linked, not fetched or stored again.
    site.poll_items[:] = []
    other = await repo.follow(site.url("/poll.xml"), b)
    await poller.poll(other)
    site.poll_items[:] = ["rail"]
    result = await poller.poll(await repo.get(other.id))  # type: ignore[arg-type]
    assert result.new_count == 1 and await article_count(db) == 3
    assert await ArticleRepo(db).count(b) == 1 and site.hits["/story/rail.html"] == 1


async def test_guarded_polls_refuse_private_feeds_and_store_nothing(db: Database, settings: Settings, site: NewsServer) -> None:
    settings.ingest.allow_private_urls = False
    cid = await db.collection_id("default")
    feed = await FeedRepo(db).follow(site.url("/rss.xml"), cid)
    result = await FeedPoller(db, settings).poll(feed)
    assert result.error.startswith("refused: 127.0.0.1 is a loopback address (") and "allow_private_urls" in result.error
    assert await article_count(db) == 0 and sum(site.hits.values()) == 0


async def test_a_huge_feed_is_refused_by_the_size_limit(db: Database, settings: Settings, site: NewsServer) -> None:
    settings.ingest.max_bytes = 50_000
    cid = await db.collection_id("default")
    feed = await FeedRepo(db).follow(site.url("/huge-stream.xml"), cid)
    result = await FeedPoller(db, settings).poll(feed)
    assert result.error == "the page is larger than the 50,000-byte limit (ingest.max_bytes)"


async def briefbot(*args: str, db: Path) -> tuple[int, str, str]:
    """The CLI in process (in a thread) while this event loop keeps serving the news site."""
    ran = await abriefbot(*args, db=db, env={"BRIEFBOT_ALLOW_PRIVATE_URLS": "1"})
    return ran.returncode, ran.stdout, ran.stderr


async def test_feeds_from_the_command_line(site: NewsServer, tmp_path: Path) -> None:
    db = tmp_path / "cli.db"
    code, out, err = await briefbot("feeds", "add", site.url("/poll.xml"), "--interval", "15", db=db)
    assert code == 0, err
    assert "Following feed 1: Polled Wire" in out and "found 2 items" in out and "every 15 minutes" in out

    code, out, err = await briefbot("feeds", "add", site.url("/article.html"), db=db)
    assert code == 2 and "Not following" in err and "not an RSS or Atom feed" in err

    code, out, _ = await briefbot("feeds", "list", "--json", db=db)
    [listed] = json.loads(out)
    assert listed["item_count"] == 2 and listed["interval_s"] == 900 and listed["last_error"] is None

    code, out, _ = await briefbot("feeds", "poll", db=db)
    assert code == 0 and "No feed is due" in out
    site.poll_items.append("bees")
    code, out, _ = await briefbot("feeds", "poll", "--all", db=db)
    assert code == 0 and "1 new of 3 items" in out

    site.broken.add("/poll.xml")
    code, out, _ = await briefbot("feeds", "poll", "--all", db=db)
    assert code == 1 and "HTTP 500 Internal Server Error" in out and "1 failed" in out
    code, out, _ = await briefbot("feeds", "list", db=db)
    assert "Polled Wire" in out and "error x1: HTTP 500" in out

    code, out, _ = await briefbot("articles", "--json", db=db)
    assert len(json.loads(out)) == 3
    code, out, _ = await briefbot("feeds", "remove", "1", db=db)
    assert code == 0 and "Stopped following feed 1" in out
    code, _, err = await briefbot("feeds", "remove", "1", db=db)
    assert code == 2 and "No feed '1' is followed here" in err
