"""The claim check on the model's answer: every number and name a sentence states must be in a source it cites.

After generation (before the final message settles), the answer is split into sentences, each with the
citation markers it carries. A sentence's claims are the numbers it states, with their scale and unit
("1.5 billion dollars" = "1,500 mln dlrs", "5%" = "5 pct"), and the names it states (capitalised words
inside an English sentence; Latin-script capitalised words inside a Chinese, Japanese or Korean one). Then:

- every claim is in a source the sentence cites: kept;
- some claim is in none of its cited sources, but one given source holds all of them: re-cited to that source;
- otherwise: dropped (the check says which claim no source holds).

A sentence that states no number or name (a plain "the sources don't say") is kept as written. Citations are
then renumbered in order of first appearance, so an answer citing only [2] and [4] shows [1] and [2].
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from bot.text.citations import citation_numbers
from bot.text.sentences import split_sentences
from bot.text.terms import CALENDAR_WORDS, STOP_WORDS, WORD

_MARKER = re.compile(r"\s*[\[【]\s*(\d{1,3}(?:\s*[,;]\s*\d{1,3})*)\s*[\]】]")
# Markers written after the sentence's full stop ("… approved. [1] Seoul …") belong to that sentence.
_MARKER_AFTER_STOP = re.compile(r"([.!?。！？][\"'”’)]*)((?:\s*[\[【]\s*\d{1,3}(?:\s*[,;]\s*\d{1,3})*\s*[\]】])+)")
_MENTION = re.compile(r"<[@#][!&]?\d+>")  # Discord mention syntax (neutralised later): its id is no figure
_CJK_STOP = re.compile(r"(?<=[。！？])\s*|(?<=[.!?])\s+(?=[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af])")
_MOVED = "\u2063"  # marks a sentence whose markers the model wrote after its full stop
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")

_SCALES = {
    "thousand": 3, "k": 3, "million": 6, "mln": 6, "mn": 6, "m": 6, "billion": 9, "bln": 9, "bn": 9, "b": 9,
    "trillion": 12, "trln": 12, "tn": 12,
}
_UNITS = {
    "%": "percent", "pct": "percent", "percent": "percent", "per cent": "percent", "percentage": "percent",
    "$": "dollar", "dlr": "dollar", "dlrs": "dollar", "dollar": "dollar", "dollars": "dollar", "usd": "dollar",
    "¥": "yen", "yen": "yen", "€": "euro", "euro": "euro", "euros": "euro", "£": "pound", "pound": "pound",
    "pounds": "pound", "stg": "pound", "sterling": "pound", "won": "won", "yuan": "yuan",
    "tonne": "tonne", "tonnes": "tonne", "ton": "tonne", "tons": "tonne", "barrel": "barrel", "barrels": "barrel",
    "bpd": "barrel", "day": "day", "days": "day", "week": "week", "weeks": "week", "month": "month",
    "months": "month", "year": "year", "years": "year", "hour": "hour", "hours": "hour", "point": "point",
    "points": "point", "basis": "basis point", "share": "share", "shares": "share", "people": "people",
    "cent": "cent", "cents": "cent", "ounce": "ounce", "ounces": "ounce", "kg": "kg", "km": "km",
}
_NUMBER = re.compile(
    r"(?P<pre>[$¥€£])?\s?(?<![A-Za-z0-9_.])(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?!\d)"
    r"(?P<sep>-|\s)?(?P<w1>%|[A-Za-z]+)?(?:\s(?P<w2>[A-Za-z]+))?"
)
_NAME_WORD = re.compile(r"[A-Z][\w'’.-]*[A-Za-z]|[A-Z]{2,}")
# Capitalised words that name nothing a source must hold.
_NOT_NAMES = frozenset(STOP_WORDS | CALENDAR_WORDS | {"i", "as", "according", "sources", "source", "article",
                                                       "articles", "however", "yes", "no", "also", "both"})
# The commonest words of German, French and Spanish: a sentence made of enough of them is not read for names
# (German capitalises every noun; answers come in the question's language).
OTHER_LANGUAGE_WORDS = _OTHER_LANGUAGE = frozenset("der die das und ist hat von mit den dem des für nicht ein eine einen zu auf im sich "
                            "wird wurde le la les des du de et est une un pour dans qui que au aux sur pas ont été il ils elle va "
                            "el los las del y es una para en por con se lo al su sus ha han fue ni pero como más muy sin sobre también "
                            "auch oder aber noch nach bei um im ou mais avec très sans aussi".split())
OTHER_LANGUAGE_SHARE = 0.15


@dataclass(frozen=True)
class Quantity:
    value: Decimal
    scale: int  # power of ten of "million", "bln", …
    unit: str | None
    text: str

    @property
    def magnitude(self) -> Decimal:
        return self.value.scaleb(self.scale)


@dataclass
class SentenceCheck:
    sentence: str  # as the model wrote it (markers included)
    supported: bool
    action: str  # "kept", "re-cited", "dropped"
    why: str
    cited: list[int]  # source numbers the sentence ends up citing (before renumbering)

    def to_dict(self) -> dict[str, object]:
        return {"sentence": self.sentence, "supported": self.supported, "action": self.action, "why": self.why,
                "cited": self.cited}


@dataclass
class Checked:
    text: str  # kept sentences, citations renumbered
    used: list[int]  # original source numbers in their new order: used[i] is shown as [i + 1]
    checks: list[SentenceCheck]

    @property
    def dropped(self) -> list[SentenceCheck]:
        return [c for c in self.checks if c.action == "dropped"]


def answer_sentences(text: str) -> list[str]:
    """The answer's sentences, each with the citation markers it carries."""
    return [s for s, _ in _sentences(text)]


def _sentences(text: str) -> list[tuple[str, bool]]:
    """(sentence with its markers before its full stop, whether the model wrote them after it)."""
    moved = _MARKER_AFTER_STOP.sub(lambda m: m.group(2) + _MOVED + m.group(1), text.replace(_MOVED, ""))
    out: list[tuple[str, bool]] = []
    for sentence in split_sentences(moved):
        out += [(s.replace(_MOVED, ""), _MOVED in s) for s in _CJK_STOP.split(sentence) if s.strip()]
    return out


_MARKS_THEN_STOP = re.compile(r"((?:\s*[\[【][\d,;\s]+[\]】])+)\s*([.!?。！？][\"'”’)]*)$")


def _styled(sentence: str, after: bool) -> str:
    """The sentence with its markers where the model writes them (after the full stop when it did so)."""
    return _MARKS_THEN_STOP.sub(lambda m: m.group(2) + m.group(1), sentence) if after else sentence


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text.replace(",", ""))
    except InvalidOperation:
        return None


def quantities(text: str) -> list[Quantity]:
    """The numbers `text` states, with their scale and unit."""
    out: list[Quantity] = []
    for m in _NUMBER.finditer(_MENTION.sub(" ", _MARKER.sub(" ", text))):
        value = _decimal(m.group("num"))
        if value is None:
            continue
        w1 = (m.group("w1") or "").lower()
        w2 = (m.group("w2") or "").lower()
        scale = 0
        unit = _UNITS.get(m.group("pre") or "")
        said = (m.group("pre") or "") + m.group("num")
        # "5m", "$2bn": a one-letter scale only when written onto the number.
        if w1 in _SCALES and (len(w1) > 1 or not m.group("sep")):
            scale = _SCALES[w1]
            said += (m.group("sep") or "") + m.group("w1")
            if w2 in _UNITS and not unit:
                unit = _UNITS[w2]
                said += " " + m.group("w2")
        elif w1 == "per" and w2 == "cent":
            unit = "percent"
            said += " per cent"
        elif w1 in _UNITS:
            unit = unit or _UNITS[w1]
            said += (m.group("sep") or "") + m.group("w1")
        out.append(Quantity(value, scale, unit, said))
    return out


def _holds_quantity(claim: Quantity, source: Sequence[Quantity]) -> bool:
    for q in source:
        if claim.unit and q.unit and claim.unit != q.unit:
            continue
        if q.magnitude == claim.magnitude:
            return True
        # A rounded figure of the source's: "1.53 billion" said as "1.5 billion".
        if q.scale == claim.scale and claim.value != 0:
            places = -claim.value.normalize().as_tuple().exponent  # type: ignore[operator]
            if places >= 0 and q.value.quantize(Decimal(1).scaleb(-places)) == claim.value and q.value != q.value.to_integral_value():
                return True
    return False


def in_other_language(text: str) -> bool:
    """Whether `text` is written in Chinese, Japanese, Korean, German, French or Spanish (not English)."""
    return bool(_CJK.search(text)) or _other_language(text)


def _other_language(sentence: str) -> bool:
    words = [w.lower() for w in WORD.findall(sentence)]
    return bool(words) and sum(w in _OTHER_LANGUAGE for w in words) / len(words) >= OTHER_LANGUAGE_SHARE


def names(sentence: str, ordinary: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """The names a sentence states: its capitalised words, not in German, French or Spanish sentences. A word
    capitalised only because it starts the sentence (or follows a colon or quote) is no name when it is a
    common sentence opener or written lower-case in `ordinary` (the sources' text)."""
    clean = _MARKER.sub(" ", sentence).strip()
    if _CJK.search(clean):
        candidates = [(m.group(0), False) for m in _NAME_WORD.finditer(clean)]
    elif not _other_language(clean):
        candidates = []
        for m in _NAME_WORD.finditer(clean):
            before = clean[: m.start()].rstrip()
            first = not before or before[-1] in ".!?:;\"“‘'(" or before.endswith(("—", "–"))
            candidates.append((m.group(0), first))
    else:
        return []
    out: list[str] = []
    for word, first in candidates:
        for part in WORD.findall(word.replace("’", "'").split("'")[0]):
            low = part.lower()
            if len(low) < 2 or low in _NOT_NAMES or (first and (low in _COMMON_STARTS or low in ordinary)):
                continue
            if low not in out:
                out.append(low)
    return out


# Words a sentence may start with, capitalised only because they start it.
_COMMON_STARTS = frozenset(
    """this that these those there their they its it he she we you our in on at by for from with after before
    during under over when while where what which who how why if although though because since until as
    both each every some many most several all any no none one two three four five six seven eight nine
    ten first second third last next new japan's according however meanwhile also only still yet so then
    earlier later today yesterday reviews shipments exports imports prices shares officials analysts
    the a an""".split()
)


def _source_words(text: str) -> set[str]:
    """The source's words, lower case, each possessive also without its "'s" ("PLC's" holds "plc")."""
    words = {w.lower() for w in WORD.findall(text.replace("’", "'"))}
    return words | {w.split("'")[0] for w in words if "'" in w}


def _lower_words(text: str) -> set[str]:
    return {w for w in WORD.findall(text.replace("’", "'")) if w.islower()}


def _holds_name(name: str, words: set[str]) -> bool:
    if name in words:
        return True
    # "Japanese" is stated by "Japan", "Korean" by "Korea", "Samsung's" by "Samsung".
    prefix = name[:5]
    return len(name) >= 5 and any(w.startswith(prefix) or (len(w) >= 5 and name.startswith(w)) for w in words)


@dataclass
class _Source:
    quantities: list[Quantity]
    words: set[str]


def _missing(nums: Sequence[Quantity], nms: Sequence[str], sources: Sequence[_Source]) -> list[str]:
    """The claims none of `sources` holds."""
    missing = [q.text for q in nums if not any(_holds_quantity(q, s.quantities) for s in sources)]
    missing += [n for n in nms if not any(_holds_name(n, s.words) for s in sources)]
    return missing


def _with_markers(sentence: str, numbers: Sequence[int]) -> str:
    bare = _MARKER.sub("", sentence).rstrip()
    marks = "".join(f"[{n}]" for n in numbers)
    end = re.search(r"[.!?。！？][\"'”’)]*$", bare)
    if end:
        return f"{bare[: end.start()]} {marks}{bare[end.start():]}" if marks else bare
    return f"{bare} {marks}".rstrip()


def check_claims(text: str, sources: Mapping[int, str]) -> Checked:
    """Check each sentence of `text` against the sources it cites (`sources`: n -> title, date and text)."""
    parsed = {n: _Source(quantities(body), _source_words(body)) for n, body in sources.items()}
    ordinary = set().union(*(_lower_words(body) for body in sources.values()))
    checks: list[SentenceCheck] = []
    kept: list[tuple[str, list[int]]] = []
    for sentence, after in _sentences(text):
        cited = [n for n in citation_numbers(sentence) if n in parsed]
        nums, nms = quantities(sentence), names(sentence, ordinary)
        claims = [q.text for q in nums] + nms
        if not claims:
            checks.append(SentenceCheck(_styled(sentence, after), True, "kept", "states no number or name to check", cited))
            kept.append((_styled(_with_markers(sentence, cited), after), cited))
            continue
        missing = _missing(nums, nms, [parsed[n] for n in cited]) if cited else claims
        if not missing:
            checks.append(SentenceCheck(_styled(sentence, after), True, "kept", f"{_quoted(claims)}: in the source it cites", cited))
            kept.append((_styled(sentence, after), cited))
            continue
        holders = [n for n, s in parsed.items() if not _missing(nums, nms, [s])]
        if holders:
            # The source the answer already cites elsewhere first, then the lowest number (the best passage).
            cited_elsewhere = {n for _, ns in kept for n in ns}
            best = min(holders, key=lambda n: (n not in cited_elsewhere, n))
            why = (f"{_quoted(missing)}: not in the source it cited" if cited else "it cited no source")
            checks.append(SentenceCheck(_styled(sentence, after), False, "re-cited", why + "; re-cited to the source that holds "
                                        + ("it" if len(claims) == 1 else "them"), [best]))
            kept.append((_styled(_with_markers(sentence, [best]), after), [best]))
            continue
        where = "in none of the sources" + (", cited or not" if cited else "")
        checks.append(SentenceCheck(_styled(sentence, after), False, "dropped", f"{_quoted(missing)}: {where}; dropped", []))
    used: list[int] = []
    for _, ns in kept:
        for n in ns:
            if n not in used:
                used.append(n)
    new = {n: i + 1 for i, n in enumerate(used)}

    def renumber(m: re.Match[str]) -> str:
        ns = [new[int(p)] for p in re.split(r"[,;]", m.group(1)) if int(p) in new]
        lead = " " if m.group(0)[:1].isspace() else ""
        return lead + "".join(f"[{n}]" for n in dict.fromkeys(ns)) if ns else ""

    out = " ".join(_MARKER.sub(renumber, s) for s, _ in kept)
    out = re.sub(r"[ \t]+([.,;:!?])", r"\1", out)
    for c in checks:
        c.cited = [new[n] for n in c.cited if n in new]
    return Checked(" ".join(out.split()), used, checks)


def _quoted(items: Sequence[str]) -> str:
    return ", ".join(f"“{i}”" for i in items)
