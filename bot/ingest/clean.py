"""Plain-text cleaning: site furniture out, bylines and credits kept as metadata."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

# Lines that are site furniture rather than article text.
_FURNITURE = re.compile(
    r"""^(
        (share|tweet|email|print|save)(\s+(this|on|via)\b.*)?
      | (follow|like)\s+us\b.*
      | sign\s+up\b.*newsletter.*
      | subscribe\b.*
      | (read|see)\s+(more|also)\b.*
      | related(\s+(articles|stories|coverage))?:?
      | (most\s+(popular|read)|trending(\s+now)?|recommended(\s+for\s+you)?|top\s+stories)\s*:?
      | advertisement
      | (click|tap)\s+here\b.*
      | (copyright|©)\s.*
      | all\s+rights\s+reserved\.?
      | skip\s+to\s+(main\s+)?content
      | (reporting|writing|editing|additional\s+reporting)\s+by\b.*
      | share\s+this\s+article.*
    )$""",
    re.IGNORECASE | re.VERBOSE,
)
_BYLINE = re.compile(r"^(?i:by)\s+([A-Z][\w.'-]+(?:\s+(?:and\s+)?[A-Z][\w.'-]+){0,5})\s*$")
_CREDIT = re.compile(r"^\(?((?:additional\s+)?(?:reporting|writing|editing)\s+by\b.*?)\)?\.?$", re.IGNORECASE)
_CAPTION = re.compile(
    r"^(photo|image|picture|file\s+photo)\s*(:|—|-|\|).*|.*\((photo|picture|image)\s*(:|by)[^)]*\)\s*$"
    r"|.*\b(REUTERS|AP Photo|AFP|Getty Images)/[A-Z][\w ]+$",
    re.IGNORECASE,
)
_ASCII_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# After a "Most popular" heading, the short lines that follow are a list of links.
_LIST_HEADING = re.compile(r"^(most\s+(popular|read)|trending(\s+now)?|related(\s+\w+)?|read\s+more)\s*:?$", re.I)


# Where a site's trailer starts: after the credits line everything from here on is furniture
# ("Follow us" and its links, newsletter and contact invitations, "Most popular", "Read more").
_TRAILER = re.compile(
    r"^(follow\s+us\b|(sign\s+up|subscribe)\b|.{0,40}\bnewsletters?\b|(contact|email|write\s+to|message)\s+us\b"
    r"|(got|have)\s+a\s+(news\s+)?tip\b|get\s+in\s+touch\b|most\s+(popular|read)\b|read\s+more\b|more\s+from\b"
    r"|related\b|trending\b|recommended\b|share\s+this\b)",
    re.IGNORECASE,
)

@dataclass
class CleanedText:
    body: str
    author: str | None = None
    credits: list[str] = field(default_factory=list)
    captions: list[str] = field(default_factory=list)


def normalize_text(text: str) -> str:
    """NFC, no control characters, Unix newlines, trimmed line ends."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    if text.isascii():
        text = _ASCII_CONTROL.sub("", text)
    elif not text.replace("\n", "").replace("\t", "").isprintable():  # slow path only when needed
        text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    return "\n".join(line.rstrip() for line in text.split("\n")).strip()


def clean_body(text: str) -> CleanedText:
    """Drop share prompts, link lists, captions; lift bylines and editing credits into metadata."""
    result = CleanedText(body="")
    kept: list[str] = []
    in_list = False
    for raw in normalize_text(text).split("\n"):
        line = raw.strip()
        if not line:
            in_list = False
            kept.append("")
            continue
        if _LIST_HEADING.match(line):
            in_list = True
            continue
        if in_list and len(line.split()) <= 14 and not line.endswith((".", "?", "!", '"', "”")):
            continue
        in_list = False
        if result.credits and _TRAILER.match(line):
            break  # the site's trailer: nothing after it is the article's
        credit = _CREDIT.match(line)
        if credit:
            result.credits.append(credit.group(1).strip())
            continue
        byline = _BYLINE.match(line)
        if byline and result.author is None:
            result.author = byline.group(1)
            continue
        if _FURNITURE.match(line):
            continue
        if _CAPTION.match(line) and len(line.split()) < 40:
            result.captions.append(line)
            continue
        kept.append(line)
    body = "\n".join(kept)
    result.body = re.sub(r"\n{3,}", "\n\n", body).strip()
    return result
