"""The extractive answerer: pick the sentences of retrieved passages that answer the question.

Each sentence is scored by the weighted question terms it holds (stems, IDF), the terms its
article's title and passage hold, whether it has what the question asks for (a number for
"how much", a name for "who"), and its place in the article; near-repeats are dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.answering.terms import FOLDED_STEMS, WeightedTerm, coverage, read_phrases, stem_term, stems
from bot.text.crosslingual import fold
from bot.search.models import SearchHit
from bot.text.datelines import strip_dateline
from bot.text.places import PLACE_GROUPS
from bot.text.sentences import split_sentences
from bot.text.terms import CALENDAR_WORDS, QUESTION_STOP_WORDS, WORD

_NUMBER = re.compile(r"\d")
_NAME = re.compile(r"(?<!^)(?<![.!?]\s)\b[A-Z][a-z]+")
# What a question asks for: a figure (how much, what price, what rate, when …) or a name (who, which X, where).
_MEASURES = (
    "percent|percentage|share|price|prices|amount|rate|rates|figure|level|coupon|yield|value|size|cost|total|number|"
    "capacity|target|goal|gap|deficit|surplus|output|production|revenue|revenues|profit|loss|sales|earnings|dividend|"
    "premium|discount|ratio|quota|volume|stake|year|date|time|day|month|margin|tonnage|bonus|bid|offer|sum|payment"
)
# "What did J.C. Penney stock do?", "how did its share price respond?": the move, a figure.
_STOCK_MOVE = re.compile(r"\b(?:share price|stock price|shares|stock)\b.{0,60}\b(?:do|did|react|reacted|respond|"
                         r"responded|take|took|move|moved|fare|fared|trade|traded)\b|\bwhat happened to\b.{0,60}"
                         r"\b(?:stock|shares|share price)\b", re.I)
_WANTS_NUMBER = re.compile(
    r"(?:^|[,;:.?!]\s*|\b(?:and|but)\s+)(?:\w+\s+)?(?:how (?:much|many|long|big|far|high|low|large|fast|heavy|deep|old)"
    r"|by how much|when\b|what(?:'s| is| was| were) the (?:most|least|maximum|minimum|highest|lowest)\b|what (?:(?:was|is|were|are|will|would|did|does|do|the|a|an|its|their|his|her)\s+)*"
    r"(?:[\w'-]+\s+){0,2}(?:" + _MEASURES + r")\b|at what (?:price|rate|level|cost))",
    re.I,
)
# Nouns whose instances have names: "which investment dealer", "what company".
_BEARERS = ("company|companies|firm|firms|bank|banks|country|countries|city|cities|port|ports|agency|group|body|"
            "minister|official|dealer|broker|state|states|party|exchange|newspaper|airline|carrier|university|"
            "president|chairman|chair|executive|unit|subsidiary|buyer|bidder|partner|manager|investor|government|"
            "province|region|town|nation|nations|refinery|mine|producer|maker|union|court|judge|team|person|man|woman")
_WANTS_NAME = re.compile(
    r"(?:^|[,;:.?!]\s*|\b(?:and|but)\s+)(?:\w+\s+)?(?:who|whom|whose|where|(?:which|what) (?:[\w-]+\s+)?(?:" + _BEARERS
    + r")\b)",
    re.I,
)
_TARGET = re.compile(r"\b(?:what|which|how many)\s+(?:(?:was|is|were|are|will|did|does|do|the|a|an)\s+)*"
                     r"([a-z][\w-]+)", re.I)
# "How much refining capacity": the measure asked about is the word the figure must stand next to.
_HOW_MUCH_MEASURE = re.compile(r"\bhow (?:much|many|big|large|high)\s+(?:[a-z][\w-]*\s+){0,2}?(" + _MEASURES + r")\b", re.I)
# A question after what something costs or is worth ("what's the most it would cost?") wants an amount of money
# beside the answer's lead, not a count or a multiple ("ten times earnings").
_COST_WORDS = re.compile(r"\b(?:cost|costs|costing|price|priced|pay|paid|paying|worth|valued?|spend|spent|fetch|sold for|"
                         r"bought for|fee|fees)\b", re.I)
# The year a question asks about ("back in 1986", "for 1986"): its figure is the one stated next to it.
_ASKED_YEAR = re.compile(r"\b(?:in|during|for|of)\s+((?:19|20)\d\d)\b(?![/-])", re.I)
# A question after a date: a month, day or year is its answer; for any other figure, a date is none.
_WANTS_DATE = re.compile(r"\b(?:when|what (?:year|date|day|month|time)|which (?:year|date|day|month))\b", re.I)
_MONTHS = ("january|february|march|april|may|june|july|august|september|october|november|december|"
           "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec")
_DATE = re.compile(r"\b(?:(?:" + _MONTHS + r")\.?\s+\d{1,2}(?:st|nd|rd|th)?\b(?:,?\s+\d{4})?|\d{1,2}(?:st|nd|rd|th)?\s+(?:"
                   + _MONTHS + r")\b(?:\s+\d{4})?|(?:19|20)\d\d\b(?![.,]\d))", re.I)
_DIGITS = re.compile(r"\d+(?:[.,/]\d+)*")
_NUMBER_WORDS = frozenset("one two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty "
                          "hundred thousand dozen half quarter third few several couple".split())
_WHEN_WORDS = (CALENDAR_WORDS - {"may"}) | {"yesterday", "today", "tomorrow", "tonight", "weekend"}
_CAPITALISED = re.compile(r"\b[A-Z][\w&'.-]*[A-Za-z]")


# The same asked in German, French and Spanish.
_WANTS_NUMBER_ABROAD = re.compile(
    r"\b(?:combien|cu[aá]nt[oa]s?|wie ?viele?|wie (?:hoch|gro[sß])|um wie viel|quel(?:le)? (?:est |a [eé]t[eé] )?"
    r"(?:le |la )?(?:montant|prix|taux|pourcentage|chiffre)|mit welchem (?:kupon|zins)|welche[nrms]? (?:kupon|preis|zins)"
    r"|qu[eé] (?:precio|porcentaje|tasa|cantidad)|quand|cu[aá]ndo|wann)\b", re.I)
_WANTS_NAME_ABROAD = re.compile(r"\b(?:qui|qu[ií][eé]n(?:es)?|wer|quel(?:le)? (?:pays|soci[eé]t[eé]|banque)|qu[eé] "
                                r"(?:pa[ií]s|empresa|banco)|welche[sr]? (?:land|unternehmen|bank))\b", re.I)


_WHO_VERB = re.compile(r"^\s*who\s+([a-z]+(?:ed|d))\b(?! by\b)", re.I)
_IRREGULAR = {"won": "win", "took": "take", "led": "lead", "made": "make", "bought": "buy", "sold": "sell",
              "wrote": "write", "told": "tell", "paid": "pay", "left": "leave", "ran": "run", "became": "become"}
_PHRASAL = re.compile(r"^\s*who\s+[a-z]+\s+(?:over|up|out|off|down|away|back)\b", re.I)
_WHO_IRREGULAR = re.compile(r"^\s*who\s+(" + "|".join(_IRREGULAR) + r")\b", re.I)


def asked_action(question: str) -> str | None:
    """The stem of the action a "who did it" question asks about ("Who designed the XJ6?": design)."""
    if _PHRASAL.match(question):  # "who took over the chair": said as "succeeded", not "took"
        return None
    m = _WHO_IRREGULAR.match(question)
    if m:
        return stem_term(_IRREGULAR[m.group(1).lower()])
    m = _WHO_VERB.match(read_phrases(question))
    # "who did Nixdorf pick?": "did" is the auxiliary of an action the question names after its subject
    if m and m.group(1).lower() not in {"need", "used", "owned", "based", "did", "had"}:
        return stem_term(m.group(1))
    return None


# "Which bank did Lloyds buy?": a kind of institution whose names say what they are ("Elmfield Bank", "Harvard
# University"). The line that names the answer says the kind too; a line naming a fund does not answer it. Kinds
# that any name may fill ("which dealer", "which firm", "which minister") ask nothing of the sort.
_KINDS: dict[str, str] = {
    "bank": r"bank|\bbanco|\bbanque|\bbancorp|\bbancshares",  # "Bundesbank", "Rabobank" too
    "university": r"\buniversit\w*|\bcollege|\binstitute|\bschool",
    "airline": r"airlines?\b|airways|\bair\b|\bcarrier",
    "newspaper": r"\bnewspaper|\bdaily|\btimes|\bjournal|\bpost\b|\bherald|\btribune|\bgazette|\bpaper|\bmagazine",
    "exchange": r"\bexchange|\bbourse|\bboard of trade|\bmerc\w*",
    "court": r"\bcourt|\btribunal|\bjudge",
    "union": r"\bunion|\bfederation|\bguild|\bconfederation",
    "party": r"\bpart(?:y|ies)\b",
    "refinery": r"\brefiner\w*|\brefining",
    "mine": r"\bmines?\b|\bmining",
    "port": r"\bports?\b|\bharbou?r|\bdocks?\b",
    "shipyard": r"shipyards?|shipbuild\w*|\byards?\b",
    "hospital": r"\bhospital|\bclinic|\bmedical cent\w*",
    "team": r"\bteam|\bclub",
}
# "which investment bank", "which merchant bank": a kind whose names do not say it ("PaineWebber", "Warburg").
_ASKS_KIND = re.compile(r"\b(?:which|what)\s+(?!(?:investment|merchant|commercial)\s)(?:[\w-]+\s+)?("
                        + "|".join(_KINDS) + r")s?\b", re.I)


def asked_kind(question: str) -> re.Pattern[str] | None:
    """The words that say the kind a "which bank / which university ..." question asks for (None: no such kind)."""
    m = _ASKS_KIND.search(question)
    return re.compile(_KINDS[m.group(1).lower()], re.I) if m else None


def wants(question: str) -> tuple[bool, bool]:
    """(a figure, a name): what the question asks for."""
    return (bool(_WANTS_NUMBER.search(question) or _WANTS_NUMBER_ABROAD.search(question)
                 or _STOCK_MOVE.search(question)),
            bool(_WANTS_NAME.search(question) or _WANTS_NAME_ABROAD.search(question)))


def _numbers(text: str, dates: bool = True) -> set[str]:
    """The figures `text` states (digits and number words); without `dates`, days and years are no figures."""
    if not dates:
        text = _DATE.sub(" ", text)
    found = {d.replace(",", "") for d in _DIGITS.findall(text)}
    if dates:  # "on Monday", "last March", "yesterday" answer "when"
        found |= {w for w in re.findall(r"[a-z]+", text.lower()) if w in _WHEN_WORDS}
    return found | {w for w in re.findall(r"[a-z]+", text.lower()) if w in _NUMBER_WORDS}


_TICKER = re.compile(r"<[A-Z0-9.]{1,10}>")
# "The price was not disclosed": the answer to "how much did it pay?" when the article has no figure to give.
_UNDISCLOSED = re.compile(r"\b(?:not|n't) (?:been |be )?disclosed\b|\bundisclosed\b|\b(?:did|does|do|would|will|could) "
                          r"not (?:disclose|reveal)\b|\bdeclined to (?:disclose|reveal)\b|\bterms were not\b", re.I)
# A number that is part of a name ("Local 222", "Boeing 747", "Chapter 11"): after a capitalised word, or after a
# word that names laws, flights and routes by numbers ("chapter 11", "section 301", "flight 255").
_NAME_NUMBER = re.compile(r"\b([A-Z][a-z]+|chapter|flight|route|section|article|rule) (\d+)\b(?![.,]\d)")
# A change in percent: not what "how much cargo" or "how many workers" asks for.
_PERCENT_FIGURE = re.compile(r"\d+(?:\.\d+)?\s*(?:pct|percent|per cent|%)|\d+(?:\.\d+)? percentage points?", re.I)
_ASKS_AMOUNT = re.compile(r"\bhow (?:much|many)\b", re.I)
_ASKS_SHARE = re.compile(r"\b(?:how much of|pct|percent|percentage|per cent|rate|share|ratio|by how much|how far|stake|%|rise|rose|"
                         r"fall|fell|go up|went up|go down|went down|increase|decrease|drop|climb|gain|grow|grew|cut|"
                         r"lower|raise|change)", re.I)


_CURRENCY = (r"dlrs?|dollars?|cts|cents?|stg|sterling|pounds?|pence|marks?|francs?|yen|lire|lira|pesos?|rand|"
             r"guilders?|crowns?|kroner|kronor|krona|rupees?|riyals?|dinars?|yuan|baht|ringgit|escudos?|pesetas?|"
             r"schillings?|drachmas?|kwacha|naira|ecus?|punts?|shekels?|won|rupiah|zlotys?|forints?|rubles?|roubles?|euros?")
# A sum of money: "12.0 mln dlrs", "18.50-dlr-a-share", "214p", "$5", "stg 40 mln".
_MONEY_FIGURE = re.compile(
    r"[$£¥€]\s?\d[\d.,]*(?:\s?(?:mln|million|bln|billion|trillion))?"
    r"|\b\d[\d.,]*(?:[ -]\d+/\d+)?(?:[ -](?:mln|million|bln|billion|trillion|thousand))?[ -](?:" + _CURRENCY + r")\b"
    r"|\b\d[\d.,]*p\b|\b(?:stg|dlrs|us\$)\s?\d[\d.,]*(?:\s?(?:mln|million|bln|billion))?", re.I)
# "How much did GM pay its chairman?", "how much will the plant cost?": a sum of money is the answer, not a count
# of years or a share of something.
_ASKS_MONEY = re.compile(r"\bhow much money\b|\bhow much\b(?:(?!\bof\b)[^?.]){0,80}?\b(?:pay|pays|paid|paying|cost|"
                         r"costs|costing|spend|spends|spent|spending|invest|invested|investing|charge|charged|charges|"
                         r"fetch|fetched|earn|earned|earns|worth|owe|owed|owes|borrow|borrowed)\b", re.I)


def _asked_figures(text: str, question: str, dates: bool) -> set[str]:
    """The figures of `text` that can answer a question after a figure: no ticker, no number of a name
    ("Local 222"), for "how much X" (not a rate or a share) no change in percent, for "how much did it cost" only
    sums of money ("how many bills" may be answered by "3,500 billion lire": a count keeps them)."""
    text = _TICKER.sub(" ", text)
    text = _NAME_NUMBER.sub(lambda m: m.group(0) if m.group(1).lower() in CALENDAR_WORDS else m.group(1), text)
    if _ASKS_AMOUNT.search(question) and not _ASKS_SHARE.search(question):
        text = _PERCENT_FIGURE.sub(" ", text)
    if _ASKS_MONEY.search(question):
        text = " ".join(m.group(0) for m in _MONEY_FIGURE.finditer(text))
    return _numbers(text, dates=dates)


def _names(text: str) -> set[str]:
    """Stems of the capitalised words of `text` that are no stop or calendar word (tickers are none)."""
    out: set[str] = set()
    for word in _CAPITALISED.findall(_TICKER.sub(" ", text)):
        for part in WORD.findall(word):
            low = part.lower()
            if len(low) >= 2 and low not in QUESTION_STOP_WORDS and low not in _NOT_NAME_WORDS:
                out.add(stem_term(part))
    return out - _COMPANY_FORMS


_NOT_NAME_WORDS = frozenset("the a an in on at by for from with after before but and or its it he she they we this "
                            "that these those there analysts officials traders sources".split())
# The legal form after a company's name ("<Linotype GmbH>", "Bass Plc") names nobody new.
_COMPANY_FORMS = frozenset(stem_term(w) for w in
                           "gmbh ag inc ltd plc co corp corporation sa nv bv llc spa ab kk oy group holdings".split())

MAX_SENTENCES = 3
MAX_CHARS = 700

# Sentences that say nobody said anything, or only how a share price moved: filler next to the fact.
_FILLER = re.compile(
    r"\b(?:declined|refused|was not available|were not available|could not be reached|unavailable) (?:to |for )?"
    r"(?:comment|be reached|elaborate|give details|say)|\bno comment\b|\bwould not (?:comment|say|elaborate)\b"
    r"|\bdid not (?:comment|elaborate|give details)\b",
    re.I,
)
_SHARE_PRICE = re.compile(
    r"\b(?:shares?|stock)\b.{0,60}\b(?:rose|fell|gained|lost|closed|ended|jumped|slipped|were up|were down|"
    r"edged|climbed|dropped|traded)\b.{0,40}(?:\d|pence|cents|points|pct|percent|%)",
    re.I,
)
_ASKS_PRICE = re.compile(r"\b(?:shares?|stock|price|market|trading|traded)\b", re.I)
_QUOTE_OPEN = re.compile(r"^[\"“‘']")


@dataclass
class Candidate(SearchHit):
    """One retrieved passage, with what the answerer needs to rank and cite it."""

    rank: int = 0
    relevance: float = 0.0  # weighted share of question terms in title + passage
    sentences: list["ScoredSentence"] = field(default_factory=list)


@dataclass
class ScoredSentence:
    text: str
    candidate: Candidate
    index: int  # position of the sentence in its passage
    coverage: float
    score: float
    words: frozenset[str]
    focus: float = 0.0  # weighted share of the question's non-name terms (its object and action) it holds
    typed: bool = False  # it holds what the question asks for (a figure or a name the question does not state)
    aimed: bool = False  # ...next to the word the question asks about ("what coupon": a figure and "coupon")


def score_candidates(question: str, terms: list[WeightedTerm], candidates: list[Candidate]) -> list[ScoredSentence]:
    """Score every sentence of every candidate (setting each candidate's relevance); best first."""
    wants_number, wants_name = wants(question)
    wants_date = bool(_WANTS_DATE.search(question))
    question_numbers = _numbers(question)
    question_stems = stems(question)
    target = _TARGET.search(question)
    # The word it asks about ("what coupon", "how many workers"), when no name ("which Japanese firm").
    target_stem = stem_term(target.group(1)) if target and target.group(1)[0].islower() else None
    if (measure := _HOW_MUCH_MEASURE.search(question)) is not None:
        target_stem = stem_term(measure.group(1))
    asks_money = wants_number and bool(_COST_WORDS.search(question))
    year = _ASKED_YEAR.search(question)
    year_said = re.compile(r"(?<![\d/-])" + year.group(1) + r"(?![\d/-])") if year and wants_number else None
    names = set(question_entities(question))
    focus_terms = [t for t in terms if t.stem not in names]
    asks_price = bool(_ASKS_PRICE.search(question))
    stock_move = bool(_STOCK_MOVE.search(question))
    scored: list[ScoredSentence] = []
    for cand in candidates:
        title_stems = _with_names(stems(cand.title), names)
        sentences = split_sentences(cand.text)
        passage_stems = title_stems.union(*(_with_names(stems(s), names) for s in sentences)) if sentences else title_stems
        cand.relevance = coverage(terms, passage_stems)
        cand.sentences = []
        # The store leads the first passage with the headline: not an answer sentence of its own.
        lead = 1 if cand.position == 0 and sentences and _same(sentences[0], cand.title) else 0
        for i, raw in enumerate(sentences):
            if i < lead:
                continue
            text = strip_dateline(raw) if i == lead and cand.position == 0 else raw
            words = _with_names(stems(text), names)
            # The lead sentence elaborates the headline: it answers with the headline's words too.
            seen = words | title_stems if i == lead and cand.position == 0 else words
            cov = coverage(terms, seen)
            focus = coverage(focus_terms, seen) if focus_terms else cov
            # "How did its share price respond?": the line with the move ("shares jumped 23p") is what is asked,
            # whatever words the question uses for the news that moved it.
            moved = stock_move and bool(_SHARE_PRICE.search(text))
            if moved:
                focus = max(focus, 0.5)
            score = 0.5 * cov + 0.3 * cand.relevance + 0.15 * focus
            # The sentence that states the fact beats reported-speech filler and share-price lines.
            if _FILLER.search(text):
                score -= 0.15
            elif not asks_price and _SHARE_PRICE.search(text):
                score -= 0.08
            elif _QUOTE_OPEN.match(text) and not _NUMBER.search(text):
                score -= 0.05
            # Dense sentences (the terms in few words) answer more directly than long ones.
            score += 0.08 * cov * min(1.0, 15 / max(len(text.split()), 1))
            # What the question asks for: a figure it does not state, a name it does not name.
            typed = aimed = False
            if wants_number or wants_name:
                typed = bool((wants_number and (_asked_figures(text, question, wants_date) - question_numbers
                                                 or _UNDISCLOSED.search(text)))
                             or (wants_name and _names(text) - question_stems))
                score += 0.08 if typed else -0.04
                if typed and (target_stem in words or moved):
                    aimed = True
                    score += 0.1
                elif typed and ((asks_money and _MONEY_FIGURE.search(text)) or (year_said and year_said.search(text))):
                    aimed = True  # the amount of money, the year's figure: added to the answer, not ranked higher
            if cand.position == 0 and i == lead:
                score += 0.04
            if len(text.split()) < 6 or text.rstrip()[-1:] not in ".!?\"'”’)":
                score -= 0.1
            score -= 0.005 * cand.rank
            item = ScoredSentence(text, cand, i, cov, score, frozenset(words), focus, typed, aimed)
            cand.sentences.append(item)
            scored.append(item)
    scored.sort(key=lambda s: -s.score)
    return scored


_ENTITY = re.compile(r"(?<=[\w,;:'’\"] )([A-Z][\w'’.-]*[A-Za-z])")


def question_entities(question: str) -> list[str]:
    """Stems of the capitalised words inside a question (names, places, companies)."""
    out: list[str] = []
    for name in _ENTITY.findall(question):
        name = name.replace("’", "'").split("'")[0].replace(".", "")
        # "Jae-in" is the words "jae" and "in" to the tokenizer: match its parts as the text is matched.
        for word in WORD.findall(name):
            if len(word) >= 3 and word.lower() not in QUESTION_STOP_WORDS:
                out.append(stem_term(word))
    return out


def _with_names(words: set[str], names: set[str]) -> set[str]:
    """`words` holding the question's names as their text writes them: "Australian beef" names Australia."""
    missing = {n for n in names if n not in words and _has(n, words)}
    return words | missing if missing else words


def _has(entity: str, words: set[str]) -> bool:
    if entity in words:
        return True
    # "Britain" is named "British", "Iran" "Iranian", "Merc" "Mercantile": a name of four letters or more
    # starts a word of the text
    prefix = entity[:5]
    if len(prefix) >= 4 and any(w.startswith(prefix) for w in words):
        return True
    # "Moscow" is named "Soviet", "British" "Britain", "France" "French"
    return bool(_PLACES.get(entity, frozenset()) & words)


_PLACES: dict[str, frozenset[str]] = {}
for _group in PLACE_GROUPS:
    _stems = frozenset(stem_term(w) for w in _group)
    for _s in _stems:
        _PLACES[_s] = _stems - {_s}


def keep_naming(question: str, candidates: list[Candidate], every: bool = True) -> list[Candidate]:
    """Only the passages whose article (title and passage) names every entity of the question (or, not `every`,
    one of them)."""
    entities = question_entities(question)
    if not entities:
        return candidates
    test = all if every else any

    def names(c: Candidate) -> bool:
        text = f"{c.title} {c.text}"
        low = text.lower() if text.isascii() else fold(text)
        # A name whose first letters the passage does not hold (in any of its forms) is not named: no stemming
        # needed for most of the passages a deeper search brings.
        seen = [e in FOLDED_STEMS or any(form[:3] in low for form in (e, *_PLACES.get(e, ()))) for e in entities]
        if not test(seen):
            return False
        words = stems(text)
        return test(_has(e, words) for e in entities)

    return [c for c in candidates if names(c)]


def _same(sentence: str, title: str) -> bool:
    return sentence.rstrip(" .").lower() == title.rstrip(" .").lower()


def _similar(a: frozenset[str], b: frozenset[str]) -> bool:
    if not a or not b:
        return False
    return len(a & b) / min(len(a), len(b)) > 0.6


def choose_sentences(terms: list[WeightedTerm], scored: list[ScoredSentence]) -> list[ScoredSentence]:
    """One to three sentences: the best, then others close to it in score that add something new."""
    if not scored:
        return []
    best = scored[0]
    chosen = [best]
    # The best article's own line with what is asked for comes before any other article's (whose figure is as often
    # about another thing).
    own = None if best.aimed else next(
        (c for c in scored[1:] if c.aimed and c.candidate is best.candidate and c.coverage > 0), None)
    if own is not None and len(best.text) + len(own.text) <= MAX_CHARS + 200:
        chosen.append(own)
    covered = {t.stem for t in terms if any(t.stem in c.words for c in chosen)}
    length = sum(len(c.text) for c in chosen)
    for cand in scored[1:]:
        if cand in chosen:
            continue
        if len(chosen) >= MAX_SENTENCES or cand.score < 0.8 * best.score or cand.coverage <= 0:
            break
        if any(_similar(cand.words, c.words) for c in chosen):
            continue
        new_terms = {t.stem for t in terms if t.stem in cand.words} - covered
        same_passage_next = any(c.candidate is cand.candidate and abs(c.index - cand.index) == 1 for c in chosen)
        if not new_terms and not same_passage_next:
            continue
        if length + len(cand.text) > MAX_CHARS:
            continue
        chosen.append(cand)
        covered |= new_terms
        length += len(cand.text)
    # The question asks for a figure or a name none of them holds (or none next to the word it asks about):
    # add the best sentence of the best article, or of one close in score, that holds it.
    if not any(c.aimed for c in chosen):
        pool = [c for c in scored[1:] if c not in chosen and c.coverage > 0
                and (c.candidate is best.candidate or c.score >= 0.8 * best.score)]
        # the best article's own line first: another article's figure answers about another thing as often
        pick = next((c for c in pool if c.aimed and c.candidate is best.candidate), None) or next(
            (c for c in pool if c.aimed), None)
        if pick is None and not any(c.typed for c in chosen):
            pick = next((c for c in pool if c.typed), None)
        if pick is not None and length + len(pick.text) <= MAX_CHARS + 200:
            if len(chosen) >= MAX_SENTENCES:
                chosen.pop()
            chosen.append(pick)
    # Read in article order within one article, best article first.
    order = {id(c.candidate): i for i, c in enumerate(chosen)}
    chosen.sort(key=lambda s: (order[id(s.candidate)], s.index))
    return chosen


def compose(chosen: list[ScoredSentence], numbers: dict[int, int]) -> str:
    """The answer text: sentences with [n] after each (n from `numbers`: article id -> n)."""
    parts: list[str] = []
    for s in chosen:
        text = s.text.strip()
        if text[-1:] not in ".!?\"'”’)":
            text += "."
        parts.append(f"{text} [{numbers[s.candidate.article_id]}]")
    return " ".join(parts)
