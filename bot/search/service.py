"""Search inside one collection: BM25 over passages, one best passage per article by default.

The tantivy index (bot/search/engine.py) finds and ranks passage ids; SQLite, the system of
record, gives their text and metadata and checks collection, time and source once more, so a
lagging index can never return a passage that is not stored or not in the collection.
"""

from __future__ import annotations

from bot.search.engine import iso_to_epoch, open_index
from bot.search.models import SearchHit
from bot.search.query import query_terms
from bot.store.db import Database

MAX_FETCH = 4096


async def search_passages(
    db: Database,
    collection_id: int,
    question: str,
    k: int = 5,
    per_article: int = 1,
    since: str | None = None,
    until: str | None = None,
    source: str | None = None,
) -> list[SearchHit]:
    """The `k` best passages for `question` among the collection's articles.

    `since` / `until` (ISO 8601 UTC) bound the article's publication (or fetch) time;
    `source` keeps one source only (case-insensitive).
    """
    if k <= 0:
        return []
    per_article = max(per_article, 1)
    index = await open_index(db)
    terms = index.terms(query_terms(question))
    if not terms:
        return []
    await index.ensure_fresh(db)
    since_ts, until_ts = iso_to_epoch(since), iso_to_epoch(until)
    limit = max(k * per_article * 3, 20)
    while True:
        found = index.search(terms, collection_id, limit, since_ts, until_ts, source)
        hits = await _hydrate(db, collection_id, found, k, per_article, since, until, source)
        if len(hits) >= k or len(found) < limit or limit >= MAX_FETCH:
            return hits
        limit *= 4


async def _hydrate(
    db: Database,
    collection_id: int,
    found: list,
    k: int,
    per_article: int,
    since: str | None,
    until: str | None,
    source: str | None,
) -> list[SearchHit]:
    # Collapse to `per_article` passages per article first, so only what is shown is read.
    taken: dict[int, int] = {}
    wanted = []
    for hit in found:
        if taken.get(hit.article_id, 0) >= per_article:
            continue
        taken[hit.article_id] = taken.get(hit.article_id, 0) + 1
        wanted.append(hit)
    if not wanted:
        return []
    # Read a few spare ones in case SQLite drops some (index lagging behind a delete, filters).
    wanted = wanted[: k + max(k, 8)] if len(wanted) > k else wanted
    filters = ["ac.collection_id = ?"]
    params: list[object] = [collection_id]
    if since:
        filters.append("COALESCE(a.published, a.fetched) >= ?")
        params.append(since)
    if until:
        filters.append("COALESCE(a.published, a.fetched) < ?")
        params.append(until)
    if source:
        filters.append("a.source = ? COLLATE NOCASE")
        params.append(source)
    ids = [h.passage_id for h in wanted]
    sql = f"""
        SELECT p.id, p.article_id, p.position, a.title, a.url, a.source, a.published, p.text
        FROM passages p
        JOIN articles a ON a.id = p.article_id
        JOIN article_collections ac ON ac.article_id = a.id
        WHERE p.id IN ({','.join('?' * len(ids))}) AND {' AND '.join(filters)}
    """
    async with db.conn.execute(sql, ids + params) as cur:
        rows = {int(r[0]): r for r in await cur.fetchall()}
    hits: list[SearchHit] = []
    for h in wanted:
        row = rows.get(h.passage_id)
        if row is None or row[1] != h.article_id:
            continue
        hits.append(SearchHit(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], h.score))
        if len(hits) >= k:
            break
    return hits
