"""Questions that are not lookups: "what's new?", "what happened today?", "anything on chips lately?" are
briefing requests (the stories of a window, ranked, with sources); "what's the latest on X?" is X's story
as a timeline, newest first. Both come back as an `Answer`, so the CLI, the console and Discord show them
as they show any answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from bot.answering.answerer import Answer, Citation
from bot.briefing.models import Briefing, StoryCitation
from bot.errors import UserError
from bot.timeutil import parse_since
from bot.text.safety import neutralize_mentions
from bot.usecases.briefings import Briefings

# When a question names no time: a plain "what's new?" is the last day; "what's new with X?" the last week.
DEFAULT_SINCE = "24h"
DEFAULT_TOPIC_SINCE = "7d"
# An empty window widens, step by step, and the answer says so; the last step is the whole store.
WIDER = ("7d", "30d", "365d")
ASK_MAX_STORIES = 5
SOURCES_PER_STORY = 2
_STORY_MARK = re.compile(r"\[(\d{1,3})\]")

_TIME = (r"(?P<time>today|tonight|this morning|this afternoon|this evening|yesterday|this week|last week|this month|"
         r"lately|recently|of late|so far today|these days|(?:in |over )?the (?:last|past) (?:few |\d+ )?"
         r"(?:hours?|days?|weeks?))")
_LEAD = r"^(?:so |and |ok |okay |hey |hi |well |briefbot,? )?"
_NEWS = (r"(?:what(?:'s| is| has been| was)? (?:new|happening|going on)|what(?:'s| is| are) the (?:news|headlines)"
         r"|(?:is there )?any(?:thing)? new|any news|(?:the )?(?:news|headlines)|what did i miss|catch me up"
         r"|brief me|give me (?:a|the|today's) (?:briefing|rundown|news))")
_BRIEF = re.compile(_LEAD + _NEWS + r"(?: " + _TIME + r")?$")
_HAPPENED = re.compile(_LEAD + r"(?:what|anything)(?: (?:has|else))? happened(?: " + _TIME + r")$")
_BRIEF_TIME_FIRST = re.compile(_LEAD + r"(?:what(?:'s| is)|anything) (?P<time>today|yesterday|this week)\??$")
_ON = r"(?:on|about|with|in|regarding|from|for)"
_TOPIC_NEWS = re.compile(_LEAD + _NEWS + r" " + _ON + r" (?P<topic>.+?)(?: " + _TIME + r")?$")
_TOPIC_LATELY = re.compile(_LEAD + r"(?:anything|any|something|news|what's happened|what happened) " + _ON
                           + r" (?P<topic>.+?) " + _TIME + r"$")
_LATEST = re.compile(_LEAD + r"(?:what(?:'s| is| are)|give me|tell me|show me|any) (?:the )?(?:very )?"
                     r"(?:latest|newest|most recent|last)(?: (?:news|developments?|updates?|word))? " + _ON
                     + r" (?P<topic>.+)$")
_UPDATES = re.compile(_LEAD + r"(?:any )?(?:updates?|developments?) " + _ON + r" (?P<topic>.+)$")
_PHRASE_SINCE = {"lately": "7d", "recently": "7d", "of late": "7d", "these days": "7d", "this morning": "today",
                 "this afternoon": "today", "this evening": "today", "tonight": "today", "so far today": "today",
                 "this month": "30d"}


@dataclass(frozen=True)
class NotALookup:
    kind: Literal["briefing", "timeline"]
    topic: str | None = None
    since: str | None = None  # a --since text; None: the default


def _plain(question: str) -> str:
    q = question.lower().replace("’", "'").replace("‘", "'")
    q = re.sub(r"[?!.]+\s*$", "", " ".join(q.split()))
    return q.strip()


def _since(time: str | None, default: str) -> str:
    if not time:
        return default
    time = re.sub(r"^(?:in|over) ", "", time)
    return _PHRASE_SINCE.get(time, time)


def classify(question: str) -> NotALookup | None:
    """What a question asks for when it is no lookup (None: it is one)."""
    q = _plain(question)
    if not q or len(q) > 200:
        return None
    cased = re.sub(r"[?!.]+\s*$", "", " ".join(question.split())).strip()

    def topic(m: re.Match[str]) -> str:
        """The topic as the question writes it ("Samsung", not "samsung")."""
        start, end = m.span("topic")
        return (cased[start:end] if len(cased) == len(q) else m.group("topic")).strip()

    if m := _LATEST.match(q) or _UPDATES.match(q):
        return NotALookup("timeline", topic(m))
    if m := _BRIEF.match(q) or _HAPPENED.match(q) or _BRIEF_TIME_FIRST.match(q):
        return NotALookup("briefing", None, _since(m.groupdict().get("time"), DEFAULT_SINCE))
    if m := _TOPIC_NEWS.match(q) or _TOPIC_LATELY.match(q):
        return NotALookup("briefing", topic(m), _since(m.groupdict().get("time"), DEFAULT_TOPIC_SINCE))
    return None


class Overviews:
    """Briefing requests asked as questions, answered by the briefing use case."""

    def __init__(self, briefings: Briefings) -> None:
        self.briefings = briefings

    async def briefing_answer(
        self, request: NotALookup, collection_id: int, *, since: str | None = None, tz: str = "UTC",
        allow_llm: bool = True,
    ) -> Answer:
        first = since or request.since or DEFAULT_SINCE
        if not since:
            try:
                parse_since(first, tz)
            except UserError:  # a phrase of the question's the window parser does not read: the default
                first = DEFAULT_TOPIC_SINCE if request.topic else DEFAULT_SINCE
        steps = [first] if since else [first, *[w for w in WIDER if _wider(w, first)]]
        topics = [request.topic] if request.topic else None
        outcome = None
        for step in steps:
            outcome = await self.briefings.brief(collection_id, since=step, tz=tz, topics=topics,
                                                 max_stories=ASK_MAX_STORIES, allow_llm=allow_llm)
            if not outcome.briefing.empty:
                break
        assert outcome is not None
        answer = _as_answer(outcome.briefing, request, first, step)
        if outcome.notes:
            answer.note = " ".join(outcome.notes)
        return answer


def _days(since: str) -> float | None:
    m = re.fullmatch(r"(\d+)([hd])", since)
    if m:
        return int(m.group(1)) / (24 if m.group(2) == "h" else 1)
    return {"today": 1, "yesterday": 2, "this week": 7, "last week": 14}.get(since)


def _wider(step: str, first: str) -> bool:
    a, b = _days(step), _days(first)
    return a is not None and (b is None or a > b)


def _label(since: str) -> str:
    if m := re.fullmatch(r"(\d+)([hd])", since):
        n, unit = int(m.group(1)), "hours" if m.group(2) == "h" else "days"
        return f"in the last {n} {unit}" if n != 1 else f"in the last {unit[:-1]}"
    return since


def _as_answer(briefing: Briefing, request: NotALookup, asked: str, used: str) -> Answer:
    about = f" on {request.topic}" if request.topic else ""
    if briefing.empty:
        text = f"Nothing new{about} came in {_label(asked)}, nor {_label(used)}."
        return Answer(neutralize_mentions(text), [], "extractive", False, kind="briefing")
    count = len(briefing.stories)
    stories = f"{count} {'story' if count == 1 else 'stories'}{about}"
    if used != asked:
        head = f"Nothing new{about} came in {_label(asked)}; the newest: {stories} {_label(used)}:"
    else:
        head = f"{stories[0].upper()}{stories[1:]} {_label(used)}, most important first:"
    lines = [head]
    numbers: dict[int, int] = {}
    citations: list[Citation] = []
    for i, story in enumerate(briefing.stories, 1):
        by_n = {c.n: c for c in story.citations}

        def number(c: StoryCitation) -> int:
            if c.article_id not in numbers:
                numbers[c.article_id] = len(numbers) + 1
                citations.append(Citation(numbers[c.article_id], c.article_id, c.title, c.url, c.source,
                                          c.published, c.quote))
            return numbers[c.article_id]

        def renumber(m: re.Match[str], by_n: dict[int, StoryCitation] = by_n) -> str:
            """A story's own [n] as the answer's number for that article."""
            c = by_n.get(int(m.group(1)))
            return f"[{number(c)}]" if c else ""

        summary = _STORY_MARK.sub(renumber, story.summary.strip())
        if not _STORY_MARK.search(summary):
            summary += " " + "".join(f"[{number(c)}]" for c in story.citations[:SOURCES_PER_STORY])
        update = " (update)" if story.is_update else ""
        lines.append(f"{i}. {story.title}{update} — {summary}".rstrip())
    if briefing.more_stories:
        more = briefing.more_stories
        lines.append(f"… and {more} more {'story' if more == 1 else 'stories'} (a briefing lists them all).")
    mode: Literal["llm", "extractive"] = "llm" if briefing.mode in ("llm", "mixed") else "extractive"
    usage = {"prompt_tokens": briefing.usage.get("prompt_tokens", 0),
             "completion_tokens": briefing.usage.get("completion_tokens", 0)}
    answer = Answer(neutralize_mentions("\n".join(lines)), citations, mode, True, usage, kind="briefing")
    if briefing.note:
        answer.note = briefing.note
    return answer
