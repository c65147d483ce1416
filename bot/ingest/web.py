"""Article and feed URLs, fetched through the SSRF guard (bot.ingest.fetch).

A response is a feed when its content type says so or its first bytes are an
RSS, RDF or Atom root; anything else must be an HTML page that holds an
article. Feeds are parsed from the fetched bytes (feedparser never fetches).
A feed item carries its own text when it has enough of it; an item with only a
short summary has its page fetched (through the guard) and extracted, and
falls back to the summary, saying so in `meta`, when that fails.
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import re
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urljoin

import feedparser

from bot.config import Settings
from bot.ingest.dates import from_utc_struct, parse_date
from bot.ingest.extract import NotAnArticle, extract_html
from bot.ingest.fetch import Fetcher, FetchError, FetchResponse, check_url
from bot.ingest.models import IngestResult, RawArticle
from bot.ingest.normalise import pick_title
from bot.ingest.textfile import parse_text_article
from bot.text.sentences import split_sentences

FEED_TYPES = {
    "application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/x-rss+xml",
    "application/xml", "text/xml", "application/feed+xml",
}
HTML_TYPES = {"text/html", "application/xhtml+xml"}
MIN_FULL_TEXT_CHARS = 600  # an item with less text than this only summarises its page
MIN_SUMMARY_WORDS = 12  # a summary this long is stored on its own (when its page gives nothing better)...
MIN_PROSE_SENTENCES, MIN_PROSE_WORDS = 2, 6  # ...and so is a shorter item of a few whole sentences
ITEM_FETCH_CONCURRENCY = 4
MAX_IMAGE_URL = 2048  # Discord's limit for an embed's URLs

_FEED_ROOT = re.compile(rb"<(?:rss|feed|rdf:rdf)[\s>]", re.I)
_HTML_ROOT = re.compile(rb"<(?:!doctype\s+html|html)[\s>]", re.I)
_BLOCK_TAG = re.compile(r"(?i)</?(?:p|div|br|li|ul|ol|h[1-6]|blockquote|tr|table|section|article|figure|pre)\b[^>]*>")
_ANY_TAG = re.compile(r"<[^>]+>")
_BLANK_RUN = re.compile(r"\n\s*\n+")


class FeedError(ValueError):
    """The bytes are not a usable RSS or Atom feed; str() says why."""


@dataclass
class FeedItem:
    key: str  # stable id of the item within its feed (guid, else link, else a hash)
    title: str
    link: str | None
    published: datetime | None
    author: str | None
    content: str  # full text the item carries (may be empty)
    summary: str  # its summary or description, as text
    image: str | None = None  # its media:thumbnail, image media:content or image enclosure


@dataclass
class ParsedFeed:
    url: str
    title: str
    link: str | None
    items: list[FeedItem] = field(default_factory=list)
    empty_entries: list[int] = field(default_factory=list)  # 1-based positions of entries with no title, text or link


def failed(origin: str, reason: str) -> IngestResult:
    return IngestResult(origin, "failed", reason=reason)


def html_to_text(fragment: str) -> str:
    """Paragraph text of an HTML fragment (feed content is small and already sanitised by feedparser)."""
    text = _BLOCK_TAG.sub("\n\n", fragment)
    text = html.unescape(_ANY_TAG.sub("", text)).replace("\xa0", " ")
    paragraphs = (" ".join(p.split()) for p in _BLANK_RUN.split(text))
    return "\n\n".join(p for p in paragraphs if p)


def looks_like_feed(resp: FetchResponse) -> bool:
    """By content type first, then by the document's root element."""
    ctype = resp.content_type
    head = resp.body[:2048].lstrip(b"\xef\xbb\xbf \t\r\n")
    if ctype in FEED_TYPES or ctype.endswith(("+xml", "/xml")):
        return True
    return bool(_FEED_ROOT.search(head)) and not _HTML_ROOT.search(head)


def _when(entry: Any) -> datetime | None:
    # dict.get, not the entry's own: feedparser maps a missing "updated" to "published" with a DeprecationWarning
    get = dict.get if isinstance(entry, dict) else type(entry).get
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = get(entry, key)
        when = from_utc_struct(value) if value else None
        if when is not None:
            return when
    return parse_date(get(entry, "published") or get(entry, "updated"))


def _entry_image(entry: Any) -> str | None:
    """The item's picture: media:thumbnail, an image media:content, or an image enclosure (the first found)."""
    for thumb in entry.get("media_thumbnail") or []:
        if isinstance(thumb, dict) and thumb.get("url"):
            return str(thumb["url"])
    for media in entry.get("media_content") or []:
        if isinstance(media, dict) and media.get("url") and (
            media.get("medium") == "image" or str(media.get("type") or "").startswith("image/")
        ):
            return str(media["url"])
    for link in entry.get("links") or []:
        if isinstance(link, dict) and link.get("rel") == "enclosure" and str(link.get("type") or "").startswith("image/"):
            if link.get("href"):
                return str(link["href"])
    return None


async def guard_image(article: RawArticle, settings: Settings) -> RawArticle:
    """Keep the article's picture URL (meta image_url) only when it passes the scheme and address checks:
    Discord fetches it, never we, but a link to a private address or a non-web scheme is not passed on."""
    url = article.meta.get("image_url")
    if not url:
        return article
    url = urljoin(article.url or "", str(url).strip())
    try:
        if len(url) > MAX_IMAGE_URL or any(ch in url for ch in " <>()\n"):
            raise FetchError(url, "not a usable picture URL")
        await check_url(url, settings)
    except FetchError:
        article.meta.pop("image_url", None)
        return article
    article.meta["image_url"] = url
    return article


def _entry_item(entry: Any) -> FeedItem | None:
    contents = [c.get("value", "") for c in entry.get("content") or [] if isinstance(c, dict)]
    content = max((html_to_text(c) for c in contents), key=len, default="")
    summary = html_to_text(entry.get("summary") or "")
    link = entry.get("link") or None
    title = " ".join(html_to_text(entry.get("title") or "").split())
    if not (title or content or summary):
        return None
    key = entry.get("id") or link or hashlib.sha1(f"{title}\n{summary}".encode()).hexdigest()
    return FeedItem(
        key=str(key),
        title=title,
        link=link,
        published=_when(entry),
        author=entry.get("author") or None,
        content=content,
        summary=summary if summary != content else "",
        image=_entry_image(entry),
    )


def parse_feed(resp: FetchResponse) -> ParsedFeed:
    """The feed's title and items, from the fetched bytes; FeedError when it is not a feed or is broken."""
    parsed = feedparser.parse(
        resp.body,
        response_headers={"content-location": resp.final_url, "content-type": resp.headers.get("Content-Type", "application/xml")},
    )
    entries = [(n, _entry_item(entry)) for n, entry in enumerate(parsed.entries, 1)]
    items = [item for _, item in entries if item is not None]
    empty = [n for n, item in entries if item is None]
    if not items:
        problem = parsed.get("bozo_exception") if parsed.get("bozo") else None
        detail = f" ({problem.getMessage() if hasattr(problem, 'getMessage') else problem})" if problem else ""
        if not parsed.get("version") and not _FEED_ROOT.search(resp.body[:2048]):
            raise FeedError(f"this is not an RSS or Atom feed{detail}")
        if problem is not None:
            raise FeedError(f"the feed is malformed and has no readable items{detail}")
    meta = parsed.get("feed", {})
    title = " ".join(html_to_text(meta.get("title") or "").split()) or resp.final_url
    return ParsedFeed(url=resp.url, title=title, link=meta.get("link") or None, items=items, empty_entries=empty)


def page_article(resp: FetchResponse, origin: str) -> RawArticle:
    """The article of a fetched page; raises NotAnArticle or FetchError with the reason."""
    ctype = resp.content_type
    head = resp.body[:2048]
    if ctype == "text/plain":
        return parse_text_article(resp.text(), origin)
    if ctype not in HTML_TYPES and not (ctype in ("", "application/octet-stream") and _HTML_ROOT.search(head)):
        raise NotAnArticle(f"the URL gives {ctype or 'an unknown type'}, not an HTML page or a feed")
    article = extract_html(resp.text(), resp.final_url, origin)
    if not article.url:
        article.url = resp.final_url
    return article


def _item_origin(feed: ParsedFeed, item: FeedItem) -> str:
    return item.link or f"{feed.url}#{item.key}"


def _from_text(feed: ParsedFeed, item: FeedItem, body: str, meta: dict[str, Any]) -> RawArticle:
    return RawArticle(
        title=item.title or body.split("\n", 1)[0][:120],
        body=body,
        url=item.link,
        source=feed.title,
        author=item.author,
        published=item.published,
        meta={"feed_url": feed.url, "feed_item_id": item.key, "source_from": "feed", **meta}
        | ({"image_url": item.image} if item.image else {}),
        origin=_item_origin(feed, item),
    )


def enough_prose(text: str) -> bool:
    """Whether an item's own text is worth storing: a summary of some length, or a few whole sentences
    ("The council voted to repair the bridge. Work starts in June.") — not a bare teaser line."""
    words = text.split()
    if len(words) >= MIN_SUMMARY_WORDS:
        return True
    sentences = [s for s in split_sentences(text) if len(s.split()) >= 2 and s.rstrip()[-1:] in ".!?\"”’"]
    return len(sentences) >= MIN_PROSE_SENTENCES and len(words) >= MIN_PROSE_WORDS


def _too_short(text: str) -> str:
    n = len(text.split())
    return f"the item's own text is too short to store ({n} word{'' if n == 1 else 's'})"


async def item_article(feed: ParsedFeed, item: FeedItem, fetcher: Fetcher) -> RawArticle | IngestResult:
    """One feed item as an article (its picture URL checked, see guard_image)."""
    result = await _item_article(feed, item, fetcher)
    return await guard_image(result, fetcher.settings) if isinstance(result, RawArticle) else result


async def _item_article(feed: ParsedFeed, item: FeedItem, fetcher: Fetcher) -> RawArticle | IngestResult:
    """One feed item as an article: its own text, else its page, else its summary (said in meta)."""
    origin = _item_origin(feed, item)
    if len(item.content) >= MIN_FULL_TEXT_CHARS or (item.content and not item.link):
        return _from_text(feed, item, item.content, {"body_from": "feed"})
    short = item.content or item.summary
    if not item.link:
        if enough_prose(short):
            return _from_text(feed, item, short, {"body_from": "summary"})
        return failed(origin, f"{_too_short(short)} and it has no link")
    try:
        resp = await fetcher.get(item.link)
        page = page_article(resp, origin)
    except (FetchError, NotAnArticle, ValueError) as exc:
        reason = exc.reason if isinstance(exc, FetchError) else str(exc)
        if enough_prose(short):
            return _from_text(feed, item, short, {"body_from": "summary", "page_error": reason})
        return failed(origin, f"{_too_short(short)} and its page could not be used: {reason}")
    page.title = pick_title(item.title, page.title)  # an ALL-CAPS feed title loses to the page's own
    page.url = item.link
    page.source = feed.title
    page.author = item.author or page.author
    page.published = item.published or page.published
    page.meta.update({"feed_url": feed.url, "feed_item_id": item.key, "body_from": "page", "source_from": "feed"})
    if not page.meta.get("image_url") and item.image:  # the page's og:image first, else the item's media
        page.meta["image_url"] = item.image
    return page


async def item_articles(
    feed: ParsedFeed, items: Iterable[FeedItem], fetcher: Fetcher, concurrency: int = ITEM_FETCH_CONCURRENCY
) -> list[RawArticle | IngestResult]:
    """item_article for many items, a few pages fetched at a time, in feed order."""
    gate = asyncio.Semaphore(concurrency)

    async def one(item: FeedItem) -> RawArticle | IngestResult:
        async with gate:
            return await item_article(feed, item, fetcher)

    return list(await asyncio.gather(*(one(item) for item in items)))


async def load_url(url: str, settings: Settings) -> AsyncIterator[RawArticle | IngestResult]:
    """An article URL gives one article; a feed URL one per item. Problems come back as failed results."""
    async with Fetcher(settings) as fetcher:
        try:
            resp = await fetcher.get(url)
        except FetchError as exc:
            yield failed(url, exc.reason)
            return
        if looks_like_feed(resp):
            try:
                feed = parse_feed(resp)
            except FeedError as exc:
                yield failed(url, str(exc))
                return
            for n in feed.empty_entries:
                yield failed(f"{url}#{n}", "the feed item has no title, text or link")
            if not feed.items:
                if not feed.empty_entries:
                    yield failed(url, "the feed has no items")
                return
            for item in await item_articles(feed, feed.items, fetcher):
                yield item
            return
        try:
            yield await guard_image(page_article(resp, url), settings)
        except FetchError as exc:
            yield failed(url, exc.reason)
        except (NotAnArticle, ValueError) as exc:
            yield failed(url, str(exc))
