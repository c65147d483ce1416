"""Plain text and Markdown articles: the first line is the title, a dateline gives place and source."""

from __future__ import annotations

import re

from bot.ingest.models import RawArticle
from bot.text.datelines import match_dateline

_MD_HEADING = re.compile(r"^#{1,6}\s+")
_FRONT_KEY = re.compile(r"^(?P<key>url|source|author|published|date|language):\s*(?P<value>.+)$", re.I)


def parse_text_article(text: str, origin: str) -> RawArticle:
    """Title from the first non-empty line; optional `key: value` header lines; dateline."""
    lines = text.strip().split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    if not lines:
        raise ValueError("the file is empty")
    title = _MD_HEADING.sub("", lines[0]).strip().strip("*_ ").strip()
    rest = lines[1:]
    header: dict[str, str] = {}
    while rest and (not rest[0].strip() or _FRONT_KEY.match(rest[0].strip())):
        match = _FRONT_KEY.match(rest[0].strip())
        if match:
            header[match.group("key").lower()] = match.group("value").strip()
        rest.pop(0)
    body = "\n".join(rest).strip()
    if not body:
        raise ValueError("the file has a title but no body text")
    place = None
    source = header.get("source")
    dateline = match_dateline(body)
    if dateline and dateline.source:
        place = dateline.place.title()
        source = source or dateline.source
        body = body[dateline.end:]
    from bot.ingest.dates import parse_date  # local import keeps module import light

    return RawArticle(
        title=title,
        body=body,
        url=header.get("url"),
        source=source,
        author=header.get("author"),
        place=place,
        published=parse_date(header.get("published") or header.get("date")),
        language=header.get("language"),
        origin=origin,
    )
