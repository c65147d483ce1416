"""Every duration and time phrase gives the same window through the CLI, the console and the slash command.

Eight unrelated articles join the store at known times before now; for each phrase the expected set is
worked out here with plain datetime arithmetic (what the phrase means in the README), and each front end
must brief exactly that set.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.app import open_app
from bot.config import Settings
from bot.ingest.models import RawArticle
from bot.ingest.pipeline import Ingestor
from bot.store.db import open_database
from bot.timeutil import ManualClock
from bot.transport.console import Console
from tests.cli_runner import briefbot
from tests.discord_helpers import running_bot
from tests.fakediscord import FakeDiscord

NOW = datetime.now(UTC)
TODAY = NOW.replace(hour=0, minute=0, second=0, microsecond=0)

# (title, body, when it joined the store)
ARTICLES = [
    ("Dock workers strike halts container cranes in Rotterdam",
     "Dock workers in Rotterdam stopped the container cranes on Monday in a strike over night shifts, the union said.",
     NOW - timedelta(minutes=20)),
    ("Copper climbs after a Chilean mine outage",
     "Copper prices rose four percent after a flood shut the Escondida mine in Chile, traders said.",
     NOW - timedelta(minutes=80)),
    ("Kansas wheat harvest forecast cut after drought",
     "The wheat harvest forecast for Kansas was cut by a fifth after months of drought, the state agency said.",
     NOW - timedelta(hours=5)),
    ("Norway's central bank holds its deposit rate",
     "Norges Bank kept its deposit rate unchanged at four and a half percent, its governor told reporters in Oslo.",
     TODAY - timedelta(hours=12)),
    ("Regional airline orders forty turboprops",
     "A regional airline in Brazil ordered forty turboprop aircraft for routes in the Amazon, its chief executive said.",
     NOW - timedelta(hours=40)),
    ("Museum in Lisbon reopens its tile collection",
     "The national tile museum in Lisbon reopened its seventeenth century galleries after a restoration of two years.",
     NOW - timedelta(days=3)),
    ("Glacier survey finds faster melting in the Alps",
     "Swiss glaciologists measured the fastest summer melting in the Alps since their survey began a century ago.",
     NOW - timedelta(days=10)),
    ("Chess olympiad opens with record entries",
     "The chess olympiad in Budapest opened with a record one hundred and ninety teams from around the world.",
     NOW - timedelta(days=300)),
]


def since(delta: timedelta) -> set[str]:
    return {title for title, _, at in ARTICLES if at >= NOW - delta}


# phrase -> the titles its window holds, by the README's reading ("3m" is three minutes everywhere)
WINDOWS: dict[str, set[str]] = {
    "90m": since(timedelta(minutes=90)),
    "1.5h": since(timedelta(minutes=90)),
    "3m": set(),
    "2 days": since(timedelta(days=2)),
    "yesterday": {t for t, _, at in ARTICLES if TODAY - timedelta(days=1) <= at < TODAY},
    "1w": since(timedelta(weeks=1)),
    "400d": since(timedelta(days=400)),
}


def test_the_table_itself_tells_the_phrases_apart() -> None:
    """The expected sets differ from each other, so a front end that reads a phrase another way fails."""
    assert len({frozenset(v) for k, v in WINDOWS.items() if k != "1.5h"}) == len(WINDOWS) - 1
    assert WINDOWS["yesterday"] and WINDOWS["3m"] == set()


async def _seed(settings: Settings, collections: list[str]) -> None:
    db = await open_database(settings.db_path)
    try:
        for name in collections:
            cid = await db.collection_id(name)
            for title, body, at in ARTICLES:
                ingestor = Ingestor(db, settings, clock=ManualClock(at))
                await ingestor.ingest_one(RawArticle(title=title, body=body, source="Test Wire", published=at), cid)
    finally:
        await db.close()


def _titles_in(text: str) -> set[str]:
    return {title for title, _, _ in ARTICLES if title in text}


@pytest.fixture
def wide(settings: Settings) -> Settings:
    settings.briefing.max_stories = 20
    settings.discord.ask_cooldown_seconds = 0
    return settings


async def test_every_phrase_gives_the_same_window_in_the_cli_the_console_and_discord(wide: Settings) -> None:
    async with FakeDiscord() as fake:
        guild = fake.add_guild()
        chan = fake.add_channel(guild, "news")
        reader = fake.add_member(guild, "reader")
        await _seed(wide, ["default", f"guild:{guild.id}"])
        wide.discord.guild_ids = [guild.id]
        seen: dict[str, dict[str, set[str]]] = {}

        for phrase in WINDOWS:
            ran = briefbot("brief", "--since", phrase, "--json", "--no-llm", db=wide.db_path)
            assert ran.returncode == 0, ran.stderr
            stories: list[dict[str, Any]] = json.loads(ran.stdout)["stories"]
            seen.setdefault(phrase, {})["cli"] = {s["title"] for s in stories} & {t for t, _, _ in ARTICLES}

        async with open_app(wide) as app:
            cid = await app.collection_id("default")
            for phrase in WINDOWS:
                out = io.StringIO()
                console = Console(app, stdin=io.StringIO(""), stdout=out, background=False)
                await console.handle(f"/briefing now {phrase}", cid)
                seen[phrase]["console"] = _titles_in(out.getvalue())

        async with running_bot(fake, wide):
            for phrase in WINDOWS:
                inter = await fake.invoke_slash(guild, chan, reader, "briefing now", {"since": phrase})
                await inter.wait_response()
                await fake.wait_for_message(chan, lambda m, inter=inter: bool(m.get("embeds") or m.get("content")) and any(
                    x["id"] == m["id"] for x in fake.interaction_messages(inter)
                ))
                seen[phrase]["discord"] = _titles_in(json.dumps(fake.interaction_messages(inter), ensure_ascii=False))

    for phrase, expected in WINDOWS.items():
        assert seen[phrase] == {"cli": expected, "console": expected, "discord": expected}, phrase
