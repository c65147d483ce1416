"""/feed add|remove|list: the server's feeds, with their poll state (Manage Server to change them)."""

import io

import discord
from discord import app_commands
from discord.ext import commands

from bot.transport.discord.cogs import collection_of
from bot.errors import UserError
from bot.ingest.opml import MAX_OPML_BYTES
from bot.transport.wording import channel_label, feed_added, feed_line, filter_test_lines, import_lines, truncate
from bot.usecases.channels import discord_channel_key
from bot.transport.discord.bot import NO_MENTIONS, BriefBot, reply


class FeedsCog(commands.Cog):
    feed = app_commands.Group(name="feed", description="The feeds this server follows", guild_only=True)

    def __init__(self, bot: BriefBot) -> None:
        self.bot = bot

    def channel_name(self, key: str) -> str:
        """'discord:123' -> '#markets' (a name, not a <#id> link: mention syntax is broken in all we send)."""
        _, _, raw = key.partition(":")
        channel = self.bot.get_channel(int(raw)) if raw.isdigit() else None
        name = getattr(channel, "name", None)
        return f"#{name}" if name else channel_label(key)

    async def feed_autocomplete(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        collection_id = await collection_of(self.bot, interaction)
        choices = await self.bot.app.feeds.choices(collection_id, current)
        return [app_commands.Choice(name=label, value=value) for label, value in choices]

    @feed.command(name="add", description="Follow a feed (RSS or Atom); its new items are posted in a channel")
    @app_commands.describe(
        url="The feed's URL", interval="Minutes between polls (default from the config)",
        channel="Where its new items are posted (default: this channel)",
    )
    @app_commands.checks.has_permissions(manage_guild=True)
    async def add(
        self, interaction: discord.Interaction, url: str, interval: int | None = None,
        channel: discord.TextChannel | None = None,
    ) -> None:
        await interaction.response.defer(thinking=True, ephemeral=True)
        collection_id = await collection_of(self.bot, interaction)
        target = channel.id if channel is not None else interaction.channel_id
        added = await self.bot.app.feeds.add(
            collection_id, url, interval_minutes=interval, channel_id=interaction.channel_id,
            added_by=interaction.user.id, alert_channel=discord_channel_key(target) if target else None,
        )
        await reply(interaction, feed_added(added, self.channel_name))

    @feed.command(name="channel", description="Move a feed's posts to a channel, or stop them (leave channel out)")
    @app_commands.describe(
        feed="The feed (start typing its name)",
        channel="Where its new items are posted; leave out to stop it posting on its own",
    )
    @app_commands.autocomplete(feed=feed_autocomplete)
    @app_commands.checks.has_permissions(manage_guild=True)
    async def channel(
        self, interaction: discord.Interaction, feed: str, channel: discord.TextChannel | None = None
    ) -> None:
        collection_id = await collection_of(self.bot, interaction)
        key = discord_channel_key(channel.id) if channel is not None else None
        info = await self.bot.app.feeds.set_channel(collection_id, feed, key)
        name = info.title or info.url
        text = (f"{name} now posts its new items in #{channel.name}." if channel is not None
                else f"{name} no longer posts on its own (channel subscriptions still brief its stories).")
        await reply(interaction, text)

    @feed.command(name="import", description="Follow every feed an attached OPML file lists (a feed reader's export)")
    @app_commands.describe(
        file="The OPML file", channel="Where their new items are posted (default: this channel)",
        interval="Minutes between polls (default from the config)",
    )
    @app_commands.checks.has_permissions(manage_guild=True)
    async def import_(
        self, interaction: discord.Interaction, file: discord.Attachment, channel: discord.TextChannel | None = None,
        interval: int | None = None,
    ) -> None:
        if file.size > MAX_OPML_BYTES:
            raise UserError(f"{file.filename} is {file.size:,} bytes; an OPML file may be at most {MAX_OPML_BYTES:,} bytes.")
        await interaction.response.defer(thinking=True, ephemeral=True)
        try:
            data = await file.read()
        except discord.HTTPException as exc:
            raise UserError(f"Could not read {file.filename} from Discord ({exc.status}); try again.") from None
        collection_id = await collection_of(self.bot, interaction)
        target = channel.id if channel is not None else interaction.channel_id
        report = await self.bot.app.feeds.import_opml(
            collection_id, data, name=file.filename, interval_minutes=interval, channel_id=interaction.channel_id,
            added_by=interaction.user.id, alert_channel=discord_channel_key(target) if target else None,
        )
        await reply(interaction, "\n".join(import_lines(report, self.channel_name)))

    @feed.command(name="export", description="This server's feeds as an OPML file")
    async def export(self, interaction: discord.Interaction) -> None:
        collection_id = await collection_of(self.bot, interaction)
        text = await self.bot.app.feeds.export_opml(collection_id, f"Briefbot feeds of {interaction.guild or 'this server'}")
        count = text.count("<outline ")
        await interaction.response.send_message(
            f"{count} feed{'' if count == 1 else 's'}, as OPML.", ephemeral=True, allowed_mentions=NO_MENTIONS,
            file=discord.File(io.BytesIO(text.encode("utf-8")), filename="briefbot-feeds.opml"),
        )

    @feed.command(name="filter", description="Choose which of a feed's items are posted (words, phrases, /regex/)")
    @app_commands.describe(
        feed="The feed (start typing its name)",
        include="Post only items matching one of these: words, \"phrases\", /regex/, title:… or text:… ('none' clears)",
        exclude="Never post items matching one of these (same form; 'none' clears)",
    )
    @app_commands.autocomplete(feed=feed_autocomplete)
    @app_commands.checks.has_permissions(manage_guild=True)
    async def filter_(
        self, interaction: discord.Interaction, feed: str, include: str | None = None, exclude: str | None = None
    ) -> None:
        collection_id = await collection_of(self.bot, interaction)
        info, filters = await self.bot.app.feeds.set_filters(collection_id, feed, include or "", exclude or "")
        await reply(interaction, f"{info.title or info.url}: {filters.describe()}. `/feed test` shows what it lets through.")

    @feed.command(name="test", description="Which of a feed's recent items its filters (or these) let through")
    @app_commands.describe(
        feed="The feed (start typing its name)", include="Include terms to try (not saved)",
        exclude="Exclude terms to try (not saved)",
    )
    @app_commands.autocomplete(feed=feed_autocomplete)
    async def test(
        self, interaction: discord.Interaction, feed: str, include: str | None = None, exclude: str | None = None
    ) -> None:
        collection_id = await collection_of(self.bot, interaction)
        result = await self.bot.app.feeds.test_filters(collection_id, feed, include, exclude)
        await reply(interaction, truncate("\n".join(filter_test_lines(result))))

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
        text = "\n".join(feed_line(f, self.channel_name) for f in feeds) if feeds else "No feeds yet. A server manager can add one with /feed add."
        await reply(interaction, text)


async def setup(bot: BriefBot) -> None:
    await bot.add_cog(FeedsCog(bot))
