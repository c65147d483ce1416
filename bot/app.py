"""The composition root: every long-lived part is built here once, for every front end.

`briefbot` commands, the terminal console and the Discord bot each open one `App` (with
`async with App.open(settings) as app` or `open`/`close`), and call its use cases:
`app.asking`, `app.feeds`, `app.articles`, `app.briefings`, `app.status`, `app.budget`.
Nothing else builds an Ingestor, an Answerer, a model client or a poller, so the three front
ends share one near-duplicate index, one search index, one store lock and one set of rules.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

from bot.answering.answerer import Answerer
from bot.briefing.builder import BriefingBuilder
from bot.config import Settings
from bot.errors import UserError
from bot.ingest.pipeline import Ingestor
from bot.ingest.poller import FeedPoller
from bot.llm.client import LLMClient, make_client
from bot.llm.tokens import get_encoding
from bot.search.engine import SearchIndex
from bot.search.embedder import make_embedder
from bot.search.vectors import EmbeddingWorker, Vectors
from bot.store.articles import ArticleRepo
from bot.store.command_sync import CommandSyncRepo
from bot.store.conversations import ConversationRepo
from bot.store.cooldowns import BucketRepo
from bot.store.db import Database, open_database
from bot.store.feeds import FeedRepo
from bot.store.outbox import OutboxRepo
from bot.store.subscriptions import SubscriptionRepo
from bot.store.usage import UsageRepo
from bot.timeutil import Clock, as_utc, system_clock
from bot.usecases.articles import Articles
from bot.usecases.ask import Asking
from bot.usecases.overview import Overviews
from bot.usecases.briefings import Briefings
from bot.usecases.budget import Budget
from bot.usecases.cooldown import Cooldowns
from bot.usecases.feeds import Feeds
from bot.usecases.metrics import Metrics
from bot.usecases.scheduler import SchedulerParts
from bot.usecases.status import StatusReport

log = logging.getLogger(__name__)

NO_MODEL = object()  # App.open(llm=NO_MODEL): no model even when one is configured (--no-llm)


@dataclass
class Repos:
    """The store's repositories (SQL lives in them and in bot/store only)."""

    articles: ArticleRepo
    feeds: FeedRepo
    subscriptions: SubscriptionRepo
    outbox: OutboxRepo
    usage: UsageRepo
    conversations: ConversationRepo
    command_sync: CommandSyncRepo
    buckets: BucketRepo

    @classmethod
    def on(cls, db: Database) -> "Repos":
        return cls(
            ArticleRepo(db), FeedRepo(db), SubscriptionRepo(db), OutboxRepo(db), UsageRepo(db), ConversationRepo(db),
            CommandSyncRepo(db), BucketRepo(db),
        )


class App:
    """One open store and everything built on it."""

    def __init__(self, settings: Settings, db: Database, llm: LLMClient | None, clock: Clock) -> None:
        self.settings = settings
        self.db = db
        self.llm = llm
        self.clock = clock
        self.repos = Repos.on(db)
        # vectors: the embedder (None when [embeddings] provider = "off") and its background worker
        embedder = make_embedder(settings.embeddings)
        self.vectors = Vectors(db, embedder, settings.embeddings.ann_threshold) if embedder is not None else None
        self.embedding_worker = (
            EmbeddingWorker(self.vectors, settings.embeddings.batch_size) if self.vectors is not None else None)
        # the engines, one of each; the search index opens on first use and closes with the App
        self.index = SearchIndex(db)
        self.ingestor = Ingestor(db, settings, self.index, clock=clock)
        self.poller = FeedPoller(db, settings, ingestor=self.ingestor, clock=clock)
        self.answerer = Answerer(db, settings, llm, self.index, vectors=self.vectors)
        self.builder = BriefingBuilder(db, settings, llm, embedder=self.vectors.embedder if self.vectors else None)
        # the use cases
        self.metrics = Metrics(clock)
        self.budget = Budget(self.repos.usage, settings, clock, has_model=llm is not None, metrics=self.metrics)
        self.cooldowns = Cooldowns(
            settings.discord.ask_cooldown_seconds, clock, burst=settings.discord.ask_burst, store=self.repos.buckets
        )
        self.feeds = Feeds(self.repos.feeds, self.poller, self.repos.subscriptions, settings, clock)
        self.articles = Articles(db, self.repos.articles, self.ingestor, self.index, settings, vectors=self.vectors)
        self.briefings = Briefings(self.builder, self.repos.subscriptions, self.budget, clock)
        self.asking = Asking(self.answerer, self.budget, self.cooldowns, self.repos.conversations, clock, self.metrics,
                             Overviews(self.briefings))
        self.status = StatusReport(
            self.repos.articles, self.repos.feeds, self.repos.subscriptions, self.budget, settings,
            model=settings.llm.model if llm is not None else None, vectors=self.vectors,
        )

    @classmethod
    async def open(
        cls, settings: Settings, *, clock: Clock | None = None, llm: LLMClient | object | None = None
    ) -> "App":
        """Open the store (migrating it) and build the parts. `llm`: a client to use, NO_MODEL for none,
        or None for the configured one (none when no endpoint is configured)."""
        db = await open_database(settings.db_path)
        try:
            client = None if llm is NO_MODEL else (llm if llm is not None else make_client(settings))
        except Exception:
            await db.close()
            raise
        return cls(settings, db, client, clock or system_clock)  # type: ignore[arg-type]

    def scheduler_parts(self) -> SchedulerParts:
        """The parts a transport's Scheduler runs on (the transport brings the Sink)."""
        r = self.repos
        return SchedulerParts(
            self.db, self.settings, self.clock, self.poller, self.builder, self.budget, r.feeds, r.subscriptions,
            r.outbox, self.metrics, self.index,
        )

    def start_background(self) -> None:
        """Start the embedding worker (console and `briefbot run`): it embeds what waits, newest first."""
        if self.embedding_worker is not None:
            self.embedding_worker.start()

    async def close(self) -> None:
        if self.embedding_worker is not None:
            await self.embedding_worker.stop()
        if self.vectors is not None:
            try:
                await self.vectors.embedder.aclose()
            except Exception:  # closing must not hide the real outcome
                log.debug("closing the embedder failed", exc_info=True)
        if self.llm is not None:
            try:
                await self.llm.aclose()
            except Exception:  # closing must not hide the real outcome
                log.debug("closing the model client failed", exc_info=True)
        self.index.close()
        await self.db.close()

    def now(self) -> datetime:
        return as_utc(self.clock())

    async def warm(self) -> float:
        """Load what the first question needs, so it is no slower than the rest: tiktoken's encoding
        (context packing; read in a thread, ~0.2-1 s), the model SDK's lazily loaded parts, the search
        index's reader, the stemmer and the term statistics (a question in no collection). Returns the
        seconds it took; never raises."""
        started = time.perf_counter()
        try:
            await asyncio.to_thread(get_encoding)
            if self.llm is not None and hasattr(self.llm, "warm"):
                self.llm.warm()
            await self.answerer.answer("what did the company say about its plans", 0, allow_llm=False)
        except asyncio.CancelledError:
            raise
        except Exception:  # warming is an optimisation: a failure only costs the first question its speed
            log.debug("warming up failed", exc_info=True)
        seconds = time.perf_counter() - started
        log.debug("warmed up in %.2f s", seconds)
        return seconds

    async def collection_id(self, name: str) -> int:
        """The id of a named collection, created on first use (writing commands)."""
        return await self.db.collection_id(name)

    async def lookup_collection(self, name: str) -> int:
        """The id of a named collection for reading, without creating it: 0 (which names no collection,
        so every read finds nothing) when it does not exist."""
        try:
            return await self.db.collection_id(name, create=False)
        except UserError:
            return 0


@asynccontextmanager
async def open_app(
    settings: Settings, *, clock: Clock | None = None, llm: LLMClient | object | None = None
) -> AsyncIterator[App]:
    app = await App.open(settings, clock=clock, llm=llm)
    try:
        yield app
    finally:
        await app.close()
