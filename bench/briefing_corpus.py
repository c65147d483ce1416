"""A corpus with planted duplicates for the briefing benchmark.

Two parts, both published within one day so that time alone separates nothing:

* hand-written families: 10 stories in 5 pairs that share most of their words but are different
  events (two central-bank decisions, two Samsung stories, two Japanese export licences, two carbon
  fibre investments, two port strikes), each told by 2 to 5 outlets;
* Reuters-21578 articles (research use only), each rewritten by 2 to 5 outlets, plus for each one a
  *distractor*: another Reuters article of the same topic with the most words in common, taken from
  a different week (so a different event) and not a reissue of it.

A rewrite swaps synonyms, reorders the sentences after the lead (sometimes the first two), drops
each later sentence with probability 0.3, adds a sentence of its own, changes the headline (synonyms, "UPDATE 2-", case, or the lead's first words) and wraps
the text in the outlet's furniture (dateline, "Follow us", "Reporting by" lines).
"""

from __future__ import annotations

import gzip
import json
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.briefing.features import terms
from bot.ingest.chunk import split_sentences
from bot.ingest.models import RawArticle

OUTLETS = [
    "Harbour Markets", "Pacific Business Daily", "Northern Ledger", "Metro Wire", "Atlas News",
    "Coastline Post", "Summit Financial", "Orbit Press",
]
SYNONYMS = {
    "said": ["stated", "announced", "told reporters"], "says": ["states"], "rose": ["climbed", "increased"],
    "fell": ["dropped", "declined"], "company": ["firm", "group"], "shares": ["stock"], "profit": ["earnings"],
    "announced": ["unveiled", "disclosed"], "expects": ["anticipates", "forecasts"], "expected": ["forecast", "anticipated"],
    "approved": ["cleared", "authorised"], "plans": ["intends"], "government": ["administration"],
    "officials": ["authorities"], "agreed": ["consented"], "talks": ["negotiations"], "buy": ["purchase"],
    "sell": ["dispose of"], "help": ["assist"], "begin": ["start"], "about": ["around", "roughly"],
    "because": ["as"], "however": ["but"], "major": ["leading"], "prices": ["costs"], "production": ["output"],
    "increase": ["rise", "gain"], "decline": ["drop", "fall"], "raised": ["lifted"], "cut": ["lowered", "reduced"],
    "week": ["seven days"], "largest": ["biggest"], "big": ["large"], "quickly": ["rapidly"], "new": ["fresh"],
    "meeting": ["session", "gathering"], "statement": ["release"], "told": ["informed"], "sales": ["revenue"],
}
EXTRA_SENTENCES = [
    "The report could not be independently verified.",
    "Officials did not respond to requests for comment outside business hours.",
    "Markets in the region were mixed in early trade.",
    "Analysts said more details were likely in the coming days.",
]
# A same-topic article sharing more of its terms than this is a reissue or a templated series
# (daily Fed operations, earnings tables) rather than another event; such pairs are left out.
MAX_DISTRACTOR_OVERLAP = 0.45
_SYN = re.compile(r"\b(" + "|".join(sorted(SYNONYMS, key=len, reverse=True)) + r")\b", re.IGNORECASE)


@dataclass
class Seed:
    key: str
    title: str
    place: str
    body: str


FAMILIES: list[Seed] = [
    Seed("bok-cut", "Bank of Korea cuts rates to 1.25 percent as exports slump", "SEOUL",
         "The Bank of Korea cut its benchmark interest rate by 25 basis points to 1.25 percent on Wednesday, its second cut this year, as exports fell for an eleventh straight month. "
         "Governor Lee Ju-yeol said the bank was ready to act again if the trade dispute between the United States and China worsened. "
         "Six of the seven board members voted for the cut, and one wanted to hold. "
         "The bank lowered its growth forecast for this year to 2.0 percent from 2.2 percent. "
         "The won weakened 0.4 percent against the dollar after the decision."),
    Seed("boj-hold", "Bank of Japan holds rates steady, keeps door open to easing", "TOKYO",
         "The Bank of Japan kept its short-term interest rate target at minus 0.1 percent on Thursday and said it would not hesitate to ease further if the economy lost momentum. "
         "Governor Haruhiko Kuroda told a news conference that risks from overseas economies remained large. "
         "Seven of the nine board members voted to hold, and two dissented. "
         "The bank kept its 10-year bond yield target around zero percent. "
         "The yen was little changed against the dollar after the decision."),
    Seed("samsung-warn", "Samsung Electronics warns of 56 percent drop in quarterly profit", "SEOUL",
         "Samsung Electronics said on Friday its third-quarter operating profit probably fell 56 percent from a year earlier to 7.7 trillion won, as memory chip prices kept sliding. "
         "The world's largest memory maker said demand from data centre customers remained weak. "
         "Analysts at Daewoo Securities said prices of DRAM chips could bottom out early next year. "
         "The company will publish detailed results on October 31. "
         "Samsung shares rose 1.3 percent in Seoul after the guidance."),
    Seed("samsung-plant", "Samsung to build 17 billion dollar chip plant in Texas", "AUSTIN",
         "Samsung Electronics will build a 17 billion dollar chip factory in Taylor, Texas, the company said on Tuesday, its largest investment in the United States. "
         "Construction starts next year and the plant is due to make advanced logic chips from 2024. "
         "Governor Greg Abbott said the factory would create 2,000 jobs. "
         "The company chose Taylor over sites in Arizona and New York. "
         "Samsung already runs a chip plant in Austin, about 25 kilometres away."),
    Seed("jp-resist", "Japan approves first photoresist export to South Korea since curbs", "TOKYO",
         "Japan's trade ministry approved an export of photoresist to South Korea on Thursday, the first licence granted for the chip material since Tokyo tightened export rules in July. "
         "The shipment goes to Samsung Electronics and covers a single contract. "
         "Trade minister Hiroshige Seko said the licence showed the measures were not an embargo. "
         "Reviews of each shipment can take up to 90 days. "
         "Seoul welcomed the decision but said all the curbs should be lifted."),
    Seed("jp-hf", "Japan grants licence for hydrogen fluoride shipment to South Korea", "TOKYO",
         "Japan granted a licence on Thursday for a shipment of hydrogen fluoride to South Korea, the first approval for the etching gas since export rules were tightened. "
         "The gas is used by SK Hynix to clean silicon wafers and the shipment covers 30 tonnes from Stella Chemifa. "
         "Industry minister Isshu Sugawara said each application would be reviewed on its merits. "
         "Korean chipmakers said their stocks would last until the end of the year. "
         "Seoul said it would keep its complaint at the World Trade Organization."),
    Seed("hyosung", "Hyosung to spend 1 trillion won on carbon fibre plant in Jeonju", "JEONJU",
         "Hyosung Advanced Materials will invest about 1 trillion won by 2028 to expand its carbon fibre plant in Jeonju, raising capacity to 24,000 tonnes a year, the company said on Tuesday. "
         "President Moon Jae-in visited the plant and said the country must depend less on Japanese materials. "
         "The fibre is used in aircraft, hydrogen tanks and bicycles. "
         "The expansion will create about 2,300 jobs, Hyosung said. "
         "Japanese firms Toray and Teijin lead world supply."),
    Seed("toray", "Toray to build carbon fibre plant in Hungary for 200 million euros", "TOKYO",
         "Toray Industries will spend 200 million euros on a new carbon fibre plant in Nyergesujfalu, Hungary, the Japanese company said on Tuesday, to meet demand from European car makers. "
         "The plant will add 5,000 tonnes of annual capacity when it opens in 2026. "
         "Chief executive Akihiro Nikkaku said lighter cars needed more carbon fibre. "
         "Toray already makes carbon fibre in France through its unit Toray Carbon Fibers Europe. "
         "Shares of Toray rose 2.1 percent in Tokyo."),
    Seed("rotterdam", "Rotterdam port workers strike over pay, container traffic halted", "ROTTERDAM",
         "Dock workers at the port of Rotterdam walked out for 24 hours on Monday over a pay dispute, halting container traffic at Europe's largest port. "
         "The FNV union said its 4,000 members wanted a 7 percent raise and earlier retirement. "
         "Terminal operator ECT said about 40 ships were waiting to unload. "
         "Talks with employers are due to resume on Thursday. "
         "Shipping line Maersk said it was diverting some vessels to Antwerp."),
    Seed("felixstowe", "Felixstowe dockers begin eight-day strike in pay row", "LONDON",
         "Workers at Felixstowe, Britain's biggest container port, began an eight-day strike on Sunday after rejecting a 7 percent pay offer. "
         "The Unite union said 1,900 members were taking part. "
         "Port owner Hutchison Ports said the walkout would cause disruption to supply chains across Britain. "
         "No new talks have been scheduled. "
         "Shipping line Maersk said it would skip Felixstowe and call at Rotterdam instead."),
]


@dataclass
class Planted:
    raw: RawArticle
    story: str  # gold story label
    planted: bool  # part of a story told by 2 or more sources


def _swap(text: str, rng: random.Random, rate: float) -> str:
    def repl(m: re.Match[str]) -> str:
        word = m.group(0)
        if rng.random() > rate:
            return word
        alt = rng.choice(SYNONYMS[word.lower()])
        return alt[0].upper() + alt[1:] if word[0].isupper() else alt

    return _SYN.sub(repl, text)


def rewrite(title: str, body: str, place: str, variant: int, outlet: str, rng: random.Random) -> tuple[str, str]:
    """A variant of an article as another outlet would run it (variant 0: the original wording)."""
    sentences = split_sentences(body)
    if variant > 0:
        lead, rest = sentences[:1], sentences[1:]
        rng.shuffle(rest)
        kept = [x for x in rest if rng.random() > 0.3]  # each later sentence dropped with p=0.3
        rest = kept if len(kept) >= 2 else rest[:2]
        sentences = lead + rest + [rng.choice(EXTRA_SENTENCES)]
        if len(sentences) > 2 and rng.random() < 0.3:
            sentences[0], sentences[1] = sentences[1], sentences[0]
        sentences = [_swap(s, rng, 0.7) for s in sentences]
        style = variant % 4
        if style == 1:
            title = _swap(title, rng, 1.0)
        elif style == 2:
            title = f"UPDATE {variant}-{title}"
        elif style == 3:
            title = " ".join(sentences[0].split()[:10]).rstrip(",;:") + "…"
        else:
            title = _swap(title.upper() if title != title.upper() else title.title(), rng, 1.0)
    paragraphs = [f"{place} ({outlet}) – {sentences[0]}"] + sentences[1:]
    furniture = rng.choice(["Follow us on Twitter for more news", "Share this article", "Read more: markets live"])
    credit = f"Reporting by {rng.choice(['Ana Ruiz', 'Kenji Mori', 'Lena Brandt'])}; Editing by {rng.choice(['Tom Hale', 'Ravi Nair'])}"
    return title, "\n\n".join(paragraphs + [credit, furniture])


def reuters_articles(path: Path) -> Iterator[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            yield json.loads(line)


def _story_articles(
    key: str, title: str, body: str, place: str, n_sources: int, start: datetime, rng: random.Random
) -> list[Planted]:
    outlets = rng.sample(OUTLETS, n_sources)
    base_time = start + timedelta(minutes=rng.randrange(0, 16 * 60))
    out = []
    for v, outlet in enumerate(outlets):
        t, b = rewrite(title, body, place, v, outlet, rng)
        slug = re.sub(r"[^a-z0-9]+", "-", t.lower())[:50].strip("-")
        out.append(
            Planted(
                RawArticle(
                    title=t, body=b, source=outlet, url=f"https://{outlet.lower().replace(' ', '')}.example/{key}/{slug}-{v}",
                    published=base_time + timedelta(minutes=rng.randrange(0, 6 * 60)), origin=f"{key}/{v}",
                ),
                key,
                n_sources > 1,
            )
        )
    return out


def family_corpus(rng: random.Random, start: datetime) -> list[Planted]:
    items: list[Planted] = []
    for seed in FAMILIES:
        items += _story_articles(seed.key, seed.title, seed.body, seed.place, rng.randint(2, 5), start, rng)
    return items


def _usable(a: dict) -> bool:
    return bool(a.get("topics")) and 400 <= len(a["body"]) <= 4000 and len(split_sentences(a["body"])) >= 3


def reuters_corpus(
    path: Path, rng: random.Random, start: datetime, stories: int, max_overlap: float = MAX_DISTRACTOR_OVERLAP
) -> list[Planted]:
    """`stories` Reuters articles told by 2-5 outlets each, plus one same-topic distractor for each."""
    pool = [a for a in reuters_articles(path) if _usable(a)]
    by_topic: dict[str, list[dict]] = {}
    for a in pool:
        by_topic.setdefault(a["topics"][0], []).append(a)
    term_sets: dict[str, set[str]] = {}

    def term_set(a: dict) -> set[str]:
        if a["id"] not in term_sets:
            term_sets[a["id"]] = set(terms(a["title"] + " " + a["body"][:1500]))
        return term_sets[a["id"]]

    def overlap_of(a: dict, b: dict) -> float:
        ta, tb = term_set(a), term_set(b)
        return len(ta & tb) / max(1, min(len(ta), len(tb)))

    # Bases are distinct events too: no reissue or templated series among them.
    candidates = [a for a in pool if len(by_topic[a["topics"][0]]) >= 20]
    rng.shuffle(candidates)
    bases: list[dict] = []
    for cand in candidates:
        if all(overlap_of(cand, b) < max_overlap for b in bases):
            bases.append(cand)
            if len(bases) >= stories:
                break
    used = {a["id"] for a in bases}

    items: list[Planted] = []
    for base in bases:
        place = (base.get("dateline") or "NEW YORK").split(",")[0].strip().upper() or "NEW YORK"
        items += _story_articles(base["id"], base["title"], base["body"], place, rng.randint(2, 5), start, rng)
        base_day = datetime.fromisoformat(base["published"])
        best, best_overlap = None, 0.0
        for cand in by_topic[base["topics"][0]][:600]:
            if cand["id"] in used or abs((datetime.fromisoformat(cand["published"]) - base_day).days) < 7:
                continue
            overlap = overlap_of(base, cand)
            if overlap > best_overlap and overlap < max_overlap and all(overlap_of(cand, b) < max_overlap for b in bases):
                best, best_overlap = cand, overlap
        if best is not None:
            used.add(best["id"])
            place = (best.get("dateline") or "NEW YORK").split(",")[0].strip().upper() or "NEW YORK"
            items += _story_articles(best["id"], best["title"], best["body"], place, 1, start, rng)
    return items


def volume_corpus(path: Path, count: int, start: datetime) -> list[RawArticle]:
    """`count` Reuters articles as they come, published over one day."""
    out: list[RawArticle] = []
    for a in reuters_articles(path):
        if len(a["body"]) < 200:
            continue
        i = len(out)
        out.append(
            RawArticle(
                title=a["title"], body=a["body"], source="Reuters", url=f"https://reuters.example/{a['id']}",
                published=start + timedelta(seconds=i * 86400 // count), origin=a["id"],
            )
        )
        if len(out) >= count:
            break
    return out


DAY = datetime(2024, 5, 14, 0, 0, tzinfo=UTC)


@dataclass
class DevStory:
    """One article of the reuters-dev story set: its label and, for a hard negative, the original it must avoid."""

    raw: RawArticle
    label: str  # the story it belongs to (an original's id; a negative's own id)
    kind: str  # "original" | "rewrite" | "negative"
    negative_of: str | None = None


def dev_story_dir() -> Path:
    root = Path(__file__).resolve().parents[1]
    for base in (root.parent / "shared" / "eval", Path("/work/shared/eval")):
        path = base / "reuters-dev"
        if (path / "stories.jsonl").is_file():
            return path
    raise SystemExit("reuters-dev not found in ../shared/eval or /work/shared/eval")


def _naive_utc(text: str) -> datetime:
    """The set's timestamps have no zone (as the corpus); they are read as UTC, the same for every article."""
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def dev_story_corpus(corpus: Path, folder: Path | None = None) -> list[DevStory]:
    """The 40 Reuters originals and the 50 new reports (30 rewrites, 20 hard negatives) of reuters-dev."""
    folder = folder or dev_story_dir()
    wanted = [line.strip() for line in (folder / "stories_originals.txt").read_text().splitlines() if line.strip()]
    found: dict[str, dict] = {}
    for a in reuters_articles(corpus):
        if a["id"] in wanted:
            found[a["id"]] = a
    missing = [i for i in wanted if i not in found]
    if missing:
        raise SystemExit(f"originals missing from the corpus: {', '.join(missing)}")
    out = [
        DevStory(RawArticle(title=a["title"], body=a["body"], source="Reuters", url=f"https://reuters.example/{a['id']}",
                            place=a.get("dateline"), published=_naive_utc(a["published"]), origin=a["id"]),
                 a["id"], "original")
        for a in (found[i] for i in wanted)
    ]
    with (folder / "stories.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            s = json.loads(line)
            slug = re.sub(r"[^a-z0-9]+", "", s["source"].lower())
            raw = RawArticle(title=s["title"], body=s["body"], source=s["source"], url=f"https://{slug}.example/{s['id']}",
                             published=_naive_utc(s["published"]), origin=s["id"])
            if s.get("story"):
                out.append(DevStory(raw, s["story"], "rewrite"))
            else:
                out.append(DevStory(raw, s["id"], "negative", s["negative_of"]))
    return out
