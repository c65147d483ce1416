"""Articles, their passages and collection membership."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bot.store.db import Database

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

    async def add_to_collection(self, article_id: int, collection_id: int) -> bool:
        """True when the article was not in the collection before."""
        cur = await self.db.conn.execute(
            "INSERT OR IGNORE INTO article_collections(collection_id, article_id) VALUES (?, ?)",
            (collection_id, article_id),
        )
        return cur.rowcount > 0

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
        """Insert one article and its passages (position, text, tokens); the caller commits."""
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

    async def passages(self, article_id: int) -> list[tuple[int, int, str, int]]:
        """(passage id, position, text, tokens) of one article, in order."""
        async with self.db.conn.execute(
            "SELECT id, position, text, tokens FROM passages WHERE article_id = ? ORDER BY position", (article_id,)
        ) as cur:
            return [(r[0], r[1], r[2], r[3]) for r in await cur.fetchall()]
