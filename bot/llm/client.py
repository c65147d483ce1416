"""The model: any OpenAI-compatible chat endpoint through the `openai` SDK's async client.

Time-out and retries (with back-off on 429 and 5xx) are the SDK's own, configured from
`[llm]`. Every failure becomes an `LLMError` whose message is safe to log: it names the
kind of failure and the HTTP status, never the key or the request.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import openai

from bot.config import LLMSettings, Settings
from bot.llm.tokens import count_tokens

log = logging.getLogger(__name__)

# A base_url with no key (Ollama, llama.cpp's server, vLLM) still needs a non-empty key for the SDK.
PLACEHOLDER_KEY = "sk-no-key-required"

OnDelta = Callable[[str], Awaitable[None]]


@dataclass
class Completion:
    text: str
    prompt_tokens: int
    completion_tokens: int
    model: str


class LLMError(Exception):
    """The model call failed (time-out, refused, malformed reply); the message is safe to log."""


def _describe(exc: BaseException) -> str:
    if isinstance(exc, openai.APITimeoutError):
        return "the model request timed out"
    if isinstance(exc, openai.APIStatusError):
        return f"the model endpoint answered HTTP {exc.status_code} ({type(exc).__name__})"
    if isinstance(exc, openai.APIConnectionError):
        return "could not connect to the model endpoint"
    return f"the model call failed ({type(exc).__name__})"


def _prompt_tokens(messages: list[dict[str, Any]]) -> int:
    return sum(count_tokens(str(m.get("content") or "")) + 4 for m in messages) + 2


class LLMClient:
    """One async OpenAI client for the configured endpoint and model."""

    def __init__(self, llm: LLMSettings) -> None:
        self.settings = llm
        self.model = llm.model
        self._client = openai.AsyncOpenAI(
            api_key=llm.api_key or PLACEHOLDER_KEY,
            base_url=llm.base_url or None,
            timeout=llm.timeout,
            max_retries=max(0, int(llm.max_retries)),
        )

    async def aclose(self) -> None:
        await self._client.close()

    def warm(self) -> None:
        """Import and build what the first request needs (the SDK loads its chat resources and their
        response models lazily: ~0.2-0.3 s on the first question otherwise). Sends nothing."""
        from openai.types.chat import ChatCompletion, ChatCompletionChunk

        _ = self._client.chat.completions
        ChatCompletionChunk.model_validate({
            "id": "warm", "object": "chat.completion.chunk", "created": 0, "model": self.model,
            "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}],
        })
        ChatCompletion.model_validate({
            "id": "warm", "object": "chat.completion", "created": 0, "model": self.model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "x"}, "finish_reason": "stop"}],
        })

    async def __aenter__(self) -> "LLMClient":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def complete(
        self, messages: list[dict[str, Any]], *, max_tokens: int | None = None, on_delta: OnDelta | None = None
    ) -> Completion:
        """The model's reply to `messages`; streamed when `on_delta` is given (called with the text so far)."""
        kwargs: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "temperature": self.settings.temperature,
        }
        if max_tokens:
            kwargs["max_tokens"] = max_tokens
        try:
            if on_delta is None:
                return await self._plain(kwargs, messages)
            return await self._streamed(kwargs, messages, on_delta)
        except LLMError:
            raise
        except (openai.OpenAIError, ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
            raise LLMError(_describe(exc)) from None

    async def _plain(self, kwargs: dict[str, Any], messages: list[dict[str, Any]]) -> Completion:
        response = await self._client.chat.completions.create(**kwargs)
        choices = getattr(response, "choices", None)
        if not choices:
            raise LLMError("the model sent a malformed reply (no choices)")
        choice = choices[0]
        message = getattr(choice, "message", None)
        text = getattr(message, "content", None)
        if getattr(message, "refusal", None) or getattr(choice, "finish_reason", None) == "content_filter":
            raise LLMError("the model refused to answer")
        if not isinstance(text, str) or not text.strip():
            raise LLMError("the model sent a malformed reply (no text)")
        usage = getattr(response, "usage", None)
        prompt = getattr(usage, "prompt_tokens", None) or _prompt_tokens(messages)
        completion = getattr(usage, "completion_tokens", None) or count_tokens(text)
        return Completion(text.strip(), int(prompt), int(completion), str(getattr(response, "model", None) or self.model))

    async def _streamed(self, kwargs: dict[str, Any], messages: list[dict[str, Any]], on_delta: OnDelta) -> Completion:
        stream = await self._client.chat.completions.create(
            **kwargs, stream=True, stream_options={"include_usage": True}
        )
        parts: list[str] = []
        usage: Any = None
        model = self.model
        refused = False
        async for chunk in stream:
            model = getattr(chunk, "model", None) or model
            if getattr(chunk, "usage", None):
                usage = chunk.usage
            for choice in getattr(chunk, "choices", None) or []:
                delta = getattr(choice, "delta", None)
                if getattr(delta, "refusal", None) or getattr(choice, "finish_reason", None) == "content_filter":
                    refused = True
                piece = getattr(delta, "content", None)
                if piece:
                    parts.append(piece)
                    await on_delta("".join(parts))
        text = "".join(parts).strip()
        if refused:
            raise LLMError("the model refused to answer")
        if not text:
            raise LLMError("the model sent a malformed reply (empty stream)")
        prompt = getattr(usage, "prompt_tokens", None) or _prompt_tokens(messages)
        completion = getattr(usage, "completion_tokens", None) or count_tokens(text)
        return Completion(text, int(prompt), int(completion), str(model))


def make_client(settings: Settings) -> LLMClient | None:
    """A client for the configured endpoint, or None when neither base_url nor api_key is set."""
    if not settings.llm.enabled:
        return None
    return LLMClient(settings.llm)
