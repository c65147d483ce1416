"""`/healthz` and `/metrics` over HTTP for an operator (`[service] http_port`, loopback by default).

/healthz answers 200 with a JSON body when the store is writable, the search index is level with the
store, the Discord gateway is connected (when there is one) and the scheduler has completed a cycle
within `stale_after_seconds`; 503 with the failing checks otherwise. /metrics is Prometheus text:
the App's counters plus store counts read at scrape time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from bot.app import App
from bot.store.stats import StatsRepo, StoreStats, store_writable
from bot.timeutil import parse_iso

log = logging.getLogger(__name__)

HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"
# Each ingest commits to SQLite first and the search index a moment later, so a check can land in between:
# the index fails the health check only when it has been behind, without catching up, for longer than this.
INDEX_CATCH_UP = timedelta(seconds=60)


class _StoreCollector(Collector):
    """Store counts as gauges; `latest` is filled just before each scrape (collect() cannot await)."""

    def __init__(self) -> None:
        self.latest = StoreStats()
        self.oldest_age = 0.0

    def collect(self) -> Any:
        s = self.latest
        yield GaugeMetricFamily("briefbot_articles", "Articles stored", value=s.articles)
        yield GaugeMetricFamily("briefbot_passages", "Passages stored", value=s.passages)
        feeds = GaugeMetricFamily("briefbot_feeds", "Followed feeds by state", labels=["state"])
        for state in ("ok", "error", "failing", "new"):
            feeds.add_metric([state], s.feeds.get(state, 0))
        yield feeds
        yield GaugeMetricFamily("briefbot_outbox_pending", "Posts written but not yet sent", value=s.outbox_pending)
        yield GaugeMetricFamily(
            "briefbot_outbox_oldest_seconds", "Age of the oldest unsent post (0 when none)", value=self.oldest_age
        )


class HealthServer:
    def __init__(self, app: App, *, gateway: Callable[[], bool] | None = None) -> None:
        """`gateway`: says whether the Discord gateway is connected (None: no Discord, e.g. the console)."""
        self.app = app
        self.gateway = gateway
        self.stats = StatsRepo(app.db)
        self.collector = _StoreCollector()
        app.metrics.registry.register(self.collector)
        self._runner: web.AppRunner | None = None
        self.port: int | None = None
        self._index_seen: tuple[int, datetime] | None = None  # (committed seq, when first seen behind at it)

    # ------------------------------------------------------------ checks

    async def _store_stats(self) -> StoreStats:
        stats = await self.stats.collect(self.app.settings.discord.feed_failure_threshold)
        self.collector.latest = stats
        self.collector.oldest_age = (
            max(0.0, (self.app.now() - parse_iso(stats.outbox_oldest)).total_seconds()) if stats.outbox_oldest else 0.0
        )
        return stats

    async def checks(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        problem = await store_writable(self.app.settings.db_path)
        out["store"] = {"ok": problem is None, "detail": problem or "writable"}
        stats = await self._store_stats()
        index = self.app.index
        if not index.is_open:
            out["index"] = {"ok": True, "detail": "not opened yet (opens on first search or ingest)"}
        else:
            seq = index.committed_seq()
            lag = stats.change_seq - seq
            stuck = timedelta(0)
            if lag <= 0 or not index.writable:
                self._index_seen = None
            else:
                if self._index_seen is None or self._index_seen[0] != seq:  # behind, but moving: catching up
                    self._index_seen = (seq, self.app.now())
                stuck = self.app.now() - self._index_seen[1]
            detail = f"{max(lag, 0)} changes behind" + (f" for {stuck.total_seconds():.0f} s" if stuck else "")
            out["index"] = {"ok": stuck <= INDEX_CATCH_UP, "detail": detail, "writer": index.writable}
        if self.gateway is not None:
            connected = self.gateway()
            out["gateway"] = {"ok": connected, "detail": "connected" if connected else "not connected"}
        metrics = self.app.metrics
        stale = timedelta(seconds=self.app.settings.service.stale_after_seconds)
        since = self.app.now() - (metrics.last_tick or metrics.started_at)
        out["scheduler"] = {
            "ok": since <= stale,
            "detail": f"last cycle {metrics.last_tick.isoformat() if metrics.last_tick else 'none yet'}",
        }
        out["feeds"] = {"ok": True, "detail": f"last poll {metrics.last_poll.isoformat() if metrics.last_poll else 'none yet'}"}
        return out

    # ------------------------------------------------------------ HTTP

    async def _healthz(self, request: web.Request) -> web.Response:
        try:
            checks = await self.checks()
        except Exception as exc:  # a health check must answer, whatever broke
            log.exception("health check failed")
            return web.json_response({"ok": False, "error": type(exc).__name__}, status=503)
        ok = all(c["ok"] for c in checks.values())
        return web.json_response({"ok": ok, "checks": checks}, status=200 if ok else 503)

    async def _metrics(self, request: web.Request) -> web.Response:
        await self._store_stats()
        body = generate_latest(self.app.metrics.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def start(self, host: str | None = None, port: int | None = None) -> int:
        """Serve on host:port (default from [service]; port 0 picks a free one); returns the port."""
        web_app = web.Application()
        web_app.router.add_get(HEALTH_PATH, self._healthz)
        web_app.router.add_get(METRICS_PATH, self._metrics)
        self._runner = web.AppRunner(web_app, access_log=None)
        await self._runner.setup()
        service = self.app.settings.service
        site = web.TCPSite(self._runner, host or service.http_host, service.http_port if port is None else port)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        self.port = int(sockets[0].getsockname()[1]) if sockets else service.http_port
        log.info("health and metrics on http://%s:%s/healthz", host or service.http_host, self.port)
        return self.port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
