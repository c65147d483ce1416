"""Group articles into stories.

Each article becomes a sparse TF-IDF vector of its key terms, named entities and numbers
(`features.article_features`). Similarities are accumulated term by term over an inverted
index into a dense N×N matrix (numpy), so no Python loop ever compares two full texts.
Articles then merge, strongest pair first, under average linkage: two groups join when the
pair is at least `threshold` similar, the groups are on average at least `threshold *
AVERAGE_FACTOR` similar, and every pair across them happened within `window_hours`.
Articles linked at ingest as near-duplicates (`duplicate_of`) always share a story.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from bot.briefing.features import ArticleFeatures, article_features
from bot.briefing.models import WindowArticle

DEFAULT_THRESHOLD = 0.45
AVERAGE_FACTOR = 0.85
COMMON_TERM_SHARE = 0.4  # in a large batch, a term in more than this share of articles is noise


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


def group_articles(
    articles: Sequence[WindowArticle],
    *,
    window_hours: float = 48,
    threshold: float = DEFAULT_THRESHOLD,
    features: Sequence[ArticleFeatures] | None = None,
) -> tuple[list[StoryGroup], np.ndarray]:
    """Stories among `articles` (each a StoryGroup), and the similarity matrix used."""
    n = len(articles)
    if n == 0:
        return [], np.zeros((0, 0), dtype=np.float32)
    feats = list(features) if features is not None else [article_features(a.title, a.body, source=a.source) for a in articles]
    sim = similarity_matrix(feats)
    uf = _UnionFind(n)

    # Near-duplicates found at ingest always join the article they repeat.
    position = {a.id: i for i, a in enumerate(articles)}
    for i, a in enumerate(articles):
        if a.duplicate_of is not None and a.duplicate_of in position:
            uf.union(i, position[a.duplicate_of])

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
            i, j = int(rows[k]), int(cols[k])
            ra, rb = uf.find(i), uf.find(j)
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
            uf.union(i, j)

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
