from __future__ import annotations

from datetime import datetime, timezone

import pytest

from bot.errors import UserError
from bot.answering.context import context_tokens, pack_context
from bot.llm.tokens import count_tokens
from bot.search.models import SearchHit
from bot.timeutil import human_date, parse_question, parse_since

NOW = datetime(2019, 8, 22, 10, 0, tzinfo=timezone.utc)  # Thursday


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    "question, tz, since, until",
    [
        ("what happened this week?", "UTC", _utc(2019, 8, 19), None),
        ("what happened this week?", "Asia/Seoul", _utc(2019, 8, 18, 15), None),
        ("news from yesterday", "UTC", _utc(2019, 8, 21), _utc(2019, 8, 22)),
        ("anything since Monday?", "Europe/Paris", _utc(2019, 8, 18, 22), None),
        ("what did Samsung say in July?", "UTC", _utc(2019, 7, 1), _utc(2019, 8, 1)),
        ("what did Samsung say in December?", "UTC", _utc(2018, 12, 1), _utc(2019, 1, 1)),
        ("rates in the past 3 days", "UTC", _utc(2019, 8, 19, 10), None),
        ("since August 1", "UTC", _utc(2019, 8, 1), None),
        ("what happened last week", "UTC", _utc(2019, 8, 12), _utc(2019, 8, 19)),
        ("news today", "UTC", _utc(2019, 8, 22), None),
    ],
)
def test_time_phrases(question: str, tz: str, since: datetime, until: datetime | None) -> None:
    window = parse_question(question, tz, NOW)
    assert window is not None and window.since == since and window.until == until


def test_latest_weights_and_no_phrase_means_no_window() -> None:
    latest = parse_question("what is the latest on Samsung?", "UTC", NOW)
    assert latest is not None and latest.recent and latest.since is None
    assert parse_question("what may Samsung do?", "UTC", NOW) is None
    assert parse_question("what did Japan approve for Samsung?", "UTC", NOW) is None


def test_since_values() -> None:
    assert parse_since("24h", now=NOW).since == _utc(2019, 8, 21, 10)
    assert parse_since("7d", now=NOW).since == _utc(2019, 8, 15, 10)
    assert parse_since("2019-08-01", "Europe/Paris", NOW).since == _utc(2019, 7, 31, 22)
    assert parse_since("", now=NOW).since == _utc(2019, 8, 21, 10)  # empty: the default window, 24 h
    for bad in ("soon", "2019-13-01", "yesterday-ish", "1e400h", "0001-01-01T00:00:00+05:00"):
        with pytest.raises(UserError):
            parse_since(bad, now=NOW)
    assert human_date("2019-07-12T00:00:00Z") == "12 July 2019"


def P(article_id: int, position: int, text: str) -> SearchHit:
    return SearchHit(0, article_id, position, "T", None, None, None, text, 0.0)


def test_packing_keeps_whole_passages_best_first_and_merges_neighbours() -> None:
    long = "word " * 300
    passages = [P(1, 2, "second part."), P(2, 0, long), P(1, 1, "first part."), P(3, 0, "short one."), P(1, 5, "later.")]
    sources = pack_context(passages, budget=60)
    assert [s.article_id for s in sources] == [1, 3]  # the long passage does not fit and is skipped whole
    assert sources[0].n == 1 and sources[0].text == "first part.\nsecond part.\n…\nlater."
    assert sum(s.tokens for s in sources) <= 60
    assert context_tokens(sources) <= 60 + 10
    assert pack_context(passages, budget=0) == []
    assert count_tokens(long) > 60
