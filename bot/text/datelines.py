"""The dateline that opens a news article: "SEOUL (Reuters) - ", "TOKYO, July 4 (Reuters) — ",
"WASHINGTON (AP) –", "HARBOUR CITY - ". One pattern for every reader of article text: the text-file
parser lifts place and source into metadata, story features and answers leave it out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DATELINE = re.compile(
    r"^\s*(?P<place>[A-Z][A-Z .,'/&-]{1,40}?)(?:,\s*[A-Z][a-z]{2,8}\.?\s+\d{1,2})?\s*"
    r"(?:\((?P<source>[A-Za-z][\w .&'-]{0,40})\))?\s*[-–—]{1,2}\s+(?=\S)"
)


@dataclass(frozen=True)
class Dateline:
    place: str
    source: str | None
    end: int  # where the text after the dateline starts


def match_dateline(text: str) -> Dateline | None:
    """The dateline at the start of `text`, or None."""
    m = DATELINE.match(text)
    if not m:
        return None
    place = m.group("place").strip(" ,")
    if not any(c.isalpha() for c in place):
        return None
    return Dateline(place, (m.group("source") or "").strip() or None, m.end())


def strip_dateline(text: str) -> str:
    """`text` without its opening dateline."""
    found = match_dateline(text)
    return text[found.end:] if found else text
