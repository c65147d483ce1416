"""Question terms and their weights (IDF) for ranking and the relevance gate.

Words are stemmed as the search index stems them (bot/text/terms.py, Snowball English); on top
of that, a few groups of news verbs that say the same thing are folded into one term each, so a
question's "rise" is answered by "rose" or "gained", its "approve" by "green light", "cleared" or
"licensed", its "invest" by "spend", its "cut" by "trim" or "lower".
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.search.query import query_terms
from bot.text.terms import QUESTION_STOP_WORDS, WORD, stem

# News nouns said two ways: "the trade gap" is the trade deficit, "the jobless rate" the unemployment rate, "the
# highest ever" a record. Unlike the verbs, an article using another word of the group is also searched for.
NOUN_GROUPS: tuple[tuple[str, ...], ...] = (
    ("deficit", "deficits", "gap", "shortfall"),
    ("unemployment", "jobless", "unemployed", "joblessness"),
    ("record", "recordhigh"),
    ("chairman", "chair", "chairwoman", "chairperson", "chairmanship"),
)
# Each group is one meaning; the first word names it. Verbs only: "license" (licensed, licenses) folds
# into "approve", the noun "licence" does not ("export licence reviews" are not approvals).
SYNONYM_GROUPS: tuple[tuple[str, ...], ...] = (
    ("rise", "rose", "risen", "up", "increase", "gain", "higher", "climb", "grow", "grew", "growth", "jump"),
    ("fall", "fell", "fallen", "down", "drop", "decline", "lower", "slid", "slide", "decrease", "shrink",
     "shrank"),
    ("buy", "bought", "purchase", "acquire", "acquisition"),
    ("sell", "sold", "sale"),
    ("approve", "approval", "clear", "cleared", "allow", "allowed", "authorize", "authorise", "license",
     "greenlight", "signoff", "endorse", "ratify"),
    ("invest", "investment", "spend", "spent", "spending", "put"),
    # cutting is lowering: "cut its forecast" is answered by "lowered" or "trimmed" it
    ("fall", "cut", "trim", "trimmed", "reduce", "reduction", "slash", "lowered"),
    ("resign", "resignation", "quit", "quits", "stepdown"),
    ("produce", "produced", "production", "output"),
    # Reuters' abbreviations in results tables and wire copy
    ("revenue", "revenues", "revs", "turnover"),
    ("quarter", "qtr"),
    ("percent", "pct", "percentage"),
    ("win", "won", "winning", "winner"),
    ("replace", "replaced", "succeed", "succeeded", "successor"),
    ("seek", "sought", "find", "search"),
    ("hire", "hired", "retain", "retained", "engage", "engaged", "appoint", "appointed"),
    *NOUN_GROUPS,
)
# Two-word forms of the words above, read as one word before stemming: in an article as a word of its own (its
# group folds it), in a question as the group's first word (whose frequency in the articles weighs it).
_PHRASES = re.compile(r"\bgreen[- ]?light(?:s|ed|ing)?\b|\bsign(?:s|ed|ing)? off\b|\bst(?:ep|epped|eps|epping) down\b|\bhighest\b(?:\s+[a-z']+){0,4}?\s+"
                      r"ever\b|\ball[- ]time highs?\b|\bhighest on record\b|\bever recorded\b", re.I)
# "U.S.", "U.K.": also the word a question writes ("US", "UK"), besides its letters ("G.D. Searle").
_DOTTED = re.compile(r"\b([A-Z])\.([A-Z])\.(?:([A-Z])\.)?")


def _phrase_word(phrase: str) -> str:
    low = phrase.lower()
    if low.startswith("step"):
        return "stepdown"
    return "greenlight" if low.startswith("green") else "signoff" if low.startswith("sign") else "recordhigh"


_PHRASE_KEYS = ("green", "sign", "ever", "time high", " down")


def _phrases(text: str) -> str:
    if "." in text:
        text = _DOTTED.sub(lambda m: m.group(0) + " " + "".join(g for g in m.groups() if g) + " ", text)
    low = text.lower()
    if any(k in low for k in _PHRASE_KEYS):
        text = _PHRASES.sub(lambda m: _phrase_word(m.group(0)), text)
    return text


_HEAD = {"greenlight": "approve", "signoff": "approve", "recordhigh": "record", "stepdown": "resigned"}


# Who "took over the chair" or "the job" succeeded someone (who "took over" a business bought it); who "gave it up"
# or "stepped down" resigned.
_TOOK_OVER_POST = re.compile(r"\b(?:took|take|takes|taking|taken) over\b(?=\s+(?:as\b|the (?:chair|chairmanship|job|"
                             r"post|role|presidency|helm|reins|leadership)\b|(?:his|her|their) (?:job|post|role)\b))",
                             re.I)
_GAVE_UP = re.compile(r"\b(?:gave|give|gives|giving|given) (?:it|this|that|the (?:job|post|chair)) up\b|"
                      r"\b(?:stepped|step|steps|stepping) down\b", re.I)


def question_phrases(question: str) -> str:
    """The question with the two-word forms as their group's first word ("green light" -> "approve")."""
    question = _GAVE_UP.sub("resigned", _TOOK_OVER_POST.sub("succeeded", question))
    return _PHRASES.sub(lambda m: _HEAD[_phrase_word(m.group(0))], question)


def search_synonyms(words: Iterable[str]) -> list[str]:
    """The other words of the noun groups the words belong to, for searching the articles that use them."""
    out: list[str] = []
    have = set(words)
    for word in have:
        for group in NOUN_GROUPS:
            if word in group:
                out += [w for w in group if w not in have and w not in out and w != "recordhigh"]
    return out


_SYNONYMS: dict[str, str] = {}
for _group in SYNONYM_GROUPS:
    for _word in _group:
        _SYNONYMS.setdefault(stem(_word), stem(_group[0]))


# Stems that stand for a group (a name such as "Gap" may be written as any of its words).
FOLDED_STEMS = frozenset(_SYNONYMS.values())


def stem_term(word: str) -> str:
    """The stem, with verbs of the same meaning folded into one term each."""
    s = stem(word)
    return _SYNONYMS.get(s, s)


_HYPHENATED = re.compile(r"\b[^\W\d_]+(?:-[^\W\d_]+)+\b")


def stems(text: str) -> set[str]:
    """The terms of `text`; a hyphenated word also as one ("type-setting" holds "typesetting")."""
    text = _phrases(text)
    out = {stem_term(w) for w in WORD.findall(text)}
    out.update(stem_term(h.replace("-", "")) for h in _HYPHENATED.findall(text))
    return out


# "How big was the gap?", "how wide is the spread": the adjective asks for a size, it is no topic word.
_HOW_ADJECTIVE = re.compile(r"\bhow (?:big|large|high|low|wide|deep|tall|heavy|fast|old|steep|sharp|small)\b", re.I)


# "How did its share price take the news?": the verb asks for the move, it is no topic word.
_STOCK_FRAME = re.compile(r"(\b(?:shares?|stock|share price|stock price)\b(?:\s+[\w']+){0,2}?\s+)(?:take|took|react|reacted|"
                          r"respond|responded|fare|fared|do|did|move|moved|trade|traded|handle|handled)\b", re.I)


def content_terms(question: str) -> list[str]:
    """The topic words of a question (lower case, stop and question words removed, no repeats)."""
    question = _STOCK_FRAME.sub(r"\1", _HOW_ADJECTIVE.sub("how", question_phrases(question)))
    return [w for w in query_terms(question) if w not in QUESTION_STOP_WORDS]


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
