"""/feed add|remove|list: the server's feeds, with their poll state (Manage Server to change them)."""

import discord
from discord import app_commands
from discord.ext import commands

from bot.transport.discord.cogs import collection_of
from bot.transport.wording import feed_added, feed_line
from bot.transport.discord.bot import BriefBot, reply


class FeedsCog(commands.Cog):
    feed = app_commands.Group(name="feed", description="The feeds this server follows", guild_only=True)

    def __init__(self, bot: BriefBot) -> None:
        self.bot = bot

    async def feed_autocomplete(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        collection_id = await collection_of(self.bot, interaction)
        choices = await self.bot.app.feeds.choices(collection_id, current)
        return [app_commands.Choice(name=label, value=value) for label, value in choices]

    @feed.command(name="add", description="Follow a feed (RSS or Atom); new items come as alerts")
    @app_commands.describe(url="The feed's URL", interval="Minutes between polls (default from the config)")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def add(self, interaction: discord.Interaction, url: str, interval: int | None = None) -> None:
        await interaction.response.defer(thinking=True, ephemeral=True)
        collection_id = await collection_of(self.bot, interaction)
        added = await self.bot.app.feeds.add(
            collection_id, url, interval_minutes=interval, channel_id=interaction.channel_id,
            added_by=interaction.user.id,
        )
        await reply(interaction, feed_added(added))

    @feed.command(name="remove", description="Stop following a feed")
    @app_commands.describe(feed="The feed (start typing its name)")
    @app_commands.autocomplete(feed=feed_autocomplete)
    @app_commands.checks.has_permissions(manage_guild=True)
    async def remove(self, interaction: discord.Interaction, feed: str) -> None:
        collection_id = await collection_of(self.bot, interaction)
        info = await self.bot.app.feeds.remove(collection_id, feed)
        await reply(interaction, f"Stopped following {info.title or info.url}.")

    @feed.command(name="list", description="The feeds with their last poll, item count and last error")
    async def list_(self, interaction: discord.Interaction) -> None:
        collection_id = await collection_of(self.bot, interaction)
        feeds = await self.bot.app.feeds.followed(collection_id)
        text = "\n".join(feed_line(f) for f in feeds) if feeds else "No feeds yet. A server manager can add one with /feed add."
        await reply(interaction, text)


async def setup(bot: BriefBot) -> None:
    await bot.add_cog(FeedsCog(bot))
