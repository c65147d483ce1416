"""A local OpenAI-compatible chat server for tests: the real `openai` SDK talks to it over 127.0.0.1.

    async with FakeOpenAI() as server:
        settings.llm.base_url = server.base_url
        server.script(FakeReply(status=429), "Japan approved photoresist [1].")
        ...
        server.requests  # JSON bodies received, in order

Nothing queued: the reply is the first sentence of the first fenced source followed by [1]
(or "The sources do not say." when the prompt holds none; a question to put in English comes back
unchanged), streamed when the request asks.
`/v1/embeddings` answers `hashed_embedding` vectors (64 dimensions; `embedding_failures` scripts 500s)
and records each body in `embedding_requests`.
A queued item is a `str` (the reply text) or a `FakeReply`: `status` (429, 500, …), `delay`
(seconds before answering, for time-outs), `malformed` (a 200 whose JSON has no choices),
`refusal`, `text`, `stream` (force or forbid SSE; default: as the request asks), `write` (a function of
the request body returning the reply text: a reply that cites the sources the prompt numbered), `piece_delay`
(seconds between streamed pieces, for a model that writes slowly). `streams_done` counts finished streams.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable

from aiohttp import web

from tests.loopback import serve_on_loopback

_SOURCE = re.compile(r'<source id="(\d+)"[^>]*>\n(.*?)\n</source>', re.DOTALL)


EMBEDDING_DIM = 64


def hashed_embedding(text: str, dim: int = EMBEDDING_DIM) -> list[float]:
    """A deterministic bag-of-words vector (hashed lower-case words, L2-normalised): texts sharing words are close."""
    vec = [0.0] * dim
    for word in re.findall(r"\w+", str(text).lower()):
        h = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")
        vec[h % dim] += 1.0 if (h >> 32) & 1 else -1.0
    norm = sum(v * v for v in vec) ** 0.5 or 1.0
    return [v / norm for v in vec]


@dataclass
class FakeReply:
    text: str | None = None
    status: int = 200
    delay: float = 0.0
    malformed: bool = False
    refusal: bool = False
    stream: bool | None = None
    piece_delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    write: Callable[[dict[str, Any]], str] | None = None


def prompt_sources(body: dict[str, Any]) -> dict[int, tuple[str, str]]:
    """The fenced sources of the last user message: n -> (title, text)."""
    users = [m for m in body.get("messages", []) if m.get("role") == "user"]
    content = str(users[-1].get("content", "")) if users else ""
    out: dict[int, tuple[str, str]] = {}
    for match in re.finditer(r'<source id="(\d+)" title="([^"]*)"[^>]*>\n(.*?)\n</source>', content, re.DOTALL):
        out[int(match.group(1))] = (match.group(2), match.group(3))
    return out


def default_reply(body: dict[str, Any]) -> str:
    """The first sentence of the first fenced source in the last user message, citing it. Asked to put a
    question in English (prompts/question_english.md), it gives the question back as it came: no translation."""
    system = next((str(m.get("content", "")) for m in body.get("messages", []) if m.get("role") == "system"), "")
    users = [m for m in body.get("messages", []) if m.get("role") == "user"]
    if system.startswith("Rewrite the user's question in English") and users:
        return str(users[-1].get("content", ""))
    content = str(users[-1].get("content", "")) if users else ""
    match = _SOURCE.search(content)
    if not match:
        return "The sources do not say."
    first = re.split(r"(?<=[.!?])\s+", " ".join(match.group(2).split()), maxsplit=1)[0]
    return f"{first.rstrip('.')}. [{match.group(1)}]"


class FakeOpenAI:
    def __init__(self, model: str = "fake-model") -> None:
        self.model = model
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self._queue: deque[FakeReply] = deque()
        self.embedding_requests: list[dict[str, Any]] = []
        self.embedding_failures = 0  # the next this many /v1/embeddings requests answer 500
        self.embedding_dim = EMBEDDING_DIM
        self.streams_done = 0
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def script(self, *replies: str | FakeReply) -> None:
        for reply in replies:
            self._queue.append(FakeReply(text=reply) if isinstance(reply, str) else reply)

    async def __aenter__(self) -> "FakeOpenAI":
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_get("/v1/models", self._models)
        app.router.add_post("/v1/embeddings", self._embeddings)
        self._runner = web.AppRunner(app, access_log=None)
        self.port = await serve_on_loopback(self._runner)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner:
            await self._runner.cleanup()

    async def _embeddings(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.embedding_requests.append(body)
        self.headers.append(dict(request.headers))
        if self.embedding_failures > 0:
            self.embedding_failures -= 1
            return web.json_response({"error": {"message": "scripted 500", "type": "fake"}}, status=500,
                                     headers={"retry-after-ms": "10"})
        inputs = body.get("input")
        texts = [inputs] if isinstance(inputs, str) else list(inputs or [])
        data = [{"object": "embedding", "index": i, "embedding": hashed_embedding(t, self.embedding_dim)}
                for i, t in enumerate(texts)]
        tokens = sum(len(str(t).split()) for t in texts)
        return web.json_response({"object": "list", "data": data, "model": body.get("model"),
                                  "usage": {"prompt_tokens": tokens, "total_tokens": tokens}})

    async def _models(self, request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [{"id": self.model, "object": "model"}]})

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append(body)
        self.headers.append(dict(request.headers))
        reply = self._queue.popleft() if self._queue else FakeReply()
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if reply.status != 200:
            headers = {"retry-after-ms": "10", **reply.headers}
            return web.json_response(
                {"error": {"message": f"scripted {reply.status}", "type": "fake", "code": None}},
                status=reply.status,
                headers=headers,
            )
        if reply.malformed:
            return web.json_response({"id": "x", "object": "chat.completion", "unexpected": True})
        text = reply.text if reply.text is not None else reply.write(body) if reply.write else default_reply(body)
        stream = body.get("stream", False) if reply.stream is None else reply.stream
        prompt_tokens = sum(len(str(m.get("content", "")).split()) for m in body.get("messages", []))
        usage = {"prompt_tokens": prompt_tokens, "completion_tokens": len(text.split()),
                 "total_tokens": prompt_tokens + len(text.split())}
        created = int(time.time())
        if not stream:
            message: dict[str, Any] = {"role": "assistant", "content": None if reply.refusal else text}
            if reply.refusal:
                message["refusal"] = text
            return web.json_response({
                "id": "chatcmpl-fake", "object": "chat.completion", "created": created, "model": self.model,
                "choices": [{"index": 0, "message": message, "finish_reason": "stop"}], "usage": usage,
            })
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)

        async def send(data: dict[str, Any]) -> None:
            await response.write(f"data: {json.dumps(data)}\n\n".encode())

        base = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": created, "model": self.model}
        await send(base | {"choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]})
        for piece in re.findall(r"\S+\s*", text):
            delta = {"refusal": piece} if reply.refusal else {"content": piece}
            await send(base | {"choices": [{"index": 0, "delta": delta, "finish_reason": None}]})
            if reply.piece_delay:
                await asyncio.sleep(reply.piece_delay)
        await send(base | {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        if (body.get("stream_options") or {}).get("include_usage"):
            await send(base | {"choices": [], "usage": usage})
        await response.write(b"data: [DONE]\n\n")
        self.streams_done += 1
        await response.write_eof()
        return response
