"""No traceback from any number: huge or odd numbers in records, dates, feeds, questions and arguments."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.transport.cli.main import main
from bot.config import Settings
from bot.ingest.dates import from_timestamp, parse_date
from bot.ingest.models import IngestResult, RawArticle
from bot.ingest.sources import iter_sources
from bot.timeutil import parse_question, parse_since
from tests.newsserver import NewsServer, site  # noqa: F401  (fixture)

HUGE = "9" * 30


@pytest.mark.parametrize(
    "argv",
    [
        ["show", HUGE], ["search", "-k", HUGE, "bridge"], ["articles", "--offset", HUGE], ["articles", "--limit", HUGE],
        ["feeds", "add", "http://example.invalid/", "--interval", HUGE],
        ["brief", "--max-stories", HUGE], ["show", "-5"],
    ],
)
def test_huge_numbers_on_the_command_line_are_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--db", str(tmp_path / "n.db"), *argv])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "is more than" in err or "is less than" in err


def test_removing_a_feed_by_a_huge_id_says_no_such_feed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--db", str(tmp_path / "n.db"), "feeds", "remove", HUGE]) == 2  # an id or a URL: no such feed
    assert "No feed" in capsys.readouterr().err


@pytest.mark.parametrize("since", [HUGE + "d", "0001-01-01"])
def test_a_window_start_far_back_is_clamped_or_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str], since: str) -> None:
    code = main(["--db", str(tmp_path / "n.db"), "brief", "--since", since, "--tz", "Asia/Tokyo", "--no-llm"])
    out = capsys.readouterr()
    assert code in (0, 2) and "Traceback" not in out.err
    assert code == 0 or "too early a date" in out.err


def test_questions_with_huge_numbers_have_a_window_or_none() -> None:
    now = datetime(2026, 3, 10, tzinfo=UTC)
    far = parse_question(f"what happened in the last {HUGE} days?", "UTC", now)
    assert far is not None and far.since is not None and far.since.year < 1900
    assert parse_question("what happened in December 9999?", "UTC", now) is None
    assert parse_since(f"{HUGE}d", "UTC", now).since.year < 1900


def test_dates_past_the_calendar_are_undated_not_errors() -> None:
    assert parse_date("9999-12-31T23:59:59-05:00") is None
    assert parse_date("99999999999999") is None
    assert from_timestamp(99999999999999) is None and from_timestamp(float("inf")) is None
    assert from_timestamp(1_700_000_000) == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)


async def test_records_with_huge_numbers_are_stored_or_named(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "r.jsonl"
    path.write_text(
        "\n".join([
            json.dumps({"title": "Epoch date", "body": "one two three four", "published": 1_700_000_000, "id": 10**30}),
            json.dumps({"title": "Huge date", "body": "one two three four", "published": 99999999999999}),
            json.dumps({"title": "Past the calendar", "body": "one two three four", "published": "9999-12-31T23:59:59-05:00"}),
            '{"title": "Huge id", "body": "one two three four", "id": ' + "9" * 5000 + "}",
            json.dumps({"title": "Numeric source", "body": "one two three four", "source": 1e308, "url": {"x": 1}}),
            "[" * 100_000,
        ]),
        encoding="utf-8",
    )
    items = [item async for item in iter_sources([str(path)], settings)]
    stored = {i.title: i for i in items if isinstance(i, RawArticle)}
    failed = {i.origin: i.reason for i in items if isinstance(i, IngestResult)}
    assert stored["Epoch date"].published == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
    assert stored["Epoch date"].meta == {}  # an id SQLite cannot hold is not kept
    assert stored["Huge date"].published is None and stored["Past the calendar"].published is None
    assert failed == {
        f"{path}:4": "not usable JSON (Exceeds the limit (4300 digits) for integer string conversion: value has 5000 digits)",
        f"{path}:5": "the record's 'url' must be text",
        f"{path}:6": "not valid JSON (nested too deeply)",
    }


async def test_a_feed_date_past_the_calendar_leaves_the_item_undated(site: NewsServer, settings: Settings) -> None:
    from tests.newsserver import rss, rss_item

    item = rss_item(site.base, "bees") | {"published": "Fri, 31 Dec 9999 23:59:59 -0500"}
    site.encoded["far.xml"] = (rss("Far Future", [item]).encode(), "identity", "application/rss+xml")
    [article] = [i async for i in iter_sources([site.url("/encoded/far.xml")], settings)]
    assert isinstance(article, RawArticle) and article.published is None
