"""Controls admins expect from a feed bot: a feed's own channel, include/exclude filters and `feed test`,
through the paths people use (the CLI in process, the console, discord.py against the local Discord)."""

from __future__ import annotations

import io
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import App
from bot.errors import UserError
from bot.text.filters import Filters, parse_terms
from bot.timeutil import ManualClock
from bot.transport.console import Console
from tests.cli_runner import abriefbot
from tests.discord_helpers import running_bot
from tests.fakediscord import FakeDiscord
from tests.newsserver import STORIES, NewsServer, site  # noqa: F401  (fixture)

EPHEMERAL = 64
PRIVATE = {"BRIEFBOT_ALLOW_PRIVATE_URLS": "1"}


def _text(message: dict) -> str:
    parts = [message.get("content") or ""]
    for e in message.get("embeds") or []:
        parts += [e.get("title") or "", e.get("description") or "", (e.get("footer") or {}).get("text", "")]
    return "\n".join(parts)


# ---------------------------------------------------------------- the filter language


def test_filter_terms_words_phrases_fields_and_regular_expressions() -> None:
    f = Filters.parse('rate cut, title:fed, "oil, gas", /\\bECB\\b/', "sponsored, text:/casino|bet\\d+/")
    assert f.describe() == 'include rate cut, title:fed, "oil, gas", /\\bECB\\b/; exclude sponsored, text:/casino|bet\\d+/'
    assert Filters.from_json(f.to_json()) == f
    assert f.passes("Fed holds rates", "")  # title:fed
    assert not f.passes("Markets", "The fed up traders")  # title: only looks at the headline
    assert f.passes("Markets", "A RATE   CUT is expected")  # whole words, any case, any spacing
    assert not f.passes("Markets", "rate cuts")  # not a whole-word match
    assert f.passes("x", "the ECB said") and not f.passes("x", "ECBs")
    assert f.passes("Oil, gas prices", "") and not f.passes("Oil prices", "")
    assert not f.passes("Fed holds", "Sponsored content")  # excluded wins
    assert not f.passes("Fed holds", "visit bet365 now") and f.passes("Fed bet365", "nothing")  # text: only
    assert f.reason("Fed holds", "sponsored") == "excluded by sponsored"
    assert f.reason("Fed holds", "") == "included by title:fed"
    assert f.reason("Nothing", "here") == "matches no include term"
    assert not Filters.parse("none", "") and Filters.parse("", "") == Filters()


def test_a_slow_or_broken_regular_expression_is_refused_with_the_reason() -> None:
    for pattern in ("/(a|aa)+$/", "/(x+x+)+y/", "/(\\w+\\s?)+$/"):
        started = time.perf_counter()
        with pytest.raises(UserError, match="takes too long"):
            parse_terms(pattern)
        assert time.perf_counter() - started < 2  # refused by the time limit, not after the backtracking
    with pytest.raises(UserError, match="not a valid regular expression"):
        parse_terms("/(unclosed/")
    with pytest.raises(UserError, match="longer than 200"):
        parse_terms("/" + "a" * 201 + "/")
    with pytest.raises(UserError, match="Unclosed"):
        parse_terms('"open phrase')
    with pytest.raises(UserError, match="At most 20"):
        parse_terms(",".join(f"w{i}" for i in range(21)))


# ---------------------------------------------------------------- command line


async def test_cli_feed_channel_filters_and_test(site: NewsServer, tmp_path: Path) -> None:  # noqa: F811
    db = tmp_path / "cli.db"
    ran = await abriefbot("--collection", "guild:7", "feeds", "add", site.url("/rss.xml"), "--channel", "555", db=db, env=PRIVATE)
    assert ran.returncode == 0, ran.stderr
    assert "new items are announced in channel 555" in ran.stdout

    ran = await abriefbot("--collection", "guild:7", "feeds", "filter", "1", "--include", "title:copper, wheat",
                          "--exclude", "/kansas\\s+wheat/", db=db, env=PRIVATE)
    assert ran.returncode == 0, ran.stderr
    assert "include title:copper, wheat; exclude /kansas\\s+wheat/" in ran.stdout

    ran = await abriefbot("--collection", "guild:7", "feeds", "test", "1", db=db, env=PRIVATE)
    assert ran.returncode == 0, ran.stderr
    lines = ran.stdout.splitlines()
    assert "1 of the 3 most recent items would be posted:" in ran.stdout
    copper = next(line for line in lines if STORIES["copper"][0] in line)
    wheat = next(line for line in lines if STORIES["wheat"][0] in line)
    harbour = next(line for line in lines if STORIES["harbour"][0] in line)
    assert copper.strip().startswith("pass") and "included by title:copper" in copper
    assert wheat.strip().startswith("drop") and "excluded by /kansas\\s+wheat/" in wheat
    assert harbour.strip().startswith("drop") and "matches no include term" in harbour

    # Terms given to `test` are tried, not saved.
    ran = await abriefbot("--collection", "guild:7", "--json", "feeds", "test", "1", "--include", "harbour", db=db, env=PRIVATE)
    data = json.loads(ran.stdout)
    assert data["trial"] and [i["passes"] for i in data["items"]].count(True) == 1
    ran = await abriefbot("--collection", "guild:7", "feeds", "list", db=db, env=PRIVATE)
    assert "posts in channel 555" in ran.stdout and "include title:copper, wheat" in ran.stdout

    ran = await abriefbot("--collection", "guild:7", "feeds", "filter", "1", "--include", "/(a|aa)+$/", db=db, env=PRIVATE)
    assert ran.returncode == 2 and "takes too long" in ran.stderr
    ran = await abriefbot("--collection", "guild:7", "feeds", "filter", "1", "--include", "none", db=db, env=PRIVATE)
    assert ran.returncode == 0 and "no filters" in ran.stdout

    ran = await abriefbot("--collection", "guild:7", "feeds", "channel", "1", "#general", db=db, env=PRIVATE)
    assert ran.returncode == 2 and "not a channel id" in ran.stderr
    ran = await abriefbot("--collection", "guild:7", "feeds", "channel", "1", "none", db=db, env=PRIVATE)
    assert ran.returncode == 0 and "no longer posts on its own" in ran.stdout
    ran = await abriefbot("--collection", "guild:7", "feeds", "list", db=db, env=PRIVATE)
    assert "posts in" not in ran.stdout
    ran = await abriefbot("--collection", "guild:7", "feeds", "channel", "1", "556", db=db, env=PRIVATE)
    assert ran.returncode == 0 and "now posts its new items in channel 556" in ran.stdout


# ---------------------------------------------------------------- console


async def test_console_feed_posts_its_filtered_items_in_the_console(settings, db, site: NewsServer) -> None:  # noqa: F811
    clock = ManualClock(datetime.now(UTC))
    app = App(settings, db, None, clock)
    out = io.StringIO()
    console = Console(app, stdin=io.StringIO(""), stdout=out, background=False)
    cid = await db.collection_id("default")
    await console.handle(f"/feed add {site.url('/poll.xml')} 5", cid)
    assert "Its new items are announced in this console." in out.getvalue()
    await console.handle('/feed filter 1 exclude="title:beekeepers, /\\bcopper\\b/"', cid)
    assert "exclude title:beekeepers, /\\bcopper\\b/" in out.getvalue()

    site.poll_items += ["copper", "bees", "rail"]
    clock.advance(minutes=6)
    report = await console.scheduler.tick()
    assert report.new_articles == 3 and len(report.sent) == 1, report
    printed = out.getvalue().split("── New items ──", 1)[1]
    assert STORIES["rail"][0] in printed
    assert STORIES["copper"][0] not in printed and STORIES["bees"][0] not in printed

    await console.handle("/feed test 1", cid)
    tail = out.getvalue().rsplit("Feed 1 (Polled Wire), its filters", 1)[1]
    assert "3 of the 5 most recent items would be posted" in tail
    await console.handle("/feed filter 1 include=/(a|aa)+$/", cid)
    assert "takes too long" in out.getvalue().rsplit("\n", 2)[-2]

    await console.handle('/briefing subscribe time=off alerts=on exclude="title:harbour traffic" color=red footer=Desk notes', cid)
    said = out.getvalue().rsplit("Subscribed this console.", 1)[1]
    assert "filters: exclude title:harbour traffic" in said and "colour #d93f3f" in said and "footer “Desk notes”" in said
    await console.handle("/briefing subscribe time=off color=#12345", cid)
    assert "is not a colour" in out.getvalue().rsplit("\n", 2)[-2]


# ---------------------------------------------------------------- Discord


async def test_discord_feed_posts_in_its_channel_beside_a_topic_subscription(settings, site: NewsServer) -> None:  # noqa: F811
    clock = ManualClock(datetime.now(UTC))
    async with FakeDiscord() as fake:
        guild = fake.add_guild()
        news = fake.add_channel(guild, "news")
        markets = fake.add_channel(guild, "markets")
        admin = fake.add_member(guild, "admin", manage_guild=True)
        reader = fake.add_member(guild, "reader")
        async with running_bot(fake, settings, clock=clock) as bot:
            inter = await fake.invoke_slash(guild, news, reader, "feed filter", {"feed": "1", "exclude": "x"})
            assert "Manage Server" in (await inter.wait_response())["data"]["content"]

            inter = await fake.invoke_slash(guild, news, admin, "feed add",
                                            {"url": site.url("/poll.xml"), "interval": 5, "channel": markets.id})
            await inter.wait_response()
            added = await fake.wait_for_message(news, lambda m: "Following" in (m["content"] or ""))
            assert "Its new items are announced in #markets." in added["content"]
            inter = await fake.invoke_slash(guild, news, admin, "feed filter", {"feed": "1", "exclude": "title:wheat"})
            body = await inter.wait_response()
            assert "exclude title:wheat" in body["data"]["content"] and body["data"]["flags"] & EPHEMERAL
            inter = await fake.invoke_slash(guild, news, admin, "feed filter", {"feed": "1", "include": "/(a|aa)+$/"})
            assert "takes too long" in (await inter.wait_response())["data"]["content"]
            # #news follows a topic; #markets gets everything the feed's filters pass.
            inter = await fake.invoke_slash(guild, news, admin, "briefing subscribe",
                                            {"time": "off", "alerts": True, "topics": "copper"})
            await inter.wait_response()

            site.poll_items += ["copper", "library"]
            clock.advance(minutes=6)
            report = await bot.scheduler.tick()
            assert report.new_articles == 2 and len(report.sent) == 2, report
            in_markets = [_text(m) for m in fake.messages(markets)]
            in_news = [_text(m) for m in fake.messages(news) if m.get("embeds")]
            assert len(in_markets) == 1 and STORIES["copper"][0] in in_markets[0] and STORIES["library"][0] in in_markets[0]
            assert len(in_news) == 1 and STORIES["copper"][0] in in_news[0] and STORIES["library"][0] not in in_news[0]

            inter = await fake.invoke_slash(guild, news, reader, "feed test", {"feed": "1"})
            body = await inter.wait_response()
            tested = body["data"]["content"]
            assert "3 of the 4 most recent items would be posted" in tested
            assert "drop  " in tested and "excluded by title:wheat" in tested
            listed = await fake.invoke_slash(guild, news, reader, "feed list", {})
            assert "posts in #markets" in (await listed.wait_response())["data"]["content"]

            # Stopped: the next item reaches #news only (it is about copper), #markets gets nothing more.
            inter = await fake.invoke_slash(guild, news, admin, "feed channel", {"feed": "1"})
            assert "no longer posts on its own" in (await inter.wait_response())["data"]["content"]
            site.poll_items.append("bees")
            clock.advance(minutes=6)
            await bot.scheduler.tick()
            assert len(fake.messages(markets)) == 1
            inter = await fake.invoke_slash(guild, news, admin, "feed channel", {"feed": "1", "channel": markets.id})
            assert "now posts its new items in #markets" in (await inter.wait_response())["data"]["content"]
            site.poll_items.append("rail")
            clock.advance(minutes=6)
            await bot.scheduler.tick()
            assert len(fake.messages(markets)) == 2 and STORIES["rail"][0] in _text(fake.messages(markets)[-1])


# ---------------------------------------------------------------- OPML


def _opml(*outlines: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?><opml version="2.0"><head><title>Mine</title></head><body>'
        + "".join(outlines) + "</body></opml>"
    )


async def test_cli_opml_import_reports_each_feed_and_export_reads_back(site: NewsServer, tmp_path: Path) -> None:  # noqa: F811
    db = tmp_path / "opml.db"
    listing = tmp_path / "feeds.opml"
    listing.write_text(_opml(
        f'<outline text="News"><outline type="rss" text="Wire" xmlUrl="{site.url("/rss.xml")}"/>'
        f'<outline type="rss" text="Atom" xmlUrl="{site.url("/atom.xml")}"/></outline>',
        f'<outline type="rss" text="Page" xmlUrl="{site.url("/article.html")}"/>',
        f'<outline type="rss" text="Down" xmlUrl="{site.url("/500")}"/>',
        '<outline type="rss" text="FTP" xmlUrl="ftp://example.org/feed.xml"/>',
        f'<outline type="rss" text="Again" xmlUrl="{site.url("/rss.xml")}"/>',
    ))
    ran = await abriefbot("feeds", "import", str(listing), db=db, env=PRIVATE)
    assert ran.returncode == 1, ran.stderr  # some failed
    out = ran.stdout
    assert "Imported 2 of the 5 feeds in feeds.opml; 3 failed." in out
    assert f"added   Wire Full Text <{site.url('/rss.xml')}>: 3 articles" in out
    assert f"added   Valley Atom News <{site.url('/atom.xml')}>" in out
    assert f"failed  <{site.url('/article.html')}>: " in out and "not an RSS or Atom feed" in out
    assert f"failed  <{site.url('/500')}>: " in out and "500" in out
    assert "failed  <ftp://example.org/feed.xml>: refused: only http:// and https://" in out

    ran = await abriefbot("feeds", "import", str(listing), db=db, env=PRIVATE)
    assert "(2 already followed)" in ran.stdout  # a second import adds nothing twice

    ran = await abriefbot("feeds", "export", db=db, env=PRIVATE)
    assert ran.returncode == 0
    from bot.ingest.opml import parse_opml

    assert [f.url for f in parse_opml(ran.stdout)] == [site.url("/rss.xml"), site.url("/atom.xml")]
    assert 'title="Wire Full Text"' in ran.stdout


async def test_opml_feeds_pass_the_ssrf_guard_and_bad_files_are_refused(tmp_path: Path) -> None:
    db = tmp_path / "guard.db"
    listing = tmp_path / "private.opml"
    listing.write_text(_opml(
        '<outline xmlUrl="http://127.0.0.1:9/feed.xml"/>', '<outline xmlUrl="http://169.254.169.254/latest/meta-data"/>'
    ))
    ran = await abriefbot("feeds", "import", str(listing), db=db)
    assert ran.returncode == 1
    assert "failed  <http://127.0.0.1:9/feed.xml>: refused: 127.0.0.1 is a loopback address" in ran.stdout
    assert "169.254.169.254 is a link-local address" in ran.stdout
    assert "allow_private_urls" in ran.stdout  # the refusal says how an operator allows private addresses

    bad = {
        "broken.opml": ("<opml><body><outline xmlUrl='x'", "not valid OPML: the XML is malformed at line 1"),
        "rss.opml": ("<rss><channel/></rss>", "not OPML: its root element is <rss>"),
        "empty.opml": (_opml('<outline text="folder only"/>'), "lists no feeds"),
        "bomb.opml": ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><opml><body/></opml>', "DOCTYPE or entities"),
    }
    for name, (text, message) in bad.items():
        (tmp_path / name).write_text(text)
        ran = await abriefbot("feeds", "import", str(tmp_path / name), db=db)
        assert ran.returncode == 2 and message in ran.stderr and name in ran.stderr, (name, ran.stderr)
    ran = await abriefbot("feeds", "import", str(tmp_path / "missing.opml"), db=db)
    assert ran.returncode == 2 and "Cannot read" in ran.stderr
    ran = await abriefbot("feeds", "list", "--json", db=db)
    assert json.loads(ran.stdout) == []  # nothing half-added


async def test_discord_feed_import_with_an_attached_file(settings, site: NewsServer) -> None:  # noqa: F811
    async with FakeDiscord() as fake:
        guild = fake.add_guild()
        news = fake.add_channel(guild, "news")
        admin = fake.add_member(guild, "admin", manage_guild=True)
        reader = fake.add_member(guild, "reader")
        listing = _opml(f'<outline xmlUrl="{site.url("/rss.xml")}"/>', f'<outline xmlUrl="{site.url("/500")}"/>')
        async with running_bot(fake, settings) as bot:
            inter = await fake.invoke_slash(guild, news, reader, "feed import", {"file": ("f.opml", listing.encode())})
            assert "Manage Server" in (await inter.wait_response())["data"]["content"]
            inter = await fake.invoke_slash(guild, news, admin, "feed import", {"file": ("mine.opml", listing.encode())})
            await inter.wait_response()
            msg = await fake.wait_for_message(news, lambda m: "Imported" in (m["content"] or ""))
            assert "Imported 1 of the 2 feeds in mine.opml; 1 failed." in msg["content"]
            assert "Wire Full Text" in msg["content"] and "500" in msg["content"]
            assert "Their new items are announced in #news." in msg["content"]
            inter = await fake.invoke_slash(guild, news, admin, "feed import", {"file": ("bad.opml", b"<opml><body>")})
            await inter.wait_response()
            msg = await fake.wait_for_message(news, lambda m: "not valid OPML" in (m["content"] or ""))
            feeds = await bot.app.feeds.followed(await bot.app.collection_id(f"guild:{guild.id}"))
            inter = await fake.invoke_slash(guild, news, reader, "feed export", {})
            await inter.wait_response()
            exported = await fake.wait_for_message(news, lambda m: "as OPML" in (m["content"] or ""))
        assert [f.url for f in feeds] == [site.url("/rss.xml")]
        from bot.ingest.opml import parse_opml

        [attached] = exported["attachments"]
        assert attached["filename"] == "briefbot-feeds.opml"
        assert [f.url for f in parse_opml(fake._attachments[int(attached["id"])])] == [site.url("/rss.xml")]


# ---------------------------------------------------------------- posts people like to read


class PictureSite:
    """A feed whose items carry pictures: a media:thumbnail, an og:image on the item's page, a bad scheme."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self.port = 0
        self._runner = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def __aenter__(self) -> "PictureSite":
        from aiohttp import web

        from tests.loopback import serve_on_loopback

        app = web.Application()
        app.router.add_get("/feed.xml", self._feed)
        app.router.add_get("/story/{slug}.html", self._page)
        self._runner = web.AppRunner(app, access_log=None)
        self.port = await serve_on_loopback(self._runner)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._runner.cleanup()

    async def _feed(self, request):  # type: ignore[no-untyped-def]
        from email.utils import format_datetime
        from html import escape

        from aiohttp import web

        now = format_datetime(datetime.now(UTC))
        media = {
            "copper": f"<media:thumbnail url='{self.url('/img/copper.jpg')}'/>",
            "bees": "<media:thumbnail url='ftp://example.org/bees.jpg'/>",
        }
        items = "".join(
            f"<item><title>{escape(STORIES[s][0])}</title><link>{self.url('/story/' + s + '.html')}</link>"
            f"<guid>{s}</guid><pubDate>{now}</pubDate><description>{escape(STORIES[s][1][0][:60])}</description>"
            f"{media.get(s, '')}</item>"
            for s in self.items
        )
        xml = ("<?xml version='1.0'?><rss version='2.0' xmlns:media='http://search.yahoo.com/mrss/'><channel>"
               f"<title>Picture Wire</title><link>{self.url('/')}</link>{items}</channel></rss>")
        return web.Response(text=xml, content_type="application/rss+xml")

    async def _page(self, request):  # type: ignore[no-untyped-def]
        from aiohttp import web

        from tests.newsserver import article_html

        slug = request.match_info["slug"]
        html = article_html(*STORIES[slug])
        if slug == "rail":
            html = html.replace("</head>", "<meta property='og:image' content='/img/rail.png'></head>")
        return web.Response(text=html, content_type="text/html")


async def test_discord_alert_links_headlines_shows_a_thumbnail_in_the_channel_colour_and_footer(settings) -> None:
    clock = ManualClock(datetime.now(UTC))
    async with FakeDiscord() as fake, PictureSite() as pics:
        guild = fake.add_guild()
        news = fake.add_channel(guild, "news")
        admin = fake.add_member(guild, "admin", manage_guild=True)
        async with running_bot(fake, settings, clock=clock) as bot:
            inter = await fake.invoke_slash(guild, news, admin, "briefing subscribe", {
                "time": "off", "alerts": True, "color": "#ff8800", "footer": "Markets desk @everyone",
                "exclude": "title:library",
            })
            body = await inter.wait_response()
            assert "colour #ff8800" in body["data"]["content"] and "footer “Markets desk" in body["data"]["content"]
            inter = await fake.invoke_slash(guild, news, admin, "briefing subscribe", {"time": "off", "color": "mauve"})
            assert "is not a colour" in (await inter.wait_response())["data"]["content"]
            inter = await fake.invoke_slash(guild, news, admin, "feed add", {"url": pics.url("/feed.xml"), "interval": 5})
            await inter.wait_response()
            await fake.wait_for_message(news, lambda m: "Following" in (m["content"] or ""))

            for slug in ("copper", "rail", "bees", "library"):  # one at a time: one alert each
                pics.items.append(slug)
                clock.advance(minutes=6)
                await bot.scheduler.tick()
            alerts = [m for m in fake.messages(news) if m.get("embeds")]
            inter = await fake.invoke_slash(guild, news, admin, "briefing now", {"since": "2 days"})
            await inter.wait_response()
            asked = await fake.wait_for_message(news, lambda m: "Briefing —" in _text(m) and bool(m.get("embeds")))
            assert asked["embeds"][0]["color"] == 0xFF8800 and asked["embeds"][-1]["footer"]["text"].startswith("Markets desk")
            by_story = {slug: [m for m in alerts if STORIES[slug][0] in _text(m)] for slug in ("copper", "rail", "bees", "library")}
        assert [len(v) for v in by_story.values()] == [1, 1, 1, 0]  # the subscription's exclude filter holds
        copper, rail, bees = by_story["copper"][0]["embeds"][0], by_story["rail"][0]["embeds"][0], by_story["bees"][0]["embeds"][0]
        assert copper["thumbnail"]["url"] == pics.url("/img/copper.jpg")  # the feed's media
        assert rail["thumbnail"]["url"] == pics.url("/img/rail.png")  # the page's og:image, made absolute
        assert "thumbnail" not in bees  # an ftp:// picture is never passed on
        for embed in (copper, rail, bees):
            assert embed["color"] == 0xFF8800
            assert embed["footer"]["text"].startswith("Markets desk @\u200beveryone · ")
        link = pics.url("/story/copper.html")
        assert f"**1. [{STORIES['copper'][0]}]({link})**" in copper["description"]


def test_rendered_posts_stay_within_discord_limits_with_long_looks() -> None:
    from bot.briefing.models import Briefing, Story, StoryCitation
    from bot.briefing.render import (
        DESCRIPTION_LIMIT, EMBEDS_LIMIT, FOOTER_LIMIT, TITLE_LIMIT, TOTAL_LIMIT, embed_length, render_embeds,
    )

    stories = [
        Story(
            key=f"s{i}", title=("Headline " * 40).strip(), summary="word " * 300,
            citations=[StoryCitation(n, i * 10 + n, "T", "https://example.org/" + "p" * 250 + str(n), "Source", None)
                       for n in range(1, 8)],
            article_ids=[i], sources=["Source"], first_seen="", last_seen="", score=1.0,
            image_url="https://example.org/" + "i" * 3000 if i % 2 else "https://example.org/pic.png",
        )
        for i in range(40)
    ]
    briefing = Briefing(kind="daily", heading="Daily briefing " * 30, stories=stories, article_count=40, source_count=40,
                        mode="extractive", usage={}, window_start="", window_end="", empty=False, note="n " * 1500)
    embeds = render_embeds(briefing, color=0x123456, footer_line="F" * 5000)
    assert 1 <= len(embeds) <= EMBEDS_LIMIT and sum(embed_length(e) for e in embeds) <= TOTAL_LIMIT
    for e in embeds:
        assert len(e.get("title", "")) <= TITLE_LIMIT and len(e.get("description", "")) <= DESCRIPTION_LIMIT
        assert len((e.get("footer") or {}).get("text", "")) <= FOOTER_LIMIT and e["color"] == 0x123456
        assert len((e.get("thumbnail") or {}).get("url", "")) <= 2048
    assert embeds[0]["thumbnail"]["url"] == "https://example.org/pic.png"  # the over-long URL was skipped


def test_a_pattern_that_times_out_on_an_item_counts_as_no_match_from_then_on(caplog) -> None:
    from bot.text import filters as filters_module

    # Fast on the probe texts, slow on this item: the time limit holds, then the pattern is skipped.
    term = filters_module.Term("(x+x+)+y", "text", True)
    filters_module._SLOW.discard(term.pattern)
    item = "x" * 5000
    started = time.perf_counter()
    assert not term.matches("", item)
    first = time.perf_counter() - started
    started = time.perf_counter()
    for _ in range(50):
        assert not term.matches("", item)
    assert first < 1 and time.perf_counter() - started < 0.05
    assert "matches nothing from now on" in caplog.text
    filters_module._SLOW.discard(term.pattern)


async def test_a_picture_url_passes_the_scheme_and_address_check(settings) -> None:
    from bot.ingest.models import RawArticle
    from bot.ingest.web import guard_image

    settings.ingest.allow_private_urls = False
    cases = {
        "https://93.184.215.14/pic.jpg": "https://93.184.215.14/pic.jpg",  # a public address literal stays
        "/img/a.png": "https://93.184.215.14/img/a.png",  # relative: made absolute against the page
        "http://127.0.0.1/pic.jpg": None,  # loopback
        "http://169.254.169.254/latest": None,  # cloud metadata
        "javascript:alert(1)": None,
        "ftp://93.184.215.14/pic.jpg": None,
        "https://93.184.215.14/" + "p" * 2100: None,  # over Discord's URL limit
    }
    for given, kept in cases.items():
        raw = RawArticle(title="t", body="b", url="https://93.184.215.14/story", meta={"image_url": given})
        assert (await guard_image(raw, settings)).meta.get("image_url") == kept, given
