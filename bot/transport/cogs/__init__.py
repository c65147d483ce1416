"""One cog per feature; each is a thin adapter over bot.service."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord

from bot.service.core import discord_channel_key

if TYPE_CHECKING:
    from bot.transport.discord_bot import BriefBot


def channel_key(interaction: discord.Interaction) -> str:
    return discord_channel_key(interaction.channel_id or 0)


async def collection_of(bot: "BriefBot", interaction: discord.Interaction) -> int:
    return await bot.core.collection_id(interaction.guild_id)
