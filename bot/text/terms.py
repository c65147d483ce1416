"""Words, once for the whole program: the tokenizer, the stop words and the stemmer.

The search index (bot/search/engine.py) lower-cases, folds accents and stems with tantivy's
"english" filter, which is the Snowball English stemmer. `stem` here is the same algorithm
(PyStemmer), so a word the answerer weighs or matches is the word the index counted: "rated"
and "rate" are one term, "rises" and "rise" are one, "news" and "new" stay two.
"""

from __future__ import annotations

import functools
import re
import unicodedata

import Stemmer

# A word: letters and digits, with one inner apostrophe ("o'neil", "don't"). Underscores split.
WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)
# Letters only (no digits): story features count numbers separately, with their units.
LETTER_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?", re.UNICODE)

# Words that carry no topic in a search or a question.
STOP_WORDS = frozenset(
    """
    a about above after again against all am an and any are aren't as at be because been before being below
    between both but by can could did didn't do does doesn't doing don't down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is isn't it it's
    its itself just let's me more most my myself no nor not now of off on once only or other ought our ours
    ourselves out over own same she should so some such than that that's the their theirs them themselves
    then there there's these they this those through to too under until up very was wasn't we were weren't
    what what's when where which while who whom why will with won't would you your yours yourself
    yourselves tell says said say please know anything something latest news happened happen happening
    give show any new update updates today yesterday week month year
    """.split()
)

CALENDAR_WORDS = frozenset(
    """monday tuesday wednesday thursday friday saturday sunday january february march april may june july
    august september october november december jan feb mar apr jun jul aug sep sept oct nov dec""".split()
)

# Words of a question that name no topic: the stop words, how it asks, and when ("may" can be a verb or
# a month and stays a topic word).
QUESTION_STOP_WORDS = STOP_WORDS | (CALENDAR_WORDS - {"may"}) | frozenset(
    """much many long often far kind sort type exactly really also still ago recently lately currently
    latest recent newest most since last past this days weeks months hours decade decades""".split()
)

# Words that carry no story identity in news text: the stop words, dates, reporting verbs, units.
NEWS_STOP_WORDS = STOP_WORDS | CALENDAR_WORDS | frozenset(
    """also would could one two three four five six seven eight nine ten first second third last next
    percent per cent mln bln billion million trillion thousand pct told statement according added spokesman
    spokeswoman spokesperson officials official people reuters ap afp wire report reported reports reporters
    including since still already may might must shall us however while among around ago earlier later
    s t mr mrs ms dr wednesday's friday's new's""".split()
)


def words(text: str) -> list[str]:
    """The words of `text` as written (case kept), in order."""
    return WORD.findall(text)


def fold(word: str) -> str:
    """Lower case, curly apostrophe straightened, accents dropped (as the index's ascii_fold does)."""
    w = word.lower().replace("’", "'")
    if w.isascii():
        return w
    return "".join(c for c in unicodedata.normalize("NFKD", w) if not unicodedata.combining(c))


@functools.lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


@functools.lru_cache(maxsize=131072)
def stem(word: str) -> str:
    """Snowball English stem of one word, folded first; a possessive "'s" goes."""
    w = fold(word)
    if w.endswith("'s"):
        w = w[:-2]
    if not w or w.isdigit():
        return w
    return _stemmer().stemWord(w)
