"""/feed add|remove|list: the server's feeds, with their poll state (Manage Server to change them)."""

import discord
from discord import app_commands
from discord.ext import commands

from bot.transport.cogs import collection_of
from bot.transport.console import feed_line
from bot.transport.discord_bot import BriefBot, reply


class FeedsCog(commands.Cog):
    feed = app_commands.Group(name="feed", description="The feeds this server follows", guild_only=True)

    def __init__(self, bot: BriefBot) -> None:
        self.bot = bot

    async def feed_autocomplete(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        collection_id = await collection_of(self.bot, interaction)
        choices = await self.bot.core.feed_choices(collection_id, current)
        return [app_commands.Choice(name=label, value=value) for label, value in choices]

    @feed.command(name="add", description="Follow a feed (RSS or Atom); new items come as alerts")
    @app_commands.describe(url="The feed's URL", interval="Minutes between polls (default from the config)")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def add(self, interaction: discord.Interaction, url: str, interval: int | None = None) -> None:
        await interaction.response.defer(thinking=True, ephemeral=True)
        collection_id = await collection_of(self.bot, interaction)
        added = await self.bot.core.add_feed(
            collection_id, url, channel_id=interaction.channel_id, added_by=interaction.user.id,
            interval_minutes=interval,
        )
        title = added.title
        if added.error:
            text = f"Following {title}, but its first poll failed: {added.error}. I will keep trying and report here."
        else:
            text = f"Following {title}: {added.articles} article{'' if added.articles == 1 else 's'} added."
        await reply(interaction, text)

    @feed.command(name="remove", description="Stop following a feed")
    @app_commands.describe(feed="The feed (start typing its name)")
    @app_commands.autocomplete(feed=feed_autocomplete)
    @app_commands.checks.has_permissions(manage_guild=True)
    async def remove(self, interaction: discord.Interaction, feed: str) -> None:
        collection_id = await collection_of(self.bot, interaction)
        info = await self.bot.core.remove_feed(collection_id, feed)
        await reply(interaction, f"Stopped following {info.title or info.url}.")

    @feed.command(name="list", description="The feeds with their last poll, item count and last error")
    async def list_(self, interaction: discord.Interaction) -> None:
        collection_id = await collection_of(self.bot, interaction)
        feeds = await self.bot.core.list_feeds(collection_id)
        text = "\n".join(feed_line(f) for f in feeds) if feeds else "No feeds yet. A server manager can add one with /feed add."
        await reply(interaction, text)


async def setup(bot: BriefBot) -> None:
    await bot.add_cog(FeedsCog(bot))
