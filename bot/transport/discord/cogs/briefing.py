"""/briefing subscribe|unsubscribe|now|settings: daily briefings and new-item alerts for a channel."""

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import UserError
from bot.usecases.scheduler import briefing_payload
from bot.transport.discord import render
from bot.transport.discord.cogs import channel_key, collection_of
from bot.transport.wording import subscription_summary
from bot.transport.discord.bot import NO_MENTIONS, BriefBot, reply


class BriefingCog(commands.Cog):
    briefing = app_commands.Group(name="briefing", description="Briefings in this channel", guild_only=True)

    def __init__(self, bot: BriefBot) -> None:
        self.bot = bot

    @briefing.command(name="subscribe", description="Daily briefings and new-item alerts in this channel")
    @app_commands.describe(
        time="Local time for the daily briefing, HH:MM (or 'off')",
        timezone="Time zone, e.g. Europe/Paris (default UTC)",
        alerts="Post new items as they arrive (default on)",
        topics="Only stories about these words (comma-separated)",
        role="A role to mention in new-item alerts (the only mention the bot makes)",
        language="Language of model-written summaries, e.g. French (extracts keep the articles' own language)",
        include="Post only stories matching one of these: words, \"phrases\", /regex/, title:… or text:… ('none' clears)",
        exclude="Never post stories matching one of these (same form as include; 'none' clears)",
        color="Colour of this channel's posts: #1e90ff or a name (blue, red, green, …; 'default')",
        footer="A line at the foot of this channel's posts ('none' clears)",
    )
    @app_commands.checks.has_permissions(manage_guild=True)
    async def subscribe(
        self,
        interaction: discord.Interaction,
        time: str = "08:00",
        timezone: str = "UTC",
        alerts: bool = True,
        topics: str | None = None,
        role: discord.Role | None = None,
        language: str | None = None,
        include: str | None = None,
        exclude: str | None = None,
        color: str | None = None,
        footer: str | None = None,
    ) -> None:
        if role is not None and (role.is_default() or role.managed):
            raise UserError("Choose an ordinary role for alerts (not @everyone or a bot's role).")
        collection_id = await collection_of(self.bot, interaction)
        sub = await self.bot.app.briefings.subscribe(
            channel_key(interaction), collection_id, guild_id=interaction.guild_id, daily_time=time, tz=timezone,
            alerts=alerts, topics=topics, role_id=role.id if role else None, user_id=interaction.user.id,
            language=language, include=include, exclude=exclude, color=color, footer=footer,
        )
        extractive = self.bot.app.llm is None
        await reply(interaction, "Subscribed this channel: " + subscription_summary(sub, extractive=extractive), ephemeral=False)

    @briefing.command(name="unsubscribe", description="Stop briefings and alerts in this channel")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def unsubscribe(self, interaction: discord.Interaction) -> None:
        done = await self.bot.app.briefings.unsubscribe(channel_key(interaction))
        await reply(interaction, "Unsubscribed this channel." if done else "This channel was not subscribed.")

    @briefing.command(name="settings", description="This channel's briefing settings")
    async def settings(self, interaction: discord.Interaction) -> None:
        sub = await self.bot.app.briefings.settings(channel_key(interaction))
        text = (
            subscription_summary(sub, extractive=self.bot.app.llm is None) if sub else "This channel is not subscribed. A server manager can use /briefing subscribe."
        )
        await reply(interaction, text)

    @briefing.command(name="now", description="A briefing of what came in recently")
    @app_commands.describe(since="How far back: e.g. 6h, 2d, 1w or a date (default 24h)")
    async def now(self, interaction: discord.Interaction, since: str | None = None) -> None:
        app = self.bot.app
        sub = await app.briefings.settings(channel_key(interaction))
        tz = sub.tz if sub else "UTC"
        app.briefings.check_since(since, tz)  # a bad value is refused privately, before the public "thinking"
        await app.asking.check_cooldown(f"user:{interaction.user.id}")
        await interaction.response.defer(thinking=True)
        collection_id = await collection_of(self.bot, interaction)
        outcome = await app.briefings.brief(
            collection_id, since=since, channel_key=channel_key(interaction), tz=tz, topics=sub.topics if sub else (),
        )
        payload = briefing_payload(outcome.briefing, sub, budget_note=False)  # the channel's colour and footer
        payload["role_id"] = None  # a briefing someone asked for never mentions the alert role
        payload["note"] = " ".join(outcome.notes) or None
        for i, (content, embeds) in enumerate(render.post_messages(payload, None)):
            shaped = [discord.Embed.from_dict(e) for e in embeds]
            if i == 0:
                await interaction.edit_original_response(content=content or None, embeds=shaped, allowed_mentions=NO_MENTIONS)
            else:
                await interaction.followup.send(content or discord.utils.MISSING, embeds=shaped, allowed_mentions=NO_MENTIONS)


async def setup(bot: BriefBot) -> None:
    await bot.add_cog(BriefingCog(bot))
