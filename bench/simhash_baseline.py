"""The SimHash detector Briefbot used before MinHash/LSH, kept only as this benchmark's baseline."""

from __future__ import annotations

import hashlib
import re

import numpy as np

_WORD = re.compile(r"\w+", re.UNICODE)
_BITS = np.uint64(1) << np.arange(64, dtype=np.uint64)


def _shingle_hashes(text: str, width: int = 3) -> np.ndarray:
    words = _WORD.findall(text.lower())
    if len(words) < width:
        words = words + [""] * (width - len(words))
    shingles = {" ".join(words[i : i + width]) for i in range(len(words) - width + 1)}
    digests = b"".join(hashlib.blake2b(s.encode("utf-8"), digest_size=8).digest() for s in shingles)
    return np.frombuffer(digests, dtype=np.uint64)


def simhash(text: str) -> int:
    """64-bit SimHash of word 3-shingles, as a signed integer (fits SQLite INTEGER)."""
    hashes = _shingle_hashes(text)
    if hashes.size == 0:
        return 0
    bits = (hashes[:, None] & _BITS) != 0
    votes = bits.sum(axis=0) * 2 - hashes.size
    value = int(((votes > 0).astype(np.uint64) * _BITS).sum())
    return value - (1 << 64) if value >= (1 << 63) else value


def hamming(a: int, b: int) -> int:
    return ((a ^ b) & 0xFFFFFFFFFFFFFFFF).bit_count()


def bands(value: int) -> tuple[int, int, int, int]:
    """Four 16-bit bands: two hashes within distance 3 share at least one band exactly."""
    v = value & 0xFFFFFFFFFFFFFFFF
    return (v & 0xFFFF, (v >> 16) & 0xFFFF, (v >> 32) & 0xFFFF, (v >> 48) & 0xFFFF)


class SimHashIndex:
    """In-memory band index over stored SimHashes, for near-duplicate lookups in O(1)."""

    def __init__(self, max_distance: int = 3) -> None:
        self.max_distance = max_distance
        self._bands: list[dict[int, list[int]]] = [{}, {}, {}, {}]
        self._values: dict[int, int] = {}

    def __len__(self) -> int:
        return len(self._values)

    def add(self, article_id: int, value: int) -> None:
        self._values[article_id] = value
        for table, band in zip(self._bands, bands(value)):
            table.setdefault(band, []).append(article_id)

    def nearest(self, value: int) -> int | None:
        best: tuple[int, int] | None = None
        for table, band in zip(self._bands, bands(value)):
            for article_id in table.get(band, ()):
                d = hamming(value, self._values[article_id])
                if d <= self.max_distance and (best is None or (d, article_id) < best):
                    best = (d, article_id)
        return best[1] if best else None
