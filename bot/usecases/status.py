"""What a collection holds and how the bot is doing: articles, feeds, last poll, model, token use."""

from __future__ import annotations

from dataclasses import dataclass

from bot import __version__
from bot.config import Settings
from bot.search.vectors import Vectors
from bot.store.articles import ArticleRepo
from bot.store.feeds import FeedRepo
from bot.store.subscriptions import SubscriptionRepo
from bot.store.usage import Usage
from bot.usecases.budget import Budget


@dataclass
class Status:
    articles: int
    feeds: int
    failing_feeds: int
    last_poll: str | None
    model: str
    version: str
    usage: Usage
    budget: int
    subscriptions: int
    db_path: str = ""
    embeddings: str = "off (BM25 only)"  # the embedder, or off
    embedded: int = 0  # this collection's passages with a vector
    embedding_backlog: int = 0  # this collection's passages waiting for one
    embedding_error: str | None = None


class StatusReport:
    def __init__(
        self, articles: ArticleRepo, feeds: FeedRepo, subscriptions: SubscriptionRepo, budget: Budget,
        settings: Settings, *, model: str | None, vectors: Vectors | None = None,
    ) -> None:
        self.vectors = vectors
        self.articles = articles
        self.feeds = feeds
        self.subscriptions = subscriptions
        self.budget = budget
        self.settings = settings
        self.model = model

    async def status(self, collection_id: int) -> Status:
        feeds = await self.feeds.list(collection_id)
        polls = [f.last_polled for f in feeds if f.last_polled]
        threshold = self.settings.discord.feed_failure_threshold
        status = Status(
            articles=await self.articles.count(collection_id),
            feeds=len(feeds),
            failing_feeds=sum(1 for f in feeds if (f.error_count or 0) >= threshold),
            last_poll=max(polls) if polls else None,
            model=self.model or "none (extractive answers)",
            version=__version__,
            usage=await self.budget.today_usage(collection_id),
            budget=self.settings.discord.daily_token_budget,
            subscriptions=await self.subscriptions.count(collection_id),
            db_path=str(self.settings.db_path),
        )
        if self.vectors is not None:
            status.embeddings = self.vectors.model
            status.embedded = await self.vectors.repo.embedded(collection_id)
            status.embedding_backlog = await self.vectors.repo.backlog(collection_id)
            status.embedding_error = self.vectors.last_error
        return status
