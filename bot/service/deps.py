"""The one place where the transports' core reaches the other helpers' modules.

Answers (bot.answer), the model client (bot.llm.client), briefings (bot.briefing),
feeds (bot.store.feeds, bot.ingest.poller, bot.ingest.fetch, bot.ingest.web) and
mention neutralising (bot.text_safety) are imported here only, lazily, so that a
missing piece fails with a clear message in the feature that needs it.
"""

from __future__ import annotations

import importlib
from typing import Any

from bot.config import Settings
from bot.errors import UserError
from bot.store.db import Database


def _module(name: str, feature: str) -> Any:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and name.startswith(exc.name):
            raise UserError(f"{feature} is not available in this build yet.") from exc
        raise


def make_llm(settings: Settings) -> Any | None:
    return _module("bot.llm.client", "The language model client").make_client(settings)


def answerer(db: Database, settings: Settings, llm: Any | None) -> Any:
    return _module("bot.answer", "Answering questions").Answerer(db, settings, llm)


def turn(role: str, text: str) -> Any:
    return _module("bot.answer", "Answering questions").Turn(role, text)


def briefing_builder(db: Database, settings: Settings, llm: Any | None) -> Any:
    return _module("bot.briefing", "Briefings").BriefingBuilder(db, settings, llm)


def render_briefing_text(briefing: Any) -> str:
    return str(_module("bot.briefing.render", "Briefings").render_text(briefing))


def render_briefing_embeds(briefing: Any) -> list[dict[str, Any]]:
    return list(_module("bot.briefing.render", "Briefings").render_embeds(briefing))


def feed_repo(db: Database) -> Any:
    return _module("bot.store.feeds", "Feeds").FeedRepo(db)


def feed_poller(db: Database, settings: Settings) -> Any:
    return _module("bot.ingest.poller", "Feeds").FeedPoller(db, settings)


async def check_url(url: str, settings: Settings) -> None:
    result = _module("bot.ingest.fetch", "Fetching URLs").check_url(url, settings)
    if hasattr(result, "__await__"):
        await result


def load_url(url: str, settings: Settings) -> Any:
    return _module("bot.ingest.web", "Fetching URLs").load_url(url, settings)


def neutralize_mentions(text: str) -> str:
    return str(_module("bot.text_safety", "Mention neutralising").neutralize_mentions(text))
