"""Clean, dedupe, chunk and store articles, a batch per transaction."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterable

from bot.config import Settings
from bot.ingest.chunk import chunk_text
from bot.ingest.clean import clean_body, normalize_text
from bot.ingest.dates import to_iso, utcnow
from bot.ingest.dedupe import NearDuplicateIndex, canonical_url, content_hash
from bot.ingest.models import IngestResult, RawArticle
from bot.store.articles import ArticleRepo
from bot.store.db import Database

log = logging.getLogger(__name__)

NewArticlesListener = Callable[[int, list[int]], object]


class Ingestor:
    """Stores articles into one collection; remembers near-duplicate fingerprints across calls."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self.articles = ArticleRepo(db)
        self._near: NearDuplicateIndex | None = None

    async def _near_index(self) -> NearDuplicateIndex:
        if self._near is None:
            index = NearDuplicateIndex(self.db, self.settings.ingest.near_duplicate_similarity)
            await index.prepare()
            self._near = index
        return self._near

    async def ingest_one(self, raw: RawArticle, collection_id: int, commit: bool = True) -> IngestResult:
        """Store one article (or link the stored copy to the collection) and say what happened."""
        try:
            result = await self._ingest(raw, collection_id)
        except Exception:
            await self.db.conn.rollback()
            raise
        if commit:
            await self.db.conn.commit()
        return result

    async def ingest_many(
        self,
        items: Iterable[RawArticle | IngestResult] | AsyncIterator[RawArticle | IngestResult],
        collection_id: int,
        batch_size: int = 500,
        on_result: Callable[[IngestResult], None] | None = None,
    ) -> list[IngestResult]:
        """Ingest a stream of articles (failures pass through as results), committing per batch."""
        results: list[IngestResult] = []
        pending = 0

        async def handle(item: RawArticle | IngestResult) -> None:
            nonlocal pending
            if isinstance(item, IngestResult):
                result = item
            else:
                try:
                    result = await self._ingest(item, collection_id)
                except ValueError as exc:
                    result = IngestResult(item.origin, "failed", reason=str(exc))
                pending += 1
            results.append(result)
            if on_result:
                on_result(result)
            if pending >= batch_size:
                await self.db.conn.commit()
                pending = 0

        if hasattr(items, "__aiter__"):
            async for item in items:  # type: ignore[union-attr]
                await handle(item)
        else:
            for item in items:  # type: ignore[union-attr]
                await handle(item)
        await self.db.conn.commit()
        return results

    async def _ingest(self, raw: RawArticle, collection_id: int) -> IngestResult:
        title = " ".join(normalize_text(raw.title).split())
        cleaned = clean_body(raw.body)
        body = cleaned.body
        if not title:
            raise ValueError("the article has no title")
        if len(body.split()) < 3:
            raise ValueError("the article has no body text")
        canon = canonical_url(raw.meta.get("canonical") or raw.url)
        if canon:
            existing = await self.articles.find_by_canonical_url(canon)
            if existing:
                await self.articles.add_to_collection(existing, collection_id)
                return IngestResult(raw.origin, "duplicate", title=title, duplicate_of=existing)
        digest = content_hash(title, body)
        existing = await self.articles.find_by_hash(digest)
        if existing:
            await self.articles.add_to_collection(existing, collection_id)
            return IngestResult(raw.origin, "duplicate", title=title, duplicate_of=existing)

        near_index = await self._near_index()
        fingerprint = near_index.signature(title, body)
        near = await near_index.nearest(fingerprint)
        passages = chunk_text(body, self.settings.ingest.passage_tokens)
        if passages and passages[0].position == 0:
            # The title leads the first passage so that headline words are searchable.
            passages[0].text = f"{title}. {passages[0].text}" if not body.startswith(title) else passages[0].text
        meta = dict(raw.meta)
        meta.pop("canonical", None)
        if cleaned.credits:
            meta["credits"] = cleaned.credits
        if cleaned.captions:
            meta["captions"] = cleaned.captions
        article_id = await self.articles.insert(
            title=title,
            body=body,
            url=raw.url,
            canonical_url=canon,
            source=raw.source,
            author=raw.author or cleaned.author,
            place=raw.place,
            published=to_iso(raw.published),
            fetched=to_iso(utcnow()) or "",
            language=raw.language,
            content_hash=digest,
            simhash=fingerprint.simhash,
            duplicate_of=near,
            meta=meta,
            passages=[(p.position, p.text, p.tokens) for p in passages],
        )
        await self.articles.add_to_collection(article_id, collection_id)
        if near is None:
            await near_index.add(article_id, fingerprint)
        return IngestResult(raw.origin, "added", article_id=article_id, title=title, near_duplicate_of=near)
