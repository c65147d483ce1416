"""A deterministic stand-in embedder for timing runs: hashed word counts, 384 dimensions, no model.

Its vectors mean little (words hashed into buckets), so it measures cost, never quality.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np

DIM = 384
_WORD = re.compile(r"\w+")


class HashEmbedder:
    name = "hash/bench-384"

    @property
    def dim(self) -> int | None:
        return DIM

    def _embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        for i, text in enumerate(texts):
            for w in _WORD.findall(text.lower()):
                out[i, int.from_bytes(hashlib.blake2b(w.encode(), digest_size=4).digest(), "little") % DIM] += 1.0
        out += 0.05
        return out / np.linalg.norm(out, axis=1, keepdims=True)

    async def queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts)

    async def passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts)

    async def aclose(self) -> None:
        return None
