"""A small news site on 127.0.0.1 for the fetch, web-ingest and feed tests (real aiohttp.web server, port 0)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from email.utils import format_datetime
from datetime import UTC, datetime
from html import escape
from types import TracebackType

import pytest
from aiohttp import web

from tests.loopback import serve_on_loopback

# Written for these tests; each story is about something different so none repeats another.
STORIES: dict[str, tuple[str, list[str]]] = {
    "harbour": (
        "Harbour traffic grows for a third month",
        [
            "The harbour authority said on Tuesday that container traffic grew for the third month in a row, "
            "helped by new shipping routes to South America and a quicker customs check at the eastern quay.",
            "Volumes rose 6.2 percent from a year earlier to 412,000 containers, the highest figure for March "
            "since the port opened its deep-water berth, a spokeswoman for the authority told reporters.",
            "Shipping lines have added two weekly calls from Santos and Buenos Aires since January, and a third "
            "service from Cartagena is due to start in May, according to the authority's monthly bulletin.",
            "Dock workers' unions welcomed the figures but warned that overtime had doubled, and asked the "
            "authority to hire more crane drivers before the summer peak begins in earnest.",
        ],
    ),
    "wheat": (
        "Kansas wheat harvest starts early after dry spring",
        [
            "Farmers in southern Kansas began cutting winter wheat ten days earlier than usual this week after "
            "a warm and unusually dry spring, the state's agriculture department said in its weekly crop report.",
            "About 4 percent of the crop had been harvested by Sunday, compared with none at the same point last "
            "year, and inspectors rated 38 percent of fields good or excellent, down from 45 percent in April.",
            "Grain elevators in Sumner County reported test weights near 60 pounds a bushel, a sign that kernels "
            "filled well despite the heat, while protein readings were higher than the five-year average.",
            "Traders in Kansas City said futures for July delivery eased by four cents a bushel on the news, as "
            "an early harvest tends to bring a wave of grain to market before exporters are ready to ship it.",
        ],
    ),
    "copper": (
        "Chilean copper mine resumes output after strike",
        [
            "Production restarted on Monday at the Escondida North copper mine in Chile after workers voted to "
            "accept a new three-year wage deal, ending a strike that had lasted nineteen days.",
            "The union said members would receive a signing bonus of 18 million pesos each and a 3 percent real "
            "wage rise, while the company agreed to review shift patterns at its concentrator plant.",
            "The stoppage cost an estimated 60,000 tonnes of copper, analysts at a Santiago brokerage wrote, and "
            "helped lift prices on the London Metal Exchange to a six-week high last Friday.",
            "Managers expect the mine to reach full capacity within ten days once the flotation circuits have "
            "been cleaned and the conveyor from the open pit has been inspected by safety engineers.",
        ],
    ),
    "rail": (
        "Night trains return between Vienna and Amsterdam",
        [
            "A sleeper service between Vienna and Amsterdam will run again from December, the Austrian rail "
            "operator said, restoring a link that was dropped more than a decade ago for lack of passengers.",
            "The train will leave Vienna each evening at eight and reach Amsterdam Centraal shortly before ten "
            "the next morning, stopping at Linz, Passau, Frankfurt and Cologne on the way north.",
            "New carriages with private compartments, showers and small capsule beds for single travellers "
            "will be used on the route, and fares will start at 59 euros for a seat in a couchette.",
            "Environmental groups welcomed the move and urged governments to cut track access charges, which "
            "they say make overnight rail far more expensive to operate than short-haul flights.",
        ],
    ),
    "library": (
        "City library lends out tools and sewing machines",
        [
            "The central library has started lending drills, ladders, sewing machines and tile cutters to card "
            "holders, in a pilot scheme the city council hopes will cut waste and save residents money.",
            "More than 300 items were borrowed in the first fortnight, with pressure washers and carpet cleaners "
            "the most popular, the head librarian said, and a waiting list has formed for the two telescopes.",
            "Borrowers may keep an item for a week and must watch a short safety video before taking home "
            "anything with a blade or a motor, while repairs are handled by volunteers on Saturday mornings.",
            "If the pilot succeeds the council plans to open tool corners in four branch libraries next year, "
            "paid for by a grant from a regional fund for recycling and reuse projects.",
        ],
    ),
    "bees": (
        "Beekeepers report strong spring after mild winter",
        [
            "Beekeepers across the valley said their colonies came through the winter in unusually good shape, "
            "with losses of about 9 percent against the 20 percent they have grown used to in recent years.",
            "The regional beekeeping association, which surveyed 640 of its members, credited the mild weather "
            "and an early flowering of willow and blackthorn that gave the bees pollen from late February.",
            "Several members warned that the varroa mite remained the biggest threat and urged hobbyists to "
            "treat their hives in August, when mite numbers climb fastest and brood is easiest to protect.",
            "The association will hold an open day at its teaching apiary next month, where visitors can watch "
            "a hive being inspected and taste honey from the first harvest of the year.",
        ],
    ),
}

WINDOWS_1252_TITLE = "Café owners in Zürich raise prices"
WINDOWS_1252_BODY = [
    "Café owners in Zürich said on Friday that the price of a crème brûlée would rise by half a franc from "
    "next month, blaming the cost of cream, sugar and the wages of pâtissiers.",
    "The association of cafés and bistros, which speaks for 420 businesses, said its members had absorbed "
    "higher costs for two years but could no longer do so without cutting staff or opening hours.",
    "Customers interviewed near the Grossmünster were resigned: “It is still cheaper than a holiday,” said "
    "one pensioner, who has eaten the same dessert at the same table every Sunday since 1987.",
]

LOGIN_PAGE = (
    "<html><head><title>Sign in</title></head><body><nav>Home | News | Sport</nav>"
    "<form action='/login' method='post'><label>User <input name=user></label>"
    "<label>Password <input name=password type=password></label><button>Log in</button></form>"
    "<footer>Copyright 2026</footer></body></html>"
)


def article_html(title: str, paragraphs: list[str], *, site: str = "Harbour Gazette", author: str = "Ana Ruiz",
                 published: str = "2026-03-10T09:30:00Z", furniture: str = "") -> str:
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return (
        "<!DOCTYPE html><html><head>"
        f"<meta charset='utf-8'><title>{escape(title)} | {escape(site)}</title>"
        f"<meta property='og:site_name' content='{escape(site)}'>"
        f"<meta name='author' content='{escape(author)}'>"
        f"<meta property='article:published_time' content='{published}'>"
        "</head><body><header><nav><a href='/'>Home</a> | <a href='/news'>News</a></nav></header>"
        f"<main><article><h1>{escape(title)}</h1>{body}</article></main>"
        f"<aside>{furniture}</aside><footer>Copyright 2026 {escape(site)}</footer></body></html>"
    )


def story_page(slug: str) -> str:
    title, paragraphs = STORIES[slug]
    return article_html(title, paragraphs)


def rss(title: str, items: list[dict[str, str]], link: str = "http://example.invalid/") -> str:
    rendered = []
    for item in items:
        parts = [f"<title>{escape(item['title'])}</title>", f"<link>{escape(item['link'])}</link>",
                 f"<guid>{escape(item.get('guid', item['link']))}</guid>"]
        if "published" in item:
            parts.append(f"<pubDate>{item['published']}</pubDate>")
        if "author" in item:
            parts.append(f"<dc:creator>{escape(item['author'])}</dc:creator>")
        if "description" in item:
            parts.append(f"<description>{escape(item['description'])}</description>")
        if "content" in item:
            parts.append(f"<content:encoded><![CDATA[{item['content']}]]></content:encoded>")
        rendered.append("<item>" + "".join(parts) + "</item>")
    return (
        "<?xml version='1.0' encoding='utf-8'?>"
        "<rss version='2.0' xmlns:content='http://purl.org/rss/1.0/modules/content/' "
        "xmlns:dc='http://purl.org/dc/elements/1.1/'><channel>"
        f"<title>{escape(title)}</title><link>{escape(link)}</link><description>Test feed</description>"
        + "".join(rendered) + "</channel></rss>"
    )


def rss_item(base: str, slug: str, day: int = 1) -> dict[str, str]:
    title, paragraphs = STORIES[slug]
    when = format_datetime(datetime(2026, 3, day, 8, 0, tzinfo=UTC))
    return {
        "title": title, "link": f"{base}/story/{slug}.html", "published": when, "author": "Wire Desk",
        "description": paragraphs[0][:80] + "…",
        "content": "".join(f"<p>{escape(p)}</p>" for p in paragraphs),
    }


def atom(base: str, slugs: list[str], extra: str = "") -> str:
    entries = []
    for i, slug in enumerate(slugs):
        title, paragraphs = STORIES[slug]
        entries.append(
            f"<entry><title>{escape(title)}</title><link href='{base}/story/{slug}.html'/>"
            f"<id>urn:test:{slug}</id><updated>2026-03-0{i + 1}T10:00:00Z</updated>"
            f"<author><name>Desk {i}</name></author><summary>{escape(paragraphs[0][:90])}…</summary></entry>"
        )
    return (
        "<?xml version='1.0' encoding='utf-8'?><feed xmlns='http://www.w3.org/2005/Atom'>"
        f"<title>Valley Atom News</title><id>urn:test:feed</id><updated>2026-03-05T10:00:00Z</updated>"
        f"<link href='{base}/'/>" + "".join(entries) + extra + "</feed>"
    )


def const(make: Callable[[], web.StreamResponse]) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handler(_request: web.Request) -> web.StreamResponse:
        return make()

    return handler


def _raise(exc: Exception) -> web.StreamResponse:
    raise exc


@dataclass
class NewsServer:
    """`async with NewsServer() as site:` then `site.url("/article.html")`; state is mutable per test."""

    host: str = "127.0.0.1"
    poll_items: list[str] = field(default_factory=lambda: ["harbour", "wheat"])  # slugs served at /poll.xml
    broken: set[str] = field(default_factory=set)  # paths that answer 500 for now
    hits: Counter[str] = field(default_factory=Counter)
    pages: dict[str, str] = field(default_factory=dict)  # name -> HTML served at /page/{name}
    seen_headers: dict[str, dict[str, str]] = field(default_factory=dict)  # path -> headers of its last request
    encoded: dict[str, tuple[bytes, str, str]] = field(default_factory=dict)  # name -> (body, Content-Encoding, type) at /encoded/{name}
    feeds: dict[str, list[dict[str, str]]] = field(default_factory=dict)  # name -> rss_item-like dicts at /feeds/{name}.xml
    hold_once: dict[str, asyncio.Event] = field(default_factory=dict)  # path -> the first request to it waits for the event
    slow_seconds: float = 5.0
    port: int = 0
    _runner: web.AppRunner | None = None

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url(self, path: str) -> str:
        return self.base + path

    async def __aenter__(self) -> "NewsServer":
        app = web.Application()
        app.middlewares.append(self._count)
        r = app.router
        r.add_get("/article.html", const(lambda: self._html(story_page("harbour"))))
        r.add_get("/story/{slug}.html", self._story)
        r.add_get("/page/{name}", self._page)
        r.add_get("/encoded/{name}", self._encoded)
        r.add_get("/rss.xml", const(lambda: self._xml(rss("Wire Full Text", [rss_item(self.base, s, i + 1) for i, s in enumerate(["harbour", "wheat", "copper"])]), "application/rss+xml")))
        r.add_get("/atom.xml", self._atom)
        r.add_get("/poll.xml", self._poll)
        r.add_get("/feeds/{name}.xml", self._named_feed)
        r.add_get("/other.xml", const(lambda: self._xml(rss("Other Feed", [rss_item(self.base, "library", 4)]))))
        r.add_get("/malformed.xml", const(lambda: self._xml("<?xml version='1.0'?><rss version='2.0'><channel><title>Broken</title><item><title>Half")))
        r.add_get("/not-a-feed.xml", const(lambda: self._xml("<?xml version='1.0'?><catalog><book id='1'>Dune</book></catalog>")))
        r.add_get("/huge.xml", const(lambda: self._xml(rss("Huge", [rss_item(self.base, "wheat", 1) | {"guid": f"g{i}"} for i in range(400)]))))
        r.add_get("/huge-stream.xml", self._huge_stream)
        r.add_get("/500", const(lambda: web.Response(status=500, text="boom")))
        r.add_get("/slow", self._slow)
        r.add_get("/login.html", const(lambda: self._html(LOGIN_PAGE)))
        r.add_get("/cp1252.html", self._cp1252)
        r.add_get("/garbage.html", self._garbage)
        r.add_get("/stray-bytes.html", self._stray_bytes)
        r.add_get("/etag.xml", self._etag)
        r.add_get("/redirect", self._redirect)
        r.add_get("/redirect-loop", const(lambda: _raise(web.HTTPFound("/redirect-loop"))))
        r.add_get("/image.png", const(lambda: web.Response(body=b"\x89PNG\r\n\x1a\n" + bytes(300), content_type="image/png")))
        self._runner = web.AppRunner(app, shutdown_timeout=0.2, handler_cancellation=True, access_log=None)
        self.port = await serve_on_loopback(self._runner, self.host)
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @web.middleware
    async def _count(self, request: web.Request, handler):  # type: ignore[no-untyped-def]
        self.hits[request.path] += 1
        self.seen_headers[request.path] = dict(request.headers)
        gate = self.hold_once.pop(request.path, None)
        if gate is not None:
            await gate.wait()
        if request.path in self.broken:
            return web.Response(status=500, text="temporarily broken")
        return await handler(request)

    @staticmethod
    def _html(text: str) -> web.Response:
        return web.Response(text=text, content_type="text/html")

    @staticmethod
    def _xml(text: str, ctype: str = "application/xml") -> web.Response:
        return web.Response(text=text, content_type=ctype)

    async def _story(self, request: web.Request) -> web.Response:
        slug = request.match_info["slug"]
        if slug not in STORIES:
            raise web.HTTPNotFound()
        return self._html(story_page(slug))

    async def _page(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in self.pages:
            raise web.HTTPNotFound()
        return self._html(self.pages[name])

    async def _encoded(self, request: web.Request) -> web.Response:
        # Bytes sent as they are, compressed by the test, with the Content-Encoding it names.
        name = request.match_info["name"]
        if name not in self.encoded:
            raise web.HTTPNotFound()
        body, encoding, ctype = self.encoded[name]
        return web.Response(body=body, headers={"Content-Encoding": encoding, "Content-Type": ctype})

    async def _atom(self, request: web.Request) -> web.Response:
        # Two summaries whose pages exist, one whose page is gone (its summary is used instead).
        gone = (
            "<entry><title>Ferry timetable changes</title><link href='" + self.base + "/story/gone.html'/>"
            "<id>urn:test:gone</id><updated>2026-03-04T10:00:00Z</updated>"
            "<summary>The island ferry will sail twice an hour on weekday mornings from June, the operator "
            "said, after commuters petitioned for more crossings.</summary></entry>"
        )
        return self._xml(atom(self.base, ["rail", "library"], gone), "application/atom+xml")

    async def _poll(self, request: web.Request) -> web.Response:
        items = [rss_item(self.base, slug, i + 1) for i, slug in enumerate(self.poll_items)]
        return self._xml(rss("Polled Wire", items), "application/rss+xml")

    async def _named_feed(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in self.feeds:
            raise web.HTTPNotFound()
        return self._xml(rss(f"Feed {name}", list(self.feeds[name])), "application/rss+xml")

    async def _huge_stream(self, request: web.Request) -> web.StreamResponse:
        # No Content-Length: the limit must hold while streaming.
        resp = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        await resp.prepare(request)
        await resp.write(b"<?xml version='1.0'?><rss version='2.0'><channel><title>Endless</title>")
        for _ in range(200):
            await resp.write(b"<item><title>x</title><description>" + b"y" * 4000 + b"</description></item>")
        await resp.write_eof()
        return resp

    async def _slow(self, request: web.Request) -> web.Response:
        await asyncio.sleep(self.slow_seconds)
        return self._html(story_page("bees"))

    async def _cp1252(self, request: web.Request) -> web.Response:
        page = article_html(WINDOWS_1252_TITLE, WINDOWS_1252_BODY, site="Alpine Post").replace("<meta charset='utf-8'>", "")
        return web.Response(body=page.encode("windows-1252"), headers={"Content-Type": "text/html; charset=windows-1252"})

    async def _garbage(self, request: web.Request) -> web.Response:
        noise = bytes((i * 167 + 13) % 256 for i in range(6000))
        return web.Response(body=b"<html><body>" + noise + b"</body></html>", headers={"Content-Type": "text/html"})

    async def _stray_bytes(self, request: web.Request) -> web.Response:
        # Latin-1 text with no charset anywhere: must be recognised, not refused.
        page = article_html(WINDOWS_1252_TITLE, WINDOWS_1252_BODY[:2] * 2, site="Alpine Post").replace("<meta charset='utf-8'>", "")
        return web.Response(body=page.encode("latin-1", errors="replace"), headers={"Content-Type": "text/html"})

    async def _etag(self, request: web.Request) -> web.Response:
        etag, modified = '"v1"', "Tue, 10 Mar 2026 09:30:00 GMT"
        if request.headers.get("If-None-Match") == etag or request.headers.get("If-Modified-Since") == modified:
            return web.Response(status=304, headers={"ETag": etag, "Last-Modified": modified})
        body = rss("Conditional Feed", [rss_item(self.base, "bees", 2)])
        return web.Response(text=body, content_type="application/rss+xml", headers={"ETag": etag, "Last-Modified": modified})

    async def _redirect(self, request: web.Request) -> web.Response:
        raise web.HTTPFound(request.query.get("to", "/article.html"))


@pytest.fixture
async def site() -> AsyncIterator[NewsServer]:
    """Import into a test module (`from tests.newsserver import site`) to get a running NewsServer."""
    async with NewsServer() as server:
        yield server
