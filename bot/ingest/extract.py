"""HTML pages to articles with trafilatura; pages that are not articles are refused."""

from __future__ import annotations

import trafilatura

from bot.ingest.dates import parse_date
from bot.ingest.models import RawArticle

MIN_ARTICLE_CHARS = 200


class NotAnArticle(ValueError):
    pass


def extract_html(html: str, url: str | None, origin: str) -> RawArticle:
    """The main text and metadata of a page; raises NotAnArticle when there is none to speak of."""
    doc = trafilatura.bare_extraction(
        html,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        favor_precision=True,
    )
    if doc is None:
        raise NotAnArticle("the page has no article text")
    data = doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)
    body = (data.get("text") or "").strip()
    if len(body) < MIN_ARTICLE_CHARS:
        raise NotAnArticle(f"the page has no article text (only {len(body)} characters of prose)")
    title = (data.get("title") or "").strip() or body.split("\n", 1)[0][:120]
    return RawArticle(
        title=title,
        body=body,
        url=data.get("url") or url,
        source=data.get("sitename") or data.get("hostname") or None,
        author=data.get("author") or None,
        published=parse_date(data.get("date")),
        language=data.get("language") or None,
        meta={"canonical": data.get("url")} if data.get("url") and data.get("url") != url else {},
        origin=origin,
    )
