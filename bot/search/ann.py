"""Approximate search over a large vector store: faiss IVF with 8-bit scalar codes (bench/README.md, "Recommendation").

`IvfSq8` mirrors the rows of `VectorIndex` (its ids are the index's row numbers): trained once on a sample of the
stored vectors, then extended with the rows added since and told of the rows that died (`remove_ids`). The filter a
search needs (collection, time window, rows alive) is the same boolean mask the exact search uses, handed to faiss as
an `IDSelectorBitmap` in `SearchParametersIVF`, so a passage outside it is never a candidate. faiss is optional
(`pip install faiss-cpu`): `load_faiss()` returns None when it is missing and the caller stays exact.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

TRAIN_MAX = 131_072  # vectors sampled for k-means
NITER = 10  # k-means iterations
NPROBE = 16  # lists visited by a search

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


class IvfSq8:
    """faiss IndexIVFScalarQuantizer (QT_8bit, inner product) whose ids are row numbers of one VectorIndex."""

    def __init__(self, faiss: Any, vectors: np.ndarray, alive: np.ndarray, seed: int = 0) -> None:
        """Train on a sample of the live rows of `vectors` and add every live row."""
        self.faiss = faiss
        n, dim = vectors.shape
        self.dim = dim
        self.nlist = nlist_for(int(alive.sum()))
        live = np.nonzero(alive)[0]
        rng = np.random.default_rng(seed)
        sample = live if len(live) <= TRAIN_MAX else np.sort(rng.choice(live, TRAIN_MAX, replace=False))
        self.quantizer = faiss.IndexFlatIP(dim)
        self.index = faiss.IndexIVFScalarQuantizer(
            self.quantizer, dim, self.nlist, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT)
        self.index.cp.niter = NITER
        self.index.cp.seed = seed
        self.index.train(np.ascontiguousarray(vectors[sample], dtype=np.float32))
        self.rows = 0  # rows [0, rows) have been seen (added, or skipped as dead)
        self.present = np.zeros(0, dtype=bool)  # row -> held by faiss
        self.trained_on = len(live)
        self.catch_up(vectors, alive, n)

    def catch_up(self, vectors: np.ndarray, alive: np.ndarray, size: int) -> None:
        """Add rows [self.rows, size) that are alive; remove rows that died since."""
        if size > len(self.present):
            grown = np.zeros(max(size, 2 * len(self.present)), dtype=bool)
            grown[: len(self.present)] = self.present
            self.present = grown
        dead = np.nonzero(self.present[: self.rows] & ~alive[: self.rows])[0]
        if len(dead):
            self.index.remove_ids(dead.astype(np.int64))
            self.present[dead] = False
        if size > self.rows:
            new = self.rows + np.nonzero(alive[self.rows : size])[0]
            if len(new):
                self.index.add_with_ids(np.ascontiguousarray(vectors[new], dtype=np.float32), new.astype(np.int64))
                self.present[new] = True
            self.rows = size

    def __len__(self) -> int:
        return int(self.index.ntotal)

    def search(self, query: np.ndarray, ok: np.ndarray, k: int, nprobe: int = NPROBE) -> tuple[np.ndarray, np.ndarray]:
        """Rows among `ok` (a mask over rows [0, len(ok))) and their scores, best first; at most k."""
        faiss = self.faiss
        bits = np.packbits(ok, bitorder="little")
        selector = faiss.IDSelectorBitmap(len(ok), faiss.swig_ptr(bits))
        params = faiss.SearchParametersIVF(sel=selector, nprobe=min(nprobe, self.nlist))
        scores, rows = self.index.search(query.astype(np.float32)[None, :], k, params=params)
        keep = rows[0] >= 0
        return rows[0][keep], scores[0][keep]
