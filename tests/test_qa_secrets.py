"""Secrets (OPENAI_API_KEY, DISCORD_TOKEN) never reach output or logs, even at DEBUG, whatever fails.

The real `briefbot` command runs against the fake OpenAI server (401, 429, 500, time-out) with `-v`
(every library's DEBUG log on); the real bot runs against the fake Discord with DEBUG logging captured.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from pathlib import Path

import discord
import pytest

from bot.config import Settings
from bot.transport.discord.bot import run_bot
from tests.conftest import PROJECT_ROOT
from tests.discord_helpers import guild_with_channel, running_bot, seed
from tests.fake_openai import FakeOpenAI, FakeReply
from tests.fakediscord import FakeDiscord

KEY = "sk-test-SECRET-4f9a"
QUESTION = "what did Japan approve for Samsung?"


async def _briefbot(*args: str, db: Path, env: dict[str, str], stdin: str | None = None) -> tuple[int, str]:
    """Run `python -m bot ...` without blocking the loop (the fake servers live in it); stdout+stderr."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("BRIEFBOT_", "OPENAI_", "DISCORD_"))}
    full_env.update(BRIEFBOT_DB=str(db), **env)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, cwd=PROJECT_ROOT, env=full_env,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(stdin.encode() if stdin is not None else None), 60)
    return proc.returncode or 0, out.decode("utf-8", "replace")


FAILURES = {
    "401": FakeReply(status=401),
    "429": FakeReply(status=429),
    "500": FakeReply(status=500),
    "timeout": FakeReply(delay=3.0),
}


@pytest.mark.parametrize("failure", list(FAILURES))
async def test_verbose_ask_never_prints_the_api_key_when_the_model_fails(settings: Settings, tmp_path: Path, failure: str) -> None:
    await seed(settings, "default")
    config = tmp_path / "briefbot.toml"
    config.write_text("[llm]\ntimeout = 0.5\nmax_retries = 1\n", encoding="utf-8")
    async with FakeOpenAI() as server:
        server.script(*[FAILURES[failure]] * 4)
        code, out = await _briefbot(
            "-v", "--config", str(config), "ask", QUESTION, db=settings.db_path,
            env={"OPENAI_API_KEY": KEY, "OPENAI_BASE_URL": server.base_url},
        )
        assert server.headers and server.headers[0]["Authorization"] == f"Bearer {KEY}"  # the key was really used
    assert code == 0, out
    assert "DEBUG" in out  # the libraries' debug logs were on
    assert "photoresist" in out and "this answer is extractive" in out  # the user still gets an answer
    assert KEY not in out and "SECRET" not in out


async def test_the_console_never_prints_the_api_key(settings: Settings, tmp_path: Path) -> None:
    await seed(settings, "default")
    async with FakeOpenAI() as server:
        server.script(*[FakeReply(status=401)] * 4)
        code, out = await _briefbot(
            "-v", "console", "--no-background", db=settings.db_path,
            env={"OPENAI_API_KEY": KEY, "OPENAI_BASE_URL": server.base_url},
            stdin=f"{QUESTION}\n/status\n/briefing now 30d\n",
        )
        assert server.requests
    assert code == 0, out
    assert "photoresist" in out.lower()
    assert KEY not in out and "SECRET" not in out


async def test_the_running_bot_never_logs_its_token(settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # discord.py, aiohttp, openai: everything
    async with FakeOpenAI() as server, FakeDiscord() as fake:
        settings.llm.base_url, settings.llm.api_key = server.base_url, KEY
        server.script(FakeReply(status=401))
        guild, chan, reader, _ = await guild_with_channel(fake, settings)
        async with running_bot(fake, settings):
            inter = await fake.invoke_slash(guild, chan, reader, "ask", {"question": QUESTION})
            await fake.wait_for_message(chan, lambda m: "Sources" in (m.get("content") or ""), timeout=15)
            await inter.wait_response()
    text = caplog.text + "".join(str(r.args) for r in caplog.records)
    assert "DEBUG" in {r.levelname for r in caplog.records}
    assert fake.token not in text and KEY not in text and "SECRET" not in text


async def test_a_bad_token_is_refused_with_a_message_that_does_not_repeat_it(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with FakeDiscord() as fake:
        settings.discord.token = "MTIz.bad-SECRET-token"
        code = await run_bot(settings)
        assert fake.token != settings.discord.token
    assert code == 2
    assert "Discord refused the token" in caplog.text
    assert "bad-SECRET-token" not in caplog.text


async def test_run_without_reaching_discord_says_so_instead_of_a_traceback(
    settings: Settings, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setattr(discord.http.Route, "BASE", "http://127.0.0.1:9/api/v10")  # nothing listens there
    settings.discord.token = "MTIz.unreachable-SECRET-token"
    code = await run_bot(settings)
    assert code == 2
    assert "Cannot reach Discord" in caplog.text and "check the network" in caplog.text
    assert "SECRET" not in caplog.text
