"""Articles in and out: ingest sources, add by URL or pasted text, search, list, show, reindex."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.config import Settings
from bot.errors import UserError
from bot.ingest.fetch import check_url
from bot.ingest.models import IngestResult, RawArticle
from bot.ingest.pipeline import Ingestor
from bot.ingest.sources import iter_sources
from bot.ingest.web import load_url
from bot.search import search_passages
from bot.search.engine import SearchIndex
from bot.search.models import SearchHit
from bot.search.vectors import Vectors
from bot.store.articles import ArticleRepo, StoredArticle
from bot.store.db import Database

MAX_PASTED_CHARS = 100_000


@dataclass
class ArticlePage:
    articles: list[StoredArticle]
    total: int


@dataclass
class ArticleDetail:
    article: StoredArticle
    passages: list[tuple[int, int, str, int]]  # (id, position, text, tokens)


@dataclass
class Reindexed:
    passages: int
    seconds: float
    path: str
    vectors: int = 0  # passages embedded again (0 with embeddings off)
    vector_seconds: float = 0.0


INLINE_EMBED_MAX = 200  # `briefbot ingest` embeds at most this many waiting passages itself (~1 min on 2 cores)


@dataclass
class Embedded:
    passages: int  # embedded now
    waiting: int  # still without a vector (left to the worker)
    seconds: float
    error: str | None = None


class Articles:
    def __init__(
        self, db: Database, repo: ArticleRepo, ingestor: Ingestor, index: SearchIndex, settings: Settings,
        vectors: Vectors | None = None,
    ) -> None:
        self.vectors = vectors
        self.db = db
        self.repo = repo
        self.index = index
        self.ingestor = ingestor
        self.settings = settings

    async def ingest(
        self, sources: Sequence[str], collection_id: int, on_result: Callable[[IngestResult], None] | None = None
    ) -> list[IngestResult]:
        """Files, folders, article URLs and feed URLs; each failing source comes back as a failed result."""
        return await self.ingestor.ingest_many(
            iter_sources(list(sources), self.settings), collection_id, on_result=on_result
        )

    async def add_url(self, collection_id: int, url: str) -> list[IngestResult]:
        """An article page (or every item of a feed) by URL, through the SSRF guard."""
        url = (url or "").strip()
        if "://" not in url:
            raise UserError("Give the article's full URL, starting with https://")
        await check_url(url, self.settings)
        return await self.ingestor.ingest_many(load_url(url, self.settings), collection_id)

    async def add_text(self, collection_id: int, title: str, body: str, url: str | None = None) -> IngestResult:
        """A pasted article; with no title, its first line is the title."""
        title, body = (title or "").strip(), (body or "").strip()
        if not title and body:
            first, _, rest = body.partition("\n")
            title, body = first.strip().lstrip("# "), rest.strip()
        if len(body) > MAX_PASTED_CHARS:
            raise UserError(f"That text is over {MAX_PASTED_CHARS:,} characters; paste a shorter article.")
        raw = RawArticle(title=title, body=body, url=url or None, origin="pasted text")
        try:
            return await self.ingestor.ingest_one(raw, collection_id)
        except ValueError as exc:
            raise UserError(f"That text was not added: {exc}.") from None

    async def search(self, collection_id: int, query: str, k: int = 5) -> list[SearchHit]:
        query = (query or "").strip()
        if not query:
            raise UserError("Give a question or words to search for.")
        # the question is embedded while BM25 ranks
        vec = self.vectors.query_vector(query) if self.vectors is not None else None
        return await search_passages(self.index, collection_id, query, k=k, vectors=self.vectors, query_vector=vec)

    async def embed(self, limit: int | None = INLINE_EMBED_MAX) -> Embedded | None:
        """Embed the passages waiting for a vector now, when at most `limit` wait (all when None);
        more are left to the background worker. None when embeddings are off."""
        if self.vectors is None:
            return None
        from bot.search.embedder import EmbeddingError

        started = time.perf_counter()
        await self.vectors.open(write=True)  # another model's vectors go first: they wait to be embedded again
        waiting = await self.vectors.backlog()
        if not waiting or (limit is not None and waiting > limit):
            return Embedded(0, waiting, 0.0)
        try:
            done = await self.vectors.embed_pending(self.settings.embeddings.batch_size)
        except EmbeddingError as exc:
            return Embedded(0, await self.vectors.backlog(), time.perf_counter() - started, str(exc))
        return Embedded(done, await self.vectors.backlog(), time.perf_counter() - started)

    async def page(self, collection_id: int, *, limit: int = 50, offset: int = 0) -> ArticlePage:
        return ArticlePage(await self.repo.list(collection_id, limit=limit, offset=offset), await self.repo.count(collection_id))

    async def show(self, collection_id: int, article_id: int) -> ArticleDetail:
        article = await self.repo.get(article_id)
        if article is None or not await self.repo.in_collection(article_id, collection_id):
            raise UserError(f"No article {article_id} here.")
        return ArticleDetail(article, list(await self.repo.passages(article_id)))

    async def choices(self, collection_id: int, typed: str) -> list[tuple[str, int]]:
        """(label, id) pairs for autocomplete, at most 25."""
        typed = (typed or "").strip().lower()
        out: list[tuple[str, int]] = []
        for a in await self.repo.list(collection_id, limit=500):
            label = f"{a.id}: {a.title}"
            if not typed or typed in label.lower():
                out.append((label[:100], a.id))
            if len(out) >= 25:
                break
        return out

    async def reindex(self, re_embed: bool = False) -> Reindexed:
        """Rebuild the search index from the database (SQLite is the system of record)."""
        index = await self.index.ready()
        if not index.writable:
            raise UserError("The search index is in use by another briefbot process; stop it and try again.")
        started = time.perf_counter()
        count = await index.rebuild()
        await index.trim()
        done = Reindexed(count, time.perf_counter() - started, str(index.path or ":memory:"))
        if self.vectors is not None:
            started = time.perf_counter()
            done.vectors = await self.vectors.rebuild(self.settings.embeddings.batch_size, re_embed)
            done.vector_seconds = time.perf_counter() - started
        return done
