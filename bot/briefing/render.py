"""A briefing as terminal text, or as Discord embeds within Discord's limits.

`render_embeds` returns the embeds of ONE message: at most 10 embeds, each within the per-field
limits, and at most 6,000 characters in all. Stories that do not fit are counted in a last line
("… 3 more stories"). It returns [] when nothing should be posted (an empty alert, or an empty
day with `post_empty_days = false`). All article and model text passes `neutralize_mentions`.
"""

from __future__ import annotations

from typing import Any

from bot.briefing.extractive import trim
from bot.text.sentences import cut_at_sentence_end
from bot.briefing.models import Briefing, Story

TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_VALUE_LIMIT = 1024
FIELDS_LIMIT = 25
FOOTER_LIMIT = 2048
TOTAL_LIMIT = 6000
EMBEDS_LIMIT = 10
SOURCES_SHOWN = 5
EMBED_COLOR = DEFAULT_COLOR = 0x2F6FDE
URL_LIMIT = 2048  # Discord refuses longer embed URLs


def _safe(text: str) -> str:
    try:
        from bot.text.safety import neutralize_mentions
    except ModuleNotFoundError:  # pragma: no cover - until the answer module lands
        return text.replace("@everyone", "@\u200beveryone").replace("@here", "@\u200bhere").replace("<@", "<@\u200b")
    return neutralize_mentions(text)


def _md(text: str) -> str:
    """Text safe inside Discord markdown link labels."""
    return _safe(text).replace("[", "(").replace("]", ")").replace("*", "\\*").replace("_", "\\_")


# ---------------------------------------------------------------- terminal


def render_text(briefing: Briefing) -> str:
    lines = [briefing.heading, "=" * min(len(briefing.heading), 80)]
    if briefing.empty:
        lines.append(briefing.empty_line or "No new stories.")
    for i, story in enumerate(briefing.stories, 1):
        lines.append("")
        tag = " (update)" if story.is_update else ""
        count = f" — {story.source_count} sources" if story.source_count > 1 else ""
        lines.append(f"{i}. {story.title}{tag}{count}")
        lines.append(f"   {story.summary}")
        for c in story.citations:
            date = (c.published or "")[:10]
            meta = ", ".join(x for x in (c.source, date) if x)
            title = f" “{c.title}”" if c.title != story.title else ""
            where = c.url or f"article {c.article_id}"
            lines.append(f"   [{c.n}] {meta}{title} — {where}")
    lines.append("")
    lines.append(briefing.footer)
    if briefing.note:
        lines.append(f"Note: {briefing.note}")
    return "\n".join(lines)


# ---------------------------------------------------------------- Discord


def best_url(story: Story) -> str | None:
    """The link a story's headline carries: its most central source's page, else the first source with one."""
    for c in story.citations:
        if c.url and _linkable(c.url):
            return c.url
    return None


def _linkable(url: str) -> bool:
    return url.startswith(("https://", "http://")) and len(url) <= URL_LIMIT and not any(ch in url for ch in " <>()")


def _story_block(i: int, story: Story, budget: int) -> str:
    """One story in Discord markdown, at most `budget` characters (summary and links trimmed first);
    the headline links to the story's best source."""
    title = trim(_md(story.title), 200)
    tag = " · update" if story.is_update else ""
    url = best_url(story)
    head = f"**{i}. [{title}]({url})**{tag}" if url and len(url) <= 300 else f"**{i}. {title}**{tag}"
    links: list[str] = []
    for c in story.citations[:SOURCES_SHOWN]:
        label = trim(_md(c.source or c.title or f"article {c.article_id}"), 40)
        links.append(f"[{c.n}] [{label}](<{c.url}>)" if c.url and len(c.url) <= 300 else f"[{c.n}] {label}")
    extra = len(story.citations) - SOURCES_SHOWN
    if extra > 0:
        links.append(f"+{extra} more")
    summary = _safe(story.summary)
    while True:
        link_line = " · ".join(links)
        room = budget - len(head) - len(link_line) - 2
        if room >= 60 or not links:
            break
        links = links[:-1] if len(links) > 1 else []
    block = f"{head}\n{cut_at_sentence_end(summary, max(room, 20))}" + (f"\n{' · '.join(links)}" if links else "")
    return block[:budget]


def render_embeds(
    briefing: Briefing, *, color: int | None = None, footer_line: str | None = None
) -> list[dict[str, Any]]:
    """`color` (0xRRGGBB) and `footer_line` (put before the counts) are a subscription's own looks."""
    if not briefing.should_post:
        return []
    colour = DEFAULT_COLOR if color is None else max(0, min(0xFFFFFF, int(color)))
    title = trim(_safe(briefing.heading), TITLE_LIMIT)
    footer = trim(briefing.footer + (f" · {briefing.note}" if briefing.note else ""), 300)
    if footer_line:
        footer = trim(_safe(" ".join(footer_line.split()))[:200] + " · " + footer, 520)
    if briefing.empty:
        return [{"title": title, "description": trim(briefing.empty_line or "No new stories.", 300), "color": colour}]

    # Each story gets an equal share of what one message may hold, minus title and footer.
    reserve = len(title) + len(footer) + 40
    per_story = max(200, min(DESCRIPTION_LIMIT - 40, (TOTAL_LIMIT - reserve) // max(1, len(briefing.stories))))
    blocks = [_story_block(i, s, per_story) for i, s in enumerate(briefing.stories, 1)]

    embeds: list[dict[str, Any]] = []
    used = len(title) + len(footer)
    current: list[str] = []
    current_len = 0
    left = len(blocks)
    for block in blocks:
        more_line = 40  # room for "… N more stories" should we stop here
        fits_total = used + len(block) + 2 + more_line <= TOTAL_LIMIT
        if not fits_total:
            break
        if current and current_len + 2 + len(block) > DESCRIPTION_LIMIT:
            if len(embeds) + 1 >= EMBEDS_LIMIT:
                break
            embeds.append({"description": "\n\n".join(current), "color": colour})
            current, current_len = [], 0
        current.append(block)
        current_len += len(block) + (2 if current_len else 0)
        used += len(block) + 2
        left -= 1
    if left and current:
        tail = f"… {left} more {'story' if left == 1 else 'stories'}"
        if current_len + 2 + len(tail) <= DESCRIPTION_LIMIT:
            current.append(tail)
    if current:
        embeds.append({"description": "\n\n".join(current), "color": colour})
    if not embeds:
        embeds.append({"description": f"{left} stories: too long to show here.", "color": colour})
    embeds[0]["title"] = title
    embeds[-1]["footer"] = {"text": footer}
    image = next((s.image_url for s in briefing.stories if s.image_url and _linkable(s.image_url)), None)
    if image:  # the top story's picture (a URL only: Discord fetches it, we never do)
        embeds[0]["thumbnail"] = {"url": image}
    return embeds


def embed_length(embed: dict[str, Any]) -> int:
    """Characters Discord counts towards the 6,000 limit for one embed."""
    total = len(embed.get("title", "")) + len(embed.get("description", ""))
    total += len((embed.get("footer") or {}).get("text", "")) + len((embed.get("author") or {}).get("name", ""))
    for f in embed.get("fields", []):
        total += len(f.get("name", "")) + len(f.get("value", ""))
    return total
