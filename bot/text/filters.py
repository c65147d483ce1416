"""Include/exclude filters for a feed's or a subscription's posts: words, phrases and bounded regular expressions.

A filter spec is a comma-separated list of terms, e.g. ``rate cut, title:fed, "interest rates", /\\bECB\\b/``:

- a word or phrase matches whole words, case-insensitively (``rate cut`` matches "Rate cut", not "rate cuts");
- ``"..."`` quotes a phrase that holds a comma;
- ``/.../`` is a regular expression (case-insensitive, the `regex` module), at most MAX_PATTERN characters;
- ``title:`` or ``text:`` before a term looks only at the headline or only at the article text (default: either).

An item passes when it matches at least one include term (or there are none) and no exclude term.
A user's pattern runs with a time limit per match (MATCH_TIMEOUT s): a pattern that takes too long on
probe texts is refused when it is set, and one that times out on an item counts as no match (logged),
for that item and every later one, so a slow pattern costs the event loop one time limit, not one per item.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

import regex

from bot.errors import UserError

log = logging.getLogger(__name__)

Field = Literal["any", "title", "text"]
MAX_PATTERN = 200  # characters of one regular expression
MAX_TERMS = 20  # terms per include or exclude list
MAX_TERM_CHARS = 100  # characters of one word or phrase
MATCH_TIMEOUT = 0.05  # seconds one pattern may take on one item
TEXT_CHARS = 20_000  # how much of an article's text a filter reads
_SLOW: set[str] = set()  # patterns that timed out on an item (in this process): they match nothing
# Texts a pattern must get through quickly before it is accepted (catastrophic backtracking shows on them).
_PROBES = ("a" * 3000 + "!", "ab" * 1500 + "!", "a " * 1500 + "!", "1" * 3000 + "x", "x" * 3000)


@dataclass(frozen=True)
class Term:
    pattern: str
    field: Field = "any"
    regex: bool = False

    def describe(self) -> str:
        body = f"/{self.pattern}/" if self.regex else (f'"{self.pattern}"' if "," in self.pattern else self.pattern)
        return body if self.field == "any" else f"{self.field}:{body}"

    def matches(self, title: str, text: str) -> bool:
        compiled = _compile(self.pattern, self.regex)
        fields = (title,) if self.field == "title" else (text,) if self.field == "text" else (title, text)
        for value in fields:
            if not value:
                continue
            if self.regex and self.pattern in _SLOW:
                return False
            try:
                if compiled.search(value[:TEXT_CHARS], timeout=MATCH_TIMEOUT):
                    return True
            except TimeoutError:
                # Counted as no match, now and from now on: one slow pattern costs one time limit, not one per item.
                _SLOW.add(self.pattern)
                log.warning(
                    "filter pattern /%s/ took longer than %.0f ms on an item: it matches nothing from now on",
                    self.pattern, MATCH_TIMEOUT * 1000,
                )
                return False
        return False


@lru_cache(maxsize=512)
def _compile(pattern: str, is_regex: bool) -> Any:
    if is_regex:
        return regex.compile(pattern, regex.IGNORECASE | regex.V0)
    words = [regex.escape(w) for w in pattern.split()]
    return regex.compile(r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)", regex.IGNORECASE)


@dataclass(frozen=True)
class Filters:
    include: tuple[Term, ...] = field(default_factory=tuple)
    exclude: tuple[Term, ...] = field(default_factory=tuple)

    def __bool__(self) -> bool:
        return bool(self.include or self.exclude)

    def passes(self, title: str, text: str) -> bool:
        if self.include and not any(t.matches(title, text) for t in self.include):
            return False
        return not any(t.matches(title, text) for t in self.exclude)

    def reason(self, title: str, text: str) -> str:
        """Why an item passes or not, in a few words (for `feed test`)."""
        if self.include:
            hit = next((t for t in self.include if t.matches(title, text)), None)
            if hit is None:
                return "matches no include term"
        else:
            hit = None
        bad = next((t for t in self.exclude if t.matches(title, text)), None)
        if bad is not None:
            return f"excluded by {bad.describe()}"
        return f"included by {hit.describe()}" if hit else "passes"

    def describe(self) -> str:
        parts = []
        if self.include:
            parts.append("include " + ", ".join(t.describe() for t in self.include))
        if self.exclude:
            parts.append("exclude " + ", ".join(t.describe() for t in self.exclude))
        return "; ".join(parts) or "no filters"

    def to_json(self) -> str | None:
        if not self:
            return None
        return json.dumps({
            "include": [[t.field, t.regex, t.pattern] for t in self.include],
            "exclude": [[t.field, t.regex, t.pattern] for t in self.exclude],
        })

    @classmethod
    def from_json(cls, value: str | None) -> "Filters":
        if not value:
            return cls()
        data = json.loads(value)
        return cls(
            tuple(Term(p, f, bool(r)) for f, r, p in data.get("include", [])),
            tuple(Term(p, f, bool(r)) for f, r, p in data.get("exclude", [])),
        )

    @classmethod
    def parse(cls, include: str | None, exclude: str | None) -> "Filters":
        return cls(parse_terms(include, "include"), parse_terms(exclude, "exclude"))


_CLEAR = {"-", "none", "off", "clear"}


def _split(spec: str) -> list[str]:
    """Split at commas outside quotes and /.../ patterns."""
    out: list[str] = []
    buf: list[str] = []
    quote: str | None = None
    i = 0
    while i < len(spec):
        ch = spec[i]
        if quote:
            buf.append(ch)
            if ch == "\\" and quote == "/" and i + 1 < len(spec):
                buf.append(spec[i + 1])
                i += 2
                continue
            if ch == quote:
                quote = None
        elif ch == ",":
            out.append("".join(buf))
            buf = []
        else:
            prefix = "".join(buf).strip().lower()
            if ch in "\"/" and prefix in ("", "title:", "text:"):
                quote = ch
            buf.append(ch)
        i += 1
    if quote:
        raise UserError(f"Unclosed {quote} in the filter {spec[:80]!r}.")
    out.append("".join(buf))
    return [p.strip() for p in out if p.strip()]


def parse_terms(spec: str | None, what: str = "filter") -> tuple[Term, ...]:
    """'rate cut, title:fed, /\\bECB\\b/' -> terms; '' or 'none' -> (). Refuses bad or slow patterns, naming them."""
    spec = (spec or "").strip()
    if spec.lower() in _CLEAR or not spec:
        return ()
    terms: list[Term] = []
    for raw in _split(spec):
        fld: Field = "any"
        low = raw.lower()
        for name in ("title", "text"):
            if low.startswith(name + ":"):
                fld = name  # type: ignore[assignment]
                raw = raw[len(name) + 1 :].strip()
                break
        if len(raw) >= 2 and raw[0] == raw[-1] == "/":
            terms.append(_regex_term(raw[1:-1], fld))
            continue
        if len(raw) >= 2 and raw[0] == raw[-1] == '"':
            raw = raw[1:-1]
        phrase = " ".join(raw.split())
        if not phrase:
            continue
        if len(phrase) > MAX_TERM_CHARS:
            raise UserError(f"The {what} term {phrase[:40]!r}… is longer than {MAX_TERM_CHARS} characters.")
        terms.append(Term(phrase, fld))
    if len(terms) > MAX_TERMS:
        raise UserError(f"At most {MAX_TERMS} {what} terms, please.")
    return tuple(terms)


def _regex_term(pattern: str, fld: Field) -> Term:
    if not pattern:
        raise UserError("An empty regular expression // matches everything; leave the filter out instead.")
    if len(pattern) > MAX_PATTERN:
        raise UserError(f"The regular expression /{pattern[:40]}…/ is longer than {MAX_PATTERN} characters.")
    try:
        compiled = _compile(pattern, True)
    except (regex.error, re.error) as exc:
        raise UserError(f"/{pattern}/ is not a valid regular expression: {exc}.") from None
    for probe in _PROBES:
        try:
            compiled.search(probe, timeout=MATCH_TIMEOUT)
        except TimeoutError:
            raise UserError(
                f"/{pattern}/ takes too long to match (over {MATCH_TIMEOUT * 1000:.0f} ms on a test text); "
                "nested repeats such as (a+)+ do that — simplify the pattern."
            ) from None
    return Term(pattern, fld, True)
