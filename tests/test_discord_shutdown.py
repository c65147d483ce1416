"""Stopping the bot while a question is being answered: the answer still lands, nothing fails under it.

BriefBot.close() waits (up to SHUTDOWN_GRACE_SECONDS) for the slash commands and mentions discord.py is running
before it closes the HTTP session and the store; before, a slow model's answer was cut off and the command
raised "no active connection" / "Session is closed" into the log.
"""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.config import Settings
from tests.discord_helpers import guild_with_channel, no_pings, running_bot
from tests.fake_openai import FakeOpenAI, FakeReply
from tests.fakediscord import FakeDiscord


async def _until(condition: object, timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not condition():  # type: ignore[operator]
        assert loop.time() < end, "timed out"
        await asyncio.sleep(0.01)


async def test_an_answer_in_progress_is_finished_before_the_bot_stops(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    async with FakeDiscord() as fake, FakeOpenAI() as llm:
        settings.llm.base_url = llm.base_url
        settings.llm.api_key = "test-key"
        llm.script(FakeReply(delay=1.0))  # the model is still thinking when the bot is told to stop
        guild, chan, reader, _ = await guild_with_channel(fake, settings)
        with caplog.at_level(logging.WARNING):
            async with running_bot(fake, settings):
                await fake.invoke_slash(guild, chan, reader, "ask", {"question": "What did Japan approve for Samsung?"})
                await _until(lambda: len(llm.requests) >= 1)
            # running_bot has closed the bot: the answer was finished first
        answers = [m for m in fake.messages(chan) if "**Sources**" in (m["content"] or "")]
    assert len(answers) == 1 and "photoresist" in answers[0]["content"].lower() and no_pings(answers[0])
    failures = [r for r in caplog.records if r.levelno >= logging.ERROR or "still running" in r.getMessage()]
    assert not failures, [r.getMessage() for r in failures]
