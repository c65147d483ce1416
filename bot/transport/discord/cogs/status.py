"""/status: article and feed counts, last poll, the model, the day's token use, the version."""

import discord
from discord import app_commands
from discord.ext import commands

from bot.transport.discord.cogs import collection_of
from bot.transport.wording import status_lines
from bot.transport.discord.bot import BriefBot, reply


class StatusCog(commands.Cog):
    def __init__(self, bot: BriefBot) -> None:
        self.bot = bot

    @app_commands.command(name="status", description="Articles, feeds, last poll, model, token use, version")
    @app_commands.guild_only()
    async def status(self, interaction: discord.Interaction) -> None:
        collection_id = await collection_of(self.bot, interaction)
        status = await self.bot.app.status.status(collection_id)
        await reply(interaction, "\n".join(status_lines(status)))


async def setup(bot: BriefBot) -> None:
    await bot.add_cog(StatusCog(bot))
