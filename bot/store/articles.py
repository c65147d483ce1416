"""Articles, their passages and collection membership."""

from __future__ import annotations

import builtins
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.store.db import Database

_IN_CHUNK = 500  # SQLite host parameters per query

ARTICLE_COLUMNS = (
    "id, title, body, url, canonical_url, source, author, place, published, fetched, language, "
    "content_hash, simhash, duplicate_of, meta"
)


@dataclass
class StoredArticle:
    id: int
    title: str
    body: str
    url: str | None
    canonical_url: str | None
    source: str | None
    author: str | None
    place: str | None
    published: str | None
    fetched: str
    language: str | None
    content_hash: str
    simhash: int | None
    duplicate_of: int | None
    meta: dict[str, Any]

    @classmethod
    def from_row(cls, row: Any) -> "StoredArticle":
        data = dict(row)
        data["meta"] = json.loads(data["meta"]) if data.get("meta") else {}
        return cls(**data)

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "url": self.url,
            "source": self.source,
            "published": self.published,
            "duplicate_of": self.duplicate_of,
        }


class ArticleRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def find_by_hash(self, content_hash: str) -> int | None:
        async with self.db.conn.execute("SELECT id FROM articles WHERE content_hash = ?", (content_hash,)) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else None

    async def find_by_canonical_url(self, url: str) -> int | None:
        async with self.db.conn.execute("SELECT id FROM articles WHERE canonical_url = ?", (url,)) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else None

    async def add_to_collection(self, article_id: int, collection_id: int, added_at: str | None = None) -> bool:
        """True when the article was not in the collection before; `added_at` (ISO UTC) defaults to now."""
        async with self.db.transaction():
            cur = await self.db.conn.execute(
                "INSERT OR IGNORE INTO article_collections(collection_id, article_id, added_at) "
                "VALUES (?, ?, COALESCE(?, strftime('%Y-%m-%dT%H:%M:%SZ', 'now')))",
                (collection_id, article_id, added_at),
            )
        return cur.rowcount > 0

    async def link_many(self, links: Sequence[tuple[int, int]], added_at: str) -> None:
        """Put (collection id, article id) pairs in their collections (kept where already in)."""
        async with self.db.transaction():
            await self.db.conn.executemany(
                "INSERT OR IGNORE INTO article_collections(collection_id, article_id, added_at) VALUES (?, ?, ?)",
                [(cid, aid, added_at) for cid, aid in links],
            )

    async def joined_since(self, collection_id: int, article_id: int, since: str) -> bool:
        """Whether the article joined the collection at or after `since` (ISO UTC)."""
        async with self.db.conn.execute(
            "SELECT added_at >= ? FROM article_collections WHERE collection_id = ? AND article_id = ?",
            (since, collection_id, article_id),
        ) as cur:
            row = await cur.fetchone()
        return bool(row and row[0])

    async def ids_by(self, column: str, values: set[str]) -> dict[str, int]:
        """Stored article ids by canonical URL or content hash (the two unique keys)."""
        if column not in ("canonical_url", "content_hash"):
            raise ValueError(f"not a unique article key: {column}")
        found: dict[str, int] = {}
        items = sorted(values)
        for start in range(0, len(items), _IN_CHUNK):
            part = items[start : start + _IN_CHUNK]
            sql = f"SELECT {column}, id FROM articles WHERE {column} IN ({','.join('?' * len(part))})"
            async with self.db.conn.execute(sql, part) as cur:
                for value, article_id in await cur.fetchall():
                    found[value] = int(article_id)
        return found

    async def next_id(self) -> int:
        """The id the next article gets (inside a write transaction it stays free until commit)."""
        async with self.db.conn.execute("SELECT COALESCE(MAX(id), 0) FROM articles") as cur:
            row = await cur.fetchone()
        return int(row[0]) + 1 if row else 1

    async def insert_many(
        self, articles: Sequence[tuple[object, ...]], passages: Sequence[tuple[int, int, str, int]]
    ) -> None:
        """Insert articles (id first, then the columns of ARTICLE_COLUMNS) and their passages
        (article id, position, text, tokens), in the caller's transaction if there is one."""
        async with self.db.transaction():
            await self.db.conn.executemany(
                f"INSERT INTO articles({ARTICLE_COLUMNS}) VALUES ({','.join('?' * 15)})", articles
            )
            await self.db.conn.executemany(
                "INSERT INTO passages(article_id, position, text, tokens) VALUES (?, ?, ?, ?)", passages
            )

    async def insert(
        self,
        *,
        title: str,
        body: str,
        url: str | None,
        canonical_url: str | None,
        source: str | None,
        author: str | None,
        place: str | None,
        published: str | None,
        fetched: str,
        language: str | None,
        content_hash: str,
        simhash: int | None,
        duplicate_of: int | None,
        meta: dict[str, Any],
        passages: list[tuple[int, str, int]],
    ) -> int:
        """Insert one article and its passages (position, text, tokens), in the caller's transaction if any."""
        async with self.db.transaction():
            cur = await self.db.conn.execute(
                "INSERT INTO articles(title, body, url, canonical_url, source, author, place, published, fetched, "
                "language, content_hash, simhash, duplicate_of, meta) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    title, body, url, canonical_url, source, author, place, published, fetched, language,
                    content_hash, simhash, duplicate_of, json.dumps(meta) if meta else None,
                ),
            )
            article_id = int(cur.lastrowid or 0)
            await self.db.conn.executemany(
                "INSERT INTO passages(article_id, position, text, tokens) VALUES (?, ?, ?, ?)",
                [(article_id, pos, text, tokens) for pos, text, tokens in passages],
            )
        return article_id

    async def get(self, article_id: int) -> StoredArticle | None:
        async with self.db.conn.execute(f"SELECT {ARTICLE_COLUMNS} FROM articles WHERE id = ?", (article_id,)) as cur:
            row = await cur.fetchone()
        return StoredArticle.from_row(row) if row else None

    async def in_collection(self, article_id: int, collection_id: int) -> bool:
        async with self.db.conn.execute(
            "SELECT 1 FROM article_collections WHERE collection_id = ? AND article_id = ?", (collection_id, article_id)
        ) as cur:
            return await cur.fetchone() is not None

    async def list(self, collection_id: int, limit: int = 100, offset: int = 0) -> list[StoredArticle]:
        cols = ", ".join(f"a.{c.strip()}" for c in ARTICLE_COLUMNS.split(","))
        async with self.db.conn.execute(
            f"SELECT {cols} FROM articles a JOIN article_collections ac ON ac.article_id = a.id "
            "WHERE ac.collection_id = ? ORDER BY COALESCE(a.published, a.fetched) DESC, a.id DESC LIMIT ? OFFSET ?",
            (collection_id, limit, offset),
        ) as cur:
            return [StoredArticle.from_row(r) for r in await cur.fetchall()]

    async def count(self, collection_id: int) -> int:
        async with self.db.conn.execute(
            "SELECT COUNT(*) FROM article_collections WHERE collection_id = ?", (collection_id,)
        ) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def passages(self, article_id: int) -> builtins.list[tuple[int, int, str, int]]:
        """(passage id, position, text, tokens) of one article, in order."""
        async with self.db.conn.execute(
            "SELECT id, position, text, tokens FROM passages WHERE article_id = ? ORDER BY position", (article_id,)
        ) as cur:
            return [(r[0], r[1], r[2], r[3]) for r in await cur.fetchall()]
