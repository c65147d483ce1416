"""Questions: /ask, a mention of the bot, or a reply to one of its answers (a follow-up)."""

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import UserError
from bot.transport.wording import HELP_LINE
from bot.usecases.ask import EMPTY_QUESTION, is_small_talk
from bot.usecases.channels import collection_name, discord_channel_key
from bot.transport.discord import render
from bot.transport.discord.cogs import channel_key, collection_of
from bot.transport.discord.bot import NO_MENTIONS, BriefBot

log = logging.getLogger(__name__)
THINKING = "Looking through this server's articles…"
MAX_ASK_CHARS = 4000  # what Discord lets a user type (Nitro); the answerer cuts longer than 2,000 with a note


class AskCog(commands.Cog):
    def __init__(self, bot: BriefBot) -> None:
        self.bot = bot

    async def _answer(
        self,
        question: str,
        collection_id: int,
        user_id: int,
        history: list[tuple[str, str]],
        edit_first: Callable[[str], Awaitable[Any]],
        send_more: Callable[[str], Awaitable[Any]],
        *,
        reply: bool = False,
    ) -> tuple[str, list[int]]:
        """Stream into the first message and on into the next as each fills (edits ~1/s per message),
        then settle into the cited form in the same messages.

        A failed preview edit only costs the preview; if a final edit fails too (e.g. Discord answers
        5xx after discord.py's own retries), that part is sent as a new message instead of being lost."""

        async def edit_more(message: Any, text: str) -> Any:
            return await message.edit(content=text, allowed_mentions=NO_MENTIONS)

        async def delete(message: Any) -> Any:
            return await message.delete()

        max_messages = self.bot.settings.discord.max_answer_messages
        stream = render.MessageStream(edit_first, send_more, edit_more, delete, interval=1.0, max_messages=max_messages)
        outcome = await self.bot.app.asking.ask(  # the cooldown was checked before the reply was started
            question, collection_id, history=history, on_delta=stream.update, reply=reply
        )
        parts = render.answer_messages(outcome.answer, outcome.notes, max_messages)
        messages = await stream.settle(parts)
        ids = [m.id for m in messages if m is not None]
        return outcome.answer.text or "", ids

    @app_commands.command(name="ask", description="Ask about the news in this server's articles")
    @app_commands.describe(question="Your question, e.g. what did Japan approve for Samsung?")
    @app_commands.guild_only()
    async def ask(self, interaction: discord.Interaction, question: app_commands.Range[str, 1, MAX_ASK_CHARS]) -> None:
        asking = self.bot.app.asking
        if not question.strip():
            raise UserError(EMPTY_QUESTION)
        await asking.check_cooldown(f"user:{interaction.user.id}")  # before deferring, so the refusal is private
        await interaction.response.defer(thinking=True)
        collection_id = await collection_of(self.bot, interaction)

        async def edit_first(text: str) -> Any:
            return await interaction.edit_original_response(content=text, allowed_mentions=NO_MENTIONS)

        async def send_more(text: str) -> Any:
            return await interaction.followup.send(text, allowed_mentions=NO_MENTIONS, wait=True)

        answer_text, ids = await self._answer(question, collection_id, interaction.user.id, [], edit_first, send_more)
        for mid in ids:
            await asking.remember_turn(mid, channel_key(interaction), collection_id, question, answer_text, None)

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot or message.guild is None or self.bot.user is None:
            return
        mentioned = any(u.id == self.bot.user.id for u in message.mentions)
        parent_id = message.reference.message_id if message.reference else None
        collection_id = await self.bot.app.collection_id(collection_name(message.guild.id))
        history = await self.bot.app.asking.thread(parent_id, collection_id) if parent_id else None
        if not mentioned and history is None:
            return
        me = re.compile(rf"<@!?{self.bot.user.id}>")
        question = me.sub(" ", message.content or "").strip()
        if question and is_small_talk(question):
            # "@Briefbot hi", "@Briefbot ?": a short help line; "thanks!" in reply to an answer gets nothing
            # (a reply "mentions" the bot by pinging it, so look for the mention in the text itself).
            if me.search(message.content or ""):
                await message.reply(HELP_LINE, mention_author=False, allowed_mentions=NO_MENTIONS)
            return
        try:
            await self._mention_question(message, question, collection_id, history or [], parent_id)
        except UserError as exc:
            await message.reply(render.safe(str(exc)), mention_author=False, allowed_mentions=NO_MENTIONS)
        except Exception:
            log.exception("answering a mention failed")
            await message.reply(
                "Sorry, something went wrong with that question; the details are in the bot's log.",
                mention_author=False, allowed_mentions=NO_MENTIONS,
            )

    async def _mention_question(
        self, message: discord.Message, question: str, collection_id: int, history: list[tuple[str, str]],
        parent_id: int | None,
    ) -> None:
        if not question:
            hint = "Ask me a question after the mention, e.g. `@Briefbot what did Japan approve for Samsung?`"
            if not self.bot.settings.discord.message_content:
                hint += " (If I cannot see your text, the server owner needs to enable the message content intent.)"
            raise UserError(hint)
        await self.bot.app.asking.check_cooldown(f"user:{message.author.id}")
        answer_msg = await message.reply(THINKING, mention_author=False, allowed_mentions=NO_MENTIONS)

        async def edit_first(text: str) -> Any:
            return await answer_msg.edit(content=text, allowed_mentions=NO_MENTIONS)

        async def send_more(text: str) -> Any:
            return await message.channel.send(text, allowed_mentions=NO_MENTIONS)

        answer_text, ids = await self._answer(
            question, collection_id, message.author.id, history, edit_first, send_more, reply=bool(history)
        )
        ids = ids or [answer_msg.id]
        key = discord_channel_key(message.channel.id)
        for mid in ids:
            await self.bot.app.asking.remember_turn(mid, key, collection_id, question, answer_text, parent_id)


async def setup(bot: BriefBot) -> None:
    await bot.add_cog(AskCog(bot))

