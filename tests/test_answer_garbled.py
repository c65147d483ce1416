"""Answers built from spun, machine-rewritten copies (odd word order, lower-cased names, filler, a
"Follow us" tail): the sentence that states the fact wins over "declined to comment" and share prices."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from bot.answering.answerer import Answerer
from bot.config import Settings
from bot.ingest.pipeline import Ingestor
from bot.ingest.sources import iter_sources
from bot.search.engine import SearchIndex
from bot.store.db import Database

GARBLED = Path(__file__).parent / "garbled"
NOW = datetime(2019, 8, 22, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
async def cid(db: Database, settings: Settings) -> int:
    collection = await db.collection_id("default")
    results = await Ingestor(db, settings).ingest_many(iter_sources([str(GARBLED)], settings), collection)
    assert [r.status for r in results] == ["added"] * 3
    return collection


@pytest.mark.parametrize(
    ("question", "fact"),
    [
        ("What did Japan approve for Samsung?", "photoresist"),
        ("What did Moon Jae-in pledge to support?", "parts and materials"),
        ("How much will Hyosung invest in carbon fibre?", "1 trillion won"),
        ("How much will Hyosung spend on its new lines?", "1 trillion won"),
    ],
)
async def test_the_fact_beats_the_filler(db: Database, index: SearchIndex, settings: Settings, cid: int, question: str, fact: str) -> None:
    answer = await Answerer(db, settings, None, index).answer(question, cid, now=NOW)
    assert answer.found, answer.text
    assert fact in answer.text
    for filler in ("declined to comment", "could not be reached", "Shares of", "Follow us", "newsletter"):
        assert filler not in answer.text


async def test_a_question_the_spun_copies_do_not_answer_is_refused(db: Database, index: SearchIndex, settings: Settings, cid: int) -> None:
    answer = await Answerer(db, settings, None, index).answer("Who designed the new Samsung headquarters?", cid, now=NOW)
    assert not answer.found and answer.citations == []
