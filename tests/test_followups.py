"""Follow-ups only when they read as follow-ups, and never from an unanswered turn (in the console)."""

from __future__ import annotations

from pathlib import Path

from bot.answering.answerer import is_follow_up
from tests.conftest import SAMPLES
from tests.cli_runner import briefbot
from tests.test_console import console


def _ingested(tmp_path: Path) -> Path:
    db = tmp_path / "f.db"
    ingest = briefbot("--db", str(db), "ingest", str(SAMPLES))
    assert ingest.returncode == 0, ingest.stderr
    return db


def test_after_an_unanswered_question_the_readme_sample_question_is_answered(tmp_path: Path) -> None:
    result = console(_ingested(tmp_path), [
        "what is the capital of Peru?",
        "what did Japan approve for Samsung?",
        "what is the capital of Peru?",
        "and what about hydrogen fluoride?",  # reads as a follow-up, but the turn before it was unanswered
    ], "--no-background")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.count("I don't have anything on that") == 2, out
    assert "\nSources:\n[1] Japan approves" in out
    assert out.count("\nSources:\n") == 2, out
    assert "<https://example.org/briefbot-samples/second-licence>" in out  # the hydrogen fluoride story


def test_a_short_question_is_a_follow_up_only_when_it_reads_as_one() -> None:
    for standalone in ("what did Japan approve for Samsung?", "Who is buying the Linotype unit?",
                       "What did the Fed do this week?", "Is there news on copper?", "Samsung profit?"):
        assert not is_follow_up(standalone), standalone
    for follow in ("and hydrogen fluoride?", "what about carbon fibre?", "how much?", "when?",
                   "how many jobs will that create?", "Were the missing ones found?", "What did it pay?",
                   "And who got his old job?"):
        assert is_follow_up(follow), follow
    assert is_follow_up("Samsung profit?", reply=True)  # a reply to the bot's answer is one, however it reads
