"""The fake Discord drives the real discord.py client: a minimal commands.Bot defined here, not the product bot."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import discord
import pytest
from discord import app_commands
from discord.ext import commands

from tests.fakediscord import FakeDiscord

TIMEOUT = 10


class MiniBot(commands.Bot):
    """A tiny bot: /ping, /feed add|list, /report (modal), /topic (autocomplete), /settings, mention replies."""

    def __init__(
        self, *, sync_guild: discord.Object | None = None, members: bool = False, message_content: bool = True
    ) -> None:
        intents = discord.Intents.default()
        intents.message_content = message_content
        intents.members = members
        super().__init__(command_prefix="!", intents=intents, guild_ready_timeout=0.05)
        self.sync_guild = sync_guild
        self.seen: list[discord.Message] = []
        self.modal_values: list[str] = []
        self.checked: list[bool] = []
        self.events: list[str] = []
        self.errors: list[int] = []

    async def setup_hook(self) -> None:
        tree = self.tree

        @tree.command(description="Defer, follow up, then edit the answer a few times")
        async def ping(inter: discord.Interaction, text: str, times: int = 3) -> None:
            await inter.response.defer(thinking=True)
            await inter.followup.send(f"pong {text}", allowed_mentions=discord.AllowedMentions.none())
            for i in range(times):
                await inter.edit_original_response(content=f"pong {text} {i}")
            extra = await inter.followup.send("extra", wait=True)
            await extra.edit(content="extra edited")

        feed = app_commands.Group(name="feed", description="Manage feeds")

        @feed.command(name="add", description="Follow a feed")
        async def feed_add(inter: discord.Interaction, url: str, channel: discord.TextChannel | None = None) -> None:
            where = channel.name if channel else "here"
            await inter.response.send_message(f"following {url} in {where}", ephemeral=True)

        @feed.command(name="list", description="List feeds")
        async def feed_list(inter: discord.Interaction) -> None:
            await inter.response.send_message("no feeds")

        tree.add_command(feed)

        class Report(discord.ui.Modal, title="Report a problem"):
            text = discord.ui.TextInput(label="What happened?", custom_id="report-text", max_length=200)

            async def on_submit(modal, inter: discord.Interaction) -> None:  # noqa: N805
                self.modal_values.append(modal.text.value)
                await inter.response.send_message(f"thanks: {modal.text.value}", ephemeral=True)

        @tree.command(description="Open a modal")
        async def report(inter: discord.Interaction) -> None:
            await inter.response.send_modal(Report())

        async def topic_complete(inter: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
            topics = ["economy", "energy", "elections", "sport"]
            return [app_commands.Choice(name=t.title(), value=t) for t in topics if t.startswith(current)]

        @tree.command(description="Pick a topic")
        @app_commands.autocomplete(name=topic_complete)
        async def topic(inter: discord.Interaction, name: str) -> None:
            await inter.response.send_message(f"topic {name}")

        @tree.command(description="Settings (Manage Server only)")
        async def settings(inter: discord.Interaction) -> None:
            self.checked.append(inter.permissions.manage_guild)
            if not inter.permissions.manage_guild:
                await inter.response.send_message("You need Manage Server.", ephemeral=True)
                return
            await inter.response.send_message("settings saved")

        @tree.command(description="Admin only, hidden from others by Discord")
        @app_commands.default_permissions(manage_guild=True)
        async def admin(inter: discord.Interaction) -> None:
            await inter.response.send_message(f"admin ok {inter.permissions.manage_guild}")

        @tree.command(description="Answer after a delay")
        async def slow(inter: discord.Interaction, delay: float) -> None:
            await asyncio.sleep(delay)
            try:
                await inter.response.send_message("late")
            except discord.NotFound as exc:
                self.errors.append(exc.code)

        @tree.command(description="Read an uploaded file")
        async def ingest(inter: discord.Interaction, file: discord.Attachment) -> None:
            data = await file.read()
            await inter.response.send_message(f"got {file.filename}: {data.decode()}")

        @tree.command(description="Start a thread")
        async def discuss(inter: discord.Interaction) -> None:
            await inter.response.send_message("starting")
            root = await inter.channel.send("thread root")
            thread = await root.create_thread(name="Discussion")
            await thread.send("inside the thread")

        if self.sync_guild is not None:
            tree.copy_global_to(guild=self.sync_guild)
            await tree.sync(guild=self.sync_guild)
        await tree.sync()

    async def on_message(self, message: discord.Message) -> None:
        self.seen.append(message)
        if message.author.bot or self.user is None:
            return
        if isinstance(message.channel, discord.DMChannel):
            await message.channel.send(f"dm: {message.content}")
        elif self.user.mentioned_in(message):
            await message.reply(
                f"hello {message.author.mention} @everyone", allowed_mentions=discord.AllowedMentions.none()
            )

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """discord.py sleeps 5 s before a re-IDENTIFY (Discord's identify limit); tests need not wait."""

    async def on_resumed(self) -> None:
        self.events.append("resumed")


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as server:
        yield server


@pytest.fixture
def world(fake: FakeDiscord):
    guild = fake.add_guild("Test guild")
    chan = fake.add_channel(guild, "news")
    admin = fake.add_member(guild, "admin", manage_guild=True)
    reader = fake.add_member(guild, "reader")
    return guild, chan, admin, reader


async def test_ready_caches_guild_channels_and_members(fake: FakeDiscord, world) -> None:
    guild, chan, admin, reader = world
    async with fake.running(MiniBot(members=True)) as bot:
        assert bot.user is not None and bot.user.id == fake.bot_user.id
        g = bot.get_guild(guild.id)
        assert g is not None and g.name == "Test guild"
        assert g.get_channel(chan.id).name == "news"
        assert g.get_member(admin.id).name == "admin"
        assert g.me is not None and g.me.id == fake.bot_user.id
        assert bot.application_id == fake.application_id
        await asyncio.wait_for(bot.wait_until_ready(), TIMEOUT)
        assert g.chunked and g.member_count == 3  # discord.py asked for member chunks and got them
        # discord.py asked for zlib-stream transport compression and got it
        assert fake.gateway_compression == ["zlib-stream"]
        identify = next(m for m in fake.gateway_log if m["op"] == 2)
        assert identify["d"]["intents"] & (1 << 15)


async def test_without_members_intent_only_the_bot_member_is_sent(fake: FakeDiscord, world) -> None:
    guild, chan, admin, reader = world
    async with fake.running(MiniBot()) as bot:
        g = bot.get_guild(guild.id)
        assert g.get_member(admin.id) is None and g.me is not None


async def test_command_sync_stores_groups_globally_and_per_guild(fake: FakeDiscord, world) -> None:
    guild, *_ = world
    async with fake.running(MiniBot(sync_guild=discord.Object(guild.id))):
        names = {c["name"] for c in fake.synced_commands()}
        assert {"ping", "feed", "report", "topic", "settings"} <= names
        feed = next(c for c in fake.synced_commands() if c["name"] == "feed")
        assert [(o["name"], o["type"]) for o in feed["options"]] == [("add", 1), ("list", 1)]
        add = feed["options"][0]
        assert [(o["name"], o["type"], o.get("required", False)) for o in add["options"]] == [
            ("url", 3, True),
            ("channel", 7, False),
        ]
        assert {c["name"] for c in fake.synced_commands(guild)} == names
        assert all(c["guild_id"] == str(guild.id) for c in fake.synced_commands(guild))
        fetched = await fake_client_fetch(fake)
        assert {c.name for c in fetched} == names


async def fake_client_fetch(fake: FakeDiscord) -> list[app_commands.AppCommand]:
    bot = MiniBot()
    try:
        await bot.login(fake.token)
        return await bot.tree.fetch_commands()
    finally:
        await bot.close()


async def test_group_subcommand_with_channel_option(fake: FakeDiscord, world) -> None:
    guild, chan, admin, reader = world
    async with fake.running(MiniBot()):
        inter = await fake.invoke_slash(guild, chan, reader, "feed add", {"url": "https://x.test/rss", "channel": chan})
        msg = await fake.wait_for_message(chan, lambda m: m["content"].startswith("following"), TIMEOUT)
        assert msg["content"] == "following https://x.test/rss in news"
        assert msg["flags"] & 64  # ephemeral
        assert fake.interaction_responses(inter)[0]["type"] == 4
        assert inter.data["options"][0]["name"] == "add" and inter.data["options"][0]["type"] == 1
        fake.command_sync_timeout = 0.1
        with pytest.raises(LookupError):
            await fake.invoke_slash(guild, chan, reader, "nosuch", {})
        with pytest.raises(ValueError):
            await fake.invoke_slash(guild, chan, reader, "feed add", {})


async def test_defer_followup_and_streaming_edits_are_recorded(fake: FakeDiscord, world) -> None:
    guild, chan, admin, reader = world
    async with fake.running(MiniBot()):
        inter = await fake.invoke_slash(guild, chan, reader, "ping", {"text": "hi", "times": 3})
        final = await fake.wait_for_message(chan, lambda m: m["content"] == "pong hi 2", TIMEOUT)
        extra = await fake.wait_for_message(chan, lambda m: m["content"] == "extra edited", TIMEOUT)
        assert fake.interaction_responses(inter) == [{"type": 5}]
        # Discord: the first follow-up after a deferred response replaces the "thinking" message.
        assert inter.original_id == int(final["id"])
        history = fake.message_history(final["id"])
        assert [v["content"] for v in history] == ["", "pong hi", "pong hi 0", "pong hi 1", "pong hi 2"]
        assert history[0]["flags"] & 128 and not history[-1]["flags"] & 128  # loading, then not
        assert history[1]["allowed_mentions"] == {"parse": []}
        assert final["webhook_id"] == str(fake.application_id)
        assert final["interaction_metadata"]["user"]["id"] == str(reader.id)
        assert [m["id"] for m in fake.interaction_messages(inter)] == [final["id"], extra["id"]]
        assert [v["content"] for v in fake.message_history(extra["id"])] == ["extra", "extra edited"]
        assert [m["content"] for m in fake.messages(chan)] == ["pong hi 2", "extra edited"]


async def test_modal_round_trip(fake: FakeDiscord, world) -> None:
    guild, chan, admin, reader = world
    async with fake.running(MiniBot()) as bot:
        inter = await fake.invoke_slash(guild, chan, reader, "report")
        body = await inter.wait_response(TIMEOUT)
        assert body["type"] == 9 and body["data"]["title"] == "Report a problem"
        submit = await fake.submit_modal(inter, {"report-text": "the feed is broken"})
        reply = await fake.wait_for_message(chan, lambda m: m["content"].startswith("thanks"), TIMEOUT)
        assert reply["content"] == "thanks: the feed is broken"
        assert bot.modal_values == ["the feed is broken"]
        assert fake.interaction_responses(submit)[0]["type"] == 4
        with pytest.raises(ValueError):
            await fake.submit_modal(inter, {"report-text": "x" * 201})


async def test_autocomplete_round_trip(fake: FakeDiscord, world) -> None:
    guild, chan, admin, reader = world
    async with fake.running(MiniBot()):
        choices = await fake.autocomplete(guild, chan, reader, "topic", {"name": "e"}, focused="name")
        assert choices == [
            {"name": "Economy", "value": "economy"},
            {"name": "Energy", "value": "energy"},
            {"name": "Elections", "value": "elections"},
        ]
        assert await fake.autocomplete(guild, chan, reader, "topic", {"name": "sp"}, focused="name") == [
            {"name": "Sport", "value": "sport"}
        ]


async def test_manage_guild_permission_comes_from_roles(fake: FakeDiscord, world) -> None:
    guild, chan, admin, reader = world
    async with fake.running(MiniBot()) as bot:
        denied = await fake.invoke_slash(guild, chan, reader, "settings")
        await fake.wait_for_message(chan, lambda m: "Manage Server" in m["content"], TIMEOUT)
        allowed = await fake.invoke_slash(guild, chan, admin, "settings")
        await fake.wait_for_message(chan, lambda m: m["content"] == "settings saved", TIMEOUT)
        assert bot.checked == [False, True]
        assert int(denied.payload["member"]["permissions"]) & (1 << 5) == 0
        assert int(allowed.payload["member"]["permissions"]) & (1 << 5)
        assert int(allowed.payload["app_permissions"]) & (1 << 11)  # the bot may send messages
        # a command with default_member_permissions cannot be run by members who lack them, as on Discord
        with pytest.raises(PermissionError):
            await fake.invoke_slash(guild, chan, reader, "admin")
        await fake.invoke_slash(guild, chan, admin, "admin")
        await fake.wait_for_message(chan, lambda m: m["content"] == "admin ok True", TIMEOUT)
        await fake.invoke_slash(guild, chan, reader, "admin", override_permissions=True)
        await fake.wait_for_message(chan, lambda m: m["content"] == "admin ok False", TIMEOUT)


async def test_mention_reply_records_allowed_mentions(fake: FakeDiscord, world) -> None:
    guild, chan, admin, reader = world
    async with fake.running(MiniBot()) as bot:
        asked = await fake.send_message(chan, reader, f"<@{fake.bot_user.id}> what happened?", mentions=[fake.bot_user])
        reply = await fake.wait_for_message(chan, lambda m: m["content"].startswith("hello"), TIMEOUT)
        assert reply["content"] == f"hello <@{reader.id}> @everyone"
        assert reply["allowed_mentions"] == {"parse": []}  # AllowedMentions.none() as discord.py sends it
        assert reply["mentions"] == [] and reply["mention_everyone"] is False  # nobody was pinged
        assert reply["message_reference"]["message_id"] == asked["id"]
        assert reply["type"] == 19
        await fake.sync()
        question = next(m for m in bot.seen if m.id == int(asked["id"]))
        assert bot.user in question.mentions and bot.user.mentioned_in(question)
        assert question.guild is not None and question.author.id == reader.id
        # the bot's own reply came back over the gateway too
        await fake.wait_for_message(chan, lambda m: m["id"] == reply["id"], TIMEOUT)
        await fake.sync()
        assert any(m.id == int(reply["id"]) and m.author.bot for m in bot.seen)


async def test_reply_reference_arrives_as_message_reference(fake: FakeDiscord, world) -> None:
    guild, chan, admin, reader = world
    async with fake.running(MiniBot()) as bot:
        first = await fake.send_message(chan, admin, "a headline")
        second = await fake.send_message(chan, reader, "tell me more", reference=first["id"])
        await fake.sync()
        msg = next(m for m in bot.seen if m.id == int(second["id"]))
        assert msg.reference is not None and msg.reference.message_id == int(first["id"])
        assert isinstance(msg.reference.resolved, discord.Message)
        assert msg.reference.resolved.content == "a headline"
        assert msg.type is discord.MessageType.reply
        assert not any(m["author"]["id"] == str(fake.bot_user.id) for m in fake.messages(chan))


async def test_repeated_nonce_is_stored_once(fake: FakeDiscord, world) -> None:
    guild, chan, admin, reader = world
    async with fake.running(MiniBot()) as bot:
        channel = bot.get_channel(chan.id)
        a = await channel.send("briefing", nonce="brief-42")
        b = await channel.send("briefing", nonce="brief-42")
        c = await channel.send("briefing")
        assert a.id == b.id != c.id
        posts = [r for r in fake.requests if r.method == "POST" and r.path == f"/channels/{chan.id}/messages"]
        assert len(posts) == 3 and posts[0].json["enforce_nonce"] is True
        assert [m["content"] for m in fake.messages(chan)] == ["briefing", "briefing"]
        assert fake.messages(chan)[0]["nonce"] == "brief-42"


async def test_injected_errors(fake: FakeDiscord, world) -> None:
    guild, chan, admin, reader = world
    async with fake.running(MiniBot()) as bot:
        channel = bot.get_channel(chan.id)
        path = rf"^/channels/{chan.id}/messages$"
        # discord.py retries a 500 after a 1 s sleep, so the message still goes out once
        fake.fail_next("POST", path, 500)
        t0 = time.perf_counter()
        msg = await channel.send("after a 500")
        assert time.perf_counter() - t0 >= 0.9
        statuses = [r.status for r in fake.requests if r.method == "POST" and r.path == path.strip("^$")]
        assert statuses == [500, 200]
        # a 429 with retry_after is waited out and retried
        fake.fail_next("POST", path, 429, retry_after=0.2)
        await channel.send("after a 429")
        # a 400 surfaces as HTTPException, a 403 as Forbidden
        fake.fail_next("POST", path, 400, {"message": "Invalid Form Body", "code": 50035})
        with pytest.raises(discord.HTTPException) as err:
            await channel.send("rejected")
        assert err.value.status == 400 and err.value.code == 50035
        fake.fail_next("POST", path, 403, {"message": "Missing Permissions", "code": 50013})
        with pytest.raises(discord.Forbidden):
            await channel.send("forbidden")
        # and so do Discord's own validation errors
        with pytest.raises(discord.HTTPException) as too_long:
            await channel.send("x" * 2001)
        assert too_long.value.code == 50035
        assert [m["content"] for m in fake.messages(chan)] == [msg.content, "after a 429"]


async def test_restart_sees_earlier_messages(fake: FakeDiscord, world) -> None:
    guild, chan, admin, reader = world
    async with fake.running(MiniBot()) as bot:
        await bot.get_channel(chan.id).send("posted before the restart")
        await fake.send_message(chan, reader, "a user message")
    async with fake.running(MiniBot()) as bot2:
        history = [m async for m in bot2.get_channel(chan.id).history(limit=10)]
        assert [m.content for m in history] == ["a user message", "posted before the restart"]
        assert len(fake.live_sessions()) == 1 and len(fake.sessions) == 2


async def test_gateway_drop_resumes_and_replays(fake: FakeDiscord, world) -> None:
    guild, chan, admin, reader = world
    async with fake.running(MiniBot()) as bot:
        await fake.disconnect_gateway()
        sent = await fake.send_message(chan, reader, "while you were away")
        await fake.wait_ready(timeout=TIMEOUT)
        await fake.sync()
        assert fake.resume_count == 1 and "resumed" in bot.events
        assert any(m.id == int(sent["id"]) for m in bot.seen)
        inter = await fake.invoke_slash(guild, chan, reader, "feed list")
        await fake.wait_for_message(chan, lambda m: m["content"] == "no feeds", TIMEOUT)
        assert fake.interaction_responses(inter)[0]["type"] == 4


async def test_refused_privileged_intent_closes_with_4014() -> None:
    async with FakeDiscord(allowed_privileged_intents=0) as fake:
        fake.add_guild()
        with pytest.raises(discord.PrivilegedIntentsRequired):
            async with fake.running(MiniBot(), timeout=TIMEOUT):
                pass


async def test_without_message_content_intent(fake: FakeDiscord, world) -> None:
    guild, chan, admin, reader = world
    async with fake.running(MiniBot(message_content=False)) as bot:
        plain = await fake.send_message(chan, reader, "just chatting")
        asked = await fake.send_message(chan, reader, f"{fake.bot_user.mention} a question")
        await fake.sync()
        by_id = {m.id: m for m in bot.seen}
        assert by_id[int(plain["id"])].content == ""  # hidden, as Discord does
        assert by_id[int(asked["id"])].content.endswith("a question")  # mentions of the bot keep content
        await fake.invoke_slash(guild, chan, reader, "feed list")
        await fake.wait_for_message(chan, lambda m: m["content"] == "no feeds", TIMEOUT)


async def test_late_acknowledgement_is_unknown_interaction() -> None:
    async with FakeDiscord(ack_timeout=0.2) as fake:
        guild = fake.add_guild()
        chan = fake.add_channel(guild, "news")
        user = fake.add_member(guild, "reader")
        async with fake.running(MiniBot()) as bot:
            inter = await fake.invoke_slash(guild, chan, user, "slow", {"delay": 0.4})
            for _ in range(100):
                if bot.errors:
                    break
                await asyncio.sleep(0.02)
            assert bot.errors == [10062]
            assert fake.interaction_responses(inter) == []
            ok = await fake.invoke_slash(guild, chan, user, "slow", {"delay": 0})
            await fake.wait_for_message(chan, lambda m: m["content"] == "late", TIMEOUT)
            assert fake.interaction_responses(ok)[0]["type"] == 4


async def test_refused_resume_identifies_again(fake: FakeDiscord, world) -> None:
    guild, chan, admin, reader = world
    async with fake.running(MiniBot()) as bot:
        await fake.disconnect_gateway(resume=False)
        await fake.wait_ready(timeout=TIMEOUT)
        assert fake.resume_count == 0 and fake.connect_count >= 2
        assert len(fake.live_sessions()) == 1 and fake.live_sessions()[0] is fake.sessions[-1]
        await fake.invoke_slash(guild, chan, reader, "feed list")
        await fake.wait_for_message(chan, lambda m: m["content"] == "no feeds", TIMEOUT)
        assert bot.get_guild(guild.id) is not None


async def test_attachment_option_thread_and_dm(fake: FakeDiscord, world) -> None:
    guild, chan, admin, reader = world
    async with fake.running(MiniBot()):
        await fake.invoke_slash(guild, chan, reader, "ingest", {"file": ("notes.txt", b"Japan approved")})
        got = await fake.wait_for_message(chan, lambda m: m["content"].startswith("got"), TIMEOUT)
        assert got["content"] == "got notes.txt: Japan approved"

        await fake.invoke_slash(guild, chan, reader, "discuss")
        inside = await fake.wait_for_message(None, lambda m: m["content"] == "inside the thread", TIMEOUT)
        thread = fake.channels[int(inside["channel_id"])]
        root = next(m for m in fake.messages(chan) if m["content"] == "thread root")
        assert thread.type == 11 and thread.parent_id == chan.id and thread.id == int(root["id"])

        dm = fake.dm_channel(reader)
        await fake.send_message(dm, reader, "hello bot")
        answer = await fake.wait_for_message(dm, lambda m: m["content"].startswith("dm:"), TIMEOUT)
        assert answer["content"] == "dm: hello bot" and "guild_id" not in answer


async def test_bad_token_embeds_and_default_pings(fake: FakeDiscord, world) -> None:
    guild, chan, admin, reader = world
    wrong = MiniBot()
    try:
        with pytest.raises(discord.LoginFailure):
            await wrong.login("not-the-token")
    finally:
        await wrong.close()
    async with fake.running(MiniBot()) as bot:
        channel = bot.get_channel(chan.id)
        embed = discord.Embed(title="Brief", description="d" * 4096, url="https://example.test/a")
        sent = await channel.send(embed=embed)
        assert fake.message(sent.id)["embeds"][0]["title"] == "Brief"
        with pytest.raises(discord.HTTPException) as err:
            await channel.send(embed=discord.Embed(description="d" * 4097))
        assert err.value.code == 50035 and "embeds.0.description" in str(err.value)
        with pytest.raises(discord.HTTPException):
            await channel.send(embed=discord.Embed(title="x", url="not a url"))
        # without allowed_mentions Discord parses everything: the user and @everyone are pinged
        loud = await channel.send(f"{admin.mention} @everyone")
        view = fake.message(loud.id)
        assert [u["id"] for u in view["mentions"]] == [str(admin.id)] and view["mention_everyone"] is True
        assert view["allowed_mentions"] is None
        # wait_for_message ignores users' messages unless asked
        await fake.send_message(chan, reader, "needle from a user")
        with pytest.raises(asyncio.TimeoutError):
            await fake.wait_for_message(chan, lambda m: "needle" in m["content"], timeout=0.2)
        found = await fake.wait_for_message(chan, lambda m: "needle" in m["content"], timeout=1, from_bot=False)
        assert found["author"]["id"] == str(reader.id)
