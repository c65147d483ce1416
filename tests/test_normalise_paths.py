"""The same article, whatever path it came by, is stored the same: title, body, source, place and date."""

from __future__ import annotations

import json
from email.utils import format_datetime
from datetime import UTC, datetime
from html import escape
from pathlib import Path

import pytest

from bot.config import Settings
from bot.ingest.models import IngestResult, RawArticle
from bot.ingest.normalise import normalise, pick_title, split_dateline
from bot.ingest.pipeline import Ingestor
from bot.ingest.sources import iter_sources
from bot.store.articles import ArticleRepo, StoredArticle
from bot.store.db import Database
from tests.newsserver import NewsServer, article_html, rss, site  # noqa: F401  (fixture)

TITLE = "Old bridge to close for repairs"
DATELINE = "HARBOUR CITY (Loopback Ledger) - "
PARAGRAPHS = [
    "The Old Bridge will close for three months from May so that engineers can replace its corroded steel deck, "
    "the city council said on Monday, sending 14,000 daily drivers onto the ring road.",
    "Inspectors found rust in 40 of the bridge's 212 deck plates during a survey in January, and the council's "
    "transport committee voted unanimously to bring forward repairs planned for 2028.",
    "Buses will divert over the Eastern Causeway, adding about ten minutes to journeys, and a free shuttle boat "
    "will cross the harbour every quarter of an hour for pedestrians and cyclists.",
    "Shop owners on Bridge Street asked for help with lost trade, and the council said it would waive market "
    "fees for the duration of the works and review the case for a grant in June.",
]
CREDITS = "Reporting by Mara Quay; Editing by Ben Holt"
TRAILER = ["Follow us", "Sign up for our morning newsletter", "Contact us at tips@ledger.example",
           "Most popular", "Ten things to do this weekend", "Read more", "Ferry fares to rise"]
PUBLISHED = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)
EXPECTED_BODY = " ".join(" ".join(PARAGRAPHS).split())


def text_with_dateline() -> str:
    return "\n\n".join([DATELINE + PARAGRAPHS[0], *PARAGRAPHS[1:], CREDITS, *TRAILER])


def page() -> str:
    # The headline repeated as the body's first paragraph, the dateline after it, the trailer inside the article.
    paras = [TITLE, DATELINE + PARAGRAPHS[0], *PARAGRAPHS[1:], CREDITS, *TRAILER]
    return article_html(TITLE, paras, site="Loopback Ledger", published=PUBLISHED.isoformat().replace("+00:00", "Z"))


def feed(base: str) -> str:
    when = format_datetime(PUBLISHED)
    full = {"title": TITLE, "link": f"{base}/page/full", "published": when,
            "content": "".join(f"<p>{escape(p)}</p>" for p in [TITLE, DATELINE + PARAGRAPHS[0], *PARAGRAPHS[1:], CREDITS, *TRAILER])}
    summary = {"title": TITLE.upper(), "link": f"{base}/page/bridge", "published": when,
               "description": PARAGRAPHS[0][:90] + "…"}
    return rss("Loopback Ledger", [full, summary])


async def store(db: Database, settings: Settings, items: list[RawArticle | IngestResult]) -> StoredArticle:
    """One article stored in a collection of its own; its stored row."""
    assert all(isinstance(i, RawArticle) for i in items), items
    [raw] = items
    ingestor = Ingestor(db, settings)
    result = await ingestor.ingest_one(raw, await db.collection_id(f"c{id(raw)}"))
    article_id = result.article_id or result.duplicate_of
    stored = await ArticleRepo(db).get(article_id or 0)
    assert stored is not None
    await db.conn.execute("DELETE FROM passages WHERE article_id = ?", (stored.id,))  # the next path stores it anew
    await db.conn.execute("DELETE FROM article_collections WHERE article_id = ?", (stored.id,))
    await db.conn.execute("DELETE FROM articles WHERE id = ?", (stored.id,))
    await db.conn.commit()
    return stored


async def test_the_same_article_is_stored_the_same_on_every_path(
    tmp_path: Path, settings: Settings, db: Database, site: NewsServer
) -> None:
    iso = PUBLISHED.isoformat().replace("+00:00", "Z")
    (tmp_path / "bridge.txt").write_text(f"{TITLE}\npublished: {iso}\n\n{text_with_dateline()}", encoding="utf-8")
    (tmp_path / "bridge.md").write_text(f"# {TITLE}\n\npublished: {iso}\n\n{text_with_dateline()}", encoding="utf-8")
    (tmp_path / "bridge.html").write_text(page(), encoding="utf-8")
    (tmp_path / "bridge.jsonl").write_text(json.dumps({"title": TITLE, "body": text_with_dateline(), "published": iso}), encoding="utf-8")
    site.pages["bridge"] = site.pages["full"] = page()
    site.encoded["feed.xml"] = (feed(site.base).encode(), "identity", "application/rss+xml")

    paths: dict[str, list[RawArticle | IngestResult]] = {}
    for name in ("bridge.txt", "bridge.md", "bridge.html", "bridge.jsonl"):
        paths[name] = [i async for i in iter_sources([str(tmp_path / name)], settings)]
    paths["URL page"] = [i async for i in iter_sources([site.url("/page/bridge")], settings)]
    full, summary = [i async for i in iter_sources([site.url("/encoded/feed.xml")], settings)]
    assert full.meta.get("body_from") == "feed" and summary.meta.get("body_from") == "page"
    paths["feed item, full text"], paths["feed item, summary and page"] = [full], [summary]
    paths["pasted text"] = [RawArticle(title=TITLE, body=text_with_dateline(), origin="pasted text")]

    seen = {}
    for name, items in paths.items():
        article = await store(db, settings, items)
        seen[name] = (article.title, " ".join(article.body.split()), article.source, article.place,
                      article.published if name != "pasted text" else iso)
        assert article.meta.get("credits") == [CREDITS], name
    expected = (TITLE, EXPECTED_BODY, "Loopback Ledger", "Harbour City", iso)
    wrong = {name: got for name, got in seen.items() if got != expected}
    assert not wrong, wrong


def test_a_pasted_article_keeps_its_dateline_as_place_and_source() -> None:
    raw = normalise(RawArticle(title="Ohio plant", body="COLUMBUS, Ohio (Reuters) - A car plant will add 900 jobs.", origin="pasted text"))
    assert (raw.place, raw.source, raw.body) == ("Columbus, Ohio", "Reuters", "A car plant will add 900 jobs.")


@pytest.mark.parametrize(
    ("feed_title", "page_title", "expected"),
    [("OLD BRIDGE TO CLOSE", "Old bridge to close", "Old bridge to close"),
     ("Old bridge to close", "OLD BRIDGE", "Old bridge to close"),
     ("NATO meets", "Nato Meets", "NATO meets"),
     ("", "Page title", "Page title")],
)
def test_an_all_caps_feed_title_loses_to_the_pages_own(feed_title: str, page_title: str, expected: str) -> None:
    assert pick_title(feed_title, page_title) == expected


def test_a_site_or_feed_name_yields_to_the_datelines_outlet_but_a_named_source_does_not() -> None:
    body = "TOKYO, July 4 (Reuters) — Exports rose for a fifth month."
    assert normalise(RawArticle("T", body, source="Wire Feed", meta={"source_from": "feed"})).source == "Reuters"
    assert normalise(RawArticle("T", body, source="Nikkei")).source == "Nikkei"
    assert split_dateline("The bank (BoJ) - said") is None


@pytest.mark.parametrize("field", ["content", "description"])
async def test_a_short_feed_item_of_a_few_sentences_is_stored(site: NewsServer, settings: Settings, db: Database, field: str) -> None:
    short = "The ferry will sail twice an hour from June. Commuters had asked for more crossings."
    site.pages["short"] = article_html("Ferry sails more often", [short])  # too short a page to count as an article
    item = {"title": "Ferry sails more often", "link": site.url("/page/short"), field: short}
    site.encoded["short.xml"] = (rss("Loopback Ledger", [item]).encode(), "identity", "application/rss+xml")
    article = await store(db, settings, [i async for i in iter_sources([site.url("/encoded/short.xml")], settings)])
    assert article.body == short and article.source == "Loopback Ledger"


def test_no_reader_sees_unknown_source() -> None:
    from bot.briefing.models import WindowArticle

    nameless = WindowArticle(7, "Title", "Body text here.", None, None, None, "2026-03-10T00:00:00Z", None)
    assert nameless.source_label() == ""
    named = WindowArticle(8, "Title", "Body text here.", "https://www.ledger.example/a", None, None, "2026-03-10T00:00:00Z", None)
    assert named.source_label() == "ledger.example"
