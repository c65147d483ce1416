"""Questions that are not lookups: briefing requests and "the latest on X", through the CLI and the console."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bot.config import Settings
from bot.ingest.pipeline import Ingestor
from bot.ingest.sources import iter_sources
from bot.store.db import Database
from bot.usecases.overview import classify
from tests.cli_runner import briefbot
from tests.test_console import console
from tests.conftest import SAMPLES


@pytest.mark.parametrize("question, kind, topic, since", [
    ("What's new?", "briefing", None, "24h"),
    ("what happened today?", "briefing", None, "today"),
    ("What happened this week?", "briefing", None, "this week"),
    ("Any news?", "briefing", None, "24h"),
    ("anything on chips lately?", "briefing", "chips", "7d"),
    ("What’s new with Samsung?", "briefing", "Samsung", "7d"),
    ("What's the latest on the export curbs?", "timeline", "the export curbs", None),
    ("any updates on the photoresist licences?", "timeline", "the photoresist licences", None),
])
def test_what_is_not_a_lookup(question: str, kind: str, topic: str | None, since: str | None) -> None:
    request = classify(question)
    assert request is not None and (request.kind, request.topic, request.since) == (kind, topic, since)


@pytest.mark.parametrize("question", [
    "What happened to Samsung's profit?", "What is the latest Samsung profit figure?",
    "What did Japan approve for Samsung?", "How much sugar did Taiwan export in 1986?",
    "Who was named the new chairman?", "What did the news agency report on Monday?",
])
def test_lookups_stay_lookups(question: str) -> None:
    assert classify(question) is None


async def _seeded(db: Database, settings: Settings) -> None:
    await Ingestor(db, settings).ingest_many(iter_sources([str(SAMPLES)], settings), await db.collection_id("default"))


def _story_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if re.match(r"\d+\. ", line)]


async def test_cli_whats_new_answers_with_the_stories_of_the_window(db: Database, settings: Settings) -> None:
    await _seeded(db, settings)
    data = json.loads(briefbot("ask", "--json", "What's new?", db=Path(settings.db_path)).stdout)
    assert data["kind"] == "briefing" and data["found"]
    stories = _story_lines(data["answer"])
    assert len(stories) >= 3 and all(re.search(r"\[\d+\]$", s) for s in stories)  # each story cites its sources
    cited = {int(n) for n in re.findall(r"\[(\d+)\]", data["answer"])}
    assert cited == {c["n"] for c in data["citations"]} and len(cited) >= len(stories)
    assert data["answer"].splitlines()[0].endswith("most important first:")

    chips = json.loads(briefbot("ask", "--json", "anything on chips lately?", db=Path(settings.db_path)).stdout)
    titles = " ".join(c["title"] for c in chips["citations"])
    assert chips["kind"] == "briefing" and "photoresist" in titles
    assert "bicycle" not in titles.lower()  # stories off the topic stay out
    text = briefbot("ask", "what happened today?", db=Path(settings.db_path)).stdout
    assert "Sources:" in text and len(_story_lines(text)) >= 3


async def test_an_empty_window_says_so_and_gives_the_newest_stories(db: Database, settings: Settings) -> None:
    await _seeded(db, settings)
    # Everything arrived just now: yesterday holds nothing, the last week does, and the answer says so.
    data = json.loads(briefbot("ask", "--json", "What happened yesterday?", db=Path(settings.db_path)).stdout)
    assert data["kind"] == "briefing" and data["found"] and data["citations"]
    assert data["answer"].startswith("Nothing new came in yesterday; the newest: ")
    assert "in the last 7 days:" in data["answer"].splitlines()[0]


async def test_the_latest_on_a_story_is_its_timeline_newest_first(db: Database, settings: Settings) -> None:
    await _seeded(db, settings)
    data = json.loads(briefbot("ask", "--json", "What's the latest on photoresist exports to South Korea?",
                               db=Path(settings.db_path)).stdout)
    assert data["kind"] == "timeline" and data["found"]
    steps = _story_lines(data["answer"])
    assert len(steps) >= 2
    dates = [c["published"] for c in data["citations"]]
    assert dates == sorted(dates, reverse=True)  # newest first
    assert data["citations"][0]["title"].startswith("Tokyo clears second")
    assert "20 August 2019 (Briefbot Wire):" in steps[0] and steps[0].endswith("[1]")
    assert "8 August 2019" in data["answer"]
    missing = json.loads(briefbot("ask", "--json", "What's the latest on zeppelins?", db=Path(settings.db_path)).stdout)
    assert missing["kind"] == "timeline" and not missing["found"]


def test_console_answers_briefing_questions_and_timelines(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    assert briefbot("ingest", str(SAMPLES), db=db).returncode == 0
    result = console(db, ["what's new?", "what's the latest on hydrogen fluoride?"], "--no-background")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "most important first:" in out and "\n1. " in out and "\n2. " in out
    assert "The latest on hydrogen fluoride, newest first:" in out and "20 August 2019" in out
    assert "Sources:" in out
