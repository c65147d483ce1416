"""Per-user question allowance: a token bucket, with the time left for a polite retry-after message.

A user may ask `burst` questions at once (a question and a follow-up or two), then one every
`seconds`; the allowance refills by one question per `seconds` up to `burst`. The bucket is
kept in the store (when one is given), so a restart neither refills nor forgets it.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

from bot.errors import UserError
from bot.timeutil import Clock

FORGET_EVERY = 500  # checks between sweeps of buckets that are full again


class CooldownError(UserError):
    def __init__(self, retry_after: float) -> None:
        self.retry_after = retry_after
        seconds = max(1, round(retry_after))
        super().__init__(f"Please wait {seconds} s before asking again.")


class BucketStore(Protocol):
    async def get(self, user_key: str) -> tuple[float, float] | None: ...
    async def put(self, user_key: str, tokens: float, updated_at: float) -> None: ...
    async def forget_before(self, cutoff: float) -> None: ...


class MemoryBuckets:
    """A bucket store that lives as long as the process (no store given)."""

    def __init__(self) -> None:
        self._rows: dict[str, tuple[float, float]] = {}

    async def get(self, user_key: str) -> tuple[float, float] | None:
        return self._rows.get(user_key)

    async def put(self, user_key: str, tokens: float, updated_at: float) -> None:
        self._rows[user_key] = (tokens, updated_at)

    async def forget_before(self, cutoff: float) -> None:
        self._rows = {k: v for k, v in self._rows.items() if v[1] >= cutoff}


class Cooldowns:
    def __init__(self, seconds: float, clock: Clock, *, burst: int = 1, store: BucketStore | None = None) -> None:
        """`seconds`: one question refills per this many seconds (0: no limit); `burst`: questions at once."""
        self.seconds = seconds
        self.burst = max(1, int(burst))
        self.clock = clock
        self.store: BucketStore = store or MemoryBuckets()
        self._lock = asyncio.Lock()
        self._checks = 0

    def _refilled(self, row: tuple[float, float] | None, now: float) -> float:
        if row is None:
            return float(self.burst)
        tokens, updated = row
        return min(float(self.burst), tokens + max(0.0, now - updated) / self.seconds)

    async def check(self, key: str) -> None:
        """Take one question from `key`'s allowance, or raise CooldownError saying how long until the next."""
        if self.seconds <= 0:
            return
        async with self._lock:  # two questions of one user at once take two tokens, not one
            now = self.clock().timestamp()
            tokens = self._refilled(await self.store.get(key), now)
            if tokens < 1.0:
                raise CooldownError((1.0 - tokens) * self.seconds)
            await self.store.put(key, tokens - 1.0, now)
            self._checks += 1
            if self._checks % FORGET_EVERY == 0:  # a bucket untouched this long is full: nothing to keep
                await self.store.forget_before(now - self.burst * self.seconds)
