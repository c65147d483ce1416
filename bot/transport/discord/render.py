"""Answers and posts in Discord's shapes: streamed previews, the final cited form, clean splits.

Limits: 2,000 characters of content per message; embeds as the briefing renderer
makes them (checked again here). All model and article text is neutralised so it
cannot ping anyone, on top of AllowedMentions.none() on every send.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from bot.transport.wording import MESSAGE_LIMIT, TRUNCATED, answer_text, safe, truncate


EMBED_TOTAL = 6000
EMBEDS_PER_MESSAGE = 10
CURSOR = " ▌"


def split_message(text: str, limit: int = MESSAGE_LIMIT, max_parts: int = 3) -> list[str]:
    """Split on paragraph, then line, then word boundaries; at most `max_parts`, the last truncated cleanly."""
    text = text.strip()
    if not text:
        return []
    parts: list[str] = []
    rest = text
    while rest:
        if len(rest) <= limit:
            parts.append(rest)
            break
        if len(parts) == max_parts - 1:
            parts.append(truncate(rest, limit, TRUNCATED))
            break
        window = rest[:limit]
        cut = -1
        for sep in ("\n\n", "\n", ". ", " "):
            pos = window.rfind(sep)
            if pos > limit // 3:
                cut = pos + (1 if sep == ". " else 0)
                break
        if cut <= 0:
            cut = limit
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    return [p for p in parts if p]


def answer_messages(answer: Any, notes: Sequence[str] = (), max_parts: int = 3) -> list[str]:
    return split_message(answer_text(answer, notes), MESSAGE_LIMIT, max_parts)


def streaming_preview(text_so_far: str) -> str:
    return truncate(safe(text_so_far).strip(), MESSAGE_LIMIT - len(CURSOR)) + CURSOR


class ThrottledEditor:
    """Turns a stream of growing texts into edits at most once per `interval` seconds."""

    def __init__(
        self, edit: Callable[[str], Awaitable[Any]], interval: float = 1.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.edit = edit
        self.interval = interval
        self.clock = clock
        self.last_edit: float | None = None
        self.edits = 0
        self.latest = ""
        self.shown = ""

    async def update(self, text_so_far: str) -> None:
        self.latest = text_so_far
        now = self.clock()
        if self.last_edit is not None and now - self.last_edit < self.interval:
            return
        preview = streaming_preview(text_so_far)
        if preview == self.shown:
            return
        self.last_edit = now
        self.shown = preview
        self.edits += 1
        await self.edit(preview)


def embed_size(embed: dict[str, Any]) -> int:
    total = len(embed.get("title") or "") + len(embed.get("description") or "")
    total += len((embed.get("footer") or {}).get("text") or "") + len((embed.get("author") or {}).get("name") or "")
    for f in embed.get("fields") or []:
        total += len(f.get("name") or "") + len(f.get("value") or "")
    return total


def fit_embeds(embeds: Sequence[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Group embeds into messages of at most 10 embeds and 6,000 characters each."""
    groups: list[list[dict[str, Any]]] = []
    current: list[dict[str, Any]] = []
    size = 0
    for embed in embeds:
        n = embed_size(embed)
        if current and (len(current) >= EMBEDS_PER_MESSAGE or size + n > EMBED_TOTAL):
            groups.append(current)
            current, size = [], 0
        current.append(embed)
        size += n
    if current:
        groups.append(current)
    return groups


def _safe_embed(embed: dict[str, Any]) -> dict[str, Any]:
    out = dict(embed)
    for key in ("title", "description"):
        if out.get(key):
            out[key] = safe(out[key])
    if out.get("fields"):
        out["fields"] = [dict(f, name=safe(f.get("name", "")), value=safe(f.get("value", ""))) for f in out["fields"]]
    if out.get("footer", {}).get("text"):
        out["footer"] = dict(out["footer"], text=safe(out["footer"]["text"]))
    return out


def post_messages(payload: dict[str, Any], late_note: str | None) -> list[tuple[str, list[dict[str, Any]]]]:
    """An outbox payload as Discord messages: (content, embeds) each within limits.

    The only mention ever written is the subscription's chosen role, at the head of the first message.
    """
    lines: list[str] = []
    role_id = payload.get("role_id")
    if role_id:
        lines.append(f"<@&{int(role_id)}>")
    lines += [safe(note) for note in (late_note, payload.get("note")) if note]
    head = "\n".join(lines)
    embeds = [_safe_embed(e) for e in payload.get("embeds") or []]
    if embeds:
        groups = fit_embeds(embeds)
        return [(head if i == 0 else "", g) for i, g in enumerate(groups)]
    body = safe(payload.get("text") or "")
    parts = split_message(f"{head}\n\n{body}" if head else body, MESSAGE_LIMIT, 5)
    return [(p, []) for p in parts]
