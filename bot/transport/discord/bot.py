"""The Discord transport: BriefBot (a commands.Bot) with one cog per feature, the outbox sink,
command sync and the background scheduler. Cogs are thin: parse, check, call a use case of `App`, render."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp
import discord
from discord import app_commands
from discord.ext import commands

from bot.config import Settings
from bot.errors import UserError
from bot.timeutil import Clock
from bot.app import App
from bot.usecases.scheduler import ChannelGone, PostRefused, Scheduler
from bot.store.outbox import OutboxItem
from bot.transport.discord import render
from bot.transport.discord.command_sync import CommandSyncer
from bot.transport.health import HealthServer

log = logging.getLogger(__name__)

COGS = (
    "bot.transport.discord.cogs.ask",
    "bot.transport.discord.cogs.feeds",
    "bot.transport.discord.cogs.articles",
    "bot.transport.discord.cogs.briefing",
    "bot.transport.discord.cogs.status",
)

INTENT_HINT = (
    "The message content intent is off: slash commands work, and mentions of the bot still reach it, "
    "but for reliable mention and reply questions turn on 'Message Content Intent' on the Bot page of the "
    "Discord Developer Portal and set [discord] message_content = true in the config."
)
NO_MENTIONS = discord.AllowedMentions.none()
RETIRE_CHECK_SECONDS = 3600.0


def role_only(role_id: int) -> discord.AllowedMentions:
    """The one mention the bot ever allows: the role chosen for a subscription's alerts."""
    return discord.AllowedMentions(everyone=False, users=False, roles=[discord.Object(id=role_id)], replied_user=False)


# The tasks discord.py runs a slash command and a message event in (app_commands' tree; Client.dispatch).
HANDLER_TASK_NAMES = frozenset({"CommandTree-invoker", "discord.py: on_message"})
SHUTDOWN_GRACE_SECONDS = 8.0  # inside `docker stop`'s default 10 s (compose and the unit give 30 s)


class DiscordSink:
    """Posts outbox items to Discord channels with a nonce (enforce_nonce) so a retry is not a second post."""

    prefix = "discord:"

    def __init__(self, bot: "BriefBot") -> None:
        self.bot = bot

    async def send(self, item: OutboxItem, late_note: str | None) -> int | None:
        channel = self.bot.get_partial_messageable(int(item.channel_key.split(":", 1)[1]))
        role_id = item.payload.get("role_id")
        first_id: int | None = None
        for i, (content, embeds) in enumerate(render.post_messages(item.payload, late_note)):
            allowed = role_only(int(role_id)) if role_id and i == 0 else NO_MENTIONS
            nonce = item.nonce if i == 0 else f"{item.nonce}-{i}"[:25]
            try:
                message = await channel.send(
                    content or None,
                    embeds=[discord.Embed.from_dict(e) for e in embeds],
                    allowed_mentions=allowed,
                    nonce=nonce,
                )
            except discord.NotFound as exc:
                raise ChannelGone(f"cannot post in channel {item.channel_key}: {exc.text or exc.status}") from exc
            except discord.Forbidden as exc:
                raise PostRefused(
                    f"Discord refused the post in channel {item.channel_key} ({exc.status} {exc.text or 'Forbidden'}): "
                    "give the bot View Channel, Send Messages and Embed Links there"
                ) from exc
            if first_id is None:
                first_id = message.id
        return first_id


class BriefBot(commands.Bot):
    """The bot: opens the store in setup_hook, loads the cogs, syncs commands, runs the scheduler."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock | None = None,
        llm: Any | None = None,
        background: bool = True,
        guild_ready_timeout: float = 2.0,
        **options: Any,
    ) -> None:
        """`guild_ready_timeout`: how long discord.py waits for the servers' GUILD_CREATE events before
        on_ready (its default, 2 s, suits Discord; tests on the fake pass ~0.05)."""
        # Briefbot never joins voice: silence discord.py's "voice will NOT be supported" start-up warnings.
        discord.VoiceClient.warn_nacl = False
        discord.VoiceClient.warn_dave = False
        intents = discord.Intents.default()
        intents.message_content = settings.discord.message_content
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            allowed_mentions=NO_MENTIONS,
            help_command=None,
            guild_ready_timeout=guild_ready_timeout,
            **options,
        )
        self.settings = settings
        self.clock = clock
        self._llm = llm
        self.background = background
        self._app: App | None = None
        self.scheduler: Scheduler | None = None
        self._worker: asyncio.Task[None] | None = None
        self._warming: asyncio.Task[float] | None = None
        self.synced: list[str] = []  # where commands were synced in this run ("global", "guild:<id>")
        self.command_syncer: CommandSyncer | None = None
        self.health: HealthServer | None = None

    @property
    def app(self) -> App:
        """The composition root, opened in setup_hook."""
        assert self._app is not None, "the bot is not set up yet"
        return self._app

    async def setup_hook(self) -> None:
        self._app = await App.open(self.settings, clock=self.clock, llm=self._llm)
        self.scheduler = Scheduler(self._app.scheduler_parts(), DiscordSink(self))
        for name in COGS:
            await self.load_extension(name)
        self.tree.on_error = self.on_app_command_error  # type: ignore[method-assign]
        if not self.settings.discord.message_content:
            log.info(INTENT_HINT)
        if self.settings.service.http_port:
            self.health = HealthServer(self._app, gateway=lambda: self.is_ready() and not self.is_closed())
            await self.health.start()
        self._warming = asyncio.create_task(self._app.warm(), name="briefbot-warm")  # while the gateway connects
        await self.sync_commands()
        if self.background:
            self._app.start_background()  # the embedding worker
        self._worker = asyncio.create_task(self._background(), name="briefbot-background")

    async def sync_commands(self) -> None:
        """Sync only what changed since the last run (see bot.transport.discord.command_sync)."""
        self.command_syncer = CommandSyncer(self)
        await self.command_syncer.at_start()

    async def on_guild_join(self, guild: discord.Guild) -> None:
        log.info("joined server %s (%s)", guild.name, guild.id)
        if self.command_syncer is not None:
            await self.command_syncer.on_join(guild)

    async def on_guild_remove(self, guild: discord.Guild) -> None:
        log.info("left server %s (%s)", guild.name, guild.id)
        if self.command_syncer is not None:
            await self.command_syncer.on_remove(guild)

    async def _retire_loop(self) -> None:
        assert self.command_syncer is not None
        while True:
            await asyncio.sleep(RETIRE_CHECK_SECONDS)
            try:
                await self.command_syncer.retire_guild_copies()
            except Exception:
                log.exception("removing per-server command copies failed")

    async def _background(self) -> None:
        await self.wait_until_ready()
        assert self.scheduler is not None
        try:
            await self.scheduler.drain()  # whatever a previous run wrote but did not send
        except Exception:
            log.exception("sending the outbox at start failed")
        if self.background:
            await asyncio.gather(self.scheduler.run(self.settings.discord.scheduler_seconds), self._retire_loop())

    async def on_ready(self) -> None:
        log.info("connected as %s (%s) to %d servers", self.user, getattr(self.user, "id", "?"), len(self.guilds))

    async def on_message(self, message: discord.Message) -> None:
        """No prefix commands: questions by mention or reply are handled by the ask cog's listener."""

    async def close(self) -> None:
        await self._finish_commands()
        if self._warming is not None and not self._warming.done():
            self._warming.cancel()
            try:
                await self._warming
            except (asyncio.CancelledError, Exception):
                pass
        if self._worker is not None:
            self._worker.cancel()
            try:
                await self._worker
            except (asyncio.CancelledError, Exception):
                pass
            self._worker = None
        await super().close()
        if self.health is not None:
            await self.health.stop()
            self.health = None
        if self._app is not None:
            await self._app.close()
            self._app = None

    async def _finish_commands(self) -> None:
        """Let commands and mentions being answered finish (their last edit, their usage row) before the HTTP
        session and the store close under them; what is still running after SHUTDOWN_GRACE_SECONDS is cancelled."""
        current = asyncio.current_task()
        running = [t for t in asyncio.all_tasks() if t is not current and not t.done()
                   and t.get_name() in HANDLER_TASK_NAMES]
        if not running:
            return
        done, pending = await asyncio.wait(running, timeout=SHUTDOWN_GRACE_SECONDS)
        for task in pending:
            task.cancel()
        if pending:
            log.warning("stopped %d command(s) still running after %.0f s", len(pending), SHUTDOWN_GRACE_SECONDS)
            await asyncio.wait(pending, timeout=1.0)

    async def on_app_command_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        await report_error(interaction, getattr(error, "original", error))


async def report_error(interaction: discord.Interaction, error: BaseException) -> None:
    """A UserError or a failed check becomes a private reply; anything else is logged and apologised for."""
    if isinstance(error, UserError):
        text = str(error)
    elif isinstance(error, app_commands.MissingPermissions):
        text = "You need the Manage Server permission to do that."
    elif isinstance(error, app_commands.NoPrivateMessage):
        text = "Use this command in a server channel."
    elif isinstance(error, app_commands.CheckFailure):
        text = "You cannot use this command here."
    else:
        name = getattr(interaction.command, "qualified_name", "?")
        log.error("command /%s failed", name, exc_info=(type(error), error, error.__traceback__))
        text = "Sorry, something went wrong with that command; the details are in the bot's log."
    try:
        await reply(interaction, text)
    except discord.HTTPException:
        log.warning("could not tell the user about an error", exc_info=True)


async def reply(interaction: discord.Interaction, text: str, *, ephemeral: bool = True) -> None:
    """Answer an interaction whether or not it was acknowledged yet, within the 2,000-character limit."""
    parts = render.split_message(render.safe(text)) or ["(nothing)"]
    for i, part in enumerate(parts):
        if i == 0 and not interaction.response.is_done():
            await interaction.response.send_message(part, ephemeral=ephemeral, allowed_mentions=NO_MENTIONS)
        else:
            await interaction.followup.send(part, ephemeral=ephemeral, allowed_mentions=NO_MENTIONS)


async def run_bot(settings: Settings) -> int:
    """Run until interrupted; returns an exit status with a clear message for the usual mistakes."""
    bot = BriefBot(settings)
    try:
        async with bot:
            await bot.start(settings.discord.token)
    except discord.LoginFailure:
        log.error("Discord refused the token: check DISCORD_TOKEN (the Bot page of the Developer Portal).")
        return 2
    except discord.PrivilegedIntentsRequired:
        log.error(
            "[discord] message_content = true, but the Message Content Intent is not enabled for this bot: "
            "enable it on the Bot page of the Developer Portal, or set message_content = false."
        )
        return 2
    except discord.HTTPException as exc:
        log.error("Discord answered %s at start-up (%s); try again later.", exc.status, exc.text or "no details")
        return 2
    except (aiohttp.ClientError, OSError, asyncio.TimeoutError) as exc:
        log.error("Cannot reach Discord (%s): check the network connection, then run briefbot run again.",
                  type(exc).__name__ + (f": {exc}" if str(exc) else ""))
        return 2
    return 0
