from __future__ import annotations

import time

from bot.config import Settings
from bot.ingest.dedupe import NEAR_SCHEME, jaccard, near_signature
from bot.ingest.models import IngestResult, RawArticle
from bot.ingest.pipeline import Ingestor
from bot.ingest.sources import iter_sources
from bot.store.articles import ArticleRepo
from bot.store.db import Database, open_database
from tests.newsserver import STORIES, NewsServer, article_html, site  # noqa: F401  (fixture)

SENTENCE = (
    "The central bank of Norway raised its main interest rate by a quarter point to 4.5 percent on Thursday "
    "and said more increases were likely this year."
)
ONE_WORD_REWRITE = SENTENCE.replace("likely", "probable")

HARBOUR_REWRITE = [
    "Container traffic at the harbour grew for a third month in a row, the harbour authority said on Tuesday, "
    "helped by new shipping routes to South America and a quicker customs check at the eastern quay.",
    "Volumes rose 6.2 percent from a year earlier to 412,000 containers, the highest figure for March "
    "since the port opened its deep-water berth, a spokeswoman for the authority told journalists.",
    "Shipping lines have added two weekly calls from Santos and Buenos Aires since January, and a third "
    "service from Cartagena is due to begin in May, according to the authority's monthly bulletin.",
    "Dockers' unions welcomed the figures but warned that overtime had doubled, and asked the "
    "authority to hire more crane drivers before the summer peak begins in earnest.",
]

HARBOUR_OTHER_STORY = [
    "Crane drivers at the harbour walked out on Wednesday in a dispute over overtime, halting work at the "
    "eastern quay and leaving a dozen container ships waiting at anchor outside the port.",
    "The dockers' union said its members had worked double shifts since January as traffic from South "
    "America grew, and that the harbour authority had ignored repeated requests to hire more staff.",
    "A spokeswoman for the authority said talks would resume on Friday and that the deep-water berth "
    "remained open for ships that could be unloaded by their own gear.",
    "Shipping lines warned that the strike could delay deliveries of fruit and coffee to supermarkets "
    "within days if it lasted into next week.",
]


def raw(title: str, paragraphs: list[str] | str, **kw: object) -> RawArticle:
    body = paragraphs if isinstance(paragraphs, str) else "\n\n".join(paragraphs)
    return RawArticle(title=title, body=body, origin=title, **kw)  # type: ignore[arg-type]


async def ingest_all(db: Database, settings: Settings, items: list[RawArticle]) -> list[IngestResult]:
    return await Ingestor(db, settings).ingest_many(items, await db.collection_id("default"))


def test_a_one_word_rewrite_of_a_short_item_is_close_in_jaccard() -> None:
    a, b = near_signature("Norway raises rates", SENTENCE), near_signature("Norway raises rates", ONE_WORD_REWRITE)
    assert jaccard(a.shingles, b.shingles) >= 0.75
    assert len(set(a.band_keys.tolist()) & set(b.band_keys.tolist())) >= 1


async def test_a_syndicated_copy_with_other_headline_and_furniture_is_linked(
    db: Database, settings: Settings, site: NewsServer
) -> None:
    title, paragraphs = STORIES["harbour"]
    site.pages["syndicated"] = article_html(
        "Port sees third month of growth", paragraphs, site="Coastal Daily", author="Staff",
        furniture="<h3>Most popular</h3><ul><li>Mayor opens bridge</li><li>Storm warning</li></ul>",
    )
    original, copy = await ingest_all_urls(db, settings, site.url("/story/harbour.html"), site.url("/page/syndicated"))
    assert original.status == "added" and copy.status == "added", copy.reason
    assert copy.near_duplicate_of == original.article_id
    stored = await ArticleRepo(db).get(copy.article_id)  # type: ignore[arg-type]
    assert stored is not None and stored.duplicate_of == original.article_id and stored.source == "Coastal Daily"


async def ingest_all_urls(db: Database, settings: Settings, *urls: str) -> list[IngestResult]:
    return await Ingestor(db, settings).ingest_many(iter_sources(list(urls), settings), await db.collection_id("default"))


async def test_light_rewrites_are_linked(db: Database, settings: Settings) -> None:
    results = await ingest_all(db, settings, [
        raw("Norway raises rates", SENTENCE),
        raw(STORIES["harbour"][0], STORIES["harbour"][1]),
        raw("Norway lifts its key rate", ONE_WORD_REWRITE),
        raw("Harbour container volumes up again", HARBOUR_REWRITE),
    ])
    assert [r.status for r in results] == ["added"] * 4
    assert results[2].near_duplicate_of == results[0].article_id
    assert results[3].near_duplicate_of == results[1].article_id


async def test_different_stories_on_the_same_topic_are_not_linked(db: Database, settings: Settings) -> None:
    results = await ingest_all(db, settings, [
        raw(STORIES["harbour"][0], STORIES["harbour"][1]),
        raw("Harbour crane drivers strike over overtime", HARBOUR_OTHER_STORY),
        raw("Norway raises rates", SENTENCE),
        raw("Sweden raises rates", SENTENCE.replace("Norway", "Sweden").replace("4.5", "3.75").replace("quarter", "half")),
        raw("ACME sets dividend", "Qtly div 20 cts vs 20 cts previously. Pay April 15. Record March 23."),
        raw("Foo Corp sets dividend", "Qtly div 12 cts vs 10 cts previously. Pay May 1. Record April 2."),
    ])
    assert all(r.status == "added" and r.near_duplicate_of is None for r in results), [r.describe() for r in results]


async def test_every_article_keeps_its_own_text_and_passages(db: Database, settings: Settings) -> None:
    first, copy = await ingest_all(db, settings, [
        raw(STORIES["harbour"][0], STORIES["harbour"][1]), raw("Port volumes grow", HARBOUR_REWRITE)
    ])
    repo = ArticleRepo(db)
    assert copy.near_duplicate_of == first.article_id
    assert await repo.passages(copy.article_id) and await repo.count(await db.collection_id("default")) == 2  # type: ignore[arg-type]


async def test_the_index_survives_a_restart_and_heals_missing_signatures(settings: Settings) -> None:
    db = await open_database(settings.db_path)
    [original] = await ingest_all(db, settings, [raw(STORIES["wheat"][0], STORIES["wheat"][1])])
    # An original written by another path, with no signature: the next start indexes it.
    await db.conn.execute(
        "INSERT INTO articles(title, body, fetched, content_hash) VALUES (?, ?, '2026-01-01T00:00:00Z', 'x')",
        (STORIES["copper"][0], "\n\n".join(STORIES["copper"][1])),
    )
    await db.conn.commit()
    await db.close()

    db = await open_database(settings.db_path)
    try:
        wheat_copy, copper_copy = await ingest_all(db, settings, [
            raw("Early wheat harvest in Kansas", STORIES["wheat"][1][:3]),
            raw("Copper mine back at work", STORIES["copper"][1]),
        ])
        assert wheat_copy.near_duplicate_of == original.article_id
        assert copper_copy.near_duplicate_of is not None and copper_copy.near_duplicate_of != original.article_id
        async with db.conn.execute("SELECT value FROM index_state WHERE name = 'near_dup_scheme'") as cur:
            assert (await cur.fetchone())[0] == NEAR_SCHEME
        async with db.conn.execute("SELECT COUNT(DISTINCT article_id) FROM near_dup_bands") as cur:
            assert (await cur.fetchone())[0] == 2  # the two originals; near-duplicates are not indexed
    finally:
        await db.close()


def test_signatures_are_cheap() -> None:
    body = "\n\n".join(p for _, ps in STORIES.values() for p in ps)[:3000]  # about 500 words
    started = time.perf_counter()
    for i in range(300):
        near_signature(f"Story {i}", body)
    assert (time.perf_counter() - started) / 300 < 0.002  # measured about 0.15 ms on 2 cores


def test_a_crowded_band_is_read_to_its_bound_and_a_rare_shared_band_still_finds_the_old_source() -> None:
    import numpy as np

    from bot.ingest import dedupe
    from bot.ingest.dedupe import BandIndex

    crowded = np.arange(1, dedupe.NUM_BANDS + 1, dtype=np.int64)  # boilerplate keys every look-alike holds
    source_keys = crowded.copy()
    source_keys[:3] = [10_001, 10_002, 10_003]  # three bands only the source (and its copy) hold
    bands = BandIndex()
    bands.add(1, source_keys)  # the oldest article
    for article_id in range(2, 3002):  # 3,000 newer look-alikes, sorted part and recent part both
        bands.add(article_id, crowded)
        if article_id == 1500:
            bands._merge()
    counted = bands.candidates(source_keys, 10**6)
    assert len(counted) <= dedupe.NUM_BANDS * (dedupe.PER_BAND or 0) + 1  # not every look-alike: flat cost
    assert counted[0] == 1  # its rare bands outrank the look-alikes' crowded ones
    assert set(counted[1:]) <= set(range(3002 - dedupe.PER_BAND, 3002))  # the newest are the ones kept
