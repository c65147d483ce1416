"""Clean, dedupe, chunk and store articles, a batch per transaction."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from bot.config import Settings
from bot.ingest.chunk import chunk_many
from bot.ingest.clean import CleanedText, clean_body
from bot.ingest.dates import to_iso, utcnow
from bot.ingest.dedupe import NearDuplicateIndex, canonical_url, content_hash
from bot.ingest.models import IngestResult, RawArticle
from bot.ingest.normalise import normalise
from bot.search.engine import SearchIndex
from bot.store.articles import ArticleRepo
from bot.store.db import Database

log = logging.getLogger(__name__)

NewArticlesListener = Callable[[int, list[int]], object]
Clock = Callable[[], datetime]


class Ingestor:
    """Stores articles; one per store, shared by every caller (the poller, pastes, CLI ingests).

    It can be shared because it holds no state that others could make stale: every batch runs in
    the store's write transaction, and the near-duplicate index catches up there with what other
    Ingestors or processes stored since. `clock` gives the arrival time written as `fetched` and
    `added_at`, so tests can use fixed instants. `index` is the App's search index, brought level
    after every committed batch so that what was stored is searchable at once.
    """

    def __init__(
        self, db: Database, settings: Settings, index: SearchIndex | None = None, clock: Clock = utcnow
    ) -> None:
        self.db = db
        self.index = index  # the App's; without one, the index catches up from the change log when searched
        self.settings = settings
        self.clock = clock
        self.articles = ArticleRepo(db)
        self.near = NearDuplicateIndex(db, settings.ingest.near_duplicate_similarity)

    async def ingest_one(self, raw: RawArticle, collection_id: int) -> IngestResult:
        """Store one article (or link the stored copy to the collection) and say what happened.

        Inside the caller's transaction it joins it (and the caller's commit makes it visible).
        """
        async with self.db.transaction():
            result = (await self._ingest_batch([raw], collection_id, strict=True))[0]
        await self.sync_index()
        return result

    async def ingest_many(
        self,
        items: Iterable[RawArticle | IngestResult] | AsyncIterator[RawArticle | IngestResult],
        collection_id: int,
        batch_size: int = 500,
        on_result: Callable[[IngestResult], None] | None = None,
    ) -> list[IngestResult]:
        """Ingest a stream of articles (failures pass through as results), one transaction per batch.

        The write lock is released between batches, so other writers (a paste, another process)
        wait one batch at most.
        """
        results: list[IngestResult] = []
        batch: list[RawArticle | IngestResult] = []

        async def flush() -> None:
            raws = [item for item in batch if isinstance(item, RawArticle)]
            if raws:
                async with self.db.transaction():
                    stored = await self._ingest_batch(raws, collection_id)
            done = iter(stored if raws else [])
            for item in batch:
                result = item if isinstance(item, IngestResult) else next(done)
                results.append(result)
                if on_result:
                    on_result(result)
            batch.clear()
            await self.sync_index()

        if hasattr(items, "__aiter__"):
            async for item in items:  # type: ignore[union-attr]
                batch.append(item)
                if len(batch) >= batch_size:
                    await flush()
        else:
            for item in items:  # type: ignore[union-attr]
                batch.append(item)
                if len(batch) >= batch_size:
                    await flush()
        await flush()
        return results

    async def sync_index(self) -> None:
        """Bring the search index level with what was committed (nothing while a transaction is open)."""
        if self.db.in_transaction or self.index is None:
            return
        await self.index.sync()

    def _prepare(self, raw: RawArticle) -> _Prepared:
        raw = normalise(raw)  # every path: headline once, dateline to place/source (bot/ingest/normalise.py)
        title = raw.title
        cleaned = clean_body(raw.body)
        body = cleaned.body
        if not title:
            raise ValueError("the article has no title")
        if len(body.split()) < 3:
            raise ValueError("the article has no body text")
        canon = canonical_url(raw.meta.get("canonical") or raw.url)
        return _Prepared(raw, title, cleaned, canon, content_hash(title, body))

    async def _ingest_batch(self, raws: list[RawArticle], collection_id: int, strict: bool = False) -> list[IngestResult]:
        """Clean, dedupe, chunk and insert a batch, inside the caller's write transaction.

        With `strict`, a bad article raises ValueError instead of becoming a failed result.
        """
        if not self.db.in_transaction:
            raise RuntimeError("_ingest_batch runs inside db.transaction()")
        results: list[IngestResult | None] = [None] * len(raws)
        prepared: list[tuple[int, _Prepared]] = []
        for i, raw in enumerate(raws):
            try:
                prepared.append((i, self._prepare(raw)))
            except ValueError as exc:
                if strict:
                    raise
                results[i] = IngestResult(raw.origin, "failed", reason=str(exc))
        # Under the write lock: what others committed is visible, and the ids handed out stay free.
        by_canon = await self.articles.ids_by("canonical_url", {p.canon for _, p in prepared if p.canon})
        by_hash = await self.articles.ids_by("content_hash", {p.digest for _, p in prepared})
        next_id = await self.articles.next_id()
        near_index = self.near
        await near_index.catch_up()
        links: list[tuple[int, int]] = []
        new: list[tuple[int, int, _Prepared, int | None]] = []  # (slot, id, prepared, near)
        for i, p in prepared:
            existing = (by_canon.get(p.canon) if p.canon else None) or by_hash.get(p.digest)
            if existing:
                links.append((collection_id, existing))
                results[i] = IngestResult(p.raw.origin, "duplicate", title=p.title, duplicate_of=existing)
                continue
            article_id, next_id = next_id, next_id + 1
            if p.canon:
                by_canon[p.canon] = article_id
            by_hash[p.digest] = article_id
            signature = near_index.signature(p.title, p.cleaned.body)
            near = await near_index.nearest(signature)
            if near is None:
                near_index.add(article_id, signature)  # written by flush() once the article row exists
            new.append((i, article_id, p, near))
            links.append((collection_id, article_id))

        chunked = chunk_many([p.cleaned.body for _, _, p, _ in new], self.settings.ingest.passage_tokens)
        now = to_iso(self.clock()) or ""
        article_rows: list[tuple[object, ...]] = []
        passage_rows: list[tuple[int, int, str, int]] = []
        for (i, article_id, p, near), passages in zip(new, chunked):
            title, body, raw = p.title, p.cleaned.body, p.raw
            if passages and not body.startswith(title):
                # The title leads the first passage so that headline words are searchable.
                passages[0].text = f"{title}. {passages[0].text}"
            meta = dict(raw.meta)
            meta.pop("canonical", None)
            if p.cleaned.credits:
                meta["credits"] = p.cleaned.credits
            if p.cleaned.captions:
                meta["captions"] = p.cleaned.captions
            article_rows.append((
                article_id, title, body, raw.url, p.canon, raw.source, raw.author or p.cleaned.author, raw.place,
                to_iso(raw.published), now, raw.language, p.digest, None, near,  # simhash: unused since MinHash
                json.dumps(meta) if meta else None,
            ))
            passage_rows.extend((article_id, x.position, x.text, x.tokens) for x in passages)
            results[i] = IngestResult(raw.origin, "added", article_id=article_id, title=title, near_duplicate_of=near)
        if article_rows:
            await self.articles.insert_many(article_rows, passage_rows)
            await near_index.flush(last_id=next_id - 1)
        if links:
            await self.articles.link_many(links, now)
        return [r for r in results if r is not None]


@dataclass
class _Prepared:
    raw: RawArticle
    title: str
    cleaned: CleanedText
    canon: str | None
    digest: str
