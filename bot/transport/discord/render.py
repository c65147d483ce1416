"""Answers and posts in Discord's shapes: streamed previews, the final cited form, clean splits.

Limits: 2,000 characters of content per message; embeds as the briefing renderer
makes them (checked again here). All model and article text is neutralised so it
cannot ping anyone, on top of AllowedMentions.none() on every send.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from bot.transport.wording import MESSAGE_LIMIT, TRUNCATED, answer_text, safe, truncate


EMBED_TOTAL = 6000
EMBEDS_PER_MESSAGE = 10
CURSOR = " ▌"

log = logging.getLogger(__name__)


# A sentence end (with closing quotes or brackets), then the sentence's citation markers, then space and
# the next sentence: a message may end there. A number ("2.5", "US$2") never matches: no space follows.
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*(?:[ \t]*\[\d+\])*(?=\s+[^\s\[])")
_STARTS_WITH_MARKER = re.compile(r"\s*\[\d+\]")


def clean_cut(text: str, budget: int) -> int:
    """Where a message of at most `budget` characters ends: the latest sentence end (keeping its [n]
    markers), paragraph or line break in the window; else the last space not before a marker; never
    so that the next message starts with a citation marker or inside a number."""
    if len(text) <= budget:
        return len(text)
    floor = budget // 3
    best = -1
    for m in _SENTENCE_END.finditer(text):
        if m.end() > budget:
            break
        best = m.end()
    for sep in ("\n\n", "\n"):
        pos = text.rfind(sep, 0, budget)
        while pos > floor and _STARTS_WITH_MARKER.match(text, pos):
            pos = text.rfind(sep, 0, pos)
        best = max(best, pos)
    if best > floor:
        return best
    pos = budget
    while True:
        pos = text.rfind(" ", 0, pos)
        if pos <= floor:
            return budget
        if not _STARTS_WITH_MARKER.match(text, pos):
            return pos


def split_message(text: str, limit: int = MESSAGE_LIMIT, max_parts: int = 3) -> list[str]:
    """Split at sentence ends, paragraphs or lines (markers stay with their sentences), else words;
    at most `max_parts`, the last truncated cleanly."""
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
        cut = clean_cut(rest, limit)
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


class MessageStream:
    """A streamed answer across as many messages as it needs (up to `max_messages`).

    Each message shows the live text with a cursor, edited at most once per `interval` seconds;
    when the text no longer fits, the message is finished at a sentence end (its [n] markers with
    it) and the stream goes on in a new message at once. `settle` then puts the final parts in the
    same messages, sending or deleting what the final form needs more or fewer of.

    `edit_first(text)` edits the first message (the interaction's or the "thinking" reply),
    `send(text)` sends a new one and returns it, `edit(message, text)` and `delete(message)` act on those.
    """

    def __init__(
        self,
        edit_first: Callable[[str], Awaitable[Any]],
        send: Callable[[str], Awaitable[Any]],
        edit: Callable[[Any, str], Awaitable[Any]],
        delete: Callable[[Any], Awaitable[Any]] | None = None,
        *,
        interval: float = 1.0,
        max_messages: int = 3,
        limit: int = MESSAGE_LIMIT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._edit_first, self._send, self._edit, self._delete = edit_first, send, edit, delete
        self.interval = interval
        self.max_messages = max(1, max_messages)
        self.limit = limit
        self.clock = clock
        self.messages: list[Any] = [None]  # index 0: the first message (edited through edit_first)
        self.opened = [True]  # whether each message exists yet
        self.last_edit: list[float | None] = [None]
        self.shown: list[str] = [""]
        self.finished: list[str] = []  # the text of each filled message
        self.offset = 0  # characters of the streamed text in filled messages
        self.edits = 0
        self.failed = False

    @property
    def count(self) -> int:
        return len(self.finished) + 1

    async def _show(self, i: int, text: str, *, now: float) -> None:
        try:
            if i == 0:
                await self._edit_first(text)
            elif not self.opened[i]:
                self.messages[i] = await self._send(text)
                self.opened[i] = self.messages[i] is not None
            else:
                await self._edit(self.messages[i], text)
            self.edits += 1
        except Exception as exc:  # a failed preview costs only the preview; the final answer is still sent
            log.warning("a streamed preview update failed (%s); the final answer is still sent", exc)
            self.failed = True
        self.last_edit[i] = now
        self.shown[i] = text

    async def update(self, text_so_far: str) -> None:
        if len(text_so_far) < self.offset:
            return  # the model started over (a retried request): the filled messages stay until settled
        now = self.clock()
        budget = self.limit - len(CURSOR)
        live = text_so_far[self.offset:]
        while len(live.strip()) > budget and self.count < self.max_messages:
            cut = clean_cut(live, budget)
            part = safe(live[:cut]).strip()
            i = len(self.finished)
            self.finished.append(part)
            if part != self.shown[i]:
                await self._show(i, part, now=now)  # the filled message, without its cursor
            rest = live[cut:]
            self.offset += cut + (len(rest) - len(rest.lstrip()))
            live = text_so_far[self.offset:]
            self.messages.append(None)
            self.opened.append(False)
            self.last_edit.append(None)
            self.shown.append("")
        i = len(self.finished)
        preview = truncate(safe(live).strip(), budget) + CURSOR
        last = self.last_edit[i]
        if preview == self.shown[i] or (last is not None and now - last < self.interval):
            return
        await self._show(i, preview, now=now)

    async def settle(self, parts: Sequence[str]) -> list[Any]:
        """Put the final parts in the streamed messages; returns the messages (None for the first when
        edit_first returns nothing). A failed edit of a message sends that part anew."""
        out: list[Any] = []
        for i, part in enumerate(parts):
            message: Any = None
            if i == 0:
                try:
                    message = await self._edit_first(part)
                except Exception as exc:
                    log.warning("editing in the final answer failed (%s); sending it as a new message", exc)
                    message = await self._send(part)
            elif i < len(self.messages) and self.opened[i]:
                try:
                    await self._edit(self.messages[i], part)
                    message = self.messages[i]
                except Exception as exc:
                    log.warning("editing in part %d of the answer failed (%s); sending it anew", i + 1, exc)
                    message = await self._send(part)
            else:
                message = await self._send(part)
            out.append(message)
        for i in range(len(parts), len(self.messages)):
            if self.opened[i] and self.messages[i] is not None and self._delete is not None:
                try:
                    await self._delete(self.messages[i])
                except Exception as exc:
                    log.warning("removing a streamed message the final answer does not need failed (%s)", exc)
        return out


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
