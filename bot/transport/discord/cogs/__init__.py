"""One cog per feature; each is a thin adapter over the use cases of bot.app.App."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord

from bot.usecases.channels import collection_name, discord_channel_key

if TYPE_CHECKING:
    from bot.transport.discord.bot import BriefBot


def channel_key(interaction: discord.Interaction) -> str:
    return discord_channel_key(interaction.channel_id or 0)


async def collection_of(bot: "BriefBot", interaction: discord.Interaction) -> int:
    return await bot.app.collection_id(collection_name(interaction.guild_id))
