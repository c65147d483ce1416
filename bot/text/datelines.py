"""The dateline that opens a news article: "SEOUL (Reuters) - ", "TOKYO, July 4 (Reuters) — ",
"WASHINGTON (AP) –", "HARBOUR CITY - ". One pattern for every reader of article text: the text-file
parser lifts place and source into metadata, story features and answers leave it out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DATELINE = re.compile(
    r"^\s*(?P<place>[A-Z][A-Z .,'/&-]{1,40}?)"
    r"(?P<region>,\s*[A-Z][A-Za-z.]+(?:\s[A-Z][A-Za-z.]+)?(?=\s*[,(]))?"  # "COLUMBUS, Ohio (Reuters)"
    r"(?:,\s*[A-Z][a-z]{2,8}\.?\s+\d{1,2})?\s*"  # ", July 4"
    r"(?:\((?P<source>[A-Za-z][\w .&'-]{0,40})\))?\s*[-–—]{1,2}\s*(?=\S)"
)


@dataclass(frozen=True)
class Dateline:
    place: str  # as written: "SEOUL", "COLUMBUS"
    source: str | None  # "Reuters"; None for a dateline without an outlet ("HARBOUR CITY - ")
    end: int  # where the text after the dateline starts
    region: str | None = None  # "Ohio" in "COLUMBUS, Ohio (Reuters) -"

    @property
    def place_name(self) -> str:
        """'Seoul', 'Columbus, Ohio': the place as metadata shows it."""
        name = self.place.title()
        return f"{name}, {self.region}" if self.region else name


def match_dateline(text: str) -> Dateline | None:
    """The dateline at the start of `text`, or None."""
    m = DATELINE.match(text)
    if not m:
        return None
    place = m.group("place").strip(" ,")
    if not any(c.isalpha() for c in place):
        return None
    region = (m.group("region") or "").strip(", ").strip() or None
    return Dateline(place, (m.group("source") or "").strip() or None, m.end(), region)


def strip_dateline(text: str) -> str:
    """`text` without its opening dateline."""
    found = match_dateline(text)
    return text[found.end:] if found else text
