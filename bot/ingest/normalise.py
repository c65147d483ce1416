"""One normaliser for every path an article comes by (file, page, feed item, pasted text, JSON record).

Sources differ in what they leave in the body: a page or a feed repeats the headline at the
start and keeps the dateline ("HARBOUR CITY (Loopback Ledger) - The Old Bridge…"); a pasted
article carries its dateline too. Whatever the path, the stored article is the same: the
headline once, as the title; the dateline lifted into `place` and `source`; trailing site
furniture dropped by `clean_body`. The ingest pipeline calls `normalise` on every article, so
no path can skip it.

Source precedence: a source the input names outright (a record's `source`, a text file's
`source:` line) > the dateline's outlet (who wrote the story) > the site's or feed's name
(`meta["source_from"]` is "site" or "feed": where it was found).
"""

from __future__ import annotations

import dataclasses
import re

from bot.ingest.clean import normalize_text
from bot.ingest.models import RawArticle
from bot.text.datelines import match_dateline

_WORDS = re.compile(r"\w+")


@dataclasses.dataclass
class Dateline:
    place: str
    source: str
    end: int  # where the story's first sentence starts


def split_dateline(body: str) -> Dateline | None:
    """The dateline opening `body` when it names its outlet ("COLUMBUS, Ohio (Reuters) -"), as metadata."""
    found = match_dateline(body)
    if found is None or not found.source:
        return None
    return Dateline(found.place_name, found.source, found.end)


def is_shouting(title: str) -> bool:
    """ALL CAPS (as some feeds write titles): at least three letters, no lower-case one."""
    letters = [c for c in title if c.isalpha()]
    return len(letters) >= 3 and not any(c.islower() for c in letters)


def pick_title(preferred: str | None, other: str | None) -> str:
    """`preferred` (a feed's title), unless it shouts and `other` (the page's own) does not."""
    preferred, other = (preferred or "").strip(), (other or "").strip()
    if preferred and other and is_shouting(preferred) and not is_shouting(other):
        return other
    return preferred or other


def _words(text: str) -> list[str]:
    return _WORDS.findall(text.lower())


def strip_headline(title: str, body: str) -> str:
    """The body without the headline it repeats at its start (same words, any case or punctuation)."""
    want = _words(title)
    if not want:
        return body
    first, sep, rest = body.partition("\n")
    if _words(first) == want:
        return rest.lstrip()
    # "Old bridge to close for repairs HARBOUR CITY (…) - …": the headline runs into the first line.
    if _words(body[: 2 * len(title) + 64])[: len(want)] != want:
        return body  # cheap check first: most bodies do not open with their headline (no regex to compile)
    pattern = r"\W*".join(re.escape(w) for w in want)
    match = re.match(rf"\W*{pattern}\W*?(?=\s)", body, re.IGNORECASE)
    if match and len(body) > match.end():
        return body[match.end():].lstrip()
    return body


def normalise(raw: RawArticle) -> RawArticle:
    """The article as every path stores it: headline once, dateline in place/source, clean text."""
    title = " ".join(normalize_text(raw.title).split())
    body = normalize_text(raw.body)
    for _ in range(2):  # a page's <h1> and a first paragraph that repeats it
        body = strip_headline(title, body)
    place, source = raw.place, raw.source
    dateline = split_dateline(body)
    if dateline is not None:
        body = body[dateline.end:]
        place = place or dateline.place
        if not source or raw.meta.get("source_from") in ("site", "feed"):
            source = dateline.source
    meta = {k: v for k, v in raw.meta.items() if k != "source_from"}  # said where, not worth storing
    return dataclasses.replace(raw, title=title, body=body, place=place, source=source or None, meta=meta)
