"""Questions: one answer per question inside one collection, with cooldown, budget and follow-ups."""

from __future__ import annotations

import asyncio
import functools
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from bot.answering.answerer import Answer, Answerer, Turn
from bot.errors import UserError
from bot.store.conversations import ConversationRepo
from bot.timeutil import Clock, as_utc
from bot.usecases.budget import BUDGET_NOTE, Budget
from bot.usecases.cooldown import Cooldowns
from bot.usecases.metrics import Metrics
from bot.usecases.overview import Overviews, classify

EMPTY_QUESTION = "Ask a question, e.g. `what did Japan approve for Samsung?`"

SMALL_TALK = frozenset(
    "hi hello hey hiya yo sup help ping test testing thanks thank thx ty you ok okay cool nice please bot "
    "good morning evening night there".split()
)


def is_small_talk(text: str) -> bool:
    """True for text that is no question at all: punctuation, emoji, or only greetings and thanks."""
    words = re.findall(r"[^\W\d_]{2,}", text.lower())
    return not words or all(w in SMALL_TALK for w in words)


@dataclass
class AskOutcome:
    answer: Answer
    notes: list[str] = field(default_factory=list)


class Asking:
    """The ask use case, shared by `briefbot ask`, the console and Discord."""

    def __init__(
        self, answerer: Answerer, budget: Budget, cooldowns: Cooldowns, conversations: ConversationRepo, clock: Clock,
        metrics: Metrics | None = None, overviews: Overviews | None = None,
    ) -> None:
        self.answerer = answerer
        self.overviews = overviews
        self.budget = budget
        self.cooldowns = cooldowns
        self.conversations = conversations
        self.clock = clock
        self.metrics = metrics

    async def ask(
        self,
        question: str,
        collection_id: int,
        *,
        user_key: str | None = None,
        history: Sequence[tuple[str, str]] = (),
        tz: str = "UTC",
        since: str | None = None,
        source: str | None = None,
        allow_llm: bool = True,
        on_delta: Callable[[str], Awaitable[None]] | None = None,
        reply: bool = False,
    ) -> AskOutcome:
        """Answer inside one collection. `user_key`: apply that asker's cooldown (None: no cooldown).
        `reply`: the question replies to the answer that ends `history` (a follow-up however it reads)."""
        if not question or not question.strip():
            raise UserError(EMPTY_QUESTION)
        if user_key is not None:
            await self.cooldowns.check(user_key)
        budget_hit = allow_llm and await self.budget.over_budget(collection_id)
        model_ok = allow_llm and await self.budget.model_allowed(collection_id)
        turns: list[Turn] = []
        for q, a in history:
            turns += [Turn("user", q), Turn("assistant", a)]
        started = time.perf_counter()
        now = as_utc(self.clock())
        ask = functools.partial(
            self.answerer.answer, question.strip(), collection_id, history=turns, since=since, source=source,
            tz=tz, now=now, reply=reply,
        )
        notes = [BUDGET_NOTE] if budget_hit else []
        # "What's new?", "anything on chips lately?": the briefing of the window; "the latest on X": X's timeline.
        request = classify(question) if source is None else None
        if request is not None and (request.kind == "timeline" or self.overviews is not None):
            if request.kind == "timeline":
                assert request.topic
                answer = await self.answerer.timeline(request.topic, collection_id, tz=tz, now=now)
            else:
                assert self.overviews is not None  # the briefing use case records its own model usage
                answer = await self.overviews.briefing_answer(request, collection_id, since=since, tz=tz,
                                                              allow_llm=model_ok)
                notes = []
            answer.elapsed_ms = (time.perf_counter() - started) * 1000
            if self.metrics is not None:
                self.metrics.answered(answer.mode if answer.found else "refused", answer.elapsed_ms / 1000)
            return AskOutcome(answer, notes)
        deadline = self.answerer.settings.llm.answer_deadline_seconds
        if model_ok and deadline > 0:
            try:
                async with asyncio.timeout(deadline):
                    answer = await ask(on_delta=on_delta, allow_llm=True)
            except TimeoutError:
                answer = await ask(allow_llm=False)
                notes.append(f"The model did not answer within {deadline:g} s, so this is the extractive answer.")
                answer.elapsed_ms = (time.perf_counter() - started) * 1000
        else:
            answer = await ask(on_delta=None, allow_llm=model_ok)
        await self.budget.record(collection_id, answer.usage)
        if self.metrics is not None:
            self.metrics.answered(answer.mode if answer.found else "refused", answer.elapsed_ms / 1000)
        return AskOutcome(answer, notes)

    async def check_cooldown(self, user_key: str) -> None:
        """Take one question from this user's allowance; CooldownError (a UserError with the time to wait)
        when it is used up."""
        await self.cooldowns.check(user_key)

    async def remember_turn(
        self, message_id: int, channel_key: str, collection_id: int, question: str, answer_text: str, parent: int | None
    ) -> None:
        await self.conversations.add(message_id, channel_key, collection_id, question, answer_text, parent)

    async def thread(self, message_id: int, collection_id: int) -> list[tuple[str, str]] | None:
        return await self.conversations.thread(message_id, collection_id)
