"""The Discord transport: BriefBot (a commands.Bot) with one cog per feature, the outbox sink,
command sync and the background scheduler. Cogs are thin: parse, check, call the core, render."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.config import Settings
from bot.errors import UserError
from bot.service.clock import Clock
from bot.service.core import BriefService
from bot.service.scheduler import ChannelGone, Scheduler
from bot.store.outbox import OutboxItem
from bot.transport import render

log = logging.getLogger(__name__)

COGS = (
    "bot.transport.cogs.ask",
    "bot.transport.cogs.feeds",
    "bot.transport.cogs.articles",
    "bot.transport.cogs.briefing",
    "bot.transport.cogs.status",
)

INTENT_HINT = (
    "The message content intent is off: slash commands work, and mentions of the bot still reach it, "
    "but for reliable mention and reply questions turn on 'Message Content Intent' on the Bot page of the "
    "Discord Developer Portal and set [discord] message_content = true in the config."
)
NO_MENTIONS = discord.AllowedMentions.none()


def role_only(role_id: int) -> discord.AllowedMentions:
    """The one mention the bot ever allows: the role chosen for a subscription's alerts."""
    return discord.AllowedMentions(everyone=False, users=False, roles=[discord.Object(id=role_id)], replied_user=False)


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
            except (discord.NotFound, discord.Forbidden) as exc:
                raise ChannelGone(f"cannot post in channel {item.channel_key}: {exc.text or exc.status}") from exc
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
        **options: Any,
    ) -> None:
        intents = discord.Intents.default()
        intents.message_content = settings.discord.message_content
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            allowed_mentions=NO_MENTIONS,
            help_command=None,
            **options,
        )
        self.settings = settings
        self.clock = clock
        self._llm = llm
        self.background = background
        self.service: BriefService | None = None
        self.scheduler: Scheduler | None = None
        self._worker: asyncio.Task[None] | None = None
        self.synced: list[str] = []

    @property
    def core(self) -> BriefService:
        assert self.service is not None, "the bot is not set up yet"
        return self.service

    async def setup_hook(self) -> None:
        self.service = await BriefService.open(self.settings, clock=self.clock, llm=self._llm)
        self.scheduler = Scheduler(self.service, DiscordSink(self))
        for name in COGS:
            await self.load_extension(name)
        self.tree.on_error = self.on_app_command_error  # type: ignore[method-assign]
        if not self.settings.discord.message_content:
            log.info(INTENT_HINT)
        await self.sync_commands()
        self._worker = asyncio.create_task(self._background(), name="briefbot-background")

    async def sync_commands(self) -> None:
        guild_ids = list(self.settings.discord.guild_ids)
        if guild_ids:
            for gid in guild_ids:
                guild = discord.Object(id=int(gid))
                self.tree.copy_global_to(guild=guild)
                cmds = await self.tree.sync(guild=guild)
                self.synced.append(f"guild:{gid}")
                log.info("synced %d slash commands to guild %s", len(cmds), gid)
        else:
            cmds = await self.tree.sync()
            self.synced.append("global")
            log.info("synced %d slash commands globally (new servers may take a while; set guild_ids for instant)", len(cmds))

    async def _background(self) -> None:
        await self.wait_until_ready()
        assert self.scheduler is not None
        try:
            await self.scheduler.drain()  # whatever a previous run wrote but did not send
        except Exception:
            log.exception("sending the outbox at start failed")
        if self.background:
            await self.scheduler.run(self.settings.discord.scheduler_seconds)

    async def on_ready(self) -> None:
        log.info("connected as %s (%s) to %d servers", self.user, getattr(self.user, "id", "?"), len(self.guilds))

    async def on_message(self, message: discord.Message) -> None:
        """No prefix commands: questions by mention or reply are handled by the ask cog's listener."""

    async def close(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            try:
                await self._worker
            except (asyncio.CancelledError, Exception):
                pass
            self._worker = None
        await super().close()
        if self.service is not None:
            await self.service.close()
            self.service = None

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
    return 0
