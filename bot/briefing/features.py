"""What an article is about, as features: key terms, named entities, numbers, and its facts.

Terms are lower-cased, stop words out, plurals folded. Entities are runs of capitalised
words (a single capitalised word opening a sentence is not one). Numbers keep their unit
("1.50 percent", "5.3 trillion yen"); bare small numbers and years are left out, since
rewrites add and drop dates freely. An article's *facts* are its entities and numbers:
a new source that repeats them brings no news.
"""

from __future__ import annotations

import math
import re
from array import array
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from sys import intern

from bot.text.datelines import strip_dateline
from bot.text.sentences import split_sentences
from bot.text.terms import LETTER_WORD as _WORD, NEWS_STOP_WORDS, stem

_ENTITY = re.compile(r"\b[A-Z][\w'’&.-]*[\w](?:[ \t]+(?:of[ \t]+|de[ \t]+)?[A-Z][\w'’&.-]*[\w])*\b|\b[A-Z]\b")
_NUMBER = re.compile(
    r"(?P<cur>[$€£¥])?\s?(?P<num>\d[\d,]*(?:\.\d+)?)\s*"
    r"(?P<scale>trillion|billion|million|thousand|tn|bn|mln|m\b)?\s*"
    r"(?P<unit>%|per\s?cent|percent|percentage points?|points?|yen|won|dollars?|dlrs|euros?|yuan|pounds?|"
    r"tonnes?|tons?|barrels?|bpd|days?|weeks?|months?|years?|minutes?|hours?|km|miles?|people|jobs|shares?|"
    r"units?|vehicles?|cars?|aircraft|jets?)?",
    re.IGNORECASE,
)

_POSSESSIVE = re.compile(r"'s\b")

_UNIT_ALIASES = {
    "%": "percent", "per cent": "percent", "percent": "percent", "percentcent": "percent",
    "tn": "trillion", "bn": "billion", "mln": "million", "m": "million", "dlrs": "dollar", "$": "dollar",
    "€": "euro", "£": "pound", "¥": "yen",
}


def terms(text: str) -> list[str]:
    """Content terms of a text, folded, in order (with repeats)."""
    out: list[str] = []
    for raw in _WORD.findall(text):
        w = raw.lower().replace("’", "'")
        if w.endswith("'s"):
            w = w[:-2]
        if len(w) < 2 or w in NEWS_STOP_WORDS:
            continue
        out.append(stem(w))
    return out


def _unit(value: str | None) -> str:
    if not value:
        return ""
    v = " ".join(value.lower().split())
    v = _UNIT_ALIASES.get(v, v)
    return stem(v) if v not in ("percent",) else v


def numbers(text: str) -> list[str]:
    """Quantities with their units, normalised ("1.50 percent", "5.3 trillion yen", "90 day")."""
    out: list[str] = []
    for m in _NUMBER.finditer(text):
        raw = m.group("num").replace(",", "")
        try:
            value = float(raw)
        except ValueError:
            continue
        scale = _unit(m.group("scale"))
        unit = _unit(m.group("unit")) or _unit(m.group("cur"))
        if not scale and not unit:
            # bare numbers: keep only those unlikely to be dates or years
            if value <= 31 or (1900 <= value <= 2100 and "." not in raw):
                continue
        number = f"{value:g}"
        out.append(" ".join(x for x in (number, scale, unit) if x))
    return out


def entities(text: str, sentences: list[str] | None = None) -> list[str]:
    """Named things: runs of capitalised words; a lone capitalised word opening a sentence is skipped."""
    out: list[str] = []
    for sentence in sentences if sentences is not None else split_sentences(text):
        opening = len(sentence) - len(sentence.lstrip("\"'“‘([ "))
        for m in _ENTITY.finditer(sentence):
            at_start = m.start() <= opening
            for part in _POSSESSIVE.split(m.group(0).replace("’", "'")):
                words = part.strip(".'- ").split()
                while words and words[0].lower() in NEWS_STOP_WORDS:
                    words = words[1:]
                    at_start = False
                if not words or (len(words) == 1 and (at_start or len(words[0]) < 2)):
                    at_start = False
                    continue
                at_start = False
                if len(words) == 1 and words[0].lower() in NEWS_STOP_WORDS:
                    continue
                out.append(" ".join(words).lower())
    return out


@dataclass(slots=True, eq=False)
class ArticleFeatures:
    """Weighted features of one article (before IDF) and its facts.

    The terms are a tuple of interned strings and their weights one flat array, not a dict: a window
    of 18.7k articles holds a million of them (17 MB this way, about 30 MB as dicts).
    """

    terms: tuple[str, ...]
    values: array  # array("d"), one weight per term
    fact_list: tuple[str, ...]  # distinct, as a tuple: a frozenset per article costs ~700 bytes
    sentences: list[str]

    @property
    def facts(self) -> frozenset[str]:
        return frozenset(self.fact_list)

    @property
    def weights(self) -> dict[str, float]:
        """The terms with their weights (built on each call: read `terms` and `values` in loops)."""
        return dict(zip(self.terms, self.values))


def article_features(title: str, body: str, lead_chars: int = 3000, source: str | None = None) -> ArticleFeatures:
    """Terms of title (counted twice) and body lead, plus entities ("e:") and numbers ("n:").

    Only the first `lead_chars` of the body count: the lead says what the story is, and it keeps
    the cost per article bounded. The dateline and the outlet's own name say who wrote it, not
    what happened, and are left out.
    """
    lead = strip_dateline(body[:lead_chars])
    if source:
        lead = lead.replace(source, " ")
        title = title.replace(source, " ")
    sentences = split_sentences(lead)
    counts: Counter[str] = Counter(terms(lead))
    for t in terms(title):
        counts[t] += 2
    # Terms are interned: one string per term in a window, not one per article and term.
    weights: dict[str, float] = {}
    for t, c in counts.items():
        weights[intern(t)] = _count_weight(c)
    ents = entities(lead, sentences) + entities(title, [title])
    nums = numbers(lead) + numbers(title)
    for e in set(ents):
        weights[intern("e:" + e)] = 1.5 if " " in e else 1.0
    for n in set(nums):
        weights[intern("n:" + n)] = 1.5 if " " in n else 1.0
    facts = frozenset(intern("e:" + e) for e in ents) | frozenset(intern("n:" + n) for n in nums)
    return ArticleFeatures(tuple(weights), array("d", weights.values()), tuple(facts), sentences)


@lru_cache(maxsize=256)
def _count_weight(count: int) -> float:
    return 1.0 + math.log(count)


def sentence_facts(sentence: str) -> frozenset[str]:
    return frozenset(["e:" + e for e in entities(sentence, [sentence])] + ["n:" + n for n in numbers(sentence)])


def gained_facts(current: frozenset[str], briefed: frozenset[str], ignore: frozenset[str] = frozenset()) -> list[str]:
    """The facts of `current` that were not briefed; news when one number or two entities are new."""
    new = sorted(f for f in current - briefed - ignore)
    new_numbers = [f for f in new if f.startswith("n:")]
    new_entities = [f for f in new if f.startswith("e:")]
    if new_numbers or len(new_entities) >= 2:
        return [f[2:] for f in new]
    return []
