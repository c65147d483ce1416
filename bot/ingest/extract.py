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
        # The page's own time of day too ("2026-03-10T09:30:00+0000"), not only its day, so that a page
        # and the feed item or file of the same article agree on when it was published.
        date_extraction_params={"extensive_search": True, "original_date": True, "outputformat": "%Y-%m-%dT%H:%M:%S%z"},
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
        source=data.get("sitename") or None,  # the site's name (og:site_name); a dateline's outlet wins (normalise)
        author=data.get("author") or None,
        published=parse_date(data.get("date")),
        language=data.get("language") or None,
        meta=({"canonical": data.get("url")} if data.get("url") and data.get("url") != url else {}) | {"source_from": "site"}
        | ({"image_url": data["image"]} if data.get("image") else {}),  # og:image (checked by web.guard_image)
        origin=origin,
    )
