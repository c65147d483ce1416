"""Question terms and their weights (IDF) for ranking and the relevance gate.

Words are stemmed as the search index stems them (bot/text/terms.py, Snowball English); on top
of that, groups of words news copy uses for one meaning are folded into one term each, so a
question's "rise" is answered by "rose" or "gained", its "approve" by "green light", "cleared" or
"licensed", its "cut" by "trim" or "lower", its "jobless" by "unemployment", its "neutral chair" by
"independent chairman"; a table of phrases reads "the cost of living" as inflation and a loan that
"went bad" as nonperforming. Light verbs ("get", "go") weigh little, and a yes/no question about a
trend is answered by a move either way.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.search.query import query_terms
from bot.text.terms import QUESTION_STOP_WORDS, WORD, stem

# News nouns said two ways: "the trade gap" is the trade deficit, "the jobless rate" the unemployment rate. Unlike the verbs, an article using another word of the group is also searched for, and a
# question's word weighs as the commonest word of its group ("gap" is rare, the "deficit" it means is not).
NOUN_GROUPS: tuple[tuple[str, ...], ...] = (
    ("deficit", "deficits", "gap", "shortfall"),
    ("unemployment", "unemployed", "jobless", "joblessness"),
    ("chairman", "chair", "chairwoman", "chairperson", "chairmanship"),
)
# Each group is one meaning; the first word names it. Verbs only: "license" (licensed, licenses) folds
# into "approve", the noun "licence" does not ("export licence reviews" are not approvals). Beside the verbs,
# the words news copy uses for one thing ("chair" and "chairman", "jobless" and "unemployment", "accord" and
# "agreement"): a reader's question says it one way, the wire story the other. A word with a second common
# sense that means something else ("fire", "hold", "book", "vessel") is left out.
SYNONYM_GROUPS: tuple[tuple[str, ...], ...] = (
    ("rise", "rose", "risen", "up", "increase", "gain", "higher", "climb", "grow", "grew", "growth", "jump",
     "raise", "raised", "hike", "boost", "soar", "surge"),
    ("fall", "fell", "fallen", "down", "drop", "decline", "lower", "slid", "slide", "decrease", "shrink",
     "shrank", "plunge", "tumble", "slump", "dip", "sink", "sank", "plummet"),
    ("buy", "bought", "purchase", "acquire", "acquisition", "takeover", "buyout"),
    ("sell", "sold", "sale"),
    ("approve", "approval", "clear", "cleared", "allow", "allowed", "authorize", "authorise", "license",
     "greenlight", "signoff", "endorse", "ratify"),
    ("invest", "investment", "spend", "spent", "spending", "put"),
    # cutting is lowering: "cut its forecast" is answered by "lowered" or "trimmed" it
    ("fall", "cut", "trim", "trimmed", "reduce", "reduction", "slash", "lowered"),
    # jobs are shed, axed, laid off ("layoff"), made redundant, or cut (a phrase below): not any fall
    ("layoff", "layoffs", "redundancy", "redundancies", "shed", "axe", "axed"),
    ("resign", "resignation", "quit", "quits"),
    ("produce", "produced", "production", "output"),
    # Reuters' abbreviations in results tables and wire copy
    ("revenue", "revenues", "revs", "turnover"),
    ("quarter", "qtr"),
    ("percent", "pct", "percentage"),
    ("win", "won", "winning", "winner"),
    ("replace", "replaced", "succeed", "succeeded", "successor"),
    ("seek", "sought", "find", "search"),
    # chosen for a post: hired, appointed, picked, selected, elected
    ("hire", "hired", "retain", "retained", "engage", "engaged", "appoint", "appointed", "pick", "picked",
     "choose", "chose", "chosen", "select", "selected", "elect", "elected"),
    ("independent", "neutral", "impartial"),
    ("inflation", "inflationary"),
    ("nonperforming",),
    ("employee", "employees", "worker", "workers", "staff", "workforce"),
    ("agreement", "accord", "pact", "deal", "treaty"),
    ("talks", "negotiation", "negotiations", "negotiate", "negotiating", "negotiator"),
    ("forecast", "predict", "predicted", "prediction", "outlook"),
    ("target", "goal", "aim"),
    ("close", "closed", "closure", "shut", "shutdown"),
    ("port", "harbour", "harbor", "dock", "docks", "docker", "dockers", "dockworkers", "waterfront"),
    ("dismiss", "dismissed", "dismissal", "sack", "sacked", "oust", "ousted"),
    ("lawsuit", "suit", "sue", "sued", "litigation"),
    ("settle", "settled", "settlement"),
    ("profit", "earnings", "earn", "earned"),
    ("bankrupt", "bankruptcy", "insolvent", "insolvency", "receivership"),
    ("loan", "loans", "lend", "lending", "lender"),
    ("die", "died", "dead", "death", "deaths", "kill", "killed", "killing", "fatal", "fatalities"),
    ("injure", "injured", "injuries", "wounded", "hurt"),
    ("pledge", "promise", "promised", "vow", "vowed"),
    ("tariff", "tariffs", "duty", "duties", "levy", "levies", "surcharge"),
    ("shareholder", "stockholder"),
    ("dividend", "payout"),
    ("withdraw", "withdrew", "withdrawn", "withdrawal"),
    ("cancel", "cancelled", "canceled", "scrap", "scrapped", "abandon", "abandoned"),
    ("reject", "rejected", "rebuff", "rebuffed", "spurn", "spurned"),
    ("arrest", "arrested", "detain", "detained"),
    ("strike", "walkout", "stoppage"),
    ("unit", "subsidiary", "division"),
    ("tonne", "tonnes", "ton", "tons"),
    ("cargo", "cargoes", "freight"),
    ("crop", "harvest"),
    ("plant", "factory"),
    ("recession", "downturn"),
    ("additional", "extra"),
    ("establish", "established", "establishing", "formation", "formed", "create", "created", "creation"),
    # irregular pasts, which the stemmer leaves apart from their verb ("paid" is no "pay" to it)
    ("pay", "paid"), ("lead", "led"), ("hold", "held"), ("meet", "met"), ("begin", "began", "begun"),
    ("send", "sent"), ("lose", "lost"), ("write", "wrote", "written"), ("run", "ran"), ("take", "took", "taken"),
    ("make", "made"), ("bring", "brought"), ("keep", "kept"), ("build", "built"), ("fight", "fought"),
    ("speak", "spoke", "spoken"), ("break", "broke", "broken"), ("strike", "struck"), ("draw", "drew", "drawn"),
    ("drive", "drove", "driven"), ("fly", "flew", "flown"), ("freeze", "froze", "frozen"), ("steal", "stole",
    "stolen"), ("become", "became"), ("give", "gave", "given"), ("say", "said"), ("tell", "told"),
    ("think", "thought"), ("teach", "taught"), ("catch", "caught"), ("feel", "felt"), ("bear", "bore", "borne"),
    *NOUN_GROUPS,
)
# Phrases news copy and questions use for one of the words above, read as that word before stemming (in a
# question and in an article alike): "the cost of living" is inflation, a loan that "went bad" is nonperforming,
# "stepped down" is resigned, "took over as chairman" succeeded as chairman.
_PHRASE_TABLE: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    # (pattern, the word it reads as, lower-case strings one of which any match holds: a cheap test first)
    (r"\bgreen[- ]?light(?:s|ed|ing)?\b", "approve", ("light",)),
    (r"\bsign(?:s|ed|ing)? off\b", "approve", (" off",)),
    (r"\bcost[- ]of[- ]living\b(?: index)?", "inflation", ("living",)),
    (r"\b(?:consumer|retail) price(?:s| index)\b", "inflation", (" price",)),
    (r"\b(?:go|goes|going|gone|went) (?:bad|sour)\b", "nonperforming", (" bad", " sour")),
    (r"\b(?:bad|problem|doubtful|sour) (?=(?:loans?|debts?|credits?)\b)", "nonperforming ",
     ("bad ", "problem ", "doubtful ", "sour ")),
    (r"\bnon[- ]performing\b", "nonperforming", ("performing",)),
    (r"\bloan book\b", "loan portfolio", ("loan book",)),
    (r"\b(?:lay|lays|laying|laid) off\b", "layoff", (" off",)),
    (r"\b(?:job|jobs) cuts?\b", "layoff jobs", ("job cut", "jobs cut")),
    (r"\b(?:cut|cuts|cutting|eliminate|eliminates|eliminated|eliminating|slash|slashes|slashed|slashing)\b"
     r"(?=(?: [\w,.-]+){0,6}? (?:jobs|workers|employees|staff|positions|posts|workforce)\b)", "layoff",
     ("jobs", "workers", "employees", "staff", "positions", "posts", "workforce")),
    (r"\b(?:step|steps|stepped|stepping|stand|stands|standing|stood) down\b", "resign", (" down",)),
    (r"\b(?:take|takes|took|taken|taking) (?:over (?:as |the |his |her |its )?|the )"
     r"(?=(?:chair|chairman|chairmanship|helm|presidency|reins)\b)", "succeeded ",
     (" chair", " helm", " presiden", " reins")),
    (r"\b(?:take|takes|took|taken|taking) over from\b", "succeeded", (" from",)),
    (r"\b(?:gave|give|gives|giving|given) (?:it|this|that|the (?:job|post|chair)) up\b", "resign", (" up",)),
    (r"\bhighest\b(?:\s+[a-z']+){0,4}?\s+ever\b|\ball[- ]time highs?\b|\bhighest on record\b|\bever recorded\b",
     "record", ("ever", "time high", "on record")),
    (r"\b(?:name|names|named|naming) (?=(?:as |the |its |a |new |acting )*(?:chair|chairman|chairwoman|president|"
     r"chief|head|director|manager|minister|governor|editor|coach)\b)", "appointed ",
     (" chair", " president", " chief", " head", " director", " manager", " minister", " governor", " editor",
      " coach")),
    (r"\b(?:go|goes|going|gone|went|move|moves|moved) up\b", "rise", (" up",)),
    (r"\b(?:go|goes|going|gone|went|move|moves|moved) down\b", "fall", (" down",)),
    (r"\bout of work\b", "unemployed", ("out of work",)),
    (r"\bnet income\b", "profit", ("net income",)),
    (r"\bchapter 11\b", "bankruptcy", ("chapter 11",)),
    (r"\b(?:pull|pulls|pulled|pulling) out\b", "withdraw", (" out",)),
    (r"\b(?:call|calls|called|calling) off\b", "cancel", (" off",)),
    (r"\b(?:turn|turns|turned|turning) down\b", "reject", (" down",)),
    (r"\b(?:walk|walks|walked|walking) out\b", "walkout", (" out",)),
    # "founded" (set up) is no "found" (the past of find), which the stemmer makes of both
    (r"\b(?:co-?)?found(?:ed|ing|er|ers)\b", "established", ("found",)),
    (r"\b(?:set|sets|setting) up\b", "established", (" up",)),
    # what one pays for a thing is what one bought it for ("paid 3.3 mln dlrs for the shares", "bought the shares
    # for 3.3 mln dlrs"); paying a dividend or a fine is no purchase
    (r"\b(?:pay|pays|paid|paying)\b(?! (?:a |the |its |their |out )?(?:dividends?|taxe?s?|fines?|interest|debts?|"
     r"wages|salaries|compensation|damages)\b)(?=(?: [\w.,$'-]+){0,5}? for\b)", "buy", ("pay", "paid")),
)
_PHRASES = [(re.compile(pattern, re.I), word, needles) for pattern, word, needles in _PHRASE_TABLE]


def _matching(text: str) -> list[tuple[re.Pattern[str], str]]:
    low = text.lower()
    out = []
    for pattern, word, needles in _PHRASES:
        for needle in needles:
            if needle in low:
                if pattern.search(text):
                    out.append((pattern, word))
                break
    return out


# "U.S.", "U.K.": also the word a question writes ("US", "UK"), besides its letters ("G.D. Searle").
_DOTTED = re.compile(r"\b([A-Z])\.([A-Z])\.(?:([A-Z])\.)?")


def read_phrases(text: str) -> str:
    """`text` with each phrase of the table read as its word ("stepped down" -> "resign")."""
    if "." in text:
        text = _DOTTED.sub(lambda m: m.group(0) + " " + "".join(g for g in m.groups() if g) + " ", text)
    for pattern, word in _matching(text):
        text = pattern.sub(word, text)
    return text


def phrase_words(text: str) -> list[str]:
    """The words of `text` that a phrase of the table replaces ("cost", "living"): for the search, which reads
    the article's own words."""
    return [w.lower() for pattern, _ in _matching(text) for m in pattern.finditer(text)
            for w in WORD.findall(m.group(0)) if w.lower() not in QUESTION_STOP_WORDS]


# Words that carry hardly any meaning of their own: light verbs ("what did they get", "how many jobs will go")
# and how fast something moved ("climbing as fast", "fell sharply"), which the article states as a figure. A
# question term of a fifth of its weight, so that an article need not repeat them.
LIGHT_WORDS = frozenset("get gets got gotten getting go goes going went make makes made making "
                        "come comes came coming bring brings brought bringing keep keeps kept "
                        "fast faster quickly quick rapidly rapid slowly slow sharply sharp steeply".split())
LIGHT_WEIGHT = 0.2
# A yes/no question about a trend ("is inflation still climbing?") is answered by a rise or a fall alike.
RISE, FALL = stem("rise"), stem("fall")
EITHER_WAY = "rise|fall"
_YES_NO = re.compile(r"^\s*(?:is|are|was|were|has|have|had|did|does|do|will|would|can|could|should)\b", re.I)


def either_way(question: str, terms: list["WeightedTerm"]) -> list["WeightedTerm"]:
    """The terms of a yes/no question, its rise or fall read as "a move either way"."""
    if not _YES_NO.match(question):
        return terms
    return [WeightedTerm(t.word, EITHER_WAY, t.weight) if t.stem in (RISE, FALL) else t for t in terms]


_SYNONYMS: dict[str, str] = {}
for _group in SYNONYM_GROUPS:
    for _word in _group:
        _SYNONYMS.setdefault(stem(_word), stem(_group[0]))


# Stems that stand for a group (a name such as "Gap" may be written as any of its words).
FOLDED_STEMS = frozenset(_SYNONYMS.values())


def search_synonyms(words: Iterable[str]) -> list[str]:
    """The other words of the noun groups the words belong to, for searching the articles that use them."""
    out: list[str] = []
    have = set(words)
    for word in have:
        for group in NOUN_GROUPS:
            if word in group:
                out += [w for w in group if w not in have and w not in out]
    return out


_ACRONYM_PLURAL = re.compile(r"[A-Z]{2,6}s")


def stem_term(word: str) -> str:
    """The stem, with verbs of the same meaning folded into one term each; an acronym's plural is the acronym
    ("CCTs", "IPOs", "CDs": the stemmer keeps their "s")."""
    if _ACRONYM_PLURAL.fullmatch(word):
        word = word[:-1]
    s = stem(word)
    return _SYNONYMS.get(s, s)


_HYPHENATED = re.compile(r"\b[^\W\d_]+(?:-[^\W\d_]+)+\b")


def stems(text: str) -> set[str]:
    """The terms of `text`; a hyphenated word also as one ("type-setting" holds "typesetting"); a phrase of the
    table also as its word ("retail prices" holds "retail", "price" and "inflation")."""
    read = read_phrases(text)
    if read != text:
        text = f"{text} {read}"
    out = {stem_term(w) for w in WORD.findall(text)}
    out.update(stem_term(h.replace("-", "")) for h in _HYPHENATED.findall(text))
    if RISE in out or FALL in out:
        out.add(EITHER_WAY)
    return out


# "How big was the gap?", "how wide is the spread": the adjective asks for a size, it is no topic word.
_HOW_ADJECTIVE = re.compile(r"\bhow (?:big|large|high|low|wide|deep|tall|heavy|fast|old|steep|sharp|small)\b", re.I)
# "How did its share price take the news?": the verb asks for the move, it is no topic word.
_STOCK_FRAME = re.compile(r"(\b(?:shares?|stock|share price|stock price)\b(?:\s+[\w']+){0,2}?\s+)(?:take|took|react|reacted|"
                          r"respond|responded|fare|fared|do|did|move|moved|trade|traded|handle|handled)\b", re.I)


def content_terms(question: str) -> list[str]:
    """The topic words of a question (lower case, stop and question words removed, no repeats)."""
    question = _STOCK_FRAME.sub(r"\1", _HOW_ADJECTIVE.sub("how", read_phrases(question)))
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
        w = idf(df.get(word, 0), max(n, 1)) * factor * (LIGHT_WEIGHT if word in LIGHT_WORDS else 1.0)
        if s not in out or out[s].weight < w:
            out[s] = WeightedTerm(word, s, w)
    return list(out.values())


def coverage(terms: list[WeightedTerm], present: set[str]) -> float:
    total = sum(t.weight for t in terms)
    if total <= 0:
        return 0.0
    return sum(t.weight for t in terms if t.stem in present) / total
