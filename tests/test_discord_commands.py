"""Slash-command sync, /article add url, and autocomplete through the real discord.py client and the fake Discord."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

from bot.service.clock import ManualClock
from tests.discord_helpers import guild_with_channel, running_bot
from tests.fakediscord import FakeDiscord

EPHEMERAL = 64
OURS = {"ask", "feed", "article", "briefing", "status"}


async def until(condition: Callable[[], object], timeout: float = 5) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.01)


def command_puts(fake: FakeDiscord) -> list[str]:
    return [path for method, path, _ in fake.requests if method == "PUT" and path.endswith("/commands")]


async def test_a_server_joined_while_running_gets_the_commands_at_once_and_restarts_do_not_resync(settings) -> None:
    clock = ManualClock(datetime.now(UTC))
    async with FakeDiscord() as fake:
        async with running_bot(fake, settings, clock=clock) as bot:
            assert bot.synced == ["global"] and {c["name"] for c in fake.synced_commands()} >= OURS
            guild = fake.join_guild("Joined later")  # GUILD_CREATE after READY: on_guild_join
            await until(lambda: fake.synced_commands(guild))  # find_command would fall back to the global ones
            assert {c["name"] for c in fake.synced_commands(guild)} >= OURS
            assert bot.synced == ["global", f"guild:{guild.id}"]
            chan = fake.add_channel(guild, "general")
            reader = fake.add_member(guild, "reader")
            inter = await fake.invoke_slash(guild, chan, reader, "status", {})
            assert "Articles: 0" in (await inter.wait_response())["data"]["content"]
        puts = len(command_puts(fake))

        async with running_bot(fake, settings, clock=clock) as bot:  # a restart with the same commands
            assert bot.synced == []
        assert len(command_puts(fake)) == puts  # nothing synced again (rate limits)
        assert {c["name"] for c in fake.synced_commands(guild)} >= OURS  # the copy stays while global is new

        clock.advance(hours=2)  # the global commands have been live long enough: the copy would be a duplicate
        async with running_bot(fake, settings, clock=clock) as bot:
            assert bot.synced == []
            assert fake.synced_commands(guild) == []
            assert {c["name"] for c in fake.synced_commands()} >= OURS
            inter = await fake.invoke_slash(guild, chan, reader, "status", {})  # served by the global command
            assert "Articles: 0" in (await inter.wait_response())["data"]["content"]
        assert command_puts(fake)[puts:] == [command_puts(fake)[-1]] and "/guilds/" in command_puts(fake)[-1]


async def test_guild_ids_sync_to_those_servers_only_when_the_commands_changed(settings) -> None:
    async with FakeDiscord() as fake:
        guild, _, _, _ = await guild_with_channel(fake, settings, samples=False)
        settings.discord.guild_ids = [guild.id]
        async with running_bot(fake, settings) as bot:
            assert bot.synced == [f"guild:{guild.id}"] and fake.synced_commands() == []
        async with running_bot(fake, settings) as bot:
            assert bot.synced == []
        assert len(command_puts(fake)) == 1
