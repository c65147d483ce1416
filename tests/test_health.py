"""/healthz and /metrics over HTTP on 127.0.0.1: for the console's App and for the Discord bot."""

from __future__ import annotations

import contextlib
import socket
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import aiohttp

from bot.app import App
from bot.config import Settings
from bot.timeutil import ManualClock
from bot.transport.health import HealthServer
from tests.conftest import SAMPLES
from tests.discord_helpers import guild_with_channel, running_bot
from tests.fakediscord import FakeDiscord


async def _get(port: int, path: str) -> tuple[int, str, dict]:
    async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}{path}") as resp:
        text = await resp.text()
        return resp.status, text, (await resp.json() if path == "/healthz" else {})


@contextlib.asynccontextmanager
async def _serving(settings: Settings, clock: ManualClock | None = None) -> AsyncIterator[tuple[App, int]]:
    """An App with its health server on a free loopback port; both closed after."""
    app = await App.open(settings, clock=clock)
    server = HealthServer(app)
    try:
        yield app, await server.start(port=0)
    finally:
        await server.stop()
        await app.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_metrics_count_the_store_and_the_answers_and_health_follows_the_scheduler(settings: Settings) -> None:
    clock = ManualClock(datetime(2026, 12, 3, 8, 0, tzinfo=UTC))
    async with _serving(settings, clock) as (app, port):
        cid = await app.collection_id("default")
        await app.articles.ingest([str(SAMPLES)], cid)
        await app.asking.ask("what did Japan approve for Samsung?", cid)
        await app.asking.ask("what is the capital of Peru?", cid)
        status, text, _ = await _get(port, "/metrics")
        assert status == 200
        assert "briefbot_articles 10.0" in text and "briefbot_feeds{state=\"ok\"} 0.0" in text
        assert 'briefbot_answers_total{mode="extractive"} 1.0' in text and 'briefbot_answers_total{mode="refused"} 1.0' in text
        assert "briefbot_answer_seconds_count 2.0" in text and "briefbot_outbox_pending 0.0" in text

        status, _, body = await _get(port, "/healthz")
        assert status == 200 and body["ok"] and body["checks"]["store"]["ok"] and "gateway" not in body["checks"]

        clock.advance(minutes=11)  # no scheduler cycle for longer than stale_after_seconds
        status, _, body = await _get(port, "/healthz")
        assert status == 503 and not body["checks"]["scheduler"]["ok"] and body["checks"]["store"]["ok"]
        from bot.usecases.scheduler import Scheduler
        from bot.transport.console import ConsoleSink

        await Scheduler(app.scheduler_parts(), ConsoleSink(lambda _: None)).tick()
        status, text, body = await _get(port, "/healthz")
        assert status == 200 and body["checks"]["scheduler"]["ok"]
        assert "briefbot_scheduler_ticks_total 1.0" in (await _get(port, "/metrics"))[1]


async def test_health_fails_while_another_writer_holds_the_store(settings: Settings) -> None:
    async with _serving(settings) as (_, port):
        blocker = sqlite3.connect(settings.db_path, isolation_level=None)
        try:
            blocker.execute("BEGIN IMMEDIATE")
            status, _, body = await _get(port, "/healthz")
            assert status == 503 and not body["checks"]["store"]["ok"] and "locked" in body["checks"]["store"]["detail"]
            blocker.execute("ROLLBACK")
            status, _, body = await _get(port, "/healthz")
            assert status == 200 and body["checks"]["store"]["ok"]
        finally:
            blocker.close()


async def test_the_bot_serves_health_with_the_gateway_state(settings: Settings) -> None:
    settings.service.http_port = _free_port()
    async with FakeDiscord() as fake:
        await guild_with_channel(fake, settings, samples=False)
        async with running_bot(fake, settings) as bot:
            status, _, body = await _get(settings.service.http_port, "/healthz")
            assert status == 200 and body["checks"]["gateway"] == {"ok": True, "detail": "connected"}
            assert bot.health is not None
        async with aiohttp.ClientSession() as http:  # stopped with the bot
            try:
                await http.get(f"http://127.0.0.1:{settings.service.http_port}/healthz")
                raise AssertionError("the health endpoint outlived the bot")
            except aiohttp.ClientConnectorError:
                pass


async def test_an_index_catching_up_is_healthy_and_one_stuck_behind_is_not(settings: Settings) -> None:
    """Found by bench/soak.py: /healthz answered 503 "5 changes behind" for the moment between a poll's
    commit and the index catching up, so a probe or an alert rule flapped during normal work."""
    from bot.transport.health import INDEX_CATCH_UP

    clock = ManualClock(datetime(2026, 12, 3, 8, 0, tzinfo=UTC))
    async with _serving(settings, clock) as (app, port):
        cid = await app.collection_id("default")
        await app.articles.ingest([str(SAMPLES)], cid)
        index = app.index
        level = index.committed_seq()
        assert level > 0
        index.committed_seq = lambda: level - 3  # a commit the index has not applied yet
        status, _, body = await _get(port, "/healthz")
        assert status == 200 and body["checks"]["index"]["detail"].startswith("3 changes behind")
        clock.advance(seconds=INDEX_CATCH_UP.total_seconds() - 1)
        assert (await _get(port, "/healthz"))[0] == 200
        clock.advance(seconds=2)  # no progress for longer than INDEX_CATCH_UP
        status, _, body = await _get(port, "/healthz")
        assert status == 503 and not body["checks"]["index"]["ok"] and "for 61 s" in body["checks"]["index"]["detail"]
        index.committed_seq = lambda: level - 1  # it moves: catching up again
        assert (await _get(port, "/healthz"))[0] == 200
        index.committed_seq = lambda: level
        status, _, body = await _get(port, "/healthz")
        assert status == 200 and body["checks"]["index"]["detail"] == "0 changes behind"
