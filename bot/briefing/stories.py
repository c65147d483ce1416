"""Group articles into stories.

Each article becomes a sparse TF-IDF vector of its key terms, named entities and numbers
(`features.article_features`). Similarities are accumulated term by term over an inverted
index into a dense N×N matrix (numpy), so no Python loop ever compares two full texts.
Articles then merge, strongest pair first, under average linkage: two groups join when the
pair is at least `threshold` similar, the groups are on average at least `threshold *
AVERAGE_FACTOR` similar, and every pair across them happened within `window_hours`.
Articles linked at ingest as near-duplicates (`duplicate_of`) always share a story.

With article vectors (`vectors`, one L2-normalised row per article, zeros where none; the builder
takes them from the store or the embedder, see `BriefingBuilder`), meaning joins stories too:

- *Same language*: a pair's similarity gains `VECTOR_WEIGHT * (lift - VECTOR_FLOOR)` when its vector
  lift is above the floor. The lift is the cosine's height above the batch's median cosine, as a
  share of the way to 1 (e5's cosines all sit at 0.7-0.9, an OpenAI model's at 0.1-0.6: the median
  calibrates either). Figures are evidence against: a pair whose texts both state quantities (a
  number with a unit or scale) and share none gains nothing and its word similarity counts half,
  since two reports of one event repeat its figures and two events of one topic (a bank's cut and
  another bank's, two quarters) differ in them.
- *Across languages* (after the stories of each language are formed): a story in one language joins
  a story in another when each is the other's closest by vector among that language's stories in
  the time window, closer than the median pair of those two languages, and they share a figure
  (by value: "1.50%" = "1,50 %" = "1.50 percent"). Words cannot match
  across languages, so the vectors propose and a figure confirms.

Without vectors the grouping is exactly the TF-IDF one.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from bot.briefing.features import ArticleFeatures, article_features
from bot.briefing.models import WindowArticle
from bot.text.datelines import strip_dateline
from bot.text.languages import language_of

DEFAULT_THRESHOLD = 0.45
AVERAGE_FACTOR = 0.85
COMMON_TERM_SHARE = 0.4  # in a large batch, a term in more than this share of articles is noise
VECTOR_WEIGHT = 0.25  # how much a vector lift above the floor adds to a pair's similarity
VECTOR_FLOOR = 0.6  # vector lift (0 = the batch's median pair, 1 = identical) below which vectors add nothing
CONFLICT_FACTOR = 0.5  # with vectors: the word similarity that counts for a pair whose figures all differ
MIN_VECTOR_ARTICLES = 5  # fewer articles with vectors than this: no median to calibrate against, no vectors
FIGURE_CHARS = 1500  # figures are read from the title and this much of the lead
_FIGURE = re.compile(r"(?<![A-Za-z0-9.,])\d+(?:[.,]\d+)*")  # after a CJK letter too: "年1.50%"
_COMMA_DECIMAL = {"de", "fr", "es"}


@dataclass
class StoryGroup:
    """Indexes (into the article list) of one story's articles, its representative first."""

    members: list[int]
    representative: int


def _epoch_hours(iso: str | None) -> float:
    if not iso:
        return math.nan
    try:
        return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() / 3600.0
    except ValueError:
        return math.nan


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))
        self.members: dict[int, list[int]] = {i: [i] for i in range(n)}

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> int:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return ra
        if len(self.members[ra]) < len(self.members[rb]):
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.members[ra].extend(self.members.pop(rb))
        return ra


def similarity_matrix(features: Sequence[ArticleFeatures]) -> np.ndarray:
    """Cosine similarities of the TF-IDF vectors (IDF from this batch, smoothed)."""
    n = len(features)
    postings: dict[str, list[tuple[int, float]]] = {}
    for i, f in enumerate(features):
        for term, w in f.weights.items():
            postings.setdefault(term, []).append((i, w))
    cap = max(3, int(COMMON_TERM_SHARE * n)) if n >= 25 else n
    idf = {t: 1.0 + math.log((n + 1) / (len(p) + 1)) for t, p in postings.items()}
    norms = np.zeros(n, dtype=np.float64)
    for term, plist in postings.items():
        w2 = idf[term] ** 2
        for i, w in plist:
            norms[i] += (w * w) * w2
    norms = np.sqrt(np.maximum(norms, 1e-12))
    sim = np.zeros((n, n), dtype=np.float32)
    for term, plist in postings.items():
        if len(plist) < 2 or len(plist) > cap:
            continue
        idx = np.fromiter((i for i, _ in plist), dtype=np.intp, count=len(plist))
        vals = np.fromiter((w for _, w in plist), dtype=np.float64, count=len(plist)) * idf[term] / norms[idx]
        sim[np.ix_(idx, idx)] += np.outer(vals, vals).astype(np.float32)
    np.fill_diagonal(sim, 1.0)
    return sim


def figure_values(text: str, language: str | None = None) -> frozenset[float]:
    """The figures a text states, by value, in any language's notation; small integers and years left out.

    "1.50 percent", "1,50 %" (de/fr/es) and "1.50%" are all 1.5; "6,5 Billionen" is 6.5; "2,400" is 2400
    in English. Integers up to 31 and years are dates more often than facts and are skipped.
    """
    out: set[float] = set()
    comma_decimal = language in _COMMA_DECIMAL
    for m in _FIGURE.finditer(text):
        raw = m.group(0)
        if comma_decimal:
            if "," in raw:
                raw = raw.replace(".", "").replace(",", ".")
            elif all(len(part) == 3 for part in raw.split(".")[1:]):
                raw = raw.replace(".", "")  # 2.400 = 2400
        else:
            raw = raw.replace(",", "")
        try:
            value = float(raw)
        except ValueError:
            continue
        if value.is_integer() and (value <= 31 or 1900 <= value <= 2100):
            continue
        out.add(round(value, 4))
    return frozenset(out)


def _quantities(f: ArticleFeatures) -> frozenset[str]:
    """Numbers with a unit or scale ("1.5 percent", "6.5 trillion won"): the figures a same-language pair compares."""
    return frozenset(t for t in f.weights if t.startswith("n:") and " " in t)


def _lift(cos: np.ndarray, values: np.ndarray) -> np.ndarray:
    """How far above the median of `values` each cosine sits, as a share of the way to 1."""
    if values.size == 0:
        return np.zeros_like(cos)
    median = float(np.median(values))
    return (cos - median) / max(1e-6, 1.0 - median)


def _vector_boost(
    sim: np.ndarray, vectors: np.ndarray, has: np.ndarray, langs: list[str | None],
    feats: Sequence[ArticleFeatures], threshold: float,
) -> np.ndarray:
    """`sim` with the same-language vector lift added, and figures weighed, where they can change a join.

    A pair whose texts both state quantities and share none is two events: it gains nothing from its
    vectors, and its word similarity counts `CONFLICT_FACTOR` as much.
    """
    idx = np.nonzero(has)[0]
    if idx.size < MIN_VECTOR_ARTICLES:
        return sim
    sub = vectors[idx]
    cos = sub @ sub.T
    iu = np.triu_indices(idx.size, 1)
    gain = np.maximum(VECTOR_WEIGHT * (_lift(cos, cos[iu]) - VECTOR_FLOOR), 0.0)
    # only pairs that are, or the gain can lift, over the threshold are looked at (bounded work)
    rows, cols = np.nonzero(np.triu(sim[np.ix_(idx, idx)] + gain >= threshold * AVERAGE_FACTOR, 1))
    if rows.size == 0:
        return sim
    out = sim.copy()
    quantities: dict[int, frozenset[str]] = {}
    for r, c in zip(rows.tolist(), cols.tolist()):
        a, b = int(idx[r]), int(idx[c])
        if langs[a] != langs[b]:
            continue
        qa = quantities.setdefault(a, _quantities(feats[a]))
        qb = quantities.setdefault(b, _quantities(feats[b]))
        if qa and qb and not (qa & qb):
            out[a, b] = out[b, a] = sim[a, b] * CONFLICT_FACTOR  # both state figures, none in common
        else:
            out[a, b] = out[b, a] = sim[a, b] + float(gain[r, c])
    return out


def _language(a: WindowArticle) -> str | None:
    found = language_of(f"{a.title}. {a.body[:300]}")
    return "en" if found is None else found


def group_articles(
    articles: Sequence[WindowArticle],
    *,
    window_hours: float = 48,
    threshold: float = DEFAULT_THRESHOLD,
    features: Sequence[ArticleFeatures] | None = None,
    vectors: np.ndarray | None = None,
) -> tuple[list[StoryGroup], np.ndarray]:
    """Stories among `articles` (each a StoryGroup), and the similarity matrix used.

    `vectors`: optional (n, dim) article vectors, L2-normalised, a zero row for an article without one.
    """
    n = len(articles)
    if n == 0:
        return [], np.zeros((0, 0), dtype=np.float32)
    feats = list(features) if features is not None else [article_features(a.title, a.body, source=a.source) for a in articles]
    sim = similarity_matrix(feats)
    langs: list[str | None] = []
    has = np.zeros(n, dtype=bool)
    if vectors is not None:
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[0] != n:
            raise ValueError(f"expected {n} article vectors, got shape {vectors.shape}")
        has = np.linalg.norm(vectors, axis=1) > 0.5
        langs = [_language(a) for a in articles]
        sim = _vector_boost(sim, vectors, has, langs, feats, threshold)
    uf = _UnionFind(n)

    # Near-duplicates found at ingest always join the article they repeat.
    position = {a.id: i for i, a in enumerate(articles)}
    for i, art in enumerate(articles):
        if art.duplicate_of is not None and art.duplicate_of in position:
            uf.union(i, position[art.duplicate_of])

    hours = np.array([_epoch_hours(a.time) for a in articles], dtype=np.float64)
    known = ~np.isnan(hours)
    upper = np.triu(sim >= threshold, 1)
    rows, cols = np.nonzero(upper)
    if rows.size:
        close = np.ones(rows.size, dtype=bool)
        both = known[rows] & known[cols]
        close[both] = np.abs(hours[rows[both]] - hours[cols[both]]) <= window_hours
        rows, cols = rows[close], cols[close]
        order = np.argsort(-sim[rows, cols], kind="stable")
        min_average = threshold * AVERAGE_FACTOR
        for k in order:
            a, b = int(rows[k]), int(cols[k])
            ra, rb = uf.find(a), uf.find(b)
            if ra == rb:
                continue
            ma, mb = uf.members[ra], uf.members[rb]
            if len(ma) > 1 or len(mb) > 1:
                block = sim[np.ix_(ma, mb)]
                if float(block.mean()) < min_average:
                    continue
                ha, hb = hours[ma], hours[mb]
                ha, hb = ha[~np.isnan(ha)], hb[~np.isnan(hb)]
                if ha.size and hb.size and max(ha.max() - hb.min(), hb.max() - ha.min()) > window_hours:
                    continue
            uf.union(a, b)

    if vectors is not None and len(set(langs[i] for i in np.nonzero(has)[0])) > 1:
        _join_across_languages(articles, uf, vectors, has, langs, hours, window_hours)

    groups: list[StoryGroup] = []
    for members in uf.members.values():
        members = sorted(members, key=lambda i: (articles[i].time, articles[i].id))
        if len(members) == 1:
            rep = members[0]
        else:
            centrality = sim[np.ix_(members, members)].sum(axis=1)
            # the most central article; among equals the earliest (members are in time order)
            rep = members[int(np.argmax(centrality))]
        groups.append(StoryGroup(members, rep))
    groups.sort(key=lambda g: min(articles[i].id for i in g.members))
    return groups, sim


def _join_across_languages(
    articles: Sequence[WindowArticle], uf: _UnionFind, vectors: np.ndarray, has: np.ndarray,
    langs: list[str | None], hours: np.ndarray, window_hours: float,
) -> None:
    """Join stories told in different languages: mutual closest by vector, closer than usual, a figure shared."""
    idx = np.nonzero(has)[0]
    cos_all = vectors[idx] @ vectors[idx].T
    lang_of = [langs[i] for i in idx]
    # the median cosine of each language pair, at article level: what "unrelated" looks like across them
    pair_median: dict[tuple[str | None, str | None], float] = {}
    kinds = sorted(set(lang_of), key=str)
    for x in kinds:
        for y in kinds:
            if str(x) < str(y):
                rx = np.array([k for k, lang in enumerate(lang_of) if lang == x])
                ry = np.array([k for k, lang in enumerate(lang_of) if lang == y])
                pair_median[(x, y)] = pair_median[(y, x)] = float(np.median(cos_all[np.ix_(rx, ry)]))

    def stories() -> list[dict]:
        out = []
        for root, members in uf.members.items():
            with_vec = [m for m in members if has[m]]
            if not with_vec:
                continue
            votes: dict[str | None, int] = {}
            for m in with_vec:
                votes[langs[m]] = votes.get(langs[m], 0) + 1
            lang = max(votes, key=lambda k: votes[k])
            vec = vectors[with_vec].mean(axis=0)
            vec = vec / max(1e-12, float(np.linalg.norm(vec)))
            known = hours[members][~np.isnan(hours[members])]
            out.append({"root": root, "lang": lang, "vec": vec, "members": members,
                        "lo": float(known.min()) if known.size else math.nan,
                        "hi": float(known.max()) if known.size else math.nan})
        return out

    def figures(story: dict) -> frozenset[float]:
        if "figures" not in story:  # read only for the few pairs that get this far
            story["figures"] = frozenset().union(*(
                figure_values(f"{articles[m].title}\n{strip_dateline(articles[m].body[:FIGURE_CHARS])}", langs[m])
                for m in story["members"]))
        return story["figures"]

    groups = stories()
    if len({g["lang"] for g in groups}) < 2:
        return
    mat = np.stack([g["vec"] for g in groups])
    cos = mat @ mat.T
    glang = [g["lang"] for g in groups]
    lo = np.array([g["lo"] for g in groups], dtype=np.float64)
    hi = np.array([g["hi"] for g in groups], dtype=np.float64)
    span = np.maximum(hi[:, None] - lo[None, :], hi[None, :] - lo[:, None])
    close = np.isnan(span) | (span <= window_hours)
    # each story's closest story in each other language, among those close enough in time
    best: dict[tuple[int, str | None], int] = {}
    for lang in sorted(set(glang), key=str):
        cols = np.array([k for k, x in enumerate(glang) if x == lang])
        rows = np.array([k for k, x in enumerate(glang) if x != lang])
        block = np.where(close[np.ix_(rows, cols)], cos[np.ix_(rows, cols)], -np.inf)
        if rows.size == 0 or cols.size == 0:
            continue
        picks = np.argmax(block, axis=1)
        for k, (r, c) in enumerate(zip(rows.tolist(), picks.tolist())):
            best[(r, lang)] = int(cols[c]) if np.isfinite(block[k, c]) else -1
    for (i, _lang), j in best.items():
        if j < 0 or i > j or best.get((j, glang[i])) != i:
            continue
        gi, gj = groups[i], groups[j]
        if cos[i, j] <= pair_median.get((gi["lang"], gj["lang"]), 1.0):
            continue  # no closer than the usual pair of these languages
        if not (figures(gi) & figures(gj)):
            continue  # the vectors propose, a shared figure confirms
        uf.union(gi["root"], gj["root"])
