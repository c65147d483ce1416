from __future__ import annotations

import pytest

from bot.config import Settings
from bot.ingest.models import IngestResult
from bot.ingest.pipeline import Ingestor
from bot.ingest.sources import iter_sources
from bot.store.articles import ArticleRepo
from bot.store.db import Database
from tests.newsserver import STORIES, NewsServer, site  # noqa: F401  (fixture)


async def ingest(db: Database, settings: Settings, *urls: str) -> list[IngestResult]:
    cid = await db.collection_id("default")
    return await Ingestor(db, settings).ingest_many(iter_sources(list(urls), settings), cid)


async def stored_count(db: Database) -> int:
    async with db.conn.execute("SELECT COUNT(*) FROM articles") as cur:
        return int((await cur.fetchone())[0])


async def test_an_article_page_is_stored_with_its_metadata(db: Database, settings: Settings, site: NewsServer) -> None:
    [result] = await ingest(db, settings, site.url("/article.html"))
    assert result.status == "added", result.reason
    article = await ArticleRepo(db).get(result.article_id)
    assert article is not None
    assert article.title == STORIES["harbour"][0]
    assert "412,000 containers" in article.body and "Copyright" not in article.body and "Home" not in article.body
    assert article.source == "Harbour Gazette" and article.author == "Ana Ruiz"
    assert article.url == site.url("/article.html") and (article.published or "").startswith("2026-03-10")


async def test_an_rss_feed_with_full_content_gives_one_article_per_item(db: Database, settings: Settings, site: NewsServer) -> None:
    results = await ingest(db, settings, site.url("/rss.xml"))
    assert [r.status for r in results] == ["added"] * 3
    repo = ArticleRepo(db)
    wheat = await repo.get(results[1].article_id)
    assert wheat is not None and wheat.title == STORIES["wheat"][0]
    assert wheat.url == site.url("/story/wheat.html") and wheat.source == "Wire Full Text" and wheat.author == "Wire Desk"
    assert wheat.published == "2026-03-02T08:00:00Z"
    assert "Sumner County" in wheat.body and wheat.meta["body_from"] == "feed"
    assert site.hits["/story/wheat.html"] == 0  # the feed had the text: no page was fetched


async def test_an_atom_feed_of_summaries_fetches_each_page(db: Database, settings: Settings, site: NewsServer) -> None:
    results = await ingest(db, settings, site.url("/atom.xml"))
    assert [r.status for r in results] == ["added"] * 3, [r.reason for r in results]
    repo = ArticleRepo(db)
    rail, library, ferry = [await repo.get(r.article_id) for r in results]
    assert rail is not None and library is not None and ferry is not None
    assert site.hits["/story/rail.html"] == 1 and site.hits["/story/library.html"] == 1
    assert "capsule beds" in rail.body and rail.meta["body_from"] == "page"  # the summary stopped long before that
    assert rail.source == "Valley Atom News" and rail.author == "Desk 0" and rail.published == "2026-03-01T10:00:00Z"
    assert rail.meta["feed_item_id"] == "urn:test:rail"
    # The third item's page is gone: its summary is stored, and meta says why.
    assert ferry.meta["body_from"] == "summary" and ferry.meta["page_error"] == "HTTP 404 Not Found"
    assert "twice an hour" in ferry.body


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/malformed.xml", "the feed is malformed and has no readable items"),
        ("/not-a-feed.xml", "this is not an RSS or Atom feed"),
        ("/missing.html", "HTTP 404 Not Found"),
        ("/500", "HTTP 500 Internal Server Error"),
        ("/slow", "timed out after 0.3 s"),
        ("/login.html", "the page has no article text"),
        ("/garbage.html", "not text"),
        ("/image.png", "image/png, not an HTML page or a feed"),
        ("/huge.xml", "over the 100,000 limit"),
        ("/huge-stream.xml", "larger than the 100,000-byte limit"),
    ],
)
async def test_bad_urls_fail_with_a_reason_and_store_nothing(
    db: Database, settings: Settings, site: NewsServer, path: str, reason: str
) -> None:
    settings.ingest.fetch_timeout = 0.3
    settings.ingest.max_bytes = 100_000
    results = await ingest(db, settings, site.url(path))
    assert len(results) == 1 and results[0].status == "failed"
    assert reason in results[0].reason and results[0].origin == site.url(path)
    assert await stored_count(db) == 0


async def test_legacy_encodings_are_read_by_header_or_by_guess(db: Database, settings: Settings, site: NewsServer) -> None:
    declared, guessed = await ingest(db, settings, site.url("/cp1252.html"), site.url("/stray-bytes.html"))
    repo = ArticleRepo(db)
    for result in (declared, guessed):
        assert result.status == "added", result.reason
        article = await repo.get(result.article_id)
        assert article is not None and "Zürich" in article.title and "crème brûlée" in article.body


async def test_one_bad_url_does_not_stop_the_others(db: Database, settings: Settings, site: NewsServer) -> None:
    results = await ingest(db, settings, site.url("/500"), site.url("/story/copper.html"))
    assert [r.status for r in results] == ["failed", "added"]


@pytest.mark.parametrize("where", ["http://127.0.0.1:{port}/article.html", "http://localhost:{port}/rss.xml",
                                   "http://[::1]:{port}/article.html", "http://10.0.0.1/feed.xml",
                                   "http://169.254.169.254/latest/meta-data/", "ftp://127.0.0.1/x", "file:///etc/passwd"])
async def test_ssrf_refusals_store_nothing(db: Database, settings: Settings, site: NewsServer, where: str) -> None:
    settings.ingest.allow_private_urls = False
    url = where.format(port=site.port)
    [result] = await ingest(db, settings, url)
    assert result.status == "failed" and result.reason.startswith("refused: ")
    assert await stored_count(db) == 0 and sum(site.hits.values()) == 0
