"""Passage vectors in SQLite: what is embedded, what waits to be, and the vectors themselves.

Vectors are float16 blobs (half the size of float32, rankings unchanged at 3 decimals) with the
model identity and dimension; passages of articles in no collection are never embedded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from bot.store.db import Database

_ROWS = """
    SELECT v.id, v.passage_id, p.article_id, v.vector,
           CAST(strftime('%s', COALESCE(a.published, a.fetched)) AS INTEGER)
    FROM passage_vectors v
    JOIN passages p ON p.id = v.passage_id
    JOIN articles a ON a.id = p.article_id
"""


@dataclass
class VectorRows:
    row_ids: np.ndarray  # passage_vectors.id, int64
    passage_ids: np.ndarray  # int64
    article_ids: np.ndarray  # int64
    published: np.ndarray  # epoch seconds, int64 (0 when unknown)
    vectors: np.ndarray  # (n, dim) float32

    def take(self, which: np.ndarray) -> VectorRows:
        """The rows selected by a mask or an index array."""
        return VectorRows(self.row_ids[which], self.passage_ids[which], self.article_ids[which], self.published[which],
                          self.vectors[which])


def to_blob(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype="<f2").tobytes()


def from_blobs(blobs: Sequence[bytes], dim: int) -> np.ndarray:
    if not blobs:
        return np.zeros((0, dim), dtype=np.float32)
    return np.frombuffer(b"".join(blobs), dtype="<f2").reshape(len(blobs), dim).astype(np.float32)


class VectorRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def _all(self, sql: str, params: Sequence[object] = ()) -> list[Any]:
        return list(await self.db.conn.execute_fetchall(sql, params))

    async def models(self) -> list[tuple[str, int, int]]:
        """(model, dim, count) of the stored vectors."""
        rows = await self._all(
            "SELECT model, dim, count(*) FROM passage_vectors GROUP BY model, dim")
        return [(str(r[0]), int(r[1]), int(r[2])) for r in rows]

    async def drop_other_models(self, model: str, dim: int | None) -> int:
        """Delete vectors of any other model (or dimension); returns how many."""
        async with self.db.transaction():
            if dim is None:
                cur = await self.db.conn.execute("DELETE FROM passage_vectors WHERE model != ?", (model,))
            else:
                cur = await self.db.conn.execute("DELETE FROM passage_vectors WHERE model != ? OR dim != ?", (model, dim))
        return int(cur.rowcount or 0)

    async def drop_all(self) -> int:
        async with self.db.transaction():
            cur = await self.db.conn.execute("DELETE FROM passage_vectors")
        return int(cur.rowcount or 0)

    async def backlog(self, collection_id: int | None = None) -> int:
        """Passages (of articles in a collection, or in `collection_id`) with no vector yet."""
        member = "ac.article_id = p.article_id" + (" AND ac.collection_id = ?" if collection_id is not None else "")
        rows = await self._all(
            f"""SELECT count(*) FROM passages p
               WHERE NOT EXISTS (SELECT 1 FROM passage_vectors v WHERE v.passage_id = p.id)
                 AND EXISTS (SELECT 1 FROM article_collections ac WHERE {member})""",
            () if collection_id is None else (collection_id,))
        return int(rows[0][0]) if rows else 0

    async def embedded(self, collection_id: int | None = None) -> int:
        """Passages with a vector (of one collection's articles when given)."""
        if collection_id is None:
            rows = await self._all("SELECT count(*) FROM passage_vectors")
        else:
            rows = await self._all(
                """SELECT count(*) FROM passage_vectors v JOIN passages p ON p.id = v.passage_id
                   JOIN article_collections ac ON ac.article_id = p.article_id WHERE ac.collection_id = ?""",
                (collection_id,))
        return int(rows[0][0]) if rows else 0

    async def pending(self, limit: int) -> list[tuple[int, str, str]]:
        """(passage id, article title, passage text) of passages waiting for a vector, newest first."""
        rows = await self._all(
            """SELECT p.id, a.title, p.text FROM passages p JOIN articles a ON a.id = p.article_id
               WHERE NOT EXISTS (SELECT 1 FROM passage_vectors v WHERE v.passage_id = p.id)
                 AND EXISTS (SELECT 1 FROM article_collections ac WHERE ac.article_id = p.article_id)
               ORDER BY p.id DESC LIMIT ?""", (limit,))
        return [(int(r[0]), str(r[1] or ""), str(r[2])) for r in rows]

    async def save(self, model: str, items: Sequence[tuple[int, np.ndarray]]) -> int:
        """Store vectors (passage id, vector); a passage deleted meanwhile is skipped. Returns how many were stored."""
        if not items:
            return 0
        stored = 0
        async with self.db.transaction():
            for pid, vec in items:
                await self.db.conn.execute("DELETE FROM passage_vectors WHERE passage_id = ?", (pid,))
                cur = await self.db.conn.execute(
                    """INSERT INTO passage_vectors(passage_id, model, dim, vector)
                       SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM passages WHERE id = ?)""",
                    (pid, model, int(len(vec)), to_blob(vec), pid))
                stored += int(cur.rowcount or 0)
        return stored

    async def count(self, model: str, dim: int) -> int:
        """How many vectors of the model a `load` would return (those of passages whose article exists)."""
        rows = await self._all(
            """SELECT count(*) FROM passage_vectors v JOIN passages p ON p.id = v.passage_id
               JOIN articles a ON a.id = p.article_id WHERE v.model = ? AND v.dim = ?""", (model, dim))
        return int(rows[0][0]) if rows else 0

    async def load(self, model: str, dim: int, *, after_row: int = 0, article_ids: Sequence[int] | None = None,
                   limit: int | None = None) -> VectorRows:
        """The model's vectors: all, those written after `after_row`, or those of some articles; with `limit`, the
        first `limit` of them by row id (read a large store in pieces: `after_row` = the last piece's last row id)."""
        sql = _ROWS + " WHERE v.model = ? AND v.dim = ?"
        params: list[object] = [model, dim]
        if after_row:
            sql += " AND v.id > ?"
            params.append(after_row)
        if article_ids is not None:
            if not article_ids:
                return _empty(dim)
            sql += f" AND p.article_id IN ({','.join('?' * len(article_ids))})"
            params += list(article_ids)
        sql += " ORDER BY v.id"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        rows = await self._all(sql, params)
        if not rows:
            return _empty(dim)
        return VectorRows(
            np.array([r[0] for r in rows], dtype=np.int64), np.array([r[1] for r in rows], dtype=np.int64),
            np.array([r[2] for r in rows], dtype=np.int64), np.array([r[4] or 0 for r in rows], dtype=np.int64),
            from_blobs([r[3] for r in rows], dim),
        )

    async def collection_articles(self, collection_id: int, piece: int = 50_000) -> np.ndarray:
        """The collection's article ids, sorted; read in pieces (a million at once took ~100 MB of Python rows)."""
        parts: list[np.ndarray] = []
        after = 0
        while True:
            rows = await self._all(
                """SELECT article_id FROM article_collections WHERE collection_id = ? AND article_id > ?
                   ORDER BY article_id LIMIT ?""", (collection_id, after, piece))
            if not rows:
                break
            parts.append(np.fromiter((int(r[0]) for r in rows), dtype=np.int64, count=len(rows)))
            after = int(parts[-1][-1])
            if len(rows) < piece:
                break
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

    async def changes_after(self, seq: int) -> tuple[int, int, list[int]]:
        """(lowest logged seq, last seq, article ids changed after `seq`) from the search change log."""
        low = await self._all("SELECT min(seq) FROM search_changes")
        last = await self._all("SELECT seq FROM sqlite_sequence WHERE name = 'search_changes'")
        rows = await self._all("SELECT DISTINCT article_id FROM search_changes WHERE seq > ?", (seq,))
        lowest = int(low[0][0]) if low and low[0][0] is not None else 0
        return lowest, int(last[0][0]) if last else 0, [int(r[0]) for r in rows]

    async def last_row(self) -> int:
        rows = await self._all("SELECT seq FROM sqlite_sequence WHERE name = 'passage_vectors'")
        return int(rows[0][0]) if rows else 0


def _empty(dim: int) -> VectorRows:
    z = np.zeros(0, dtype=np.int64)
    return VectorRows(z, z, z, z, np.zeros((0, dim), dtype=np.float32))
