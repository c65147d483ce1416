"""The daily model-token budget per collection: whether the model may be used, and what it cost."""

from __future__ import annotations

from typing import Any

from bot.config import Settings
from bot.store.usage import Usage, UsageRepo
from bot.timeutil import Clock, as_utc
from bot.usecases.metrics import Metrics

BUDGET_NOTE = "Today's model token budget for this server is used up, so this is the extractive version."


class Budget:
    def __init__(
        self, usage: UsageRepo, settings: Settings, clock: Clock, *, has_model: bool, metrics: Metrics | None = None
    ) -> None:
        self.usage = usage
        self.settings = settings
        self.clock = clock
        self.has_model = has_model
        self.metrics = metrics

    def today(self) -> str:
        """The budget's day: the UTC date."""
        return as_utc(self.clock()).strftime("%Y-%m-%d")

    async def model_allowed(self, collection_id: int) -> bool:
        """False when there is no model, or the collection's daily token budget is spent."""
        if not self.has_model:
            return False
        budget = self.settings.discord.daily_token_budget
        if budget <= 0:
            return True
        return (await self.usage.get(collection_id, self.today())).total < budget

    async def over_budget(self, collection_id: int) -> bool:
        """True when a model exists but today's budget is spent (the answer says so)."""
        return self.has_model and not await self.model_allowed(collection_id)

    async def record(self, collection_id: int, usage: Any) -> None:
        """Add a model call's token counts (a dict or an object with prompt_tokens/completion_tokens)."""
        if not usage:
            return
        get = usage.get if isinstance(usage, dict) else (lambda k, d=0: getattr(usage, k, d))
        prompt, completion = int(get("prompt_tokens", 0) or 0), int(get("completion_tokens", 0) or 0)
        if self.metrics is not None:
            self.metrics.used_tokens(prompt, completion)
        if prompt or completion:
            await self.usage.add(collection_id, self.today(), prompt, completion)

    async def today_usage(self, collection_id: int) -> Usage:
        return await self.usage.get(collection_id, self.today())
