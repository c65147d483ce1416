"""Briefings on the sample articles: stories, memory per channel, topics, time zones, rendering, CLI."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.briefing import BriefingBuilder, render_embeds, render_text
from bot.briefing.models import Briefing, Story, StoryCitation
from bot.briefing.render import (
    DESCRIPTION_LIMIT,
    EMBEDS_LIMIT,
    FIELD_VALUE_LIMIT,
    FIELDS_LIMIT,
    TITLE_LIMIT,
    TOTAL_LIMIT,
    embed_length,
)
from bot.config import Settings
from bot.ingest.pipeline import Ingestor
from bot.ingest.sources import iter_sources
from bot.store.db import Database
from tests.conftest import SAMPLES
from tests.cli_runner import briefbot

FIRST = "01-japan-approves-photoresist-samsung.md"

# The first sample, rewritten by another outlet: new headline and dateline, synonyms, sentences reordered.
REWRITTEN_COPY = """# Tokyo clears photoresist export to Samsung, first since curbs began
published: 2019-08-08T09:10:00Z
url: https://example.com/asia/tokyo-clears-photoresist-export-samsung

OSAKA (Pacific Business Daily) – Tokyo has cleared an export of photoresist to Samsung Electronics, sources with knowledge of the matter said on Thursday, the first permit issued for the chipmaking material since Japan tightened controls on shipments to South Korea in July.

Trade minister Hiroshige Seko told journalists the permit proved the rules were not an embargo. "Legitimate deals will be approved," he said.

The clearance applies to one contract only and leaves the broader regime in place: Japanese suppliers of photoresist, fluorinated polyimide and hydrogen fluoride must still seek a licence for every shipment to South Korea, and reviews can last up to 90 days.

The light-sensitive coating is used to print circuit patterns on silicon wafers, and Samsung depends on Japanese makers for the advanced grades its extreme ultraviolet lines require.

Seoul welcomed the decision but repeated that the restrictions should be scrapped altogether.
"""

# A later report on the same approval that brings facts the first one did not have.
FOLLOW_UP = """# Samsung photoresist shipment approved by Japan worth 2.4 billion yen, Shin-Etsu to supply
published: 2019-08-08T14:00:00Z
url: https://example.net/markets/samsung-photoresist-shipment-value

TOKYO (Harbour Markets) – The photoresist shipment Japan's trade ministry approved for Samsung Electronics is worth about 2.4 billion yen and will be supplied by Shin-Etsu Chemical, two people familiar with the contract said on Thursday, the first licence granted since Tokyo tightened export controls on South Korea.

The material is expected to reach Samsung's Hwaseong foundry within 10 days. Trade minister Hiroshige Seko said legitimate transactions would be approved and that the measures were not an embargo.

Under the rule, exporters of photoresist, fluorinated polyimide and hydrogen fluoride must apply for a licence for each shipment to South Korea, with reviews of up to 90 days.
"""


async def ingest(db: Database, settings: Settings, *sources: str | Path) -> list:
    cid = await db.collection_id("default")
    return await Ingestor(db, settings).ingest_many(iter_sources([str(s) for s in sources], settings), cid)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def story_of(briefing: Briefing, article_id: int) -> Story:
    matches = [s for s in briefing.stories if article_id in s.article_ids]
    assert len(matches) == 1, f"article {article_id} is in {len(matches)} stories"
    return matches[0]


async def samples(db: Database, settings: Settings) -> dict[str, int]:
    results = await ingest(db, settings, SAMPLES)
    return {Path(r.origin).name: r.article_id for r in results}


async def test_digest_of_the_samples_has_each_story_once(db: Database, settings: Settings) -> None:
    ids = await samples(db, settings)
    cid = await db.collection_id("default")
    builder = BriefingBuilder(db, settings, None)
    briefing = await builder.build(cid, kind="daily", since="24h", max_stories=20)
    assert len(briefing.stories) == 10  # ten distinct events, none merged
    seen = [a for s in briefing.stories for a in s.article_ids]
    assert sorted(seen) == sorted(ids.values())
    for story in briefing.stories:
        assert story.summary.endswith("[1]") and story.citations[0].url
    assert briefing.article_count == 10 and briefing.source_count == 1
    assert briefing.footer == "10 articles from 1 source"

    daily = await builder.build(cid, kind="daily")  # default: top 8 of the last 24 hours
    assert len(daily.stories) == 8 and daily.more_stories == 2
    assert daily.footer.startswith("10 articles from 1 source") and "top 8 of 10 stories" in daily.footer
    text = render_text(daily)
    assert text.startswith("Daily briefing — ") and "10 articles from 1 source" in text


async def test_a_rewritten_copy_adds_a_source_to_its_story(db: Database, settings: Settings, tmp_path: Path) -> None:
    ids = await samples(db, settings)
    [copy] = await ingest(db, settings, write(tmp_path, "copy.md", REWRITTEN_COPY))
    assert copy.status == "added"
    cid = await db.collection_id("default")
    briefing = await BriefingBuilder(db, settings, None).build(cid, kind="adhoc", since="1h", max_stories=20)
    assert len(briefing.stories) == 10
    story = story_of(briefing, ids[FIRST])
    assert copy.article_id in story.article_ids and len(story.article_ids) == 2
    assert story.sources == ["Briefbot Wire", "Pacific Business Daily"]
    assert [c.n for c in story.citations] == [1, 2]
    # the second licence, twelve days later and sharing many words, stays its own story
    assert ids["02-second-approval-hydrogen-fluoride.md"] not in story.article_ids
    assert briefing.footer == "11 articles from 2 sources"
    text = render_text(briefing)
    assert text.count("Pacific Business Daily") == 1 and "2 sources" in text


async def test_alert_after_a_poll_of_only_duplicates_is_empty(db: Database, settings: Settings, tmp_path: Path) -> None:
    await samples(db, settings)
    cid = await db.collection_id("default")
    builder = BriefingBuilder(db, settings, None)
    first = await builder.build(cid, kind="alert", since="1h", channel_key="chan:alert")
    assert len(first.stories) == 10 and first.should_post
    await builder.mark_briefed("chan:alert", first)

    # the next poll finds the same items again, and a rewritten copy of one of them
    again = await ingest(db, settings, SAMPLES, write(tmp_path, "copy.md", REWRITTEN_COPY))
    assert [r.status for r in again].count("duplicate") == 10
    second = await builder.build(cid, kind="alert", since=first.window_end, channel_key="chan:alert")
    assert second.empty and second.stories == [] and not second.should_post
    assert render_embeds(second) == []
    assert "already briefed" in (second.note or "")


async def test_briefed_stories_are_dropped_per_channel(db: Database, settings: Settings) -> None:
    await samples(db, settings)
    cid = await db.collection_id("default")
    builder = BriefingBuilder(db, settings, None)
    posted = await builder.build(cid, kind="daily", channel_key="guild:1:news", max_stories=3)
    await builder.mark_briefed("guild:1:news", posted)
    same = await builder.build(cid, kind="daily", channel_key="guild:1:news", max_stories=20)
    assert len(same.stories) == 7
    assert not {s.key for s in same.stories} & {s.key for s in posted.stories}
    other = await builder.build(cid, kind="daily", channel_key="guild:2:news", max_stories=20)
    assert len(other.stories) == 10
    # an alert in a channel does not empty that channel's daily digest, but the next alert
    alerted = await builder.build(cid, kind="alert", since="1h", channel_key="guild:2:news")
    await builder.mark_briefed("guild:2:news", alerted)
    assert (await builder.build(cid, kind="alert", since="1h", channel_key="guild:2:news")).empty
    assert len((await builder.build(cid, kind="daily", channel_key="guild:2:news", max_stories=20)).stories) == 10


async def test_a_story_that_gained_new_facts_comes_back(db: Database, settings: Settings, tmp_path: Path) -> None:
    ids = await samples(db, settings)
    cid = await db.collection_id("default")
    builder = BriefingBuilder(db, settings, None)
    posted = await builder.build(cid, kind="alert", since="1h", channel_key="c")
    await builder.mark_briefed("c", posted)
    [follow] = await ingest(db, settings, write(tmp_path, "follow.md", FOLLOW_UP))
    update = await builder.build(cid, kind="alert", since="1h", channel_key="c")
    assert [s.article_ids for s in update.stories] == [[ids[FIRST], follow.article_id]] or (
        len(update.stories) == 1 and set(update.stories[0].article_ids) == {ids[FIRST], follow.article_id}
    )
    story = update.stories[0]
    assert story.is_update and "2.4 billion yen" in story.new_facts
    assert "2.4 billion yen" in story.summary or "10 days" in story.summary
    await builder.mark_briefed("c", update)
    assert (await builder.build(cid, kind="alert", since="1h", channel_key="c")).empty


async def test_topics_filter_and_rank(db: Database, settings: Settings) -> None:
    ids = await samples(db, settings)
    cid = await db.collection_id("default")
    builder = BriefingBuilder(db, settings, None)
    fibre = await builder.build(cid, kind="daily", topics="carbon fibre")
    assert {a for s in fibre.stories for a in s.article_ids} == {
        ids["04-hyosung-carbon-fibre.md"], ids["09-carbon-fibre-bicycles.md"]
    }
    rates = await builder.build(cid, kind="daily", topics=["interest rates", "nothing-matches-this"])
    assert [s.article_ids for s in rates.stories] == [[ids["10-bank-of-korea-rate-cut.md"]]]
    ranked = await builder.build(cid, kind="daily", topics="photoresist", max_stories=20)
    assert ids[FIRST] in ranked.stories[0].article_ids or ids["02-second-approval-hydrogen-fluoride.md"] in ranked.stories[0].article_ids
    none = await builder.build(cid, kind="alert", topics="cricket")
    assert none.empty and render_embeds(none) == []


async def test_heading_date_is_in_the_channel_time_zone(db: Database, settings: Settings) -> None:
    cid = await db.collection_id("default")
    builder = BriefingBuilder(db, settings, None)
    late_utc = datetime(2019, 8, 8, 23, 30, tzinfo=UTC)
    utc = await builder.build(cid, kind="daily", now=late_utc)
    tokyo = await builder.build(cid, kind="daily", now=late_utc, tz="Asia/Tokyo")
    la = await builder.build(cid, kind="daily", now=datetime(2019, 8, 9, 3, 0, tzinfo=UTC), tz="America/Los_Angeles")
    assert utc.heading == "Daily briefing — Thursday 8 August 2019"
    assert tokyo.heading == "Daily briefing — Friday 9 August 2019"
    assert la.heading == "Daily briefing — Thursday 8 August 2019"
    assert tokyo.window_end == "2019-08-08T23:30:00Z" and tokyo.window_start == "2019-08-07T23:30:00Z"
    alert = await builder.build(cid, kind="alert", now=late_utc, tz="Europe/Paris")
    assert "9 Aug 2019, 01:30 CEST" in alert.empty_line or "01:30" in alert.heading


async def test_empty_days_post_a_line_or_nothing(db: Database, settings: Settings) -> None:
    cid = await db.collection_id("default")
    settings.briefing.post_empty_days = False
    quiet = await BriefingBuilder(db, settings, None).build(cid, kind="daily", tz="Europe/Paris")
    assert quiet.empty and not quiet.should_post and render_embeds(quiet) == []
    assert "No new stories" in render_text(quiet)
    settings.briefing.post_empty_days = True
    loud = await BriefingBuilder(db, settings, None).build(cid, kind="daily", tz="Europe/Paris")
    [embed] = render_embeds(loud)
    assert loud.should_post and embed["description"].startswith("No new stories since ")
    assert embed["title"].startswith("Daily briefing — ")
    alert = await BriefingBuilder(db, settings, None).build(cid, kind="alert")
    assert render_embeds(alert) == []  # alerts never post an empty message


def _long_briefing(count: int) -> Briefing:
    stories = []
    for i in range(count):
        citations = [
            StoryCitation(n, 1000 * i + n, "T" * 300, f"https://example.org/{'x' * 200}/{i}/{n}", f"Outlet {n} " + "y" * 80, "2019-08-08T00:00:00Z")
            for n in range(1, 13)
        ]
        stories.append(
            Story(
                key=f"s{i}", title=f"Story {i} @everyone " + "headline " * 60, summary="word " * 1500 + "[1]",
                citations=citations, article_ids=[c.article_id for c in citations], sources=[c.source or "" for c in citations],
                first_seen="2019-08-08T00:00:00Z", last_seen="2019-08-08T00:00:00Z", score=1.0,
            )
        )
    return Briefing(
        kind="daily", heading="Daily briefing — " + "Z" * 400, stories=stories, article_count=12 * count,
        source_count=12, mode="extractive", usage={}, window_start="", window_end="", empty=False, note="n" * 500,
    )


def test_embeds_stay_within_discord_limits() -> None:
    for count in (1, 3, 8, 30):
        embeds = render_embeds(_long_briefing(count))
        assert 1 <= len(embeds) <= EMBEDS_LIMIT
        assert sum(embed_length(e) for e in embeds) <= TOTAL_LIMIT
        for embed in embeds:
            assert len(embed.get("title", "")) <= TITLE_LIMIT
            assert len(embed.get("description", "")) <= DESCRIPTION_LIMIT
            assert len(embed.get("fields", [])) <= FIELDS_LIMIT
            assert all(len(f["value"]) <= FIELD_VALUE_LIMIT for f in embed.get("fields", []))
            assert len(embed.get("footer", {}).get("text", "")) <= 2048
            assert "@everyone" not in embed.get("description", "")
        text = "\n".join(e.get("description", "") for e in embeds)
        assert "**1. [Story 0" in text  # the headline links to its best source
        if count == 30:
            assert "more stories" in text
        assert embeds[0]["title"].startswith("Daily briefing") and "footer" in embeds[-1]


async def test_brief_on_the_command_line(tmp_path: Path) -> None:
    db = tmp_path / "cli.db"
    assert briefbot("ingest", str(SAMPLES), db=db).returncode == 0
    run = briefbot("brief", "--json", "--since", "24h", "--max-stories", "20", db=db)
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    assert data["kind"] == "daily" and len(data["stories"]) == 10 and data["footer"] == "10 articles from 1 source"
    story = data["stories"][0]
    assert story["article_ids"] and story["summary"] and story["citations"][0]["url"].startswith("https://")
    human = briefbot("brief", "--tz", "Europe/Paris", "--topics", "carbon fibre", db=db)
    assert human.returncode == 0 and "Hyosung" in human.stdout and "Bank of Korea" not in human.stdout
    bad = briefbot("brief", "--since", "yesterday-ish", db=db)
    assert bad.returncode == 2 and "not a time I understand" in bad.stderr
    bad_tz = briefbot("brief", "--tz", "Mars/Olympus", db=db)
    assert bad_tz.returncode == 2 and "Unknown time zone" in bad_tz.stderr


async def test_undated_articles_are_not_dated_today_nor_ranked_as_today_s_news(db: Database, settings: Settings) -> None:
    from bot.ingest.models import RawArticle

    cid = await db.collection_id("default")
    published = datetime.now(UTC) - timedelta(hours=6)  # older than the undated one's arrival
    ingestor = Ingestor(db, settings)
    undated = await ingestor.ingest_one(RawArticle(
        title="Lighthouse keepers' union signs a new pay deal",
        body="The lighthouse keepers' union signed a new pay deal with the coastal authority, raising wages by 4 percent.",
        source="Coast Wire", url="https://example.org/lighthouse",
    ), cid)
    dated = await ingestor.ingest_one(RawArticle(
        title="River ferry operator adds a night crossing",
        body="The river ferry operator added a night crossing between the two harbours, starting next month.",
        source="Coast Wire", url="https://example.org/ferry", published=published,
    ), cid)
    now = datetime.now(UTC) + timedelta(seconds=1)  # after both arrived (the store keeps whole seconds)
    briefing = await BriefingBuilder(db, settings, None).build(cid, kind="adhoc", since="1h", now=now)
    order = [s.article_ids for s in briefing.stories]
    assert order == [[dated.article_id], [undated.article_id]]  # same sources: the dated story is the newer news
    lighthouse = briefing.stories[1]
    assert lighthouse.citations[0].published is None
    text = render_text(briefing)
    line = next(x for x in text.splitlines() if "example.org/lighthouse" in x)
    assert now.strftime("%Y-%m-%d") not in line and "Coast Wire" in line


async def test_a_window_cut_by_max_window_articles_says_so_in_the_footer(db: Database, settings: Settings) -> None:
    await samples(db, settings)
    count = len(list(SAMPLES.glob("*.md")))
    settings.briefing.max_window_articles = 3
    cut = await BriefingBuilder(db, settings, None).build(await db.collection_id("default"), kind="adhoc", since="1h")
    assert (cut.window_read, cut.window_articles) == (3, count)
    assert f"from the newest 3 of {count} articles in the window" in cut.footer
    assert cut.to_dict()["window_articles"] == count
    settings.briefing.max_window_articles = 5000
    whole = await BriefingBuilder(db, settings, None).build(await db.collection_id("default"), kind="adhoc", since="1h")
    assert whole.window_read == whole.window_articles == count and "newest" not in whole.footer


async def test_shown_stories_are_summarised_from_whole_bodies_though_the_window_reads_leads(
    db: Database, settings: Settings
) -> None:
    from bot.store.briefings import LEAD_CHARS

    cid = await db.collection_id("default")
    filler = " ".join(f"Paragraph {i} describes the zeppelin hangar works in detail." for i in range(120))
    body = f"{filler} The final sentence names the zeppelin hangar's new owner, Luftschiff Holding."
    assert len(body) > LEAD_CHARS
    from bot.ingest.models import RawArticle

    added = await Ingestor(db, settings).ingest_one(RawArticle(title="Zeppelin hangar sold", body=body, origin="t"), cid)
    builder = BriefingBuilder(db, settings, None)
    window = await builder.rows.window(cid, "2000-01-01T00:00:00Z", "2100-01-01T00:00:00Z", 10)
    assert [len(r.body) for r in window] == [LEAD_CHARS]  # the window reads leads only
    briefing = await builder.build(cid, kind="adhoc", since="1h")
    assert briefing.stories[0].article_ids == [added.article_id]


def test_sparse_similarities_group_as_the_dense_matrix_does() -> None:
    """Above DENSE_MAX the similarities are computed in row blocks and kept sparse: same stories."""
    import gzip

    import pytest

    from bot.briefing import stories
    from bot.briefing.features import article_features
    from bot.briefing.models import WindowArticle
    from tests.conftest import SHARED_DATA

    corpus = next((p / "reuters21578" / "articles.jsonl.gz" for p in (SHARED_DATA, Path("/work/shared/data"))
                   if (p / "reuters21578" / "articles.jsonl.gz").exists()), None)
    if corpus is None:
        pytest.skip("Reuters-21578 is not in ../shared/data")
    records = []
    with gzip.open(corpus, "rt", encoding="utf-8") as f:
        for line in f:
            records.append(json.loads(line))
            if len(records) >= 1500:
                break
    articles = [
        WindowArticle(id=i + 1, title=r["title"], body=r["body"], url=None, source=r.get("source"),
                      published=r.get("published"), added_at="2020-01-01T00:00:00+00:00", duplicate_of=None)
        for i, r in enumerate(records)
    ]
    feats = [article_features(a.title, a.body, source=a.source) for a in articles]
    dense, dense_sim = stories.group_articles(articles, features=feats)
    assert dense_sim.dense is not None
    saved = stories.BLOCK_ROWS
    stories.DENSE_MAX, stories.BLOCK_ROWS = 0, 256  # several row blocks
    try:
        sparse, sparse_sim = stories.group_articles(articles, features=feats)
    finally:
        stories.DENSE_MAX, stories.BLOCK_ROWS = 3000, saved
    assert sparse_sim.dense is None and sparse_sim.pairs[2].size < 1500 * 1500 // 20  # far from the square
    assert sum(len(g.members) > 1 for g in dense) > 50  # the corpus has stories to group
    assert [(g.members, g.representative) for g in sparse] == [(g.members, g.representative) for g in dense]
    # exact means: the group pairs under KEEP_FLOOR still count
    big = max(dense, key=lambda g: len(g.members)).members
    half = len(big) // 2
    assert abs(sparse_sim.mean(big[:half], big[half:]) - dense_sim.mean(big[:half], big[half:])) < 1e-5

    # with article vectors the boosted pairs change means and centralities on both paths alike
    import zlib

    import numpy as np

    rng = np.random.default_rng(3)
    topics = rng.normal(size=(40, 32))
    vectors = np.stack([topics[zlib.crc32(a.title.split()[0].lower().encode()) % 40] + 0.3 * rng.normal(size=32) for a in articles])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    dense_v, dense_vsim = stories.group_articles(articles, features=feats, vectors=vectors)
    stories.DENSE_MAX, stories.BLOCK_ROWS = 0, 256
    try:
        sparse_v, sparse_vsim = stories.group_articles(articles, features=feats, vectors=vectors)
    finally:
        stories.DENSE_MAX, stories.BLOCK_ROWS = 3000, saved
    assert sparse_vsim.delta is not None and sparse_vsim.delta[0].size > 20  # pairs were boosted
    assert [(g.members, g.representative) for g in dense_v] != [(g.members, g.representative) for g in dense]
    assert [(g.members, g.representative) for g in sparse_v] == [(g.members, g.representative) for g in dense_v]
