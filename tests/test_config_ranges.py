"""Settings are checked when loaded: every number has a range, contradictions stop the start."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Settings, load_settings
from bot.config_check import RANGES, Range, numeric_keys
from bot.errors import UserError
from tests.test_cli import briefbot


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "c.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_every_numeric_setting_has_a_range() -> None:
    missing = [f"[{s}] {k}" for s, k in numeric_keys(Settings()) if k not in RANGES.get(s, {})]
    assert not missing, f"give these a range in bot/config_check.py RANGES: {missing}"


def test_the_defaults_are_within_their_ranges() -> None:
    load_settings()  # raises if a default were out of range or contradicted another


def _outside(allowed: Range, integer: bool) -> list[float]:
    low = allowed.low if allowed.low_open else (allowed.low - 1 if integer else allowed.low - 0.5)
    return [low, allowed.high + 1]


CASES = [
    (section, key, value)
    for section, keys in RANGES.items()
    for key, allowed in keys.items()
    for value in _outside(allowed, isinstance(getattr(getattr(Settings(), section), key), int))
]


@pytest.mark.parametrize(("section", "key", "value"), CASES, ids=[f"{s}.{k}={v}" for s, k, v in CASES])
def test_a_value_out_of_range_names_key_value_and_range(tmp_path: Path, section: str, key: str, value: float) -> None:
    path = write(tmp_path, f"[{section}]\n{key} = {value!r}\n")
    with pytest.raises(UserError) as info:
        load_settings(path)
    message = str(info.value)
    shown = f"{int(value):,}" if float(value).is_integer() else f"{value:g}"
    assert message.startswith(f"Setting [{section}] {key} = {shown} is out of range: allowed "), message
    assert RANGES[section][key].describe() in message


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ("[briefing]\nstory_threshold = 2", "[briefing] story_threshold = 2 is out of range: allowed more than 0 to 1"),
        ("[search]\ndefault_k = 0", "[search] default_k = 0 is out of range: allowed from 1 to 100"),
        ("[ingest]\nmax_bytes = -5", "[ingest] max_bytes = -5 is out of range: allowed from 1,000 to 2,000,000,000"),
        ("[llm]\ntemperature = 9", "[llm] temperature = 9 is out of range: allowed from 0 to 2"),
        ("[ingest]\npassage_tokens = 0", "[ingest] passage_tokens = 0 is out of range: allowed from 16 to 8,192"),
        ("[ingest]\nfetch_timeout = -1", "[ingest] fetch_timeout = -1 is out of range: allowed more than 0 to 600"),
        ("[feeds]\nmin_interval_minutes = 60\ndefault_interval_minutes = 30",
         "[feeds] min_interval_minutes = 60 is above default_interval_minutes = 30"),
        ("[llm]\ncontext_window = 600\nanswer_reserve = 700",
         "[llm] context_window = 600 leaves no room for the prompt: it must be above answer_reserve = 700"),
        ("[llm]\nbase_url = \"localhost:8080/v1\"", "[llm] base_url (or OPENAI_BASE_URL) = 'localhost:8080/v1' is not a URL"),
        ("[search]\nengine = \"lucene\"", "[search] engine = 'lucene' is out of range: allowed one of 'tantivy'"),
        ("[ingest]\npassage_tokens = inf", "[ingest] passage_tokens = inf is not a finite number"),
        ("[llm]\ntemperature = nan", "[llm] temperature = nan is not a finite number"),
        ("[ingest]\npassage_tokens = 200.5", "[ingest] passage_tokens = 200.5 must be a whole number"),
        ("[ingest]\nuser_agent = 5", "[ingest] user_agent must be text"),
        ("[discord]\nguild_ids = [-1]", "[discord] guild_ids = -1 is out of range"),
        ("[discord]\nguild_ids = 5", "[discord] guild_ids must be a list"),
        ("[store]\ndb_path = \"\"", "[store] db_path is empty"),
    ],
)
def test_contradictions_and_wrong_values_stop_at_load(tmp_path: Path, toml: str, expected: str) -> None:
    with pytest.raises(UserError) as info:
        load_settings(write(tmp_path, toml + "\n"))
    assert expected in str(info.value)


def test_the_environment_is_checked_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "not a url")
    with pytest.raises(UserError, match=r"\[llm\] base_url \(or OPENAI_BASE_URL\) = 'not a url' is not a URL"):
        load_settings()


def test_values_at_the_ends_of_their_ranges_are_accepted(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, "[ingest]\npassage_tokens = 16\nnear_duplicate_similarity = 1\n"
                                              "[llm]\ntemperature = 0\nbase_url = \"http://127.0.0.1:9/v1\"\n"
                                              "[feeds]\nmin_interval_minutes = 30\n"))
    assert settings.ingest.passage_tokens == 16 and settings.llm.temperature == 0.0


def test_the_cli_stops_with_the_message_and_no_traceback(tmp_path: Path) -> None:
    config = write(tmp_path, "[ingest]\npassage_tokens = 0\n")
    run = briefbot("--config", str(config), "articles", db=tmp_path / "x.db")
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert "briefbot: Setting [ingest] passage_tokens = 0 is out of range: allowed from 16 to 8,192." in run.stderr
