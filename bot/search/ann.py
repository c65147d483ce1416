"""Approximate search over a large vector store: faiss IVF with 8-bit scalar codes (bench/README.md, "Recommendation").

`IvfSq8` mirrors the rows of `VectorIndex` (its ids are the index's row numbers): trained once on a sample of the
stored vectors, then extended with the rows added since and told of the rows that died (`remove_ids`). The filter a
search needs (collection, time window, rows alive) is the same boolean mask the exact search uses, handed to faiss as
an `IDSelectorBitmap` in `SearchParametersIVF`, so a passage outside it is never a candidate. faiss is optional
(`pip install faiss-cpu`): `load_faiss()` returns None when it is missing and the caller stays exact.

What is saved beside SQLite (`<database>-ivf.npz`) is the *trained* index only (centroids and 8-bit ranges, no
vectors): training is most of the build (k-means), while adding the stored vectors again at open takes a fraction of
it and cannot disagree with SQLite. The file is used when it is of the same model and dimension and the store has
not grown 4x past what it was trained on; otherwise, or when it cannot be read, the index is trained again and the
file replaced.
"""

from __future__ import annotations

import json
import logging
import math
import os
from pathlib import Path
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

    def __init__(self, faiss: Any, vectors: np.ndarray, alive: np.ndarray, model: str = "",
                 saved: Path | None = None, seed: int = 0) -> None:
        """Train on a sample of the live rows of `vectors` (or take the training saved in `saved`, when it fits)
        and add every live row; a new training is written to `saved`."""
        self.faiss = faiss
        n, dim = vectors.shape
        self.dim = dim
        live = np.nonzero(alive)[0]
        self.reused = False  # the training came from the file
        trained = _read(faiss, saved, model, dim, len(live)) if saved is not None else None
        if trained is not None:
            self.index, self.trained_on = trained
            self.reused = True
        else:
            rng = np.random.default_rng(seed)
            sample = live if len(live) <= TRAIN_MAX else np.sort(rng.choice(live, TRAIN_MAX, replace=False))
            quantizer = faiss.IndexFlatIP(dim)
            self.index = faiss.IndexIVFScalarQuantizer(
                quantizer, dim, nlist_for(len(live)), faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT)
            self.index.own_fields = True
            quantizer.this.disown()  # the IVF index frees it
            self.index.cp.niter = NITER
            self.index.cp.seed = seed
            self.index.train(np.ascontiguousarray(vectors[sample], dtype=np.float32))
            self.trained_on = len(live)
            if saved is not None:
                _write(faiss, saved, self.index, model, dim, self.trained_on)
        self.nlist = int(self.index.nlist)
        self.rows = 0  # rows [0, rows) have been seen (added, or skipped as dead)
        self.present = np.zeros(0, dtype=bool)  # row -> held by faiss
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


FORMAT = 1


def _read(faiss: Any, path: Path, model: str, dim: int, live: int) -> tuple[Any, int] | None:
    """The trained (empty) index saved in `path`, when it is of this model and dimension and still fits the store."""
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as saved:
            meta = json.loads(str(saved["meta"]))
            blob = saved["index"]
        if (meta.get("format"), meta.get("model"), meta.get("dim")) != (FORMAT, model, dim):
            log.info("vector index: %s is of another model or dimension: training again", path.name)
            return None
        trained_on = int(meta["trained_on"])
        if live > 4 * trained_on:
            return None  # grown 4x since: train again
        index = faiss.deserialize_index(blob)
        if index.d != dim or not index.is_trained or index.ntotal != 0:
            raise ValueError("not a trained, empty index of this dimension")
        return index, trained_on
    except Exception as exc:  # noqa: BLE001 - a damaged file only means training again
        log.warning("vector index: %s cannot be read (%s): training again", path.name, exc)
        return None


def _write(faiss: Any, path: Path, index: Any, model: str, dim: int, trained_on: int) -> None:
    meta = json.dumps({"format": FORMAT, "model": model, "dim": dim, "trained_on": trained_on, "nlist": int(index.nlist)})
    tmp = path.with_name(path.name + ".tmp")
    try:
        with open(tmp, "wb") as f:
            np.savez(f, index=faiss.serialize_index(index), meta=np.array(meta))
        os.replace(tmp, path)
    except OSError as exc:
        log.warning("vector index: cannot save %s (%s): it is trained again at the next open", path.name, exc)
