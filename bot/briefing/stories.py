"""Group articles into stories.

Each article becomes a sparse TF-IDF vector of its key terms, named entities and numbers
(`features.article_features`). Similarities are accumulated term by term over an inverted
index (numpy), so no Python loop ever compares two full texts: into one dense N×N matrix up
to DENSE_MAX articles, above that a block of rows at a time, keeping only the pairs at or above
KEEP_FLOOR, so a large window costs memory in its pairs that matter, not in N².
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


DENSE_MAX = 3000  # up to this many articles the similarities are one dense matrix (36 MB); above, sparse
BLOCK_ROWS = 1024  # rows of the similarity matrix computed at once above DENSE_MAX (4 MB per 1,000 articles)
KEEP_FLOOR = 0.1  # above DENSE_MAX, pair similarities under this are dropped (read as 0; joins need >= 0.38)


def _postings(features: Sequence[ArticleFeatures]) -> tuple[list[tuple[np.ndarray, np.ndarray]], np.ndarray]:
    """Per useful term (in 2 to `cap` articles): its articles (ascending) and their TF-IDF weights over the
    article's norm; and every article's norm (IDF from this batch, smoothed)."""
    n = len(features)
    # Two flat lists per term (articles, weights): tuples per posting would cost ~60 bytes each.
    postings: dict[str, tuple[list[int], list[float]]] = {}
    for i, f in enumerate(features):
        for term, w in f.weights.items():
            entry = postings.get(term)
            if entry is None:
                entry = postings[term] = ([], [])
            entry[0].append(i)
            entry[1].append(w)
    cap = max(3, int(COMMON_TERM_SHARE * n)) if n >= 25 else n
    norms = np.zeros(n, dtype=np.float64)
    arrays: list[tuple[np.ndarray, np.ndarray, float]] = []
    for ids, weights in postings.values():
        idf = 1.0 + math.log((n + 1) / (len(ids) + 1))
        idx = np.array(ids, dtype=np.intp)
        vals = np.array(weights, dtype=np.float64)
        np.add.at(norms, idx, (vals * vals) * idf**2)
        if 2 <= len(ids) <= cap:
            arrays.append((idx, vals, idf))
    del postings
    norms = np.sqrt(np.maximum(norms, 1e-12))
    useful = [(idx, vals * idf / norms[idx]) for idx, vals, idf in arrays]
    return useful, norms


def similarity_matrix(features: Sequence[ArticleFeatures]) -> np.ndarray:
    """Cosine similarities of the TF-IDF vectors (IDF from this batch, smoothed), as one dense matrix."""
    n = len(features)
    useful, _ = _postings(features)
    sim = np.zeros((n, n), dtype=np.float32)
    for idx, vals in useful:
        sim[np.ix_(idx, idx)] += np.outer(vals, vals).astype(np.float32)
    np.fill_diagonal(sim, 1.0)
    return sim


class Similarities:
    """Pair similarities as story grouping reads them: the pairs above a threshold, the mean over two
    groups, the centrality of a group's members. Dense (exact) up to DENSE_MAX articles; above, the
    matrix is computed BLOCK_ROWS rows at a time and only pairs at or above KEEP_FLOOR are kept, so
    memory grows with the pairs that matter, not with the square of the window."""

    def __init__(self, features: Sequence[ArticleFeatures], dense_max: int | None = None) -> None:
        n = self.n = len(features)
        self.dense: np.ndarray | None = None
        if n <= (DENSE_MAX if dense_max is None else dense_max):
            self.dense = similarity_matrix(features)
            return
        useful, _ = _postings(features)
        rows_out: list[np.ndarray] = []
        cols_out: list[np.ndarray] = []
        vals_out: list[np.ndarray] = []
        for r0 in range(0, n, BLOCK_ROWS):
            r1 = min(n, r0 + BLOCK_ROWS)
            block = np.zeros((r1 - r0, n), dtype=np.float32)
            for idx, vals in useful:
                a, b = np.searchsorted(idx, (r0, r1))
                if a == b:
                    continue
                block[np.ix_(idx[a:b] - r0, idx)] += np.outer(vals[a:b], vals).astype(np.float32)
            br, bc = np.nonzero(block >= KEEP_FLOOR)
            keep = bc != br + r0
            rows_out.append((br[keep] + r0).astype(np.int32))
            cols_out.append(bc[keep].astype(np.int32))
            vals_out.append(block[br[keep], bc[keep]])
            del block
        rows = np.concatenate(rows_out) if rows_out else np.empty(0, dtype=np.int32)
        cols = np.concatenate(cols_out) if cols_out else np.empty(0, dtype=np.int32)
        vals = np.concatenate(vals_out) if vals_out else np.empty(0, dtype=np.float32)
        order = np.lexsort((cols, rows))  # by row (both directions are stored: the matrix is symmetric)
        self.cols, self.vals = cols[order], vals[order]
        self.indptr = np.searchsorted(rows[order], np.arange(n + 1))

    def pairs_at_least(self, threshold: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(rows, cols, similarities) of every pair i < j with similarity >= threshold."""
        if self.dense is not None:
            rows, cols = np.nonzero(np.triu(self.dense >= threshold, 1))
            return rows, cols, self.dense[rows, cols]
        rows = np.repeat(np.arange(self.n), np.diff(self.indptr))
        keep = (self.vals >= threshold) & (self.cols > rows)
        return rows[keep], self.cols[keep].astype(np.intp), self.vals[keep]

    def _row_sum(self, i: int, others: np.ndarray) -> float:
        """Similarity of article i summed over `others` (sorted indexes; i itself counts 1 when in them)."""
        a, b = self.indptr[i], self.indptr[i + 1]
        cols = self.cols[a:b]
        pos = np.searchsorted(others, cols)
        pos[pos >= others.size] = 0
        hit = others[pos] == cols if others.size else np.zeros(cols.size, dtype=bool)
        j = int(np.searchsorted(others, i))
        own = 1.0 if j < others.size and others[j] == i else 0.0  # the diagonal, which is not stored
        return float(self.vals[a:b][hit].sum()) + own

    def mean(self, ma: Sequence[int], mb: Sequence[int]) -> float:
        if self.dense is not None:
            return float(self.dense[np.ix_(ma, mb)].mean())
        small, large = (ma, mb) if len(ma) <= len(mb) else (mb, ma)
        others = np.array(sorted(large), dtype=np.int32)
        return sum(self._row_sum(i, others) for i in small) / (len(ma) * len(mb))

    def centrality(self, members: Sequence[int]) -> np.ndarray:
        if self.dense is not None:
            return self.dense[np.ix_(members, members)].sum(axis=1)
        others = np.array(sorted(members), dtype=np.int32)
        return np.array([self._row_sum(i, others) for i in members])


def group_articles(
    articles: Sequence[WindowArticle],
    *,
    window_hours: float = 48,
    threshold: float = DEFAULT_THRESHOLD,
    features: Sequence[ArticleFeatures] | None = None,
) -> tuple[list[StoryGroup], Similarities]:
    """Stories among `articles` (each a StoryGroup), and the similarities used."""
    n = len(articles)
    feats = list(features) if features is not None else [article_features(a.title, a.body, source=a.source) for a in articles]
    sim = Similarities(feats)
    if n == 0:
        return [], sim
    uf = _UnionFind(n)

    # Near-duplicates found at ingest always join the article they repeat.
    position = {a.id: i for i, a in enumerate(articles)}
    for i, a in enumerate(articles):
        if a.duplicate_of is not None and a.duplicate_of in position:
            uf.union(i, position[a.duplicate_of])

    hours = np.array([_epoch_hours(a.time) for a in articles], dtype=np.float64)
    known = ~np.isnan(hours)
    rows, cols, pair_sims = sim.pairs_at_least(threshold)
    if rows.size:
        close = np.ones(rows.size, dtype=bool)
        both = known[rows] & known[cols]
        close[both] = np.abs(hours[rows[both]] - hours[cols[both]]) <= window_hours
        rows, cols, pair_sims = rows[close], cols[close], pair_sims[close]
        order = np.argsort(-pair_sims, kind="stable")
        min_average = threshold * AVERAGE_FACTOR
        for k in order:
            i, j = int(rows[k]), int(cols[k])
            ra, rb = uf.find(i), uf.find(j)
            if ra == rb:
                continue
            ma, mb = uf.members[ra], uf.members[rb]
            if len(ma) > 1 or len(mb) > 1:
                if sim.mean(ma, mb) < min_average:
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
            centrality = sim.centrality(members)
            # the most central article; among equals the earliest (members are in time order)
            rep = members[int(np.argmax(centrality))]
        groups.append(StoryGroup(members, rep))
    groups.sort(key=lambda g: min(articles[i].id for i in g.members))
    return groups, sim
