"""Search inside one collection: BM25 over passages (fused with vector search when a question vector is
given), one best passage per article by default.

Hybrid retrieval: the BM25 and the vector candidate lists are fused by reciprocal rank fusion
(score = sum of 1 / (RRF_K + rank) over the lists a passage is in; bench/retrieval_eval.py compares it
with a calibrated score mix), then collapsed and read from SQLite like BM25 hits.

The question's vector may still be on its way (an awaitable, e.g. `Vectors.query_vector(question)` not yet
awaited): BM25 then ranks, and its own top passages are read, while the question is embedded on the
embedder's thread, and the vector search waits for the vector only after (bench/search_latency.py).

The tantivy index (bot/search/engine.py) finds and ranks passage ids; SQLite, the system of
record, gives their text and metadata and checks collection, time and source once more, so a
lagging index can never return a passage that is not stored or not in the collection.
"""

from __future__ import annotations

import asyncio
import inspect
import sqlite3
from collections.abc import Awaitable, Collection
from typing import TYPE_CHECKING, Any

from bot.search.engine import IndexHit, SearchIndex, iso_to_epoch
from bot.search.models import SearchHit
from bot.search.query import query_terms
from bot.store.db import Database
from bot.text.languages import language_of

if TYPE_CHECKING:
    import numpy as np

    from bot.search.vectors import Vectors

MAX_FETCH = 4096
SPARE = 8  # extra passages read when SQLite drops some of the first ones
RRF_K = 60  # reciprocal rank fusion's constant (the usual one; not tuned here)
VECTOR_CANDIDATES = 50  # passages the vector list contributes before fusion


async def search_passages(
    index: SearchIndex,
    collection_id: int,
    question: str,
    k: int = 5,
    per_article: int = 1,
    since: str | None = None,
    until: str | None = None,
    source: str | None = None,
    vectors: "Vectors | None" = None,
    query_vector: "np.ndarray | Awaitable[np.ndarray | None] | None" = None,
    keep_lexical: bool = False,
) -> list[SearchHit]:
    """The `k` best passages for `question` among the collection's articles.

    `since` / `until` (ISO 8601 UTC) bound the article's publication (or fetch) time;
    `source` keeps one source only (case-insensitive). With `vectors` and the question's
    `query_vector` (a vector, or an awaitable one: BM25 runs meanwhile), BM25 and vector candidates are
    fused (RRF) and each hit carries its similarity; an awaitable that gives None means BM25 only.
    `keep_lexical` adds BM25's own top `k` after the fused top `k` (up to 2k hits, for a re-ranker).
    """
    pending: asyncio.Future[Any] | None = None
    if query_vector is not None and inspect.isawaitable(query_vector):
        if vectors is None:
            if inspect.iscoroutine(query_vector):
                query_vector.close()  # nothing to search it with
            query_vector = None
        else:
            pending = asyncio.ensure_future(query_vector)
            query_vector = None
            await asyncio.sleep(0)  # let it reach the embedder's thread before BM25 takes the loop
    try:
        return await _search(index, collection_id, question, k, per_article, since, until, source, vectors,
                             query_vector, pending, keep_lexical)
    finally:
        if pending is not None and not pending.done():
            pending.cancel()


async def _search(
    index: SearchIndex, collection_id: int, question: str, k: int, per_article: int, since: str | None,
    until: str | None, source: str | None, vectors: "Vectors | None", query_vector: "np.ndarray | None",
    pending: "asyncio.Future[Any] | None", keep_lexical: bool,
) -> list[SearchHit]:
    if k <= 0:
        return []
    per_article = max(per_article, 1)
    db = index.db
    terms = index.terms(query_terms(question))
    hybrid = vectors is not None and (query_vector is not None or pending is not None)
    if not terms and not hybrid:
        return []
    await index.ensure_fresh()
    since_ts, until_ts = iso_to_epoch(since), iso_to_epoch(until)
    check = _Check(collection_id, since, until, source)
    limit = max(k * per_article * 3, 20)
    lexical: list[IndexHit] | None = None
    lexical_hits: list[SearchHit] | None = None
    known: dict[int, Any] = {}  # rows read by this search: the fused and BM25's own top k share most
    if pending is not None:
        # While the question is embedded: BM25's ranking, and its own top k read when they are kept anyway.
        lexical = index.search(terms, collection_id, limit, since_ts, until_ts, source) if terms else []
        if keep_lexical:
            lexical_hits = await _hydrate(db, check, _collapse(lexical, per_article), k, known)
        query_vector = await pending
        if query_vector is None:
            hybrid = False
            if not terms:
                return []
    if hybrid:
        assert vectors is not None and query_vector is not None
        if lexical is None:
            lexical = index.search(terms, collection_id, limit, since_ts, until_ts, source) if terms else []
        semantic = await vectors.search(query_vector, collection_id, max(limit, VECTOR_CANDIDATES), since_ts, until_ts)
        # A passage the worker has not embedded yet cannot be in the vector list: it keeps its BM25 rank there
        # too, or while a backlog is embedded every such passage falls below embedded ones both lists rank.
        # Not for a question in another language: BM25 reads it as noise (the articles' own words are English).
        english = language_of(question) in (None, "en")
        unembedded = (vectors.index.without_vector([h.passage_id for h in lexical])
                      if vectors.index is not None and english else set())
        fused = fuse(lexical, [IndexHit(h.similarity, h.passage_id, h.article_id) for h in semantic],
                     first_stands_in=unembedded)
        hits = await _hydrate(db, check, _collapse(fused, per_article), k, known)
        if keep_lexical:
            # RRF can push BM25's best out of the first k (passages ranked midway in both lists outscore
            # one ranked first in one): the answerer re-ranks, so it gets BM25's own top k as well.
            seen = {h.passage_id for h in hits}
            if lexical_hits is None:
                lexical_hits = await _hydrate(db, check, _collapse(lexical, per_article), k, known)
            hits += [h for h in lexical_hits if h.passage_id not in seen]
        if vectors.index is not None and semantic:
            # similarity as lift over unrelated news (what the refusal gate reads)
            baseline = semantic[0].similarity - semantic[0].lift
            for hit, sim in zip(hits, vectors.index.similarity(query_vector, [h.passage_id for h in hits])):
                hit.similarity = None if sim is None else sim - baseline
        return hits
    found = lexical
    while True:
        if found is None:
            found = index.search(terms, collection_id, limit, since_ts, until_ts, source)
        hits = await _hydrate(db, check, _collapse(found, per_article), k, known)
        if len(hits) >= k or len(found) < limit or limit >= MAX_FETCH:
            return hits
        limit *= 4
        found = None


def fuse(*ranked: list[IndexHit], k: int = RRF_K, first_stands_in: Collection[int] = ()) -> list[IndexHit]:
    """Reciprocal rank fusion of ranked lists of passages: best first, score = sum of 1 / (k + rank).

    `first_stands_in`: passages the other lists cannot hold (no vector yet), whose rank in the first list also
    counts in every other list, as if the others agreed with it."""
    score: dict[int, float] = {}
    article: dict[int, int] = {}
    for hits in ranked:
        for rank, hit in enumerate(hits, start=1):
            score[hit.passage_id] = score.get(hit.passage_id, 0.0) + 1.0 / (k + rank)
            article[hit.passage_id] = hit.article_id
    if first_stands_in and ranked:
        others = len(ranked) - 1
        for rank, hit in enumerate(ranked[0], start=1):
            if hit.passage_id in first_stands_in:
                score[hit.passage_id] += others / (k + rank)
    order = sorted(score, key=lambda p: -score[p])
    return [IndexHit(score[p], p, article[p]) for p in order]


def _collapse(found: list[IndexHit], per_article: int) -> list[IndexHit]:
    """At most `per_article` passages per article, in rank order, so only what is shown is read."""
    taken: dict[int, int] = {}
    wanted = []
    for hit in found:
        n = taken.get(hit.article_id, 0)
        if n < per_article:
            taken[hit.article_id] = n + 1
            wanted.append(hit)
    return wanted


class _Check:
    """The SQL that reads hits and checks them again: collection, time window, source."""

    def __init__(self, collection_id: int, since: str | None, until: str | None, source: str | None) -> None:
        filters = ["ac.collection_id = ?"]
        self.params: list[object] = [collection_id]
        if since:
            filters.append("COALESCE(a.published, a.fetched) >= ?")
            self.params.append(since)
        if until:
            filters.append("COALESCE(a.published, a.fetched) < ?")
            self.params.append(until)
        if source:
            filters.append("a.source = ? COLLATE NOCASE")
            self.params.append(source)
        self.where = " AND ".join(filters)

    def sql(self, n: int) -> str:
        # Passages by primary key, then their article and its membership: three index look-ups a hit.
        return f"""
            SELECT p.id, p.article_id, p.position, a.title, a.url, a.source, a.published, p.text
            FROM passages p
            CROSS JOIN articles a ON a.id = p.article_id
            CROSS JOIN article_collections ac ON ac.article_id = a.id
            WHERE p.id IN ({','.join('?' * n)}) AND {self.where}
        """


async def _read(db: Database, sql: str, params: list[object]) -> list[Any]:
    """Rows of a short query: on this thread through the reader connection, else through aiosqlite."""
    reader = db.reader()
    if reader is not None:
        try:
            return reader.execute(sql, params).fetchall()
        except sqlite3.OperationalError:  # busy (a checkpoint), or the file cannot be opened twice
            pass
    return list(await db.conn.execute_fetchall(sql, params))


async def _hydrate(
    db: Database, check: _Check, wanted: list[IndexHit], k: int, known: dict[int, Any] | None = None,
) -> list[SearchHit]:
    """The first `k` of `wanted` that SQLite confirms, with their text and metadata, in rank order.

    One query (one trip to the database thread) reads the first `k`; only when SQLite drops some
    (an index lagging behind a delete, or a filter) does a second one read the next ones. `known`:
    rows this search read already (passage id -> row, None when SQLite dropped it), read again never.
    """
    hits: list[SearchHit] = []
    start = 0
    known = {} if known is None else known
    while len(hits) < k and start < len(wanted):
        size = k - len(hits) + (SPARE if start else 0)
        part = wanted[start : start + size]
        start += len(part)
        ask = [h.passage_id for h in part if h.passage_id not in known]
        if ask:
            rows = {int(r[0]): r for r in await _read(db, check.sql(len(ask)), [*ask, *check.params])}
            for pid in ask:
                known[pid] = rows.get(pid)
        for h in part:
            row = known.get(h.passage_id)
            if row is not None and row[1] == h.article_id:
                hits.append(SearchHit(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], h.score))
                if len(hits) >= k:
                    break
    return hits
