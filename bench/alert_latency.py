"""Time from a feed item's arrival on a local feed server to its alert in the channel.

The real BriefBot (discord.py) runs against tests/fakediscord with its background scheduler on;
a feed on 127.0.0.1 gains one new item at a random moment; we time until the alert naming it is
in the channel. Feed intervals are whole minutes, so the bot runs on a clock `--speed` times
faster than real time (60: one feed minute is one real second); the scheduler ticks every
`--tick` real seconds. Target: within one poll interval plus one scheduler tick.

    python bench/alert_latency.py                      # intervals 1, 2, 4 (clock minutes), 8 items each
    python bench/alert_latency.py --code /work/main    # the same against another checkout (before/after)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--intervals", default="1,2,4", help="feed poll intervals in clock minutes")
    p.add_argument("--items", type=int, default=8, help="items per interval, one at a time")
    p.add_argument("--speed", type=float, default=60.0, help="clock minutes per real minute")
    p.add_argument("--tick", type=float, default=0.5, help="scheduler tick, real seconds")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--code", default=str(ROOT), help="the checkout whose bot/ is measured")
    return p.parse_args()


ARGS = _args()
sys.path.insert(0, str(ROOT))
sys.path.insert(0, ARGS.code)


import bot  # noqa: E402
from bot.config import load_settings  # noqa: E402
from tests.discord_helpers import running_bot  # noqa: E402
from tests.feedsite import FeedSite  # noqa: E402
from tests.fakediscord import FakeDiscord  # noqa: E402


class ScaledClock:
    """UTC now, running `speed` times faster than real time from the moment it is made."""

    def __init__(self, speed: float) -> None:
        self.speed = speed
        self.start = datetime.now(UTC)
        self.t0 = time.monotonic()

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=(time.monotonic() - self.t0) * self.speed)


def _word(rng: random.Random) -> str:
    return "".join(rng.choice("bcdfghklmnprstvz") + rng.choice("aeiou") for _ in range(3))


def make_item(rng: random.Random, k: int) -> tuple[str, str, str]:
    """A story of its own: made-up names, so no two items read as one story."""
    a, b, c, d = (_word(rng).capitalize() for _ in range(4))
    slug = f"item{k}{_word(rng)}"
    title = f"{a} {b} opens {c} works"
    body = (
        f"The {a} {b} company opened its {c} works on Tuesday with {rng.randint(100, 900)} staff, "
        f"its chief executive {d} said. The plant makes {_word(rng)} parts for {_word(rng)} and "
        f"{_word(rng)} buyers in {_word(rng).capitalize()}. Output should reach {rng.randint(2, 90)} "
        f"thousand units next year, {d} told reporters at the opening. Reference {slug}."
    )
    return slug, title, body


def _text(message: dict) -> str:
    parts = [message.get("content") or ""]
    for e in message.get("embeds") or []:
        parts += [e.get("title") or "", e.get("description") or ""]
        parts += [f.get("name", "") + " " + f.get("value", "") for f in e.get("fields") or []]
    return "\n".join(parts).lower()


async def measure(interval_min: int, rng: random.Random, tmp: Path) -> tuple[list[float], int]:
    settings = load_settings(db_path=str(tmp / f"bench-{interval_min}.db"))
    settings.ingest.allow_private_urls = True
    settings.discord.scheduler_seconds = ARGS.tick
    settings.feeds.min_interval_minutes = 1
    interval_real = interval_min * 60 / ARGS.speed
    clock = ScaledClock(ARGS.speed)
    latencies: list[float] = []
    missed = 0
    async with FakeDiscord() as fake, FeedSite() as site:
        site.items = [make_item(rng, 0)]
        guild = fake.add_guild()
        chan = fake.add_channel(guild, "news")
        admin = fake.add_member(guild, "admin", manage_guild=True)
        async with running_bot(fake, settings, clock=clock, background=True):
            added = await fake.invoke_slash(guild, chan, admin, "feed add", {"url": site.url("/feed.xml"), "interval": interval_min})
            await added.wait_response()
            await fake.wait_for_message(chan, lambda m: "Following" in (m["content"] or ""), timeout=30)
            sub = await fake.invoke_slash(guild, chan, admin, "briefing subscribe", {"time": "off", "alerts": True})
            await sub.wait_response()
            for k in range(1, ARGS.items + 1):
                await asyncio.sleep(rng.uniform(0, interval_real))
                item = make_item(rng, k)
                site.items.append(item)
                arrived = time.monotonic()
                try:
                    await fake.wait_for_message(
                        chan, lambda m, s=item[0]: s in _text(m), timeout=3 * (interval_real + ARGS.tick) + 5
                    )
                except (TimeoutError, asyncio.TimeoutError):
                    missed += 1
                    continue
                latencies.append(time.monotonic() - arrived)
    return latencies, missed


async def main() -> None:
    rng = random.Random(ARGS.seed)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for interval in (int(x) for x in ARGS.intervals.split(",")):
            lat, missed = await measure(interval, rng, Path(tmp))
            target = interval * 60 / ARGS.speed + ARGS.tick
            rows.append((interval, target, lat, missed))
    load = os.getloadavg()
    print(f"# alert latency, {platform.node()} {os.cpu_count()} cores, load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, "
          f"python {platform.python_version()}, code {Path(bot.__file__).parent.parent}, speed {ARGS.speed:g}x, tick {ARGS.tick:g} s")
    print("| interval (clock min) | = real s | target (interval + tick), s | items | alerted | median s | max s | max / target |")
    print("|---|---|---|---|---|---|---|---|")
    for interval, target, lat, missed in rows:
        n = len(lat) + missed
        med = statistics.median(lat) if lat else float("nan")
        mx = max(lat) if lat else float("nan")
        print(f"| {interval} | {interval * 60 / ARGS.speed:g} | {target:g} | {n} | {len(lat)} | {med:.2f} | {mx:.2f} | {mx / target:.2f} |")


if __name__ == "__main__":
    asyncio.run(main())
