"""Search inside one collection: BM25 over passages, one best passage per article by default."""

from __future__ import annotations

from bot.search.models import SearchHit
from bot.search.query import fts5_match, query_terms
from bot.store.db import Database


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
    terms = query_terms(question)
    if not terms or k <= 0:
        return []
    filters = ["ac.collection_id = ?"]
    params: list[object] = [fts5_match(terms), collection_id]
    if since:
        filters.append("COALESCE(a.published, a.fetched) >= ?")
        params.append(since)
    if until:
        filters.append("COALESCE(a.published, a.fetched) < ?")
        params.append(until)
    if source:
        filters.append("a.source = ? COLLATE NOCASE")
        params.append(source)
    fetch = max(k * per_article * 8, 50)
    sql = f"""
        SELECT p.id, p.article_id, p.position, a.title, a.url, a.source, a.published, p.text,
               bm25(passages_fts) AS rank
        FROM passages_fts
        JOIN passages p ON p.id = passages_fts.rowid
        JOIN articles a ON a.id = p.article_id
        JOIN article_collections ac ON ac.article_id = a.id
        WHERE passages_fts MATCH ? AND {' AND '.join(filters)}
        ORDER BY rank
        LIMIT ?
    """
    params.append(fetch)
    hits: list[SearchHit] = []
    taken: dict[int, int] = {}
    async with db.conn.execute(sql, params) as cur:
        async for row in cur:
            article_id = row[1]
            if taken.get(article_id, 0) >= per_article:
                continue
            taken[article_id] = taken.get(article_id, 0) + 1
            hits.append(SearchHit(row[0], article_id, row[2], row[3], row[4], row[5], row[6], row[7], -float(row[8])))
            if len(hits) >= k:
                break
    return hits
