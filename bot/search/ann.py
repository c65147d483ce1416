"""Approximate search over a large vector store: faiss IVF with 8-bit scalar codes (bench/README.md, "Recommendation").

`IvfSq8` holds the vectors of a `VectorIndex` above `[embeddings] ann_threshold` — there is no float32 matrix beside
it (bot/search/vectors.py reads SQLite in pieces into it). Its ids are the index's row numbers. The filter a search
needs (collection, time window, rows alive) is the boolean mask the exact search uses, handed to faiss as an
`IDSelectorBitmap` in `SearchParametersIVF`, so a passage outside it is never a candidate. The exact paths read the
same 8-bit codes: `scan` visits every list (a filtered set of 50,000 rows among 1M in 19–50 ms, against 210–260 ms
to decode them through a direct map and 400–620 ms to read them from SQLite: bench/README.md), `scores` only the
lists that hold the given rows (each row's list number is kept: 4 bytes a row). faiss is optional (`pip install faiss-cpu`):
`load_faiss()` returns None when it is missing and the caller stays exact.

Building is in three steps so that memory stays at the codes' size: `train` (k-means on a sample), `assign` every
vector to its list (`reserve` then sizes each list once, instead of letting them double as they grow), `add`.
After training, `choose_nprobe` measures recall@10 against exact search on a sample of the store's own vectors
(`Truth`) and takes the smallest nprobe in `NPROBES` that reaches `RECALL_TARGET`.

What is saved beside SQLite (`<database>-ivf.npz`) is the *trained* index only (centroids and 8-bit ranges, no
vectors) and the nprobe chosen: training is most of the build, while adding the stored vectors again at open takes a
fraction of it and cannot disagree with SQLite. The file is used when it is of the same format, model and dimension
and the store has not grown 4x past what it was trained on; otherwise, or when it cannot be read, the index is
trained again and the file replaced.
"""

from __future__ import annotations

import ctypes
import json
import logging
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

TRAIN_MAX = 131_072  # vectors sampled for k-means
NITER = 10  # k-means iterations
NPROBES = (8, 16, 32, 64, 128)  # lists visited by a search: the smallest reaching RECALL_TARGET is kept
RECALL_TARGET = 0.95  # recall@10 against exact search, measured at training
RECALL_QUERIES = 200  # of the store's own vectors, each searched for its 10 nearest others
RECALL_K = 10

_faiss: Any = None
_tried = False


def load_faiss() -> Any:
    """The faiss module, or None (logged once) when it is not installed."""
    global _faiss, _tried
    if not _tried:
        _tried = True
        try:
            import faiss  # type: ignore[import-not-found, import-untyped, unused-ignore]
        except ImportError:
            log.warning("faiss is not installed (pip install faiss-cpu): the vector index stays exact at any size")
        else:
            _faiss = faiss
    return _faiss


def nlist_for(n: int) -> int:
    """The power of two at or above 2·√n (bench/README.md: 512 at 50k, 1024 at 100k, 2048 at 1M)."""
    return 1 << max(0, math.ceil(math.log2(max(1.0, 2 * math.sqrt(n)))))


def release_memory() -> None:
    """Give freed heap back to the system (glibc keeps it otherwise: a build's pieces would stay in the RSS)."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def train(faiss: Any, sample: np.ndarray, live: int, seed: int = 0) -> Any:
    """A trained, empty IndexIVFScalarQuantizer (QT_8bit, inner product) for a store of `live` vectors."""
    dim = sample.shape[1]
    quantizer = faiss.IndexFlatIP(dim)
    index = faiss.IndexIVFScalarQuantizer(quantizer, dim, nlist_for(live), faiss.ScalarQuantizer.QT_8bit,
                                          faiss.METRIC_INNER_PRODUCT)
    index.own_fields = True
    quantizer.this.disown()  # the IVF index frees it
    index.cp.niter = NITER
    index.cp.seed = seed
    index.train(np.ascontiguousarray(sample, dtype=np.float32))
    return index


class IvfSq8:
    """A trained faiss IVF-SQ8 index whose ids are row numbers of one VectorIndex."""

    def __init__(self, faiss: Any, index: Any, trained_on: int, nprobe: int, reused: bool = False) -> None:
        self.faiss = faiss
        self.index = index
        self.dim = int(index.d)
        self.nlist = int(index.nlist)
        self.trained_on = trained_on  # live vectors when it was trained
        self.nprobe = nprobe
        self.recall: float | None = None  # measured by choose_nprobe (None: read from the file)
        self.reused = reused  # the training came from the file
        self.lists = np.full(0, -1, dtype=np.int32)  # row -> its list, -1 when not held
        self.centroids = index.quantizer.reconstruct_n(0, self.nlist)  # (nlist, dim) float32, for `scores`

    def __len__(self) -> int:
        return int(self.index.ntotal)

    def assign(self, vectors: np.ndarray) -> np.ndarray:
        """The list each vector goes to (int64)."""
        _, lists = self.index.quantizer.search(np.ascontiguousarray(vectors, dtype=np.float32), 1)
        return np.ascontiguousarray(lists[:, 0])

    def reserve(self, lists: np.ndarray) -> None:
        """Size each inverted list for the vectors that will be added to it (given their lists, from `assign`)."""
        invlists = self.faiss.downcast_InvertedLists(self.index.invlists)
        counts = np.bincount(lists, minlength=self.nlist)
        for n, have in enumerate(counts.tolist()):
            held = int(invlists.list_size(n))
            invlists.resize(n, held + have)  # a vector's capacity is set once, from empty, to the exact size
            invlists.resize(n, held)

    def add(self, rows: np.ndarray, vectors: np.ndarray, lists: np.ndarray | None = None) -> None:
        """Add vectors under their row numbers (`lists`: their assignment, when known)."""
        if not len(rows):
            return
        x = np.ascontiguousarray(vectors, dtype=np.float32)
        ids = np.ascontiguousarray(rows, dtype=np.int64)
        assigned = self.assign(x) if lists is None else np.ascontiguousarray(lists, dtype=np.int64)
        self.index.add_core(len(ids), self.faiss.swig_ptr(x), self.faiss.swig_ptr(ids), self.faiss.swig_ptr(assigned))
        top = int(ids.max()) + 1
        if top > len(self.lists):
            grown = np.full(max(top, 2 * len(self.lists), 1024), -1, dtype=np.int32)
            grown[: len(self.lists)] = self.lists
            self.lists = grown
        self.lists[ids] = assigned

    def remove(self, rows: np.ndarray) -> None:
        """Forget rows (dead passages)."""
        rows = rows[(rows < len(self.lists))]
        rows = rows[self.lists[rows] >= 0]
        if len(rows):
            self.index.remove_ids(self.faiss.IDSelectorBatch(np.ascontiguousarray(rows, dtype=np.int64)))
            self.lists[rows] = -1

    def held(self, size: int) -> np.ndarray:
        """Which of rows [0, size) the index holds."""
        out = np.zeros(size, dtype=bool)
        m = min(size, len(self.lists))
        out[:m] = self.lists[:m] >= 0
        return out

    def _params(self, ok: np.ndarray, nprobe: int) -> tuple[Any, Any]:
        bits = np.packbits(ok, bitorder="little")
        selector = self.faiss.IDSelectorBitmap(len(ok), self.faiss.swig_ptr(bits))
        return self.faiss.SearchParametersIVF(sel=selector, nprobe=min(nprobe, self.nlist)), bits

    def search(self, query: np.ndarray, ok: np.ndarray, k: int, nprobe: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Rows among `ok` (a mask over rows [0, len(ok))) and their scores, best first; at most k."""
        params, _bits = self._params(ok, self.nprobe if nprobe is None else nprobe)
        scores, rows = self.index.search(query.astype(np.float32)[None, :], k, params=params)
        keep = rows[0] >= 0
        return rows[0][keep], scores[0][keep]

    def scan(self, query: np.ndarray, ok: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The best k of the rows in `ok`, every list visited: exact over the 8-bit codes."""
        return self.search(query, ok, k, nprobe=self.nlist)

    def scores(self, query: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """The score of each row (NaN for a row not held), reading only the lists that hold them."""
        out = np.full(len(rows), np.nan, dtype=np.float32)
        rows = np.asarray(rows, dtype=np.int64)
        inside = rows < len(self.lists)
        lists = np.full(len(rows), -1, dtype=np.int64)
        lists[inside] = self.lists[rows[inside]]
        have = lists >= 0
        if not have.any():
            return out
        probe = np.unique(lists[have])
        q = np.ascontiguousarray(query, dtype=np.float32)[None, :]
        coarse = np.ascontiguousarray((self.centroids[probe] @ q[0])[None, :], dtype=np.float32)
        wanted = np.unique(rows[have])
        params = self.faiss.SearchParametersIVF(sel=self.faiss.IDSelectorBatch(wanted), nprobe=len(probe))
        assign = np.ascontiguousarray(probe[None, :], dtype=np.int64)
        k = len(wanted)
        scores = np.zeros((1, k), dtype=np.float32)
        found = np.full((1, k), -1, dtype=np.int64)
        sp = self.faiss.swig_ptr
        self.index.search_preassigned_c(1, sp(q), k, sp(assign), sp(coarse), sp(scores), sp(found), False, params)
        got = {int(r): float(s) for r, s in zip(found[0].tolist(), scores[0].tolist()) if r >= 0}
        for i, r in enumerate(rows.tolist()):
            if r in got:
                out[i] = got[r]
        return out


class Truth:
    """Exact top-k of some of the store's own vectors (queries) over all of it, fed in pieces; a query's own row
    is left out (it would be its own nearest neighbour)."""

    def __init__(self, queries: np.ndarray, own_ids: np.ndarray, k: int = RECALL_K) -> None:
        self.queries = np.ascontiguousarray(queries, dtype=np.float32)
        self.own_ids = np.asarray(own_ids, dtype=np.int64)  # each query's passage_vectors id
        self.own_rows = np.full(len(queries), -1, dtype=np.int64)  # ... and its row, once seen
        self.k = k
        self.best = np.full((len(queries), k), -np.inf, dtype=np.float32)
        self.rows = np.full((len(queries), k), -1, dtype=np.int64)

    def feed(self, rows: np.ndarray, ids: np.ndarray, vectors: np.ndarray) -> None:
        """A piece of the store: row numbers, passage_vectors ids and vectors."""
        if not len(rows):
            return
        scores = self.queries @ np.asarray(vectors, dtype=np.float32).T
        own = self.own_ids[:, None] == np.asarray(ids)[None, :]
        qi, ci = np.nonzero(own)
        self.own_rows[qi] = np.asarray(rows)[ci]
        scores[own] = -np.inf
        allscores = np.hstack([self.best, scores])
        allrows = np.hstack([self.rows, np.broadcast_to(np.asarray(rows, dtype=np.int64), scores.shape)])
        top = np.argpartition(-allscores, self.k - 1, axis=1)[:, : self.k]
        self.best = np.take_along_axis(allscores, top, axis=1)
        self.rows = np.take_along_axis(allrows, top, axis=1)

    def recall(self, ann: IvfSq8, nprobe: int) -> float:
        """recall@k of `ann` at `nprobe` against this exact top-k."""
        params = ann.faiss.SearchParametersIVF(nprobe=min(nprobe, ann.nlist))
        _, found = ann.index.search(self.queries, self.k + 1, params=params)
        hits = 0
        total = 0
        for q in range(len(self.queries)):
            want = {int(r) for r, s in zip(self.rows[q], self.best[q]) if r >= 0 and np.isfinite(s)}
            if not want:
                continue
            got = [int(r) for r in found[q] if r >= 0 and r != self.own_rows[q]][: self.k]
            hits += len(want & set(got))
            total += len(want)
        return hits / total if total else 1.0


def choose_nprobe(ann: IvfSq8, truth: Truth) -> tuple[int, float]:
    """The smallest nprobe in NPROBES whose recall@10 reaches RECALL_TARGET (else the largest), and that recall."""
    recall = 0.0
    for nprobe in NPROBES:
        recall = truth.recall(ann, nprobe)
        if recall >= RECALL_TARGET:
            return nprobe, recall
    return NPROBES[-1], recall


FORMAT = 2  # 2: the nprobe chosen at training is saved too


@dataclass
class Saved:
    index: Any  # trained, empty
    trained_on: int
    nprobe: int


def read(faiss: Any, path: Path, model: str, dim: int, live: int) -> Saved | None:
    """The training saved in `path`, when it is of this format, model and dimension and still fits the store."""
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as saved:
            meta = json.loads(str(saved["meta"]))
            blob = saved["index"]
        if (meta.get("format"), meta.get("model"), meta.get("dim")) != (FORMAT, model, dim):
            log.info("vector index: %s is of another format, model or dimension: training again", path.name)
            return None
        trained_on = int(meta["trained_on"])
        nprobe = int(meta["nprobe"])
        if live > 4 * trained_on:
            return None  # grown 4x since: train again
        index = faiss.deserialize_index(blob)
        if index.d != dim or not index.is_trained or index.ntotal != 0 or not 1 <= nprobe <= index.nlist:
            raise ValueError("not a trained, empty index of this dimension")
        return Saved(index, trained_on, nprobe)
    except Exception as exc:  # noqa: BLE001 - a damaged file only means training again
        log.warning("vector index: %s cannot be read (%s): training again", path.name, exc)
        return None


def write(path: Path, blob: np.ndarray, model: str, dim: int, trained_on: int, nlist: int, nprobe: int,
          recall: float) -> None:
    """Save a training (`blob`: the trained, empty index from faiss.serialize_index) and the nprobe chosen."""
    meta = json.dumps({"format": FORMAT, "model": model, "dim": dim, "trained_on": trained_on, "nlist": nlist,
                       "nprobe": nprobe, "recall_at_10": round(recall, 4)})
    tmp = path.with_name(path.name + ".tmp")
    try:
        with open(tmp, "wb") as f:
            np.savez(f, index=blob, meta=np.array(meta))
        os.replace(tmp, path)
    except OSError as exc:
        log.warning("vector index: cannot save %s (%s): it is trained again at the next open", path.name, exc)
