"""/article add url, /article add text (a modal for pasted text), /article show."""

import discord
from discord import app_commands
from discord.ext import commands

from bot.transport import wording
from bot.transport.discord.cogs import collection_of
from bot.transport.discord.bot import BriefBot, reply, report_error


class PasteModal(discord.ui.Modal, title="Add an article"):
    headline: discord.ui.TextInput["PasteModal"] = discord.ui.TextInput(label="Title", max_length=300)
    body: discord.ui.TextInput["PasteModal"] = discord.ui.TextInput(
        label="Text", style=discord.TextStyle.paragraph, max_length=4000
    )
    link: discord.ui.TextInput["PasteModal"] = discord.ui.TextInput(label="Link (optional)", required=False, max_length=500)

    def __init__(self, bot: BriefBot) -> None:
        super().__init__()
        self.bot = bot

    async def on_submit(self, interaction: discord.Interaction) -> None:
        collection_id = await collection_of(self.bot, interaction)
        result = await self.bot.app.articles.add_text(
            collection_id, self.headline.value, self.body.value, self.link.value or None
        )
        await reply(interaction, result.describe().replace("pasted text", "Pasted text"))

    async def on_error(self, interaction: discord.Interaction, error: Exception) -> None:  # type: ignore[override]
        await report_error(interaction, error)


class ArticlesCog(commands.Cog):
    article = app_commands.Group(name="article", description="This server's articles", guild_only=True)
    add = app_commands.Group(name="add", description="Add an article", parent=article)

    def __init__(self, bot: BriefBot) -> None:
        self.bot = bot

    async def article_autocomplete(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[int]]:
        collection_id = await collection_of(self.bot, interaction)
        return [
            app_commands.Choice(name=label, value=value)
            for label, value in await self.bot.app.articles.choices(collection_id, str(current or ""))
        ]

    @add.command(name="url", description="Add an article (or every item of a feed) by its URL")
    @app_commands.describe(url="The article's URL")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def add_url(self, interaction: discord.Interaction, url: str) -> None:
        await interaction.response.defer(thinking=True, ephemeral=True)
        collection_id = await collection_of(self.bot, interaction)
        results = await self.bot.app.articles.add_url(collection_id, url)
        await reply(interaction, "\n".join(r.describe() for r in results) or "Nothing found at that URL.")

    @add.command(name="text", description="Paste an article's text")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def add_text(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(PasteModal(self.bot))

    @article.command(name="show", description="Show one article")
    @app_commands.describe(id="The article (start typing its title)")
    @app_commands.autocomplete(id=article_autocomplete)
    async def show(self, interaction: discord.Interaction, id: int) -> None:
        collection_id = await collection_of(self.bot, interaction)
        a = (await self.bot.app.articles.show(collection_id, id)).article
        meta = " · ".join(x for x in (a.source, (a.published or "")[:10]) if x)
        embed = discord.Embed(
            title=wording.truncate(wording.safe(a.title), 256),
            description=wording.truncate(wording.safe(a.body), 4096),
            url=a.url or None,
        )
        embed.set_footer(text=wording.truncate(f"Article {a.id}" + (f" · {meta}" if meta else ""), 2048))
        await interaction.response.send_message(embed=embed, ephemeral=True, allowed_mentions=discord.AllowedMentions.none())


async def setup(bot: BriefBot) -> None:
    await bot.add_cog(ArticlesCog(bot))
