"""Per-user question cooldowns, with the time left for a polite retry-after message."""

from __future__ import annotations

from bot.errors import UserError
from bot.timeutil import Clock


class CooldownError(UserError):
    def __init__(self, retry_after: float) -> None:
        self.retry_after = retry_after
        seconds = max(1, round(retry_after))
        super().__init__(f"Please wait {seconds} s before asking again.")


class Cooldowns:
    def __init__(self, seconds: float, clock: Clock) -> None:
        self.seconds = seconds
        self.clock = clock
        self._last: dict[str, float] = {}

    def check(self, key: str) -> None:
        """Raise CooldownError when `key` asked less than `seconds` ago; else start a new period."""
        if self.seconds <= 0:
            return
        now = self.clock().timestamp()
        last = self._last.get(key)
        if last is not None and now - last < self.seconds:
            raise CooldownError(self.seconds - (now - last))
        self._last[key] = now
        if len(self._last) > 10_000:  # forget users whose cooldown is long over
            self._last = {k: v for k, v in self._last.items() if now - v < self.seconds}
