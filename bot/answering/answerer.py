"""The answer use case: a question (and earlier turns) in, a short cited answer out.

Free of Discord: the CLI, the terminal channel and the bot all call `Answerer.answer`.
Retrieval is BM25 over the collection's passages, re-ranked by weighted question-term
coverage; a calibrated threshold on that coverage decides "nothing relevant" (then no model
call). With a model the packed sources go to it and its citations are checked; without one,
or when it fails, the extractive answerer composes the answer from the best sentences.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, timedelta, timezone
from typing import Any, Literal

from bot.config import Settings
from bot.errors import UserError
from bot.text.citations import check_citations
from bot.llm.client import LLMClient, LLMError
from bot.answering.claims import OTHER_LANGUAGE_WORDS, check_claims, in_other_language
from bot.answering.context import ContextSource, SourceRef, pack_context
from bot.answering.extractive import (
    Candidate, ScoredSentence, asked_action, asked_kind, choose_sentences, compose, keep_naming, question_entities,
    score_candidates, wants,
)
from bot.llm.prompts import fence_sources, load_prompt, render
from bot.answering.terms import (
    WeightedTerm, content_terms, either_way, phrase_words, search_synonyms, stem_term, stems, weigh,
)
from bot.llm.tokens import count_tokens, truncate_to_tokens
from bot.search import search_passages
from bot.search.engine import SearchIndex
from bot.search.embedder import EmbeddingError
from bot.search.vectors import Vectors
from bot.store.db import Database
from bot.text.languages import language_of, quoted_note
from bot.text.crosslingual import ENGLISH, english_words
from bot.text.safety import neutralize_mentions
from bot.timeutil import (
    TimeWindow, human_date, month_span, named_days, parse_question, parse_since, reported_after, span_words, zone,
)

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 2000
# Weighted share of the question's terms that the best passage (with its title) must hold,
# and that its best sentence must reach; calibrated on bench/questions_samples.jsonl and
# bench/questions_reuters.jsonl (see bench/README.md).
RELEVANCE_THRESHOLD = 0.55
SENTENCE_THRESHOLD = 0.34
# Weighted share of the question's non-name terms one of the top sentences must hold (see bench/README.md).
FOCUS_THRESHOLD = 0.25
FOCUS_SENTENCES = 3
# A term in at most ~2 % of passages (BM25 IDF above this) is rare: retrieval that holds none of the
# question's rare terms has clearly nothing, and not even the model is asked.
RARE_IDF = 3.9
# The vector gate reads the best passage's *lift*: its cosine similarity to the question minus the question's
# mean similarity to unrelated news (bot/search/vectors.py; e5's cosines all sit between 0.7 and 0.9, so the
# absolute value says little). A question in another language, which the word gate cannot judge, passes on lift
# alone. For English questions the lift does not tell a paraphrase from an unanswerable question about the same
# names (reuters-dev: answerable 0.10-0.20, unanswerable 0.10-0.16), so the word gate alone decides them
# unless PARAPHRASE_LIFT is set (then lift and part of the words must both hold). See bench/README.md.
CROSS_LINGUAL_LIFT = 0.09
PARAPHRASE_LIFT: float | None = None
PARAPHRASE_RELEVANCE = 0.3
SEMANTIC_SENTENCES = 8  # sentences of the best passages embedded to choose the answer when only vectors found it
FOREIGN_MIN_DF = 50  # a word of a question in another language that this many passages hold is shared
FOLLOW_UP_WEIGHT = 1.0  # a follow-up is about the earlier question's topic as much as about its own words
ANSWER_NAME_WEIGHT = 0.3  # a name the last answer stated, as a term of the follow-up
CONTEXT_WEIGHT = 0.6  # terms of a question's context sentences, before the sentence that asks
SOFT_TERM_WEIGHT = 0.5  # a soft window's month or year as a question term
SOFT_WINDOW_BONUS = 0.06  # sentence score for an article from the month (or year) a soft window names
DAY_REPORT_DAYS = 7  # a day the question names is reported on within this many days
OLD_AFTER = timedelta(days=30)
# "Now", "latest": a sentence holding the best one's share of the question's terms (within this) and scoring close
# to it (within RECENT_PEER_SCORE) states the same; the newest of them answers.
SAME_COVERAGE = 0.05
RECENT_PEER_SCORE = 0.1
# Abbreviations the articles write with dots ("U.S."), which the search index reads as their letters.
DOTTED_LETTERS = {"us": ("u", "s"), "uk": ("u", "k"), "un": ("u", "n")}
RETRIEVE_K = 12
NAMED_K = 48  # passages searched when fewer than half of the first RETRIEVE_K name the question's names
HISTORY_TURNS = 6
TIMELINE_SEARCH = 30  # articles searched for a story's timeline
TIMELINE_STEPS = 6  # steps shown, newest first
NOT_FOUND = "I don't have anything on that in the stored articles."
# A question this long that finds nothing as a whole is asked again as its first sentence: people paste a
# question followed by context, greetings or filler that drowns its terms.
LONG_QUESTION_CHARS = 300

ENGLISH_QUESTION_PROMPT = (
    "Rewrite the user's question in English, keeping every name, number and date exactly. "
    "Reply with the English question only, on one line."
)
_EXACT_FIGURE = re.compile(r"\b\d{2,4}/\d{2,4}\b|\b\d+\.\d+\b")

OnDelta = Callable[[str], Awaitable[None]]


@dataclass(frozen=True)
class Turn:
    role: Literal["user", "assistant"]
    text: str


@dataclass
class Citation(SourceRef):
    quote: str


@dataclass
class Answer:
    text: str
    citations: list[Citation]
    mode: Literal["llm", "extractive"]
    found: bool
    usage: dict[str, int] = field(default_factory=lambda: {"prompt_tokens": 0, "completion_tokens": 0})
    elapsed_ms: float = 0.0
    note: str | None = None
    as_of: str | None = None
    # The claim check of a model answer: per sentence, supported or not, what was done and why.
    checks: list[dict[str, Any]] = field(default_factory=list)
    # "lookup": a fact from the articles; "briefing": the stories of a window; "timeline": a story, newest first.
    kind: Literal["lookup", "briefing", "timeline"] = "lookup"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data = {"answer": data.pop("text"), **data}
        data["elapsed_ms"] = round(self.elapsed_ms, 1)
        return data


# A question reads as a follow-up when it leans on the turn before: it opens as a continuation
# ("and ...", "what about ..."), points back with a pronoun ("it", "they", "that deal"), or is an
# ellipsis with hardly a word of its own ("how much?", "when?", "why not?"). Length alone never makes
# one: "what did Japan approve for Samsung?" is a question of its own.
_FOLLOW_UP_STARTS = ("and ", "what about", "how about", "also ", "but ", "so ", "then ", "what else", "anything else")
_ELLIPSIS_STARTS = ("how much", "how many", "how long", "how big", "how ", "why", "when", "where")  # up to one own word
_BARE_STARTS = ("what", "who", "which")  # no word of its own: "what for?", "who?"
_ANAPHORA = {
    "it", "its", "they", "them", "their", "theirs", "that", "this", "those", "these", "he", "she", "him", "his",
    "her", "hers", "one", "ones", "there",
}
_TIME_AFTER_DEMONSTRATIVE = {"week", "month", "year", "morning", "afternoon", "evening", "weekend", "quarter", "time"}
REFUSAL_PREFIX = "I don't have anything on that"


def is_follow_up(question: str, *, reply: bool = False) -> bool:
    """True when the question reads as a follow-up to the turn before (a reply to an answer always does)."""
    if reply:
        return True
    q = question.strip().lower()
    if q.startswith(_FOLLOW_UP_STARTS):
        return True
    words = re.findall(r"[a-z']+", q)
    for i, w in enumerate(words):
        if w in _ANAPHORA:
            after = words[i + 1] if i + 1 < len(words) else ""
            if w in ("this", "that") and after in _TIME_AFTER_DEMONSTRATIVE:
                continue  # "this week", "that year": a time phrase, not a pointer back
            if w == "there" and (i == 0 or words[i - 1] in ("is", "are", "was", "were", "be")):
                continue  # "is there ...", "there was ...": existential, not a place named before
            return True
    own = len(content_terms(question))
    return (q.startswith(_ELLIPSIS_STARTS) and own <= 1) or (q.startswith(_BARE_STARTS) and own == 0)


def is_refusal(text: str) -> bool:
    """True for an answer that said the store holds nothing on the question."""
    return text.strip().startswith(REFUSAL_PREFIX)


def _retrieved(task: "asyncio.Future[Any]") -> None:
    """A task's outcome read, so that one left behind (the answer failed first) logs no warning."""
    if not task.cancelled():
        task.exception()


def answered_history(history: Sequence["Turn"]) -> list["Turn"]:
    """The turns without the unanswered ones (a question whose answer was a refusal, and that answer)."""
    out: list[Turn] = []
    items = list(history)
    for i, turn in enumerate(items):
        if turn.role == "user" and i + 1 < len(items) and items[i + 1].role == "assistant" and is_refusal(items[i + 1].text):
            continue
        if turn.role == "assistant" and is_refusal(turn.text):
            continue
        out.append(turn)
    return out


def _carried_question(history: Sequence["Turn"]) -> str | None:
    """The question a follow-up may borrow terms from: the last one, and only when it was answered."""
    items = list(history)
    for i in range(len(items) - 1, -1, -1):
        if items[i].role == "user":
            reply = items[i + 1] if i + 1 < len(items) and items[i + 1].role == "assistant" else None
            return None if reply is not None and is_refusal(reply.text) else items[i].text
    return None


def _lead_sentence(question: str) -> str | None:
    """The first sentence of a long question (None when short or a single sentence)."""
    if len(question) <= LONG_QUESTION_CHARS:
        return None
    match = re.match(r"(.{8,%d}?[?!.])\s+\S" % LONG_QUESTION_CHARS, question)
    return match.group(1) if match else None


def _without_headline(c: Candidate) -> Candidate:
    """The store leads an article's first passage with its headline; the fence already carries the title."""
    head = f"{c.title}. "
    if c.position == 0 and c.text.startswith(head):
        return replace(c, text=c.text[len(head):])
    return c


@dataclass
class _Found:
    candidates: list[Candidate]
    scored: list[ScoredSentence]
    best: float  # relevance of the best passage
    best_sentence: float  # coverage of the best sentence
    focus: float  # best share of the question's non-name terms among the top sentences
    passes: bool  # the relevance gate lets it through
    similarity: float = 0.0  # the best passage's vector similarity to the question
    semantic: bool = False  # only the vector similarity lets it through (the words differ)


def _checked_text(source: ContextSource) -> str:
    """What the claim check reads of a source: its title, its date as given and as written, its passages."""
    published = (source.published or "")[:10]
    when = f"{published} {human_date(published)}" if published else ""
    return f"{source.title or ''}\n{when}\n{source.text}"


def _holds_a_rare_term(terms: list[WeightedTerm], candidates: list[Candidate]) -> bool:
    """Whether any retrieved passage holds one of the question's rare terms (its rarest when none is rare)."""
    if not terms or not candidates:
        return False
    rare = {t.stem for t in terms if t.weight >= RARE_IDF} or {max(terms, key=lambda t: t.weight).stem}
    return any(rare & stems(f"{c.title} {c.text}") for c in candidates)


def _narrower(window: TimeWindow | None, floor: TimeWindow | None) -> TimeWindow | None:
    """`window` starting no earlier than `floor` starts."""
    if floor is None or window is None:
        return window or floor
    if window.since is not None and floor.since is not None and window.since >= floor.since:
        return window
    return replace(window, since=floor.since)


def _published(c: Candidate) -> date | None:
    try:
        return date.fromisoformat((c.published or "")[:10])
    except ValueError:
        return None


def _month_of_report(window: TimeWindow, day: date) -> int | None:
    """The year of the window's month an article published on `day` reports on: published in that month,
    or in the next one (monthly figures come out the month after); None when neither."""
    assert window.month
    after = window.month % 12 + 1
    if day.month == window.month:
        year = day.year
    elif day.month == after:
        year = day.year - (window.month == 12)
    else:
        return None
    return year if window.year in (None, year) else None


def _weight_soft(window: TimeWindow, scored: list[ScoredSentence]) -> None:
    """A soft window weights: sentences of articles from (or reporting on) the named month or year rank higher."""
    for s in scored:
        day = _published(s.candidate)
        if day is None:
            continue
        if window.month and _month_of_report(window, day) is not None:
            s.score += SOFT_WINDOW_BONUS
        elif not window.month and window.year and day.year in (window.year, window.year + 1):
            s.score += SOFT_WINDOW_BONUS / 2
    scored.sort(key=lambda s: -s.score)


def _weight_days(days: list[date], scored: list[ScoredSentence]) -> None:
    """A day named with its year ("the count released on March 9, 1987"): articles published on it or within
    a few days after (the report of it) rank higher, the nearest most."""
    for s in scored:
        published = _published(s.candidate)
        if published is None:
            continue
        gap = min(((published - d).days for d in days if published >= d), default=None)
        if gap is not None and gap <= DAY_REPORT_DAYS:
            s.score += SOFT_WINDOW_BONUS * (1 - gap / (DAY_REPORT_DAYS + 1))
    scored.sort(key=lambda s: -s.score)


def _month_lead_in(window: TimeWindow, best: Candidate) -> str:
    """'In March 1987: ' when the answer's article is from (or reports on) the latest such month."""
    day = _published(best)
    year = _month_of_report(window, day) if day else None
    return f"In {date(2000, window.month or 1, 1):%B} {year}: " if year else ""


class Answerer:
    def __init__(
        self, db: Database, settings: Settings, llm: LLMClient | None, index: SearchIndex,
        vectors: Vectors | None = None,
    ) -> None:
        self.vectors = vectors
        self.db = db
        self.index = index  # the App's search index: retrieval and the term statistics
        self.settings = settings
        self.llm = llm
        # (passage, sentence, focus) relevance of the last question
        self.last_scores: tuple[float, float, float] = (0.0, 0.0, 0.0)
        self.last_prompt_articles: list[int] = []
        self.last_similarity = 0.0  # the best passage's vector lift for the last question (for the benchmark)  # articles the last model prompt held (for the benchmark)

    # ------------------------------------------------------------ term statistics

    async def _terms(self, words: list[tuple[str, float]], foreign: str | None = None,
                     given: frozenset[str] = frozenset()) -> list[WeightedTerm]:
        """IDF weights from the search index's statistics over every indexed passage.

        `foreign`: the question, when written in another language than the articles. Its own language's
        words are no topic words (an article may still hold "le" or "pour" inside a name): only its names
        ("Ferruzzi", "CPC International", "Caracas"), figures and words common in the articles weigh."""
        index = self.index
        await index.ensure_fresh()
        df = {w: index.doc_freq(w) for w, _ in words}
        for w in df:
            if w in DOTTED_LETTERS:  # "US" is mostly written "U.S.": as frequent as its letters
                df[w] = max(df[w], min(index.doc_freq(letter) for letter in DOTTED_LETTERS[w]))
            # "gap" is rare, the "deficit" it means is not: a noun said two ways weighs as its commonest word
            df[w] = max([df[w]] + [index.doc_freq(other) for other in search_synonyms([w])])
        if foreign:
            kept = [(w, f) for w, f in words if df[w] and len(w) > 1 and w not in OTHER_LANGUAGE_WORDS and (
                w[:1].isdigit() or w in ENGLISH or w in given or df[w] >= FOREIGN_MIN_DF
                or re.search(r"(?<!\w)" + re.escape(w[:1].upper() + w[1:]), foreign))]
            words = kept or words
        return weigh(words, df, index.doc_count())

    # ------------------------------------------------------------ the use case

    async def answer(
        self,
        question: str,
        collection_id: int,
        *,
        history: Sequence[Turn] = (),
        since: str | datetime | None = None,
        source: str | None = None,
        tz: str = "UTC",
        now: datetime | None = None,
        on_delta: OnDelta | None = None,
        allow_llm: bool = True,
        reply: bool = False,
    ) -> Answer:
        """`reply`: the question is a reply to the answer that ends `history` (always read as a follow-up)."""
        started = time.perf_counter()
        model_seconds = 0.0
        question = " ".join((question or "").split())
        if not question:
            raise UserError("Ask a question, for example: what did Japan approve for Samsung?")
        notes: list[str] = []
        if len(question) > MAX_QUESTION_CHARS:
            question = question[:MAX_QUESTION_CHARS].rsplit(" ", 1)[0]
            notes.append(f"Your question was cut to its first {MAX_QUESTION_CHARS:,} characters.")
        zone(tz)  # refuse an unknown zone early, with a clear message
        now = now or datetime.now(timezone.utc)
        asked = question
        foreign = in_other_language(question)
        # The question's vector is computed on the embedder's thread while the question is read below (its English
        # from the model, time phrases, term weights): nothing needs it before retrieval.
        pending_vector = asyncio.ensure_future(self._question_vector(question, answered_history(history), reply))
        pending_vector.add_done_callback(_retrieved)
        use_model = self.llm is not None and allow_llm
        extra_usage = {"prompt_tokens": 0, "completion_tokens": 0}
        if foreign:
            # A question in another language: with a model, its English for retrieval and time phrases (one short
            # call); without one, its German, French or Spanish news words and months in English ("en mai 1987"
            # -> "in May 1987"). The model still answers the question as written.
            english = await self._english_question(question, extra_usage) if use_model else None
            asked = english or english_words(question)
            foreign = english is None
        window = self._window(asked, since, tz, now)

        terms, search_text = await self._question_terms(asked, window, history, reply, foreign)
        history = answered_history(history)  # an unanswered turn carries nothing, not even to the model
        qvec = await pending_vector
        hard = window if window and not window.soft and not window.recent else None
        # A day or year named with its year ("the week ended July 4, 1987", "in 2015"): no article published
        # before it can report on it. Unlike a window, this holds even when it leaves nothing.
        after = reported_after(asked)
        floor = None if after is None else TimeWindow(
            datetime.combine(after, datetime.min.time(), timezone.utc), None, f"from {human_date(after.isoformat())} on")
        found = await self._gather(asked, terms, search_text, collection_id, _narrower(hard, floor), source, window, qvec,
                                   question)
        lead_in = ""
        if not found.passes and hard is not None:
            # An explicit window that holds nothing: the newest matching article outside it, said to be older.
            wider = await self._gather(asked, terms, search_text, collection_id, floor, source,
                                       replace(hard, recent=True), qvec, question)
            if wider.passes:
                newest = wider.scored[0].candidate.published
                lead_in = (f"I have nothing on that {hard.label}; the newest related article is older"
                           + (f" ({human_date(newest)})" if newest else "") + ": ")
                found = wider
        candidates, scored = found.candidates, found.scored
        self.last_scores = (found.best, found.best_sentence, found.focus)
        # With a model, the gate only stops what retrieval clearly has nothing for: the model sees the best
        # passages and says itself when they do not answer (the prompt asks it to).
        if not found.passes and not (use_model and _holds_a_rare_term(terms, candidates)):
            lead = _lead_sentence(question)
            if lead:
                result = await self.answer(
                    lead, collection_id, history=history, since=since, source=source, tz=tz, now=now, reply=reply,
                    on_delta=on_delta, allow_llm=allow_llm,
                )
                if result.found:
                    notes.append(f"Your question is long and found nothing as a whole, so this answers its first sentence: “{lead}”.")
                    return self._finish(result, started, 0.0, notes)
            text = await self._not_found_text(question, collection_id, window, source, terms)
            return self._finish(Answer(text, [], "extractive", False), started, 0.0, notes)
        if window and window.soft and window.month:
            lead_in = lead_in or _month_lead_in(window, scored[0].candidate)

        if found.semantic:  # the words differ: meaning ranks
            ranked = sorted(candidates, key=lambda c: -(c.similarity or 0.0))
            for c in ranked:
                c.relevance = max(c.relevance, c.similarity or 0.0)
        else:
            ranked = sorted(candidates, key=lambda c: -c.relevance - 0.3 * (c is scored[0].candidate))
        as_of = self._as_of(ranked[:1], now)
        mode: Literal["llm", "extractive"] = "extractive"
        checks: list[dict[str, Any]] = []
        usage = {"prompt_tokens": 0, "completion_tokens": 0}
        if use_model:
            t0 = time.perf_counter()
            try:
                result = await self._llm_answer(question, ranked, history, tz, now, as_of, on_delta, lead_in)
                result.usage = {k: result.usage.get(k, 0) + v for k, v in extra_usage.items()}
                model_seconds = time.perf_counter() - t0
                if result.text or not result.checks:
                    result.text = lead_in + result.text
                    return self._finish(result, started, model_seconds, notes)
                # Not one sentence of the model's answer held against its sources: the extractive answer.
                checks, usage = result.checks, result.usage
                notes.append("The model's answer stated figures or names its sources do not hold, "
                             "so this answer is extractive.")
                if not found.passes:
                    text = await self._not_found_text(question, collection_id, window, source, terms)
                    refused = Answer(text, [], "extractive", False, result.usage, checks=checks)
                    return self._finish(refused, started, model_seconds, notes)
            except LLMError as exc:
                model_seconds = time.perf_counter() - t0
                log.warning("model call failed, answering extractively: %s", exc)
                notes.append(f"The model was unavailable ({exc}); this answer is extractive.")
                if not found.passes:
                    text = await self._not_found_text(question, collection_id, window, source, terms)
                    return self._finish(Answer(text, [], "extractive", False), started, model_seconds, notes)
        # Only the vectors found it, or the question is in another language (its words, even put in English, say
        # little about which sentence answers): the sentence closest in meaning.
        if found.semantic or (qvec is not None and language_of(question) not in (None, "en")):
            # (when the words found the article, its sentences only: the article stays the words' choice)
            pool = await self._semantic_sentences(found, qvec, None if found.semantic else scored[0].candidate)
            chosen = pool[:1] + [s for s in pool[1:2] if s.score >= pool[0].score - 0.02 and s.candidate is pool[0].candidate]
            chosen.sort(key=lambda s: s.index)
        else:
            chosen = choose_sentences(terms, scored)
        # Without a model the answer quotes the articles in their own language: say so in the question's.
        said = quoted_note(language_of(question))
        if said and language_of(" ".join(s.text for s in chosen)) in ("en", None):
            notes.append(said)
        numbers: dict[int, int] = {}
        for s in chosen:
            numbers.setdefault(s.candidate.article_id, len(numbers) + 1)
        text = compose(chosen, numbers)
        as_of = self._as_of([s.candidate for s in chosen], now)
        if as_of:
            text = f"As of {human_date(as_of)}: {text}"
        text = lead_in + text
        citations: list[Citation] = []
        for s in chosen:
            n = numbers[s.candidate.article_id]
            if all(c.n != n for c in citations):
                c = s.candidate
                citations.append(Citation(n, c.article_id, c.title, c.url, c.source, c.published, c.text))
        result = Answer(neutralize_mentions(text), citations, mode, True, usage, as_of=as_of, checks=checks)
        return self._finish(result, started, model_seconds, notes)

    # ------------------------------------------------------------ "what's the latest on X?"

    async def timeline(
        self, topic: str, collection_id: int, *, source: str | None = None, tz: str = "UTC",
        now: datetime | None = None,
    ) -> Answer:
        """The story of `topic` as a timeline: its articles newest first, each step with its date, outlet and
        the sentence that states what happened then, cited."""
        started = time.perf_counter()
        topic = " ".join(topic.split()).strip(" ?.!")
        words = [(w, 1.0) for w in content_terms(topic)]
        if not words:
            raise UserError("Latest on what? For example: what's the latest on the export curbs?")
        terms = await self._terms(words)
        hits = await search_passages(self.index, collection_id, " ".join(w for w, _ in words), k=TIMELINE_SEARCH,
                                     per_article=1, source=source)
        candidates = keep_naming(topic, [Candidate(**vars(h), rank=i) for i, h in enumerate(hits)])
        score_candidates(topic, terms, candidates)
        relevant = [c for c in candidates if c.relevance >= RELEVANCE_THRESHOLD and c.sentences]
        if not relevant:
            return self._finish(Answer(NOT_FOUND, [], "extractive", False, kind="timeline"), started, 0.0, [])
        steps = sorted(relevant, key=lambda c: c.published or "", reverse=True)[:TIMELINE_STEPS]
        lines: list[str] = []
        citations: list[Citation] = []
        for n, c in enumerate(steps, 1):
            best = max(c.sentences, key=lambda s: s.score)
            when = human_date(c.published) if c.published else "undated"
            where = f" ({c.source})" if c.source else ""
            sentence = best.text.strip()
            if sentence[-1:] not in ".!?\"'”’)":
                sentence += "."
            lines.append(f"{n}. {when}{where}: {sentence} [{n}]")
            citations.append(Citation(n, c.article_id, c.title, c.url, c.source, c.published, c.text))
        head = f"The latest on {topic}, newest first:"
        text = neutralize_mentions("\n".join([head, *lines]))
        as_of = self._as_of(steps[:1], now or datetime.now(timezone.utc))
        result = Answer(text, citations, "extractive", True, as_of=as_of, kind="timeline")
        return self._finish(result, started, 0.0, [])

    # ------------------------------------------------------------ steps

    async def _gather(
        self, question: str, terms: list[WeightedTerm], search_text: str, collection_id: int,
        filter_window: TimeWindow | None, source: str | None, window: TimeWindow | None, qvec: Any = None,
        written: str | None = None,
    ) -> "_Found":
        """Retrieve (inside `filter_window` only), keep passages naming the question's names, score.

        `question` is what retrieval reads (a question in another language put in English words); `written`, the
        question as asked, decides whether the vector gate judges it as a question in another language."""
        retrieved = await self._retrieve(search_text, collection_id, filter_window, source, qvec)
        # Capitalised words are names in English; in German every noun is capitalised, and in other languages a
        # name may be spelled in its own script: there only the vectors judge (the gate reads their lift).
        foreign = qvec is not None and language_of(written or question) not in (None, "en")
        # German capitalises every noun ("Kupon", "Anleihe"): one of its capitalised words must be named, not all.
        german = language_of(written or question) == "de"
        candidates = retrieved if foreign else keep_naming(question, retrieved, every=not german)
        if not foreign and filter_window is None and len(candidates) < RETRIEVE_K // 2 and question_entities(question):
            # Most of what the words found names someone else ("China" asked, other countries' first-quarter
            # deficits found): search deeper. (Inside a window the few passages found are all there is.)
            deeper = await self._retrieve(search_text, collection_id, filter_window, source, k=NAMED_K)
            have = {c.passage_id for c in candidates}
            extra = [c for c in keep_naming(question, deeper, every=not german) if c.passage_id not in have]
            candidates += [replace(c, rank=len(retrieved) + i) for i, c in enumerate(extra[:RETRIEVE_K - len(candidates)])]
        scored = score_candidates(question, terms, candidates)
        if window and window.recent and candidates:
            self._weight_recent(candidates, scored)
        if window and window.soft and candidates:
            _weight_soft(window, scored)
        if candidates and (days := named_days(question)):
            _weight_days(days, scored)
        best = max((c.relevance for c in candidates), default=0.0)
        best_sentence = max((s.coverage for s in scored[:FOCUS_SENTENCES]), default=0.0)
        # The answer must hold what the question asks about, not only whom: its object and action words.
        focus = max((s.focus for s in scored[:FOCUS_SENTENCES]), default=0.0)
        # ...or the sentence of the best article that states what the question asks for (a figure, a name): the
        # answer is often a later line ("a team he led agreed to buy U.S. products valued at 1.8 billion dlrs").
        if scored and any(wants(question)):
            focus = max([focus] + [s.focus for s in scored[0].candidate.sentences if s.typed])
        # "Which bank did Lloyds buy?": the line naming the answer says it is a bank.
        kind = asked_kind(question)
        if kind is not None and scored and not any(
                s.typed and kind.search(s.text) for s in [*scored[:FOCUS_SENTENCES], *scored[0].candidate.sentences]):
            focus = 0.0
        # "Who designed / won / replaced …": the action must be stated by one of the top sentences.
        verb = asked_action(question)
        if verb is not None and not any(verb in s.words for s in scored[:FOCUS_SENTENCES]):
            focus = 0.0
        # A season or a precise figure the question names ("the 1988/89 crop", "a 4.75 pct coupon") must be in
        # the answer's article: one about another season does not answer it.
        exact = _EXACT_FIGURE.findall(question)
        if exact and scored and not all(x in f"{scored[0].candidate.title} {scored[0].candidate.text}" for x in exact):
            focus = 0.0
        # A question after a figure or a name: the answer's article must state one it does not.
        asks = any(wants(question))
        typed = not asks or any(s.typed for s in scored[:FOCUS_SENTENCES]) or (
            bool(scored) and any(s.typed for s in scored[0].candidate.sentences))
        passes = (bool(candidates) and best >= RELEVANCE_THRESHOLD and best_sentence >= SENTENCE_THRESHOLD
                  and focus >= FOCUS_THRESHOLD and typed)
        similarity = max((c.similarity or 0.0 for c in candidates), default=0.0)
        semantic = False
        if not passes and candidates and any(c.similarity is not None for c in candidates):
            if language_of(written or question) not in (None, "en"):
                semantic = similarity >= CROSS_LINGUAL_LIFT
            elif PARAPHRASE_LIFT is not None:
                semantic = similarity >= PARAPHRASE_LIFT and best >= PARAPHRASE_RELEVANCE
        self.last_similarity = similarity
        return _Found(candidates, scored, best, best_sentence, focus, passes or semantic, similarity, semantic)

    async def _question_vector(self, question: str, history: Sequence[Turn], reply: bool = False) -> Any:
        """The question's vector (a follow-up's with the earlier question before it); None without vectors."""
        if self.vectors is None:
            return None
        earlier = [t.text for t in history if t.role == "user"]
        text = f"{earlier[-1]} {question}" if earlier and is_follow_up(question, reply=reply) else question
        return await self.vectors.query_vector(text)

    async def _semantic_sentences(self, found: "_Found", qvec: Any, only: Candidate | None = None) -> list[ScoredSentence]:
        """The sentences closest in meaning to the question, best first: of the two passages closest to it, or of
        `only`'s article (its passages among the candidates)."""
        assert self.vectors is not None
        if only is not None:
            by_sim = [c for c in found.candidates if c.article_id == only.article_id][:2]
        else:
            by_sim = sorted(found.candidates, key=lambda c: -(c.similarity or 0.0))[:2]
        pool = [s for c in by_sim for s in c.sentences][:SEMANTIC_SENTENCES]
        if not pool or qvec is None:
            return found.scored
        try:
            vecs = await self.vectors.embedder.passages([s.text for s in pool])
        except EmbeddingError as exc:
            log.warning("embedding sentences failed: %s", exc)
            return found.scored
        sims = (vecs @ qvec).tolist()
        for s, sim in zip(pool, sims):
            # closeness in meaning decides; the article's lead and the better passage break near-ties
            s.score = sim + (0.01 if s.candidate.position == 0 and s.index <= 1 else 0.0) + 0.01 * (s.candidate is by_sim[0])
        pool.sort(key=lambda s: -s.score)
        return pool

    @staticmethod
    def _window(question: str, since: str | datetime | None, tz: str, now: datetime) -> TimeWindow | None:
        if isinstance(since, datetime):
            aware = since if since.tzinfo else since.replace(tzinfo=timezone.utc)
            return TimeWindow(aware.astimezone(timezone.utc), None, f"since {human_date(aware.date().isoformat())}")
        if isinstance(since, str) and since.strip():
            return parse_since(since, tz, now)
        return parse_question(question, tz, now)

    async def _question_terms(
        self, question: str, window: TimeWindow | None, history: Sequence[Turn], reply: bool = False,
        foreign: bool = False,
    ) -> tuple[list[WeightedTerm], str]:
        # "back in 1986": "back" belongs to the time phrase.
        own = (re.sub(r"\bback\s*$", " ", question.lower().split(window.phrase)[0]) + " " +
               " ".join(question.lower().split(window.phrase)[1:])) if window and window.phrase else question
        # "Seoul said it would cut taxes on 50 products. When do those cuts take effect?": the sentence that
        # asks weighs fully, the context before it less.
        parts = re.split(r"(?<=[.!?])\s+(?=\S)", question.strip())
        asking = set(content_terms(parts[-1])) if len(parts) > 1 else None
        words: list[tuple[str, float]] = [
            (w, 1.0 if asking is None or w in asking else CONTEXT_WEIGHT) for w in content_terms(own)]
        if window and window.soft:
            # A soft window's month and year are what an article says ("in March", "1986"): light terms.
            if window.month:
                words.append((date(2000, window.month, 1).strftime("%B").lower(), SOFT_TERM_WEIGHT))
            if window.year and not window.phrase.strip().startswith("this"):
                words.append((str(window.year), SOFT_TERM_WEIGHT))
        given: list[str] = []
        if window and (span := month_span(window.phrase)):
            # "January-March" is what an article calls "the first quarter", "January and February" "the first
            # two months": those words weigh fully, the months' names lightly.
            given = [*span_words(span[0], span[1]), *(date(2000, m, 1).strftime("%B").lower() for m in span[:2])]
            words += [(w, 1.0 if i < len(given) - 2 else SOFT_TERM_WEIGHT) for i, w in enumerate(given)]
        earlier = _carried_question(history)
        if earlier and is_follow_up(question, reply=reply):
            have = {w for w, _ in words}
            for w in content_terms(earlier):
                if w not in have:
                    words.append((w, FOLLOW_UP_WEIGHT))
                    have.add(w)
            # What the last answer named ("Commerzbank", "John Geiger") is what "it", "he" or "the bank" is.
            said = [t.text for t in history if t.role == "assistant"][-1:]
            for name in question_entities(f"x {said[0]}") if said else []:
                word = next((w for w in content_terms(said[0]) if stem_term(w) == name), None)
                if word and word not in have:
                    words.append((word, ANSWER_NAME_WEIGHT))
                    have.add(word)
        # (the words given for a span of months are English whatever the question's language)
        terms = either_way(question, await self._terms(words, foreign=question if foreign else None,
                                                       given=frozenset(given)))
        known = {t.word for t in terms}
        search = [w for w, _ in words if w in known]
        # the search reads the article's own words: a phrase read as one word ("cost of living": inflation) is
        # searched as written too, and "the jobless rate" also finds the articles that say "unemployment"
        written = [w for w in phrase_words(own) if w not in known]
        return terms, " ".join(search + written + search_synonyms(search)) or own

    async def _retrieve(
        self, text: str, collection_id: int, window: TimeWindow | None, source: str | None, qvec: Any = None,
        k: int = RETRIEVE_K,
    ) -> list[Candidate]:
        hits = await search_passages(
            self.index, collection_id, text, k=k, per_article=2,
            since=window.since_iso if window else None, until=window.until_iso if window else None, source=source,
            vectors=self.vectors if qvec is not None else None, query_vector=qvec, keep_lexical=True,
        )
        return [Candidate(**vars(h), rank=i) for i, h in enumerate(hits)]

    @staticmethod
    def _weight_recent(candidates: list[Candidate], scored: list[Any]) -> None:
        """"Latest", "now": among relevant passages, newer articles rank higher; among the sentences that state as
        much of the question as the best one (a report and its later update), the newest leads."""
        dates = sorted({c.published or "" for c in candidates}, reverse=True)
        bonus = {d: 0.1 * (1 - i / max(len(dates), 1)) for i, d in enumerate(dates)}
        for s in scored:
            s.score += bonus[s.candidate.published or ""]
        scored.sort(key=lambda s: -s.score)
        if not scored:
            return
        top = scored[0]
        peers = [s for s in scored if s.coverage >= top.coverage - SAME_COVERAGE
                 and s.score >= top.score - RECENT_PEER_SCORE and s.typed >= top.typed]
        newest = max(peers, key=lambda s: (s.candidate.published or "", s.score))
        if newest is not top:
            scored.remove(newest)
            newest.score = max(newest.score, top.score)
            scored.insert(0, newest)

    @staticmethod
    def _as_of(used: Sequence[Candidate], now: datetime) -> str | None:
        """The newest date among the articles the answer rests on, when that is older than OLD_AFTER."""
        newest = max((c.published for c in used if c.published), default=None)
        if not newest:
            return None
        try:
            when = datetime.fromisoformat(newest.replace("Z", "+00:00"))
        except ValueError:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        return newest[:10] if now - when > OLD_AFTER else None

    async def _not_found_text(
        self, question: str, collection_id: int, window: TimeWindow | None, source: str | None,
        terms: list[WeightedTerm],
    ) -> str:
        if window and not window.recent:
            wider = await self._retrieve(" ".join(t.word for t in terms) or question, collection_id, None, source)
            score_candidates(question, terms, wider)
            related = [c for c in wider if c.relevance >= RELEVANCE_THRESHOLD and c.published]
            if related:
                newest = max(c.published or "" for c in related)
                return (f"I don't have anything on that {window.label} in the stored articles; "
                        f"the newest related article is from {human_date(newest)}.")
            return f"I don't have anything on that {window.label} in the stored articles."
        if source:
            return f"I don't have anything on that from {source} in the stored articles."
        return NOT_FOUND

    async def _english_question(self, question: str, usage: dict[str, int]) -> str | None:
        """The question in English, by the model, for searching English articles (None when the model fails or
        answers with something that is no question of a sensible length)."""
        assert self.llm is not None
        try:
            system = load_prompt(self.settings, "question_english")
        except UserError:  # a prompts_dir of one's own without this file: the built-in wording
            system = ENGLISH_QUESTION_PROMPT
        try:
            done = await self.llm.complete(
                [{"role": "system", "content": system}, {"role": "user", "content": question}], max_tokens=120)
        except LLMError as exc:
            log.warning("the model could not put the question in English (%s); reading its words instead", exc)
            return None
        usage["prompt_tokens"] += done.prompt_tokens
        usage["completion_tokens"] += done.completion_tokens
        english = " ".join((done.text or "").split()).strip("\"“”")
        if not english or len(english) > 3 * len(question) + 50 or in_other_language(english):
            return None
        return english

    async def _llm_answer(
        self, question: str, ranked: list[Candidate], history: Sequence[Turn], tz: str, now: datetime,
        as_of: str | None, on_delta: OnDelta | None, lead_in: str = "",
    ) -> Answer:
        """The model's answer, led by an "As of …: " line (unless the model opens with "as of") in the
        streamed preview as in the final text; `lead_in` leads the preview (the caller adds it to the final)."""
        assert self.llm is not None
        llm = self.settings.llm
        system = load_prompt(self.settings, "answer_system")
        template = load_prompt(self.settings, "answer_user")
        note = f"\nThe newest of these sources is from {human_date(as_of)}: say \"as of {human_date(as_of)}\"." if as_of else ""
        today = now.astimezone(zone(tz)).date().isoformat()
        earlier = [
            {"role": t.role, "content": truncate_to_tokens(t.text, 300)} for t in list(history)[-HISTORY_TURNS:]
        ]
        fixed = count_tokens(system) + count_tokens(render(template, sources="", question=question, today=today,
                                                           tz=tz, note=note))
        fixed += sum(count_tokens(m["content"]) + 4 for m in earlier) + 12
        budget = max(0, llm.context_window - llm.answer_reserve - fixed)
        floor = 0.5 * ranked[0].relevance
        sources = pack_context([_without_headline(c) for c in ranked if c.relevance >= floor], budget)
        if not sources:
            raise LLMError("the context window is too small for any source")
        self.last_prompt_articles = [s.article_id for s in sources]
        user = render(template, sources=fence_sources(sources), question=question, today=today, tz=tz, note=note)
        messages = [{"role": "system", "content": system}, *earlier, {"role": "user", "content": user}]

        as_of_lead = f"As of {human_date(as_of)}: " if as_of else ""

        def dated(text: str) -> str:
            if text.strip() and as_of_lead and not text.lstrip().lower().startswith("as of"):
                return as_of_lead + text.lstrip()
            return text

        async def safe_delta(text: str) -> None:
            opening = text.lstrip().lower()
            if as_of_lead and len(opening) < 5 and "as of".startswith(opening):
                return  # not yet known whether the model opens with "as of" itself
            if on_delta is not None:
                await on_delta(neutralize_mentions(lead_in + dated(text)))  # the caller leads the final text

        done = await self.llm.complete(
            messages, max_tokens=llm.answer_reserve, on_delta=safe_delta if on_delta else None
        )
        text, _ = check_citations(done.text, {s.n for s in sources})
        by_n: dict[int, ContextSource] = {s.n: s for s in sources}
        # Every number and name a sentence states must be in a source it cites: re-cited or dropped otherwise,
        # and the citations renumbered in order of first appearance.
        checked = check_claims(text, {s.n: _checked_text(s) for s in sources})
        text = checked.text
        citations = [
            Citation(i, s.article_id, s.title, s.url, s.source, s.published, s.text)
            for i, n in enumerate(checked.used, 1)
            for s in [by_n[n]]
        ]
        text = dated(text)
        usage = {"prompt_tokens": done.prompt_tokens, "completion_tokens": done.completion_tokens}
        result = Answer(neutralize_mentions(text), citations, "llm", bool(citations), usage, as_of=as_of,
                        checks=[c.to_dict() for c in checked.checks])
        dropped = len(checked.dropped)
        if dropped and text:
            result.note = (f"{dropped} sentence{'s' if dropped > 1 else ''} of the model's answer "
                           f"{'were' if dropped > 1 else 'was'} dropped: a figure or name in none of the sources.")
        return result

    @staticmethod
    def _finish(result: Answer, started: float, model_seconds: float, notes: list[str]) -> Answer:
        result.elapsed_ms = (time.perf_counter() - started) * 1000
        result.model_ms = model_seconds * 1000  # type: ignore[attr-defined]  # for the benchmark, not the JSON
        if notes:
            result.note = " ".join(notes + ([result.note] if result.note else []))
        return result
