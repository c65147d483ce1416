"""An RSS feed on 127.0.0.1 whose items a test (or a benchmark) changes, with a page per item."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime
from html import escape

from aiohttp import web

from tests.loopback import serve_on_loopback


class FeedSite:
    """An RSS feed on 127.0.0.1 whose items the test changes; `status` makes it fail."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str, str]] = []  # (slug, title, body)
        self.status = 200
        self.port = 0
        self._runner: web.AppRunner | None = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def __aenter__(self) -> "FeedSite":
        app = web.Application()
        app.router.add_get("/feed.xml", self._feed)
        app.router.add_get("/a/{slug}", self._article)
        self._runner = web.AppRunner(app, access_log=None)
        self.port = await serve_on_loopback(self._runner)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._runner is not None
        await self._runner.cleanup()

    async def _feed(self, request: web.Request) -> web.Response:
        if self.status != 200:
            return web.Response(status=self.status, text="down")
        now = format_datetime(datetime.now(UTC))
        items = "".join(
            f"<item><title>{escape(t)}</title><link>{self.url('/a/' + s)}</link><guid>{self.url('/a/' + s)}</guid>"
            f"<pubDate>{now}</pubDate><description>{escape(b)}</description></item>"
            for s, t, b in self.items
        )
        xml = f'<?xml version="1.0"?><rss version="2.0"><channel><title>Test Wire</title><link>{self.url("/")}</link>{items}</channel></rss>'
        return web.Response(text=xml, content_type="application/rss+xml")

    async def _article(self, request: web.Request) -> web.Response:
        for s, t, b in self.items:
            if s == request.match_info["slug"]:
                html = f"<html><head><title>{escape(t)}</title></head><body><article><h1>{escape(t)}</h1><p>{escape(b)}</p></article></body></html>"
                return web.Response(text=html, content_type="text/html")
        raise web.HTTPNotFound()
