"""Benchmark data: passages from the Reuters-21578 corpus and user-style questions about them.

Passages are the real articles cleaned and chunked exactly as the ingest pipeline does it;
beyond the real ones, passages are made by sampling and recombining real sentences (seeded),
so every size holds the same real passages first. Questions are phrased as users ask them
("what did X say about Y", "how much did Z rise") from facts of real passages, so each
question's source article is known.
"""

from __future__ import annotations

import gzip
import json
import random
import re
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.ingest.chunk import chunk_many, split_sentences  # noqa: E402
from bot.ingest.clean import clean_body  # noqa: E402
from bot.search.query import STOP_WORDS  # noqa: E402

CORPUS_CANDIDATES = [ROOT.parent / "shared" / "data" / "reuters21578" / "articles.jsonl.gz",
                     Path("/work/shared/data/reuters21578/articles.jsonl.gz")]


@dataclass
class Passage:
    pid: int
    article_id: int
    text: str
    published: str
    real: bool


def corpus_path() -> Path:
    for p in CORPUS_CANDIDATES:
        if p.is_file():
            return p
    raise SystemExit("Reuters corpus not found (looked in ../shared/data and /work/shared/data)")


def load_articles() -> list[dict]:
    with gzip.open(corpus_path(), "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def real_passages(articles: list[dict], passage_tokens: int = 200) -> list[Passage]:
    bodies = [clean_body(a["body"]).body for a in articles]
    chunks = chunk_many(bodies, passage_tokens)
    out: list[Passage] = []
    for aid, (a, parts) in enumerate(zip(articles, chunks), 1):
        for j, p in enumerate(parts):
            text = f"{a['title']}. {p.text}" if j == 0 else p.text
            out.append(Passage(len(out) + 1, aid, text, a.get("published") or "1987-03-01T00:00:00Z", True))
    return out


def build_passages(n: int, seed: int = 7) -> tuple[list[Passage], int]:
    """`n` passages: the real ones first, then recombined sentences. Returns (passages, real count)."""
    articles = load_articles()
    real = real_passages(articles)
    if n <= len(real):
        return real[:n], n
    rng = random.Random(seed)
    sentences = [s for p in real for s in split_sentences(p.text)]
    dates = [p.published for p in real]
    out = list(real)
    article_id = len(articles)
    while len(out) < n:
        article_id += 1
        published = rng.choice(dates)
        for _ in range(rng.randint(1, 5)):
            if len(out) >= n:
                break
            text = " ".join(rng.choice(sentences) for _ in range(rng.randint(3, 7)))
            out.append(Passage(len(out) + 1, article_id, text, published, False))
    return out, len(real)


_SAID = re.compile(r"\b((?:[A-Z][\w.&'-]*\s){0,3}[A-Z][\w.&'-]+) said\b(?: (?:that|it|on|the))?(.*)")
_MOVE = re.compile(r"\b((?:[a-z][\w-]*\s){0,2}[A-Za-z][\w-]{3,}) (rose|fell|increased|dropped|climbed|declined|gained|jumped)\b")
_BASE = {"rose": "rise", "fell": "fall", "increased": "increase", "dropped": "drop", "climbed": "climb",
         "declined": "decline", "gained": "gain", "jumped": "jump"}
_NAME = re.compile(r"\b[A-Z][a-z]+(?: [A-Z][a-z]+){0,2}")
_WORD = re.compile(r"[A-Za-z][A-Za-z-]{3,}")
_GENERIC_WHO = {"He", "She", "It", "They", "The", "This", "But", "And", "A", "In", "Reuters", "Officials", "Analysts"}


def _topic(text: str, rng: random.Random, avoid: str) -> str | None:
    words = [w.lower() for w in _WORD.findall(text) if w.lower() not in STOP_WORDS and w.lower() not in avoid.lower()]
    if not words:
        return None
    words = sorted(set(words), key=lambda w: (-len(w), w))[:6]
    rng.shuffle(words)
    return " ".join(words[: rng.choice((1, 2, 2))])


def make_questions(passages: list[Passage], count: int = 200, seed: int = 11, pool: int = 10_000) -> list[dict]:
    """User-style questions, each from one real passage among the first `pool` (present at every size)."""
    rng = random.Random(seed)
    candidates = [p for p in passages[:pool] if p.real]
    questions: list[dict] = []
    seen: set[str] = set()
    while len(questions) < count:
        p = rng.choice(candidates)
        sentences = split_sentences(p.text)
        rng.shuffle(sentences)
        q = None
        for s in sentences:
            kind = rng.random()
            m = _SAID.search(s)
            if m and kind < 0.45 and m.group(1).split()[0] not in _GENERIC_WHO:
                topic = _topic(m.group(2), rng, m.group(1))
                if topic:
                    who = m.group(1)
                    q = rng.choice([f"what did {who} say about {topic}?", f"What did {who} say on {topic}",
                                    f"{who} comments on {topic}?"])
                    break
            m = _MOVE.search(s)
            if m and kind < 0.8:
                subj = m.group(1)
                if any(w.lower() not in STOP_WORDS for w in subj.split()):
                    extra = _topic(s, rng, subj) or ""
                    q = rng.choice([f"how much did {subj} {_BASE[m.group(2)]}? ({extra})",
                                    f"by how much did the {subj} {_BASE[m.group(2)]} {extra}",
                                    f"why did {subj} {_BASE[m.group(2)]} {extra}?"])
                    break
            names = [n for n in _NAME.findall(s[1:]) if n not in _GENERIC_WHO]
            topic = _topic(s, rng, " ".join(names)) if names else None
            if topic and kind >= 0.8:
                topic = f"{rng.choice(names)} {topic.split()[0]}"
                q = rng.choice([f"any news about {topic}?", f"what's happening with {topic}",
                                f"tell me about the {topic} story"])
                break
        if q and q not in seen:
            seen.add(q)
            questions.append({"q": " ".join(q.replace("()", "").split()), "article_id": p.article_id, "pid": p.pid})
    return questions
