"""The passage index: tantivy beside SQLite, which stays the system of record.

The index lives in `<db>.index/` and holds one document per passage of every article that
belongs to at least one collection: the passage text (English analysis: lower-case, ASCII
folding, Porter stemming, like FTS5's `porter unicode61 remove_diacritics 2`), its passage and
article ids, every collection the article is in, its time (published, or fetched) and source.

It follows SQLite through `search_changes`, a change log that triggers fill in the same
transaction as the change (migration 006). `sync` replays the rows past the sequence number
the index committed last; that number is stored inside the index, in the same tantivy commit
as the documents, so after a kill -9 at any point the next `sync` simply catches up. A missing,
corrupt or foreign index (another database's) is rebuilt from SQLite with a log line.

One process at a time holds the index's writer (tantivy's lock file). A process that opens while
another holds it (a CLI ingest while the bot runs, a second console) searches what the writer
commits plus an overlay: a small in-memory index of the articles changed past the committed
sequence number, so that what it stores itself is searchable to it at once. On every write and
search it tries (at most once per `TAKEOVER_RETRY_S`) to take the writer over, and once it has it,
it replays the change log from the committed number, like any open. Neither case is a warning.
"""

from __future__ import annotations

import asyncio
import logging
import math
import shutil
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import tantivy

from bot.store.db import Database

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1  # bump when fields or analysis change: old indexes are rebuilt
ANALYZER = "en_fold_stem"
META_ID = -1  # article_id / passage_id of the one document that holds the index's own state
WRITER_HEAP = 96_000_000
WRITER_THREADS = 2
REBUILD_HEAP = 512_000_000
BROAD_COLLECTION = 0.5  # share of the index above which a collection is ranked unfiltered, then checked
EXTERNAL_CHECK_S = 0.5  # how often a search looks for commits made by other connections or processes
_IN_CHUNK = 500
TAKEOVER_RETRY_S = 1.0  # how often a process without the writer tries to take it (on a write or a search)
OVERLAY_MAX_ARTICLES = 2000  # changed articles the overlay holds at most (the newest), while another process writes
OVERLAY_HEAP = 15_000_000  # tantivy's smallest writer heap: the overlay is in memory and small


def build_schema() -> tantivy.Schema:
    b = tantivy.SchemaBuilder()
    b.add_text_field("text", stored=False, tokenizer_name=ANALYZER, index_option="freq")
    b.add_integer_field("passage_id", stored=False, indexed=True, fast=True)
    b.add_integer_field("article_id", stored=False, indexed=True, fast=True)
    b.add_integer_field("collection", stored=False, indexed=True)
    b.add_integer_field("published", stored=False, indexed=True, fast=True)
    b.add_text_field("source", stored=False, tokenizer_name="raw", index_option="basic")
    b.add_integer_field("meta_seq", stored=True, indexed=False)
    b.add_integer_field("meta_version", stored=True, indexed=False)
    b.add_text_field("meta_token", stored=True, tokenizer_name="raw", index_option="basic")
    return b.build()


def build_analyzer() -> tantivy.TextAnalyzer:
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(40))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .filter(tantivy.Filter.stemmer("english"))
        .build()
    )


def iso_to_epoch(value: str | None) -> int | None:
    """ISO 8601 text to epoch seconds (UTC when no zone is given); None when unreadable."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp())


@dataclass
class IndexHit:
    score: float
    passage_id: int
    article_id: int


@dataclass
class _Doc:
    passage_id: int
    article_id: int
    text: str
    published: int | None
    source: str | None
    collections: list[int]


class SearchIndex:
    """One tantivy index for one database, owned by the App (bot/app.py), which closes it.

    It opens on first use (`await index.ready()`: commands that never search or store do not pay
    for the catch-up), and every search and ingest in the process goes through this one instance.
    """

    def __init__(self, db: Database, path: Path | None = None) -> None:
        self.db = db
        self.path = path if path is not None else index_path(db)
        self.schema = build_schema()
        self.analyzer = build_analyzer()
        self.index: tantivy.Index | None = None
        self.writer: tantivy.IndexWriter | None = None
        self.applied_seq = 0
        self._seen_changes = -1
        self._checked_at = 0.0
        # The one collection every indexed passage belongs to, when there is only one (as of the
        # last sync); None when there are several or it is not known (then searches check membership).
        self.sole_collection: int | None = None
        self._sole_known = False
        self._lock = asyncio.Lock()
        self._opening = asyncio.Lock()
        self._opened = False
        self._tried_writer_at = 0.0
        # While another process holds the writer: articles changed past the committed sequence
        # number (article id -> its latest change), indexed in memory, and how far that was read.
        self._overlay: tantivy.Index | None = None
        self._overlay_writer: tantivy.IndexWriter | None = None
        self.pending: dict[int, int] = {}
        self._overlay_seq = 0

    # ------------------------------------------------------------ open / close

    def _open_dir(self) -> None:
        if self.path is None:
            self.index = tantivy.Index(self.schema)
        else:
            self.path.mkdir(parents=True, exist_ok=True)
            self.index = tantivy.Index(self.schema, path=str(self.path), reuse=True)
        self.index.register_tokenizer(ANALYZER, self.analyzer)
        self._tried_writer_at = 0.0
        if not self._try_writer():
            # Another process holds the writer lock: serve what it commits, and the overlay.
            log.info("search index %s is being written by another process; using its commits and an overlay "
                     "until the writer is free", self.path)

    def _try_writer(self) -> bool:
        """Take the writer lock if it is free (at most once per TAKEOVER_RETRY_S); whether this process has it."""
        if self.writer is not None:
            return True
        now = time.monotonic()
        if self.index is None or (self._tried_writer_at and now - self._tried_writer_at < TAKEOVER_RETRY_S):
            return False
        self._tried_writer_at = now
        try:
            self.writer = self.index.writer(WRITER_HEAP, WRITER_THREADS)
        except ValueError:  # "Failed to acquire Lockfile: LockBusy": another process writes
            return False
        return True

    def _reset_dir(self, reason: str) -> None:
        log.warning("search index %s: %s; rebuilding it from the database", self.path, reason)
        self.close()
        if self.path is not None:
            shutil.rmtree(self.path, ignore_errors=True)
        self._open_dir()

    async def ready(self) -> "SearchIndex":
        """The index, opened and caught up with the database on first use."""
        if not self._opened:
            async with self._opening:
                if not self._opened:
                    await self._open()
                    self._opened = True
        return self

    async def open(self) -> "SearchIndex":
        """Open now (the App opens lazily through `ready`; a tool or test may open at once)."""
        return await self.ready()

    def close(self) -> None:
        self._opened = False
        if self.writer is not None:
            try:
                self.writer.wait_merging_threads()
            except Exception:  # noqa: BLE001 - closing must not fail
                log.debug("waiting for index merges failed", exc_info=True)
        self.writer = None
        self.index = None
        self._drop_overlay()

    @property
    def is_open(self) -> bool:
        return self._opened

    @property
    def writable(self) -> bool:
        return self.writer is not None

    async def _open(self) -> None:
        """Open (or create) the index and bring it level with the database."""
        db = self.db
        token = await _store_token(db)
        try:
            self._open_dir()
            meta = self._read_meta()
        except Exception as exc:  # noqa: BLE001 - any damage means: rebuild
            self._reset_dir(f"cannot be opened ({exc})")
            meta = None
        await self._level(meta, token)

    async def _level(self, meta: tuple[int, int, str] | None, token: str) -> None:
        """Bring an opened index level with the database: replay the change log, or rebuild."""
        db = self.db
        if self.writer is None:
            # Another process writes: its commits, and this process's overlay for what is newer.
            self.applied_seq = meta[0] if meta else 0
            await self._refresh_overlay()
            return
        if meta is None:
            if self._doc_count() > 0:
                self._reset_dir("has no state record")
            await self.rebuild(token)
            return
        seq, version, meta_token = meta
        last = await _last_seq(db)
        if version != SCHEMA_VERSION or meta_token != token or seq > last:
            why = "was built with another schema" if version != SCHEMA_VERSION else "belongs to another database"
            self._reset_dir(why)
            await self.rebuild(token)
            return
        self.applied_seq = seq
        await self._sync()
        await self.trim()

    async def trim(self) -> None:
        """Drop the change-log rows the index has committed (only between transactions)."""
        db = self.db
        if self.writer is not None and not db.in_transaction:
            async with db.transaction():
                await db.conn.execute("DELETE FROM search_changes WHERE seq <= ?", (self.applied_seq,))

    # ------------------------------------------------------------ state record

    def committed_seq(self) -> int:
        """The change-log sequence number the index has committed (how far it has caught up with SQLite)."""
        if self.index is None:
            return 0
        meta = self._read_meta()
        return meta[0] if meta else 0

    def _read_meta(self) -> tuple[int, int, str] | None:
        assert self.index is not None
        self.index.reload()
        searcher = self.index.searcher()
        q = tantivy.Query.term_query(self.schema, "article_id", META_ID)
        result = searcher.search(q, 1)
        if not result.hits:
            return None
        doc = searcher.doc(result.hits[0][1])
        return int(doc.get_first("meta_seq") or 0), int(doc.get_first("meta_version") or 0), str(doc.get_first("meta_token"))

    def _write_meta(self, seq: int, token: str) -> None:
        assert self.writer is not None
        self.writer.delete_documents_by_term("article_id", META_ID)
        doc = tantivy.Document()
        doc.add_integer("article_id", META_ID)
        doc.add_integer("passage_id", META_ID)
        doc.add_integer("meta_seq", seq)
        doc.add_integer("meta_version", SCHEMA_VERSION)
        doc.add_text("meta_token", token)
        self.writer.add_document(doc)

    def _doc_count(self) -> int:
        assert self.index is not None
        self.index.reload()
        return int(self.index.searcher().num_docs)

    # ------------------------------------------------------------ writing

    def _add(self, d: _Doc, writer: tantivy.IndexWriter | None = None) -> None:
        writer = writer or self.writer
        assert writer is not None
        doc = tantivy.Document()
        doc.add_text("text", d.text)
        doc.add_integer("passage_id", d.passage_id)
        doc.add_integer("article_id", d.article_id)
        for cid in d.collections:
            doc.add_integer("collection", cid)
        if d.published is not None:
            doc.add_integer("published", d.published)
        if d.source:
            doc.add_text("source", d.source.lower())
        writer.add_document(doc)

    async def _commit(self, seq: int, token: str) -> None:
        assert self.writer is not None and self.index is not None
        self._write_meta(seq, token)
        writer, index = self.writer, self.index
        await asyncio.to_thread(writer.commit)
        index.reload()
        self.applied_seq = seq

    async def rebuild(self, token: str | None = None) -> int:
        """Index every passage again from SQLite; returns how many passages were indexed."""
        db = self.db
        if self.writer is None:
            raise RuntimeError("the search index is locked by another process")
        async with self._lock:
            token = token or await _store_token(db)
            seq = await _last_seq(db)
            started = time.perf_counter()
            # A big writer for the bulk load gives few large segments (searches visit each segment).
            self.writer.wait_merging_threads()
            assert self.index is not None
            self.writer = self.index.writer(REBUILD_HEAP, WRITER_THREADS)
            self.writer.delete_all_documents()
            count = 0
            sql = _DOC_SQL + " ORDER BY p.id"
            async with db.conn.execute(sql) as cur:
                while True:
                    rows = list(await cur.fetchmany(4096))
                    if not rows:
                        break
                    for row in rows:
                        self._add(_doc(row))
                    count += len(rows)
            await self._note_collections(db)
            await self._commit(seq, token)
            await asyncio.to_thread(self.writer.wait_merging_threads)
            self.writer = self.index.writer(WRITER_HEAP, WRITER_THREADS)
            self._seen_changes = db.conn.total_changes
            log.info("search index %s rebuilt: %d passages in %.1f s", self.path, count, time.perf_counter() - started)
            return count

    async def sync(self) -> int:
        """Apply the change log past the index's last commit; returns how many articles were re-indexed.

        Does nothing while the connection has an open transaction (its rows are not committed
        yet) or when another process holds the index writer.
        """
        await self.ready()
        if self.writer is None and not await self._take_over():
            await self._refresh_overlay()
            return 0
        return await self._sync()

    async def _take_over(self) -> bool:
        """Take the writer over if the process that held it let it go; then replay the change log."""
        if self.db.conn.in_transaction or not self._try_writer():
            return False
        meta = self._read_meta()  # the last commit of the process that held it (read at once, under the lock)
        self.applied_seq = meta[0] if meta else 0
        log.info("search index %s: took the writer over at change %d; catching up", self.path, self.applied_seq)
        self._drop_overlay()
        await self._level(meta, await _store_token(self.db))
        return True

    async def _sync(self) -> int:
        """`sync` on an open index.

        Does nothing while the connection has an open transaction (its rows are not committed
        yet) or when another process holds the index writer.
        """
        db = self.db
        if self.writer is None or db.conn.in_transaction:
            return 0
        async with self._lock:
            if db.conn.in_transaction:
                return 0
            self._seen_changes = db.conn.total_changes
            self._checked_at = time.monotonic()
            rows = list(await db.conn.execute_fetchall(
                "SELECT seq, article_id FROM search_changes WHERE seq > ? ORDER BY seq", (self.applied_seq,)
            ))
            if not rows:
                if not self._sole_known:
                    await self._note_collections(db)
                return 0
            last = int(rows[-1][0])
            article_ids = sorted({int(r[1]) for r in rows})
            for aid in article_ids:
                self.writer.delete_documents_by_term("article_id", aid)
            for i in range(0, len(article_ids), _IN_CHUNK):
                part = article_ids[i : i + _IN_CHUNK]
                sql = _DOC_SQL + f" WHERE p.article_id IN ({','.join('?' * len(part))})"
                async with db.conn.execute(sql, part) as cur:
                    for row in await cur.fetchall():
                        self._add(_doc(row))
            await self._note_collections(db)
            await self._commit(last, await _store_token(db))
            return len(article_ids)

    async def _note_collections(self, db: Database) -> None:
        """Whether one collection holds every article (two O(log n) look-ups; after the rows to index were read)."""
        (low, high), = await db.conn.execute_fetchall(
            "SELECT (SELECT min(collection_id) FROM article_collections), (SELECT max(collection_id) FROM article_collections)"
        )
        self.sole_collection = int(low) if low is not None and low == high else None
        self._sole_known = True

    async def ensure_fresh(self) -> None:
        """Catch up before a search if this connection committed something, or now and then for others."""
        await self.ready()
        db = self.db
        if self.writer is None:
            if await self._take_over():
                return
            if db.conn.total_changes != self._seen_changes or time.monotonic() - self._checked_at > EXTERNAL_CHECK_S:
                await self._refresh_overlay()
            return
        if db.conn.total_changes != self._seen_changes or time.monotonic() - self._checked_at > EXTERNAL_CHECK_S:
            await self._sync()

    # ------------------------------------------------------------ the overlay (while another process writes)

    def _drop_overlay(self) -> None:
        self._overlay = self._overlay_writer = None
        self.pending = {}
        self._overlay_seq = 0

    async def _refresh_overlay(self) -> None:
        """Follow the other writer's commits and index in memory what is newer (this process's own articles
        at once). Incremental: only changes past the last refresh are read."""
        db = self.db
        if self.index is None or self.writer is not None or db.conn.in_transaction:
            return
        async with self._lock:
            if self.writer is not None or db.conn.in_transaction:
                return
            self._seen_changes = db.conn.total_changes
            self._checked_at = time.monotonic()
            meta = self._read_meta()  # reloads: the other writer's latest commit
            self.applied_seq = committed = meta[0] if meta else 0
            start = max(committed, self._overlay_seq)
            rows = await db.conn.execute_fetchall(
                "SELECT article_id, max(seq) FROM search_changes WHERE seq > ? GROUP BY article_id "
                "ORDER BY max(seq) DESC LIMIT ?", (start, OVERLAY_MAX_ARTICLES),
            )
            changed = {int(aid): int(seq) for aid, seq in rows}
            done = [aid for aid, seq in self.pending.items() if seq <= committed and aid not in changed]
            if not changed and not done:
                return
            if self._overlay is None:
                self._overlay = tantivy.Index(self.schema)
                self._overlay.register_tokenizer(ANALYZER, self.analyzer)
                self._overlay_writer = self._overlay.writer(OVERLAY_HEAP, 1)
            writer = self._overlay_writer
            assert writer is not None
            for aid in done:
                writer.delete_documents_by_term("article_id", aid)
                del self.pending[aid]
            ids = sorted(changed)
            for aid in ids:
                writer.delete_documents_by_term("article_id", aid)
            for i in range(0, len(ids), _IN_CHUNK):
                part = ids[i : i + _IN_CHUNK]
                sql = _DOC_SQL + f" WHERE p.article_id IN ({','.join('?' * len(part))})"
                async with db.conn.execute(sql, part) as cur:
                    for row in await cur.fetchall():
                        self._add(_doc(row), writer)
            self.pending.update(changed)
            if changed:
                self._overlay_seq = max(self._overlay_seq, max(changed.values()))
            if len(self.pending) > OVERLAY_MAX_ARTICLES:  # the oldest fall back to what the writer commits
                for aid, _ in sorted(self.pending.items(), key=lambda kv: kv[1])[: len(self.pending) - OVERLAY_MAX_ARTICLES]:
                    writer.delete_documents_by_term("article_id", aid)
                    del self.pending[aid]
            await asyncio.to_thread(writer.commit)
            self._overlay.reload()

    # ------------------------------------------------------------ reading

    def terms(self, words: Iterable[str]) -> list[str]:
        """Index terms of query words, analyzed like the passage text, in order, no repeats."""
        out: list[str] = []
        for word in words:
            for token in self.analyzer.analyze(word):
                if token not in out:
                    out.append(token)
        return out

    def doc_freq(self, word: str) -> int:
        """How many indexed passages hold `word`, analysed like the passage text (an IDF statistic).

        One term: tantivy's own document frequency (what its BM25 uses; passages replaced since the
        last segment merge still count until that merge). A word the analyser splits ("U.S.", "o'neil")
        counts the passages holding all its parts.
        """
        terms = self.terms([word])
        if not terms or self.index is None:
            return 0
        searchers = [self.index.searcher()] + ([self._overlay.searcher()] if self._overlay is not None else [])
        if len(terms) == 1:
            return sum(int(s.doc_freq("text", terms[0])) for s in searchers)
        both = tantivy.Query.boolean_query(
            [(tantivy.Occur.Must, tantivy.Query.term_query(self.schema, "text", t)) for t in terms]
        )
        return sum(int(s.search(both, 1, count=True).count or 0) for s in searchers)  # type: ignore[attr-defined,misc]  # tantivy's stub omits count

    def doc_count(self) -> int:
        """How many passages the index holds (its state document not counted; the overlay's counted)."""
        if self.index is None:
            return 0
        over = int(self._overlay.searcher().num_docs) if self._overlay is not None else 0
        return max(int(self.index.searcher().num_docs) - 1, 0) + over

    def search(
        self,
        terms: Sequence[str],
        collection_id: int,
        limit: int,
        since: int | None = None,
        until: int | None = None,
        source: str | None = None,
    ) -> list[IndexHit]:
        """The `limit` best passages (BM25, any term) among one collection's, best first.

        While another process holds the writer, articles changed past its last commit come from the
        overlay instead (their older copies in the main index are left out), scored with the term
        statistics of both together so that the two rankings compare.
        """
        if not terms or limit <= 0 or self.index is None:
            return []
        filters = self._filters(collection_id, since, until, source)
        if not self.pending or self._overlay is None:
            return self._search_main(terms, collection_id, filters, limit)
        schema = self.schema
        pending = tantivy.Query.boolean_query(
            [(tantivy.Occur.Should, tantivy.Query.term_query(schema, "article_id", a)) for a in self.pending]
        )
        main = self.index.searcher()
        clauses = [(tantivy.Occur.Must, self._text_query(terms))] + [
            (tantivy.Occur.Must, tantivy.Query.const_score_query(f, 0.0)) for f in filters
        ] + [(tantivy.Occur.MustNot, pending)]
        hits = self._run(main, tantivy.Query.boolean_query(clauses), limit)
        over = self._overlay.searcher()
        boosts = _idf_boosts(terms, main, over)
        if boosts:
            clauses = [(tantivy.Occur.Must, self._text_query(list(boosts), boosts))] + [
                (tantivy.Occur.Must, tantivy.Query.const_score_query(f, 0.0)) for f in filters
            ]
            hits += self._run(over, tantivy.Query.boolean_query(clauses), limit)
        hits.sort(key=lambda h: -h.score)
        return hits[:limit]

    def _text_query(self, terms: Sequence[str], boosts: dict[str, float] | None = None) -> tantivy.Query:
        queries = [tantivy.Query.term_query(self.schema, "text", t) for t in terms]
        if boosts:
            queries = [tantivy.Query.boost_query(q, boosts[t]) for q, t in zip(queries, terms)]
        return queries[0] if len(queries) == 1 else tantivy.Query.boolean_query(
            [(tantivy.Occur.Should, q) for q in queries]
        )

    def _filters(
        self, collection_id: int, since: int | None, until: int | None, source: str | None
    ) -> list[tantivy.Query]:
        schema = self.schema
        filters = [tantivy.Query.term_query(schema, "collection", collection_id)]
        if since is not None or until is not None:
            filters.append(
                tantivy.Query.range_query(
                    schema, "published", tantivy.FieldType.Integer, since, until, True, until is None
                )
            )
        if source:
            filters.append(tantivy.Query.term_query(schema, "source", source.lower()))
        return filters

    def _search_main(
        self, terms: Sequence[str], collection_id: int, filters: list[tantivy.Query], limit: int
    ) -> list[IndexHit]:
        assert self.index is not None
        schema = self.schema
        text_q = self._text_query(terms)
        clauses = [(tantivy.Occur.Must, text_q)] + [
            (tantivy.Occur.Must, tantivy.Query.const_score_query(f, 0.0)) for f in filters
        ]
        searcher = self.index.searcher()
        if len(filters) == 1 and collection_id == self.sole_collection:
            # The only collection there is (the usual case): nothing to filter or check.
            return self._run(searcher, text_q, limit)
        if len(filters) == 1 and searcher.num_docs and (
            searcher.doc_freq("collection", collection_id) >= BROAD_COLLECTION * searcher.num_docs
        ):
            # A collection that holds most of the index: a filter would stop tantivy from skipping
            # blocks of low-scoring passages (block-max WAND), so rank without it and check the
            # few top hits' membership with a second, tiny query.
            hits = self._run(searcher, text_q, limit)
            if hits:
                # (A union of term queries: term_set_query on an integer field scans it, ~8x slower here.)
                ids = tantivy.Query.boolean_query(
                    [(tantivy.Occur.Should, tantivy.Query.term_query(schema, "passage_id", h.passage_id)) for h in hits]
                )
                check = tantivy.Query.const_score_query(
                    tantivy.Query.boolean_query([(tantivy.Occur.Must, ids), (tantivy.Occur.Must, filters[0])]), 1.0
                )
                member = {h.passage_id for h in self._run(searcher, check, len(hits))}
                kept = [h for h in hits if h.passage_id in member]
                if len(kept) == len(hits) or len(hits) < limit:
                    return kept
        return self._run(searcher, tantivy.Query.boolean_query(clauses), limit)

    @staticmethod
    def _run(searcher: tantivy.Searcher, query: tantivy.Query, limit: int) -> list[IndexHit]:
        result = searcher.search(query, limit, count=False)
        if not result.hits:
            return []
        addrs = [addr for _, addr in result.hits]
        pids = searcher.fast_field_values("passage_id", addrs)
        aids = searcher.fast_field_values("article_id", addrs)
        return [IndexHit(float(score), int(p or 0), int(a or 0)) for (score, _), p, a in zip(result.hits, pids, aids)]

    def passage_ids(self) -> set[int]:
        """Every passage id in the index (for checks and tests; reads the whole index)."""
        if self.index is None:
            return set()
        self.index.reload()
        searcher = self.index.searcher()
        n = max(int(searcher.num_docs), 1)
        result = searcher.search(tantivy.Query.all_query(), n, count=False)
        values = searcher.fast_field_values("passage_id", [addr for _, addr in result.hits])
        return {int(v) for v in values if v is not None and v != META_ID}


_DOC_SQL = """
    SELECT p.id, p.article_id, p.text,
           CAST(strftime('%s', COALESCE(a.published, a.fetched)) AS INTEGER), a.source, c.cols
    FROM passages p
    JOIN articles a ON a.id = p.article_id
    JOIN (SELECT article_id, group_concat(collection_id) AS cols FROM article_collections GROUP BY article_id) c
      ON c.article_id = p.article_id
"""


def _idf(n: int, total: int) -> float:
    return math.log(1 + (total - n + 0.5) / (n + 0.5))


def _idf_boosts(terms: Sequence[str], main: tantivy.Searcher, over: tantivy.Searcher) -> dict[str, float]:
    """Per-term boosts that turn the overlay's BM25 (its IDF from a handful of passages) into the
    score the term would have over both indexes together; terms the overlay lacks are left out."""
    n_main, n_over = int(main.num_docs), int(over.num_docs)
    boosts: dict[str, float] = {}
    for t in terms:
        in_over = int(over.doc_freq("text", t))
        if in_over:
            boosts[t] = _idf(in_over + int(main.doc_freq("text", t)), n_main + n_over) / _idf(in_over, n_over)
    return boosts


def _doc(row: Any) -> _Doc:
    return _Doc(int(row[0]), int(row[1]), row[2], row[3], row[4], [int(c) for c in str(row[5]).split(",")])


async def _last_seq(db: Database) -> int:
    async with db.conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'search_changes'") as cur:
        row = await cur.fetchone()
    return int(row[0]) if row else 0


async def _store_token(db: Database) -> str:
    async with db.conn.execute("SELECT value FROM search_state WHERE key = 'store_token'") as cur:
        row = await cur.fetchone()
    return str(row[0]) if row else ""


def index_path(db: Database) -> Path | None:
    """Where a database's index lives: `<db file>.index/` (in memory for an in-memory database)."""
    if str(db.path) == ":memory:":
        return None
    return db.path.with_name(db.path.name + ".index")
