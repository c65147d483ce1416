"""Group articles into stories.

Each article becomes a sparse TF-IDF vector of its key terms, named entities and numbers
(`features.article_features`). Similarities are accumulated term by term over an inverted
index (numpy), so no Python loop ever compares two full texts: into one dense N×N matrix up
to DENSE_MAX articles; above that, only the pairs a join can read are found (a block of rows at a
time) and kept, and group means come from the articles' summed vectors (`Similarities`), so a large
window costs memory in its articles, not in N².
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
from array import array
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
MEDIAN_ROWS = 1500  # articles sampled (seeded) for the median cosine of a larger window


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
BLOCK_ROWS = 1024  # at most this many rows of the similarity matrix computed at once above DENSE_MAX
BLOCK_CELLS = 2_000_000  # and at most this many cells (8 MB of float32) in one block
KEEP_FLOOR = 0.1  # above DENSE_MAX, pairs under this are never kept (means and centralities still count them)
DENSE_TERM_SHARE = 16  # terms in more than 1/16 of a large window's articles: dense columns, bounded, not paired
MAX_DENSE_TERMS = 128  # at most this many such terms (n x 128 float32: 10 MB at 18.7k articles)
PAIR_CHUNK = 262_144  # pair products accumulated at once for the other terms


def _postings(features: Sequence[ArticleFeatures]) -> tuple[list[tuple[np.ndarray, np.ndarray]], np.ndarray]:
    """Per useful term (in 2 to `cap` articles): its articles (ascending) and their TF-IDF weights over the
    article's norm; and every article's norm (IDF from this batch, smoothed)."""
    n = len(features)
    # Two flat lists per term (articles, weights): tuples per posting would cost ~60 bytes each.
    postings: dict[str, tuple[list[int], list[float]]] = {}
    for i, f in enumerate(features):
        for term, w in zip(f.terms, f.values):
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


def _ranges(indptr: np.ndarray, members: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the CSR entries of `members` (concatenated), and for each its member's place in `members`."""
    starts, ends = indptr[members], indptr[members + 1]
    counts = ends - starts
    owner = np.repeat(np.arange(members.size), counts)
    first = np.cumsum(counts) - counts
    return np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(first - starts, counts), owner


class Similarities:
    """Pair similarities as story grouping reads them: the pairs above a threshold, the mean over two
    groups, the centrality of a group's members.

    Up to DENSE_MAX articles: one dense matrix. Above, nothing of size N x N is kept: the articles'
    TF-IDF vectors (useful terms, normalised) are one CSR array, so a mean over two groups is the dot
    product of their summed vectors and a centrality a member's dot with its group's sum (exact, every
    pair counted however small); only the pairs at or above `floor` (what `pairs_at_least` and the
    vector boost ask for, never less than KEEP_FLOOR) are found, a block of rows at a time (upper
    triangle only): the rarer terms pair by pair; the terms in more than 1/DENSE_TERM_SHARE of the
    articles (dense columns) only for cells their largest possible share (the product of the two
    articles' norms over them) could lift to the floor, by a dot product; and kept. A pair changed by `set_pairs` keeps its change as a delta the means read.
    """

    def __init__(self, features: Sequence[ArticleFeatures], dense_max: int | None = None,
                 floor: float = KEEP_FLOOR) -> None:
        n = self.n = len(features)
        self.dense: np.ndarray | None = None
        self.floor = max(KEEP_FLOOR, floor)
        if n <= (DENSE_MAX if dense_max is None else dense_max):
            self.dense = similarity_matrix(features)
            return
        # every posting as flat arrays (term id, article, weight): no per-posting Python objects
        vocab: dict[str, int] = {}
        term_ids = array("i")
        weights = array("d")
        counts = array("i")
        for f in features:
            term_ids.extend([vocab.setdefault(t, len(vocab)) for t in f.terms])
            weights.extend(f.values)
            counts.append(len(f.terms))
        del vocab
        t = np.frombuffer(term_ids, dtype=np.int32)
        art = np.repeat(np.arange(n, dtype=np.int32), np.frombuffer(counts, dtype=np.int32))
        df = np.bincount(t)
        idf = 1.0 + np.log((n + 1) / (df + 1.0))
        w = np.frombuffer(weights, dtype=np.float64) * idf[t]  # TF-IDF
        del weights
        norms = np.sqrt(np.maximum(np.bincount(art, weights=w * w, minlength=n), 1e-12))
        cap = max(3, int(COMMON_TERM_SHARE * n)) if n >= 25 else n
        useful = (df >= 2) & (df <= cap)
        keep = useful[t]
        renumber = (np.cumsum(useful) - 1).astype(np.int32)
        art = art[keep]
        w = w[keep] / norms[art]
        t = renumber[t[keep]]
        del term_ids, counts, keep, renumber
        self.terms = int(useful.sum())
        # by article (CSR): what means and centralities read; articles are already in order
        self.x_indptr = np.searchsorted(art, np.arange(n + 1))
        self.x_terms, self.x_vals = t, w
        self.pairs = self._find_pairs(n, art, t, w, df[useful])
        self.delta: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def _find_pairs(self, n: int, art: np.ndarray, t: np.ndarray, w: np.ndarray, df: np.ndarray,
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(rows, cols, similarities) of every pair i < j at or above self.floor, sorted by (row, col)."""
        common = df >= max(64, n // DENSE_TERM_SHARE)
        if common.sum() > MAX_DENSE_TERMS:  # keep the dense columns bounded: the most common ones
            common[:] = False
            common[np.argsort(-df, kind="stable")[:MAX_DENSE_TERMS]] = True
        col_of = np.cumsum(common) - 1
        in_common = common[t]
        cd = np.zeros((n, int(common.sum())), dtype=np.float32)
        cd[art[in_common], col_of[t[in_common]]] = w[in_common]
        common_norm = np.sqrt(np.einsum("ij,ij->i", cd, cd)).astype(np.float32)
        # the other postings, by term then article: a posting's partners are the ones after it
        # by term (the BLAS ones last, dropped); within a term by article, as stored
        order = np.argsort(np.where(in_common, self.terms, t), kind="stable")[: int((~in_common).sum())]
        p_art, p_w, p_t = art[order], w[order].astype(np.float32), t[order]
        del order
        term_end = np.searchsorted(p_t, np.arange(self.terms), side="right").astype(np.int32)
        # each article's postings, as positions in term order
        by_art = np.argsort(p_art, kind="stable").astype(np.int32)
        art_ptr = np.searchsorted(p_art[by_art], np.arange(n + 1))
        rows_out, cols_out, vals_out = [], [], []
        step = max(16, min(BLOCK_ROWS, BLOCK_CELLS // n))
        for r0 in range(0, n, step):
            r1 = min(n, r0 + step)
            width = n - r0
            block = np.zeros((r1 - r0, width), dtype=np.float32)
            flat = block.reshape(-1)
            pos = by_art[art_ptr[r0]:art_ptr[r1]]
            partners = (term_end[p_t[pos]] - pos - 1).astype(np.int64)
            bounds = np.searchsorted(np.cumsum(partners), np.arange(0, int(partners.sum()), PAIR_CHUNK), side="right")
            for c0, c1 in zip(bounds.tolist(), bounds[1:].tolist() + [pos.size]):
                pc, cnt = pos[c0:c1], partners[c0:c1]
                total = int(cnt.sum())
                if total == 0:
                    continue
                first = np.cumsum(cnt) - cnt
                src = np.repeat(pc, cnt)
                other = src + 1 + (np.arange(total) - np.repeat(first, cnt))
                cell = (p_art[src] - r0).astype(np.int64) * width + (p_art[other] - r0)
                np.add.at(flat, cell, p_w[src] * p_w[other])
                del src, other, cell
            # the common terms add at most |common part of i| x |common part of j| (Cauchy-Schwarz):
            # only cells that bound lifts to the floor get their exact common part, by a dot product
            need = np.outer(common_norm[r0:r1], common_norm[r0:])
            np.subtract(self.floor - 1e-6, need, out=need)
            br, bc = np.nonzero(block >= need)
            del need
            upper = bc > br
            br, bc = br[upper], bc[upper]
            vals = block[br, bc]
            if cd.shape[1] and br.size:
                vals = vals + np.einsum("ij,ij->i", cd[br + r0], cd[bc + r0])
            keep = vals >= self.floor
            rows_out.append((br[keep] + r0).astype(np.int32))
            cols_out.append((bc[keep] + r0).astype(np.int32))
            vals_out.append(vals[keep].astype(np.float32))
            del block, flat
        return (np.concatenate(rows_out), np.concatenate(cols_out), np.concatenate(vals_out))

    def pairs_at_least(self, threshold: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(rows, cols, similarities) of every pair i < j with similarity >= threshold."""
        if self.dense is not None:
            rows, cols = np.nonzero(np.triu(self.dense >= threshold, 1))
            return rows, cols, self.dense[rows, cols]
        if threshold < self.floor - 1e-9:
            raise ValueError(f"pairs under {self.floor} were not kept (asked for {threshold})")
        rows, cols, vals = self.pairs
        keep = vals >= threshold
        return rows[keep].astype(np.intp), cols[keep].astype(np.intp), vals[keep]

    def set_pairs(self, rows: np.ndarray, cols: np.ndarray, values: np.ndarray) -> None:
        """Replace the similarity of pairs (both directions); above DENSE_MAX only kept pairs can change."""
        if self.dense is not None:
            self.dense[rows, cols] = values
            self.dense[cols, rows] = values
            return
        lo, hi = np.minimum(rows, cols).astype(np.int64), np.maximum(rows, cols).astype(np.int64)
        prow, pcol, pval = self.pairs
        keys = prow.astype(np.int64) * self.n + pcol
        at = np.searchsorted(keys, lo * self.n + hi)
        at[at >= keys.size] = 0
        found = keys[at] == lo * self.n + hi if keys.size else np.zeros(at.size, dtype=bool)
        at, new = at[found], np.asarray(values, dtype=np.float32)[found]
        change = new - pval[at]
        pval[at] = new
        if self.delta is not None:  # earlier changes of the same pairs add up
            change = np.concatenate([self.delta[2], change])
            lo_all, hi_all = np.concatenate([self.delta[0], lo[found]]), np.concatenate([self.delta[1], hi[found]])
        else:
            lo_all, hi_all = lo[found], hi[found]
        self.delta = (lo_all, hi_all, change.astype(np.float64))

    def _sum_vector(self, members: np.ndarray) -> np.ndarray:
        pos, _ = _ranges(self.x_indptr, members)
        return np.bincount(self.x_terms[pos], weights=self.x_vals[pos], minlength=self.terms)

    def _delta_sum(self, a: np.ndarray, b: np.ndarray) -> float:
        if self.delta is None:
            return 0.0
        lo, hi, change = self.delta
        hit = (np.isin(lo, a) & np.isin(hi, b)) | (np.isin(lo, b) & np.isin(hi, a))
        return float(change[hit].sum())

    def mean(self, ma: Sequence[int], mb: Sequence[int]) -> float:
        if self.dense is not None:
            return float(self.dense[np.ix_(ma, mb)].mean())
        a, b = np.asarray(ma, dtype=np.intp), np.asarray(mb, dtype=np.intp)
        if a.size > b.size:
            a, b = b, a
        total = self._sum_vector(b)
        pos, _ = _ranges(self.x_indptr, a)
        dot = float(total[self.x_terms[pos]] @ self.x_vals[pos])
        return (dot + self._delta_sum(a, b)) / (len(ma) * len(mb))

    def centrality(self, members: Sequence[int]) -> np.ndarray:
        if self.dense is not None:
            return self.dense[np.ix_(members, members)].sum(axis=1)
        m = np.asarray(members, dtype=np.intp)
        total = self._sum_vector(m)
        pos, owner = _ranges(self.x_indptr, m)
        vals = self.x_vals[pos]
        out = np.bincount(owner, weights=vals * (total[self.x_terms[pos]] - vals), minlength=m.size) + 1.0
        if self.delta is not None:
            lo, hi, change = self.delta
            hit = np.isin(lo, m) & np.isin(hi, m)
            place = {int(i): k for k, i in enumerate(m.tolist())}
            for i, j, c in zip(lo[hit].tolist(), hi[hit].tolist(), change[hit].tolist()):
                out[place[i]] += c
                out[place[j]] += c
        return np.round(out, 6)  # float sums in another order than the dense matrix's: ties stay ties


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
    return frozenset(t for t in f.terms if t.startswith("n:") and " " in t)


def _median_cosine(vectors: np.ndarray, rows: np.ndarray, cols: np.ndarray | None = None) -> float:
    """The median cosine over pairs of `rows` (with `cols`: across the two sets); over a seeded sample of
    MEDIAN_ROWS of each when larger (one matrix product either way)."""
    rng = np.random.default_rng(0)

    def sample(ids: np.ndarray) -> np.ndarray:
        return np.sort(rng.choice(ids, MEDIAN_ROWS, replace=False)) if ids.size > MEDIAN_ROWS else ids

    rows = sample(rows)
    other = rows if cols is None else sample(cols)
    if rows.size == 0 or other.size == 0:
        return 1.0
    block = vectors[rows] @ vectors[other].T
    if cols is None:
        block = block[np.triu_indices(rows.size, 1)]
    return float(np.median(block)) if block.size else 1.0


def _vector_boost(
    sim: Similarities, vectors: np.ndarray, has: np.ndarray, langs: list[str | None],
    feats: Sequence[ArticleFeatures], threshold: float,
) -> None:
    """Add the same-language vector lift to `sim`, and weigh figures, where they can change a join.

    A pair whose texts both state quantities and share none is two events: it gains nothing from its
    vectors, and its word similarity counts `CONFLICT_FACTOR` as much. Only pairs whose word similarity
    the largest gain could bring to a join are looked at, so the work grows with those pairs.
    """
    idx = np.nonzero(has)[0]
    if idx.size < MIN_VECTOR_ARTICLES:
        return
    median = _median_cosine(vectors, idx)
    most = max(0.0, VECTOR_WEIGHT * (1.0 - VECTOR_FLOOR))
    rows, cols, base = sim.pairs_at_least(max(KEEP_FLOOR, threshold * AVERAGE_FACTOR - most))
    keep = has[rows] & has[cols]
    keep &= np.fromiter((langs[i] == langs[j] for i, j in zip(rows.tolist(), cols.tolist())), dtype=bool, count=rows.size)
    rows, cols, base = rows[keep], cols[keep], base[keep]
    if rows.size == 0:
        return
    cos = np.einsum("ij,ij->i", vectors[rows], vectors[cols])
    lift = (cos - median) / max(1e-6, 1.0 - median)
    gain = np.maximum(VECTOR_WEIGHT * (lift - VECTOR_FLOOR), 0.0)
    quantities: dict[int, frozenset[str]] = {}
    values = base.astype(np.float32).copy()
    for k, (i, j) in enumerate(zip(rows.tolist(), cols.tolist())):
        qa = quantities.setdefault(i, _quantities(feats[i]))
        qb = quantities.setdefault(j, _quantities(feats[j]))
        if qa and qb and not (qa & qb):
            values[k] = base[k] * CONFLICT_FACTOR  # both state figures, none in common
        else:
            values[k] = base[k] + gain[k]
    sim.set_pairs(rows, cols, values)


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
) -> tuple[list[StoryGroup], Similarities]:
    """Stories among `articles` (each a StoryGroup), and the similarities used.

    `vectors`: optional (n, dim) article vectors, L2-normalised, a zero row for an article without one.
    """
    n = len(articles)
    feats = list(features) if features is not None else [article_features(a.title, a.body, source=a.source) for a in articles]
    # the lowest similarity anything below reads pairs at: the threshold, or what the vector boost looks at
    most = max(0.0, VECTOR_WEIGHT * (1.0 - VECTOR_FLOOR))
    floor = threshold if vectors is None else min(threshold, threshold * AVERAGE_FACTOR - most)
    sim = Similarities(feats, floor=floor)
    if n == 0:
        return [], sim
    langs: list[str | None] = []
    has = np.zeros(n, dtype=bool)
    if vectors is not None:
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[0] != n:
            raise ValueError(f"expected {n} article vectors, got shape {vectors.shape}")
        has = np.linalg.norm(vectors, axis=1) > 0.5
        langs = [_language(a) for a in articles]
        _vector_boost(sim, vectors, has, langs, feats, threshold)
    uf = _UnionFind(n)

    # Near-duplicates found at ingest always join the article they repeat.
    position = {a.id: i for i, a in enumerate(articles)}
    for i, art in enumerate(articles):
        if art.duplicate_of is not None and art.duplicate_of in position:
            uf.union(i, position[art.duplicate_of])

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

    if vectors is not None and len(set(langs[i] for i in np.nonzero(has)[0])) > 1:
        _join_across_languages(articles, uf, vectors, has, langs, hours, window_hours)

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


def _join_across_languages(
    articles: Sequence[WindowArticle], uf: _UnionFind, vectors: np.ndarray, has: np.ndarray,
    langs: list[str | None], hours: np.ndarray, window_hours: float,
) -> None:
    """Join stories told in different languages: mutual closest by vector, closer than usual, a figure shared."""
    idx = np.nonzero(has)[0]
    by_lang: dict[str | None, np.ndarray] = {}
    for lang in sorted({langs[i] for i in idx}, key=str):
        by_lang[lang] = np.array([i for i in idx if langs[i] == lang], dtype=np.intp)
    # the median cosine of each language pair, at article level: what "unrelated" looks like across them
    pair_median: dict[tuple[str | None, str | None], float] = {}
    for x in by_lang:
        for y in by_lang:
            if str(x) < str(y):
                pair_median[(x, y)] = pair_median[(y, x)] = _median_cosine(vectors, by_lang[x], by_lang[y])

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
    glang = [g["lang"] for g in groups]
    lo = np.array([g["lo"] for g in groups], dtype=np.float64)
    hi = np.array([g["hi"] for g in groups], dtype=np.float64)
    members_of = {lang: np.array([k for k, x in enumerate(glang) if x == lang], dtype=np.intp) for lang in set(glang)}
    # each story's closest story in each other language, among those close enough in time
    # (blocks of one language against another: never the square of the largest language)
    best: dict[tuple[int, str | None], int] = {}
    cos_of: dict[tuple[int, int], float] = {}
    for row_lang, rows in members_of.items():
        for lang, cols in members_of.items():
            if lang == row_lang:
                continue
            block = mat[rows] @ mat[cols].T
            span = np.maximum(hi[rows][:, None] - lo[cols][None, :], hi[cols][None, :] - lo[rows][:, None])
            block = np.where(np.isnan(span) | (span <= window_hours), block, -np.inf)
            picks = np.argmax(block, axis=1)
            for k, c in enumerate(picks.tolist()):
                if np.isfinite(block[k, c]):
                    best[(int(rows[k]), lang)] = int(cols[c])
                    cos_of[(int(rows[k]), int(cols[c]))] = float(block[k, c])
    for (i, _lang), j in best.items():
        if i > j or best.get((j, glang[i])) != i:
            continue
        gi, gj = groups[i], groups[j]
        if cos_of[(i, j)] <= pair_median.get((gi["lang"], gj["lang"]), 1.0):
            continue  # no closer than the usual pair of these languages
        if not (figures(gi) & figures(gj)):
            continue  # the vectors propose, a shared figure confirms
        uf.union(gi["root"], gj["root"])
