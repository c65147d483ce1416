"""Slash-command sync that respects Discord's rate limits and still serves a new server at once.

- At start, the global command set is synced only when it changed since the last sync (a hash of the
  application id and the command payloads is kept in the store), so a restart costs no sync at all.
- With `[discord] guild_ids`, the commands are copied to those servers instead (again only on change).
- When the bot joins a server while running, the commands are copied to that server and synced to it
  alone, so they work there within seconds. That copy would list each command twice beside the
  global one, so once the global set has been live for `PROPAGATION`, the copy is removed again
  (at the next start, or by the bot's hourly check).
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import timedelta
from typing import TYPE_CHECKING

import discord

from bot.timeutil import iso, parse_iso
from bot.store.command_sync import CommandSyncRepo

if TYPE_CHECKING:
    from bot.transport.discord.bot import BriefBot

log = logging.getLogger(__name__)

GLOBAL = "global"
PROPAGATION = timedelta(hours=1)  # how long Discord may take to show a changed global command set everywhere


def guild_scope(guild_id: int) -> str:
    return f"guild:{guild_id}"


def commands_hash(bot: "BriefBot") -> str:
    payloads = sorted(
        (cmd.to_dict(bot.tree) for cmd in bot.tree.get_commands()), key=lambda d: (d.get("type", 1), d["name"])
    )
    blob = json.dumps({"application": bot.application_id, "commands": payloads}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


class CommandSyncer:
    def __init__(self, bot: "BriefBot") -> None:
        self.bot = bot
        self.repo: CommandSyncRepo = bot.app.repos.command_sync

    @property
    def guild_ids(self) -> list[int]:
        return [int(g) for g in self.bot.settings.discord.guild_ids]

    def _now(self) -> str:
        return iso(self.bot.app.now())

    async def at_start(self) -> None:
        current = commands_hash(self.bot)
        if self.guild_ids:
            for gid in self.guild_ids:
                await self._sync_guild(gid, current, reason="listed in guild_ids")
            return
        record = await self.repo.get(GLOBAL)
        if record is not None and record.hash == current:
            log.info("slash commands unchanged since %s: not synced again", record.synced_at)
        else:
            cmds = await self.bot.tree.sync()
            await self.repo.put(GLOBAL, current, self._now())
            self.bot.synced.append(GLOBAL)
            log.info("synced %d slash commands globally", len(cmds))
        await self.retire_guild_copies()

    async def on_join(self, guild: discord.abc.Snowflake) -> None:
        """A server joined while running gets its own copy at once (unless guild_ids leaves it out)."""
        if self.guild_ids and guild.id not in self.guild_ids:
            return
        await self._sync_guild(guild.id, commands_hash(self.bot), reason="joined", force=True)

    async def on_remove(self, guild: discord.abc.Snowflake) -> None:
        await self.repo.delete(guild_scope(guild.id))

    async def _sync_guild(self, gid: int, current: str, *, reason: str, force: bool = False) -> None:
        scope = guild_scope(gid)
        record = await self.repo.get(scope)
        if not force and record is not None and record.hash == current:
            log.info("slash commands for server %s unchanged: not synced again", gid)
            return
        guild = discord.Object(id=gid)
        self.bot.tree.copy_global_to(guild=guild)
        try:
            cmds = await self.bot.tree.sync(guild=guild)
        except discord.HTTPException as exc:  # e.g. 403: not in that server, or no applications.commands scope
            log.warning("could not sync slash commands to server %s (%s): %s", gid, reason, exc.text or exc.status)
            return
        await self.repo.put(scope, current, self._now())
        self.bot.synced.append(scope)
        log.info("synced %d slash commands to server %s (%s)", len(cmds), gid, reason)

    async def retire_guild_copies(self) -> list[int]:
        """Remove the per-server copies made on join once the global set has been live long enough."""
        if self.guild_ids:
            return []
        record = await self.repo.get(GLOBAL)
        if record is None:
            return []
        cutoff = self.bot.app.now() - PROPAGATION
        if parse_iso(record.synced_at) > cutoff:
            return []
        retired: list[int] = []
        for copy in await self.repo.guild_copies(iso(cutoff)):
            gid = int(copy.scope.split(":", 1)[1])
            guild = discord.Object(id=gid)
            self.bot.tree.clear_commands(guild=guild)
            try:
                await self.bot.tree.sync(guild=guild)
            except (discord.Forbidden, discord.NotFound):
                pass  # no longer in that server: nothing to remove
            except discord.HTTPException as exc:
                log.warning("could not remove the server copy of the commands in %s: %s", gid, exc.text or exc.status)
                continue
            await self.repo.delete(copy.scope)
            retired.append(gid)
            log.info("removed the server copy of the slash commands in %s (the global ones are live)", gid)
        return retired
