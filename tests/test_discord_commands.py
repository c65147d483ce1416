"""Slash-command sync, /article add url, and autocomplete through the real discord.py client and the fake Discord."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

from bot.timeutil import ManualClock
from tests.discord_helpers import guild_with_channel, running_bot
from tests.fakediscord import FakeDiscord
from tests.newsserver import NewsServer

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
            await until(lambda: len(bot.synced) == 2)  # (fake.wait_for_command would accept the global ones)
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


async def test_article_add_url_stores_the_page_in_this_server_only_and_names_it(settings) -> None:
    async with FakeDiscord() as fake, NewsServer() as site:
        guild, chan, reader, admin = await guild_with_channel(fake, settings, samples=False)
        other, other_chan, other_reader, _ = await guild_with_channel(fake, settings, samples=False)
        async with running_bot(fake, settings) as bot:
            inter = await fake.invoke_slash(guild, chan, admin, "article add url", {"url": site.url("/story/harbour.html")})
            reply = await fake.wait_for_message(chan, lambda m: "added" in (m["content"] or ""))
            here = await bot.app.collection_id(f'guild:{guild.id}')
            there = await bot.app.collection_id(f'guild:{other.id}')
            assert await bot.app.repos.articles.count(there) == 0
            (stored,) = await bot.app.repos.articles.list(here, limit=5)
            mine = await fake.autocomplete(guild, chan, reader, "article show", {"id": "harb"}, "id")
            theirs = await fake.autocomplete(other, other_chan, other_reader, "article show", {"id": "harb"}, "id")
        assert "Harbour traffic grows for a third month" in reply["content"]
        assert fake.interaction_messages(inter)[0]["flags"] & EPHEMERAL
        assert [(c["name"], c["value"]) for c in mine] == [(f"{stored.id}: {stored.title}", stored.id)]
        assert stored.title == "Harbour traffic grows for a third month"
        assert theirs == []


async def test_article_add_url_refuses_private_addresses_privately_and_stores_nothing(settings) -> None:
    settings.ingest.allow_private_urls = False
    async with FakeDiscord() as fake:
        guild, chan, _, admin = await guild_with_channel(fake, settings, samples=False)
        async with running_bot(fake, settings) as bot:
            replies = []
            for url in ("http://127.0.0.1:1/", "http://169.254.169.254/latest/meta-data/"):
                inter = await fake.invoke_slash(guild, chan, admin, "article add url", {"url": url})
                replies.append(await fake.wait_for_message(chan, lambda m, u=url: u in (m["content"] or "")))
                assert fake.interaction_messages(inter)[0]["flags"] & EPHEMERAL
            assert await bot.app.repos.articles.count(await bot.app.collection_id(f'guild:{guild.id}')) == 0
        assert "refused" in replies[0]["content"] and "loopback" in replies[0]["content"]
        assert "refused" in replies[1]["content"] and "link-local" in replies[1]["content"]


async def test_feed_remove_autocompletes_this_servers_feeds_only(settings) -> None:
    async with FakeDiscord() as fake, NewsServer() as site:
        a, chan_a, reader_a, admin_a = await guild_with_channel(fake, settings, samples=False)
        b, chan_b, reader_b, admin_b = await guild_with_channel(fake, settings, samples=False)
        async with running_bot(fake, settings):
            for guild, chan, admin, path in ((a, chan_a, admin_a, "/rss.xml"), (b, chan_b, admin_b, "/other.xml")):
                inter = await fake.invoke_slash(guild, chan, admin, "feed add", {"url": site.url(path)})
                await fake.wait_for_message(chan, lambda m: "Following" in (m["content"] or ""))
            in_a = await fake.autocomplete(a, chan_a, admin_a, "feed remove", {"feed": ""}, "feed")
            in_b = await fake.autocomplete(b, chan_b, admin_b, "feed remove", {"feed": ""}, "feed")
            typed = await fake.autocomplete(a, chan_a, admin_a, "feed remove", {"feed": "other"}, "feed")
            # A's feed id typed by hand in B is not B's to remove.
            inter = await fake.invoke_slash(b, chan_b, admin_b, "feed remove", {"feed": in_a[0]["value"]})
            refused = (await inter.wait_response())["data"]["content"]
            inter = await fake.invoke_slash(a, chan_a, admin_a, "feed remove", {"feed": in_a[0]["value"]})
            removed = (await inter.wait_response())["data"]["content"]
            after = await fake.autocomplete(a, chan_a, admin_a, "feed remove", {"feed": ""}, "feed")
            still_b = await fake.autocomplete(b, chan_b, admin_b, "feed remove", {"feed": ""}, "feed")
        assert [c["name"] for c in in_a] == [f"Wire Full Text ({site.url('/rss.xml')})"]
        assert [c["name"] for c in in_b] == [f"Other Feed ({site.url('/other.xml')})"]
        assert typed == []
        assert "No feed" in refused and removed == "Stopped following Wire Full Text."
        assert after == [] and still_b == in_b
