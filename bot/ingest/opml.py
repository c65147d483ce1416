"""OPML, the feed list format feed readers and feed bots import and export.

`parse_opml(data)` gives the feeds an OPML document lists (each <outline xmlUrl=...>, nested folders
included, duplicates once); `render_opml(title, feeds)` writes one. A malformed document, one that
declares entities or a DOCTYPE (entity expansion is how XML bombs work), a file over MAX_OPML_BYTES
or one listing more than MAX_OPML_FEEDS feeds is refused with a clear message.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from email.utils import format_datetime
from datetime import UTC, datetime
from xml.sax.saxutils import quoteattr

from bot.errors import UserError

MAX_OPML_BYTES = 1_000_000
MAX_OPML_FEEDS = 500
_DECLARATION = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.I)


@dataclass(frozen=True)
class OpmlFeed:
    url: str
    title: str | None = None


def parse_opml(data: bytes | str, name: str = "the file") -> list[OpmlFeed]:
    """The feeds an OPML document lists, in document order; UserError naming what is wrong otherwise."""
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    if len(raw) > MAX_OPML_BYTES:
        raise UserError(f"{name} is {len(raw):,} bytes; an OPML file may be at most {MAX_OPML_BYTES:,} bytes.")
    if not raw.strip():
        raise UserError(f"{name} is empty, not an OPML feed list.")
    if _DECLARATION.search(raw):
        raise UserError(f"{name} declares a DOCTYPE or entities, which an OPML feed list never needs; not read.")
    try:
        root = ET.fromstring(raw)
    except ET.ParseError as exc:
        line, column = getattr(exc, "position", (0, 0))
        raise UserError(f"{name} is not valid OPML: the XML is malformed at line {line}, column {column + 1}.") from None
    if _local(root.tag).lower() != "opml":
        raise UserError(f"{name} is not OPML: its root element is <{_local(root.tag)}>, not <opml>.")
    body = next((el for el in root if _local(el.tag).lower() == "body"), None)
    if body is None:
        raise UserError(f"{name} is not valid OPML: it has no <body>.")
    feeds: list[OpmlFeed] = []
    seen: set[str] = set()
    for outline in body.iter():
        if _local(outline.tag).lower() != "outline":
            continue
        attrs = {k.lower(): v for k, v in outline.attrib.items()}
        url = (attrs.get("xmlurl") or "").strip()
        if not url or url in seen:
            continue
        seen.add(url)
        title = (attrs.get("title") or attrs.get("text") or "").strip() or None
        feeds.append(OpmlFeed(url, title))
        if len(feeds) > MAX_OPML_FEEDS:
            raise UserError(f"{name} lists more than {MAX_OPML_FEEDS} feeds; split it into smaller files.")
    if not feeds:
        raise UserError(f"{name} is OPML but lists no feeds (no <outline> has an xmlUrl).")
    return feeds


def _local(tag: object) -> str:
    text = tag if isinstance(tag, str) else ""
    return text.rsplit("}", 1)[-1]


def render_opml(title: str, feeds: Iterable[OpmlFeed], now: datetime | None = None) -> str:
    """An OPML 2.0 document listing the feeds (title and xmlUrl of each, type rss)."""
    when = format_datetime((now or datetime.now(UTC)).astimezone(UTC), usegmt=True)
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<opml version="2.0">',
        f"  <head><title>{_text(title)}</title><dateCreated>{when}</dateCreated></head>",
        "  <body>",
    ]
    for feed in feeds:
        label = quoteattr(feed.title or feed.url)
        lines.append(f'    <outline type="rss" text={label} title={label} xmlUrl={quoteattr(feed.url)}/>')
    lines += ["  </body>", "</opml>", ""]
    return "\n".join(lines)


def _text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
