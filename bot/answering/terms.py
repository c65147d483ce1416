"""Question terms, a light stemmer and term weights (IDF) for ranking and the relevance gate."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.search.query import query_terms

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)

# Words that carry no topic in a question (on top of the search stop words).
GENERIC = frozenset(
    """much many long often far kind sort type exactly really also still ago recently lately currently
    latest recent newest most since last past this days weeks months hours
    january february march april june july august september october november december
    monday tuesday wednesday thursday friday saturday sunday""".split()
)

_SUFFIXES = ("ational", "ization", "iveness", "fulness", "ousness", "ations", "ation", "ments", "ment",
             "ings", "ing", "edly", "ed", "ers", "er", "ly", "al")


def stem(word: str) -> str:
    """A small, consistent suffix stripper: approve/approved/approval -> approv, fibres -> fibr."""
    w = word.lower().replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    if w.isdigit() or len(w) <= 3:
        return w
    if w.endswith("ies") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith("sses"):
        w = w[:-2]
    elif w.endswith("es") and len(w) > 4 and w[-3] in "sxzh":
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    for suffix in _SUFFIXES:
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            w = w[: -len(suffix)]
            break
    if w.endswith("e") and len(w) > 4:
        w = w[:-1]
    if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "lsz":
        w = w[:-1]
    return w


# News wording for movement: a question's "rise" is answered by "up", "rose" or "gained".
_SYNONYMS = {
    "rise": "rise", "rose": "rise", "risen": "rise", "up": "rise", "increas": "rise", "gain": "rise",
    "higher": "rise", "climb": "rise", "grow": "rise", "grew": "rise", "growth": "rise", "jump": "rise",
    "fall": "fall", "fell": "fall", "fallen": "fall", "down": "fall", "drop": "fall", "declin": "fall",
    "lower": "fall", "slid": "fall", "slide": "fall", "decreas": "fall", "shrink": "fall", "shrank": "fall",
    "buy": "buy", "bought": "buy", "purchas": "buy", "acquir": "buy", "acquisition": "buy",
    "sell": "sell", "sold": "sell", "sale": "sell",
}


def stem_term(word: str) -> str:
    """The stem, with movement and trade verbs folded into one word each."""
    s = stem(word)
    return _SYNONYMS.get(s, s)


def stems(text: str) -> set[str]:
    return {stem_term(w) for w in _WORD.findall(text)}


def content_terms(question: str) -> list[str]:
    """The topic words of a question (lower case, stop and generic words removed, no repeats)."""
    words = [w for w in query_terms(question) if w not in GENERIC]
    return words


@dataclass
class WeightedTerm:
    word: str
    stem: str
    weight: float


def idf(df: int, n: int) -> float:
    return math.log((n - df + 0.5) / (df + 0.5) + 1.0)


def weigh(words: Iterable[tuple[str, float]], df: dict[str, int], n: int) -> list[WeightedTerm]:
    """(word, factor) pairs to weighted terms: IDF over passages times the factor; one entry per stem."""
    out: dict[str, WeightedTerm] = {}
    for word, factor in words:
        s = stem_term(word)
        w = idf(df.get(word, 0), max(n, 1)) * factor
        if s not in out or out[s].weight < w:
            out[s] = WeightedTerm(word, s, w)
    return list(out.values())


def coverage(terms: list[WeightedTerm], present: set[str]) -> float:
    total = sum(t.weight for t in terms)
    if total <= 0:
        return 0.0
    return sum(t.weight for t in terms if t.stem in present) / total
