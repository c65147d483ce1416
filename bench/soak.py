"""Soak test: the real bot (`BriefBot`) for `--minutes` against the tests' local Discord and a local feed server.

    python bench/soak.py                 # 10 minutes (the figure in bench/README.md)
    python bench/soak.py --minutes 2     # a quick look

What runs, all on 127.0.0.1 in this process: `tests/fakediscord` (Discord REST + gateway, driven through
discord.py), `tests/newsserver.py` serving `--feeds` RSS feeds, one server with a #news channel subscribed to
new-item alerts (no daily briefing) following every feed, and a #questions channel.
- Every `--item-seconds` (jittered) one feed gains a new item: a Reuters-21578 article from ../shared/data
  (full text in the feed, a fresh link, published now); the feeds are polled every minute (the shortest
  interval allowed), the scheduler ticks every `--tick-seconds`.
- Every second a reader asks `/ask` about an item already published (readers take turns, so the per-user
  cooldown is not hit); the answer is waited for in its own task.
- Half way, the bot is closed (as SIGINT does under systemd or Docker) and a new one is started on the same
  store file; no question is asked while it is down, the feeds keep changing.
- After the last item, the run waits for the last polls and alerts (at most a poll interval plus two ticks).

Reported: RSS of this process (start, end, peak; the fake Discord keeps every message and edit, so part of
the growth is the fake's), outbox depth sampled every 2 s (max, end), answer latency (invoke to the
settled answer) p50/p99, items published vs stored vs alerted (each item's link counted across all alert
posts: exactly once is right), questions asked vs answered, /healthz answers.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gzip
import json
import logging
import os
import platform
import random
import re
import socket
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from html import escape
from pathlib import Path
from typing import Any

import aiohttp
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.config import Settings, load_settings  # noqa: E402
from bot.store.stats import StatsRepo  # noqa: E402
from bot.transport.discord.bot import BriefBot  # noqa: E402
from tests.fakediscord import FakeDiscord  # noqa: E402
from tests.newsserver import NewsServer  # noqa: E402

# ../shared beside the project; a git worktree under /work/wt/<name> finds it two levels up
REUTERS = next((p for p in (ROOT.parent / "shared", ROOT.parent.parent / "shared")
                if (p / "data" / "reuters21578" / "articles.jsonl.gz").is_file()),
               ROOT.parent / "shared") / "data" / "reuters21578" / "articles.jsonl.gz"
POLL_MINUTES = 1
LINK = re.compile(r"\(<(http://127\.0\.0\.1:\d+/soak/[^>]+)>\)")

log = logging.getLogger("soak")


# ------------------------------------------------------------------ material


def reuters_articles(limit: int, seed: int) -> list[dict[str, str]]:
    """Distinct, long enough Reuters articles (one per title, no near-identical openings), shuffled."""
    seen_titles: set[str] = set()
    seen_openings: set[str] = set()
    out: list[dict[str, str]] = []
    with gzip.open(REUTERS, "rt", encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            title, body = (rec.get("title") or "").strip(), (rec.get("body") or "").strip()
            if not title or not 900 <= len(body) <= 5000:
                continue
            key = re.sub(r"\W+", " ", title.lower()).strip()
            opening = re.sub(r"\W+", " ", body[:160].lower())
            if key in seen_titles or opening in seen_openings:
                continue
            seen_titles.add(key)
            seen_openings.add(opening)
            out.append({"title": title, "body": body})
    random.Random(seed).shuffle(out)
    return out[:limit]


def question_for(title: str) -> str:
    words = re.sub(r"[^\w\s.-]", " ", title).split()
    return "What happened: " + " ".join(words[:10]).lower().capitalize() + "?"


# ------------------------------------------------------------------ the run


@dataclass
class Figures:
    rss: list[tuple[float, int]] = field(default_factory=list)
    outbox: list[tuple[float, int]] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    asked: int = 0
    answered: int = 0
    unanswered: list[str] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    published: list[str] = field(default_factory=list)  # item links in publication order (news, after the feed was added)
    published_at: dict[str, float] = field(default_factory=dict)  # link -> wall-clock time it appeared in its feed
    backfill: list[str] = field(default_factory=list)  # items already in a feed when it was added: not news, not alerted
    unhealthy: Counter[str] = field(default_factory=Counter)  # failing /healthz checks
    with_sources: int = 0
    no_source_samples: list[str] = field(default_factory=list)
    health: Counter[int] = field(default_factory=Counter)
    restart_at: float | None = None
    rss_before_restart: int = 0
    down_seconds: float = 0.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def soak_settings(db: Path, tick: float) -> Settings:
    s = load_settings(db_path=str(db))
    s.ingest.allow_private_urls = True  # everything is served from 127.0.0.1
    s.feeds.min_interval_minutes = POLL_MINUTES
    s.feeds.default_interval_minutes = POLL_MINUTES
    s.discord.scheduler_seconds = tick
    s.briefing.alert_max_stories = 50  # a burst stays within one alert (the soak counts links per item)
    s.service.http_port = _free_port()
    return s


class Soak:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.fig = Figures()
        self.proc = psutil.Process()
        self.bot: BriefBot | None = None
        self.bot_task: asyncio.Task[None] | None = None
        self.up = asyncio.Event()
        self.rng = random.Random(args.seed)
        self.published_titles: list[tuple[float, str]] = []  # (monotonic time published, title)
        self.followed: list[str] = []

    async def start_bot(self, fake: FakeDiscord, settings: Settings) -> None:
        bot = BriefBot(settings, guild_ready_timeout=0.05)
        self.bot = bot
        self.bot_task = asyncio.create_task(bot.start(fake.token))
        await asyncio.wait_for(fake.wait_ready(), 30)
        await asyncio.wait_for(bot.wait_until_ready(), 30)
        self.up.set()

    async def stop_bot(self) -> None:
        self.up.clear()
        if self.bot is not None:
            await self.bot.close()
        if self.bot_task is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(self.bot_task, 15)
        self.bot, self.bot_task = None, None

    async def sample(self, t0: float, settings: Settings, stop: asyncio.Event) -> None:
        async with aiohttp.ClientSession() as http:
            while not stop.is_set():
                now = time.monotonic() - t0
                self.fig.rss.append((now, self.proc.memory_info().rss))
                bot = self.bot
                if bot is not None and self.up.is_set():
                    with contextlib.suppress(Exception):
                        stats = await StatsRepo(bot.app.db).collect(settings.discord.feed_failure_threshold)
                        self.fig.outbox.append((now, stats.outbox_pending))
                    try:
                        url = f"http://127.0.0.1:{settings.service.http_port}/healthz"
                        async with http.get(url, timeout=aiohttp.ClientTimeout(total=5)) as resp:
                            self.fig.health[resp.status] += 1
                            if resp.status != 200:
                                body = await resp.json()
                                for name, check in (body.get("checks") or {}).items():
                                    if not check.get("ok"):
                                        self.fig.unhealthy[f"{name}: {check.get('detail')}"] += 1
                    except Exception:
                        self.fig.health[0] += 1
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(stop.wait(), 2.0)

    def add_item(self, site: NewsServer, name: str, slug: str, art: dict[str, str], *, backfill: bool = False) -> None:
        link = site.url(f"/soak/{name}-{slug}.html")
        paragraphs = [p.strip() for p in art["body"].split("\n") if p.strip()]
        feed = site.feeds[name]
        feed.insert(0, {
            "title": art["title"].title(),
            "link": link,
            "published": format_datetime(datetime.now(UTC)),
            "author": "Soak Desk",
            "description": paragraphs[0][:120],
            "content": "".join(f"<p>{escape(p)}</p>" for p in paragraphs),
        })
        del feed[30:]  # a feed shows its newest items; older ones fall off
        self.published_titles.append((0.0 if backfill else time.monotonic(), art["title"]))
        if backfill:
            self.fig.backfill.append(link)
            return
        self.fig.published.append(link)
        self.fig.published_at[link] = time.time()

    async def publish(self, site: NewsServer, names: list[str], material: list[dict[str, str]], until: float) -> None:
        i = 0
        while time.monotonic() < until and i < len(material):
            if not self.followed:
                await asyncio.sleep(0.2)
                continue
            self.add_item(site, self.followed[i % len(self.followed)], str(i), material[i])
            i += 1
            await asyncio.sleep(self.args.item_seconds * self.rng.uniform(0.5, 1.5))

    async def ask_one(self, fake: FakeDiscord, guild: Any, chan: Any, user: Any, question: str) -> None:
        self.fig.asked += 1
        started = time.monotonic()
        try:
            inter = await fake.invoke_slash(guild, chan, user, "ask", {"question": question})

            def settled(m: dict[str, Any]) -> bool:
                content = m.get("content") or ""
                return (inter.original_id is not None and str(m["id"]) == str(inter.original_id)
                        and bool(content.strip()) and not content.endswith("▌"))

            answer = await fake.wait_for_message(chan, settled, timeout=self.args.answer_timeout)
            self.fig.latencies.append(time.monotonic() - started)
            self.fig.answered += 1
            content = answer.get("content") or ""
            if "**Sources**" in content:
                self.fig.with_sources += 1
            elif len(self.fig.no_source_samples) < 3:
                self.fig.no_source_samples.append(f"{question} -> {content[:160]}")
        except Exception as exc:  # a lost question is a finding, not a crash of the soak
            self.fig.errors[type(exc).__name__] += 1
            self.fig.unanswered.append(question)

    async def questions(self, fake: FakeDiscord, guild: Any, chan: Any, readers: list[Any], until: float) -> None:
        """A question a second about an item surely stored by now (published a poll interval and two ticks ago)."""
        tasks: set[asyncio.Task[None]] = set()
        n = 0
        settle = POLL_MINUTES * 60 + 2 * self.args.tick_seconds
        while time.monotonic() < until:
            await self.up.wait()
            ready = [t for at, t in self.published_titles if at <= time.monotonic() - settle]
            if ready:
                question = question_for(self.rng.choice(ready))
                task = asyncio.create_task(self.ask_one(fake, guild, chan, readers[n % len(readers)], question))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                n += 1
            await asyncio.sleep(1.0)
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    async def run(self) -> dict[str, Any]:
        args = self.args
        material = reuters_articles(int(args.minutes * 60 / args.item_seconds * 2) + 50, args.seed)
        with tempfile.TemporaryDirectory(prefix="briefbot-soak-") as tmp:
            settings = soak_settings(Path(tmp) / "soak.db", args.tick_seconds)
            async with FakeDiscord() as fake, NewsServer() as site:
                names = [f"wire{k}" for k in range(args.feeds)]
                for name in names:
                    site.feeds[name] = []
                guild = fake.add_guild("Soak")
                news = fake.add_channel(guild, "news")
                asking = fake.add_channel(guild, "questions")
                admin = fake.add_member(guild, "admin", manage_guild=True)
                readers = [fake.add_member(guild, f"reader{k}") for k in range(int(settings.discord.ask_cooldown_seconds) + 3)]
                await self.start_bot(fake, settings)
                t0 = time.monotonic()
                self.fig.rss.append((0.0, self.proc.memory_info().rss))
                sub = await fake.invoke_slash(guild, news, admin, "briefing subscribe", {"time": "off", "alerts": True})
                await sub.wait_response(15)
                # each feed starts with one item (a backfill: not alerted), so it is a working feed when added;
                # the feeds are added a poll interval / feeds apart, so their polls (and alerts) are spread out
                async def add_feeds() -> None:
                    for k, name in enumerate(names):
                        if k:
                            await asyncio.sleep(POLL_MINUTES * 60 / len(names))
                        self.add_item(site, name, "start", backfill_material.pop(), backfill=True)
                        await self.up.wait()
                        inter = await fake.invoke_slash(guild, news, admin, "feed add",
                                                        {"url": site.url(f"/feeds/{name}.xml"), "interval": POLL_MINUTES})
                        await inter.wait_response(30)
                        for _ in range(300):
                            if any((m.get("content") or "").strip() for m in fake.interaction_messages(inter)):
                                break
                            await asyncio.sleep(0.1)
                        self.followed.append(name)  # news is published only in followed feeds

                stop = asyncio.Event()
                sampler = asyncio.create_task(self.sample(t0, settings, stop))
                end = time.monotonic() + args.minutes * 60
                async def restart() -> None:
                    await asyncio.sleep(args.minutes * 60 / 2)
                    self.fig.restart_at = time.monotonic() - t0
                    began = time.monotonic()
                    self.fig.rss_before_restart = self.proc.memory_info().rss
                    await self.stop_bot()
                    await asyncio.sleep(2.0)
                    await self.start_bot(fake, settings)
                    self.fig.down_seconds = time.monotonic() - began

                backfill_material = material[-len(names):]
                del material[-len(names):]
                await asyncio.gather(
                    add_feeds(),
                    self.publish(site, names, material, end),
                    self.questions(fake, guild, asking, readers, end),
                    restart(),
                )
                # the last items: wait for the polls (one interval) and the alerts they bring
                drain_until = time.monotonic() + POLL_MINUTES * 60 + 2 * args.tick_seconds + 15
                while time.monotonic() < drain_until and set(self.fig.published) - set(self.alerted(fake, news)):
                    await asyncio.sleep(1.0)
                assert self.bot is not None
                stats = await StatsRepo(self.bot.app.db).collect(settings.discord.feed_failure_threshold)
                stored = await self._stored_links(self.bot)
                self.fig.rss.append((time.monotonic() - t0, self.proc.memory_info().rss))
                stop.set()
                await sampler
                counts = Counter(self.alerted(fake, news))
                firsts = self.first_alert_times(fake, news)
                delays = sorted(firsts[u] - self.fig.published_at[u] for u in self.fig.published if u in firsts)
                backfill_alerted = sum(1 for u in self.fig.backfill if counts[u])
                fake_messages = sum(len(fake.messages(c)) for c in (news, asking))
                alerts = [m for m in fake.messages(news) if m.get("embeds")]
                await self.stop_bot()
        result = self.summary(stats, stored, counts, len(alerts))
        result.update(alert_delay_p50_s=delays[len(delays) // 2] if delays else float("nan"),
                      alert_delay_max_s=delays[-1] if delays else float("nan"),
                      backfill=len(self.fig.backfill), backfill_alerted=backfill_alerted, fake_messages=fake_messages)
        return result

    @staticmethod
    def first_alert_times(fake: FakeDiscord, chan: Any) -> dict[str, float]:
        """Link -> time of the first alert post that names it."""
        first: dict[str, float] = {}
        for m in fake.messages(chan):
            when = datetime.fromisoformat(m["timestamp"]).timestamp()
            for e in m.get("embeds") or []:
                for link in LINK.findall(e.get("description") or ""):
                    first.setdefault(link, when)
        return first

    @staticmethod
    def alerted(fake: FakeDiscord, chan: Any) -> list[str]:
        """Every item link in every alert post of the channel (one entry per appearance)."""
        links: list[str] = []
        for m in fake.messages(chan):
            for e in m.get("embeds") or []:
                links.extend(LINK.findall(e.get("description") or ""))
        return links

    @staticmethod
    async def _stored_links(bot: BriefBot) -> set[str]:
        async with bot.app.db.conn.execute("SELECT url FROM articles") as cur:
            return {str(r[0]) for r in await cur.fetchall() if r[0]}

    def _rss_at(self, share: float) -> int:
        """RSS sampled nearest to that share of the run."""
        at = share * self.args.minutes * 60
        return min(self.fig.rss, key=lambda tr: abs(tr[0] - at))[1]

    def summary(self, stats: Any, stored: set[str], counts: Counter[str], alert_posts: int) -> dict[str, Any]:
        fig = self.fig
        published = fig.published
        rss = [r for _, r in fig.rss]
        lat = sorted(fig.latencies)

        def pct(p: float) -> float:
            return lat[min(len(lat) - 1, int(round(p * (len(lat) - 1))))] if lat else float("nan")

        never = [u for u in published if counts[u] == 0]
        twice = [u for u in published if counts[u] > 1]
        return {
            "minutes": self.args.minutes,
            "rss_quarters_mb": [self._rss_at(q) / 2**20 for q in (0.25, 0.5, 0.75)],
            "rss_before_restart_mb": fig.rss_before_restart / 2**20,
            "rss_start_mb": rss[0] / 2**20, "rss_end_mb": rss[-1] / 2**20, "rss_peak_mb": max(rss) / 2**20,
            "outbox_max": max((d for _, d in fig.outbox), default=0), "outbox_end": stats.outbox_pending,
            "outbox_samples": len(fig.outbox),
            "asked": fig.asked, "answered": fig.answered, "unanswered": fig.unanswered[:5], "errors": dict(fig.errors),
            "latency_p50_s": pct(0.50), "latency_p99_s": pct(0.99), "latency_max_s": lat[-1] if lat else float("nan"),
            "published": len(published), "stored": sum(1 for u in published if u in stored),
            "alerted_once": sum(1 for u in published if counts[u] == 1), "never_alerted": never[:5],
            "never_alerted_n": len(never), "alerted_twice_n": len(twice), "alerted_twice": twice[:5],
            "alert_posts": alert_posts, "articles": stats.articles,
            "health": dict(fig.health), "unhealthy": dict(fig.unhealthy), "with_sources": fig.with_sources, "no_source_samples": fig.no_source_samples, "restart_at_s": fig.restart_at, "down_s": fig.down_seconds,
        }


def print_table(r: dict[str, Any], load: tuple[float, float, float]) -> None:
    rows = [
        ("duration", f"{r['minutes']:g} min, one restart at {r['restart_at_s']:.0f} s (down {r['down_s']:.1f} s)"),
        ("RSS start / end / peak", f"{r['rss_start_mb']:.0f} / {r['rss_end_mb']:.0f} / {r['rss_peak_mb']:.0f} MB"),
        ("RSS at 1/4, 1/2, 3/4 of the run; before the restart",
         ", ".join(f"{x:.0f}" for x in r["rss_quarters_mb"]) + f"; {r['rss_before_restart_mb']:.0f} MB"),
        ("outbox depth max / end", f"{r['outbox_max']} / {r['outbox_end']} ({r['outbox_samples']} samples, every 2 s)"),
        ("answer latency p50 / p99 / max", f"{r['latency_p50_s']:.2f} / {r['latency_p99_s']:.2f} / {r['latency_max_s']:.2f} s"),
        ("questions asked / answered", f"{r['asked']} / {r['answered']} ({r['with_sources']} with sources)"
         + (f"  errors {r['errors']}" if r['errors'] else "")),
        ("items published / stored", f"{r['published']} / {r['stored']}"),
        ("items alerted exactly once", f"{r['alerted_once']} (never {r['never_alerted_n']}, more than once {r['alerted_twice_n']})"),
        ("alert posts; delay publish -> alert p50 / max", f"{r['alert_posts']}; {r['alert_delay_p50_s']:.0f} / {r['alert_delay_max_s']:.0f} s"),
        ("backfill items (in a feed when added) alerted", f"{r['backfill_alerted']} of {r['backfill']} (0 is right)"),
        ("/healthz answers", ", ".join(f"{k or 'no answer'}: {v}" for k, v in sorted(r["health"].items()))),
        ("load average (1/5/15 min, at end)", " / ".join(f"{x:.2f}" for x in load)),
    ]
    width = max(len(k) for k, _ in rows)
    print(f"| {'soak':<{width}} | figure |\n|{'-' * (width + 2)}|---|")
    for k, v in rows:
        print(f"| {k:<{width}} | {v} |")
    for key in ("never_alerted", "alerted_twice", "unanswered", "unhealthy", "no_source_samples"):
        if r[key]:
            print(f"{key}: {r[key]}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--minutes", type=float, default=10.0)
    p.add_argument("--feeds", type=int, default=3)
    p.add_argument("--item-seconds", type=float, default=4.0, help="mean seconds between new feed items (all feeds)")
    p.add_argument("--tick-seconds", type=float, default=5.0, help="[discord] scheduler_seconds")
    p.add_argument("--answer-timeout", type=float, default=60.0)
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--json", action="store_true")
    p.add_argument("--tracemalloc", action="store_true", help="print where Python memory grew (slow)")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("discord").setLevel(logging.ERROR)
    started = datetime.now(UTC)
    if args.tracemalloc:
        import tracemalloc

        tracemalloc.start(8)
    result = asyncio.run(Soak(args).run())
    if args.tracemalloc:
        snap = tracemalloc.take_snapshot().filter_traces([tracemalloc.Filter(False, tracemalloc.__file__)])
        print(f"Python heap traced: {sum(st.size for st in snap.statistics('filename')) / 2**20:.1f} MB")
        for stat in snap.statistics("traceback")[:12]:
            print(f"{stat.size / 2**20:7.2f} MB {stat.count:7d} blocks  " + " <- ".join(
                f"{Path(fr.filename).name}:{fr.lineno}" for fr in list(stat.traceback)[:4]))
    load = os.getloadavg()
    print(f"soak {started:%Y-%m-%d %H:%M} UTC, {platform.node()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print_table(result, load)
    if args.json:
        print(json.dumps(result, indent=2, default=str))
    ok = result["alerted_once"] == result["published"] and result["answered"] == result["asked"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
