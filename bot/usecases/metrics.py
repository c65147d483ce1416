"""What the bot has done since it started, for /metrics and /healthz (bot/transport/health.py).

One `Metrics` per App, with its own Prometheus registry (no process-wide state): answers by mode and
their latency, model tokens, polls and poll errors, scheduler ticks. Store counts (articles, passages,
feeds by state, outbox depth) are read from the store when scraped.
"""

from __future__ import annotations

from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Histogram

from bot.timeutil import Clock, as_utc

ANSWER_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 60)


class Metrics:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.registry = CollectorRegistry(auto_describe=True)
        self.answers = Counter(
            "briefbot_answers", "Questions answered, by mode (llm, extractive, refused)", ["mode"],
            registry=self.registry,
        )
        self.answer_seconds = Histogram(
            "briefbot_answer_seconds", "Time from question to settled answer", buckets=ANSWER_BUCKETS,
            registry=self.registry,
        )
        self.tokens = Counter(
            "briefbot_model_tokens", "Model tokens used, by kind (prompt, completion)", ["kind"], registry=self.registry
        )
        self.polls = Counter("briefbot_feed_polls", "Feed polls made", registry=self.registry)
        self.poll_errors = Counter("briefbot_feed_poll_errors", "Feed polls that failed", registry=self.registry)
        self.ticks = Counter("briefbot_scheduler_ticks", "Scheduler cycles completed", registry=self.registry)
        self.started_at = as_utc(clock())
        self.last_tick: datetime | None = None
        self.last_poll: datetime | None = None

    def answered(self, mode: str, seconds: float) -> None:
        self.answers.labels(mode=mode).inc()
        self.answer_seconds.observe(max(0.0, seconds))

    def used_tokens(self, prompt: int, completion: int) -> None:
        if prompt:
            self.tokens.labels(kind="prompt").inc(prompt)
        if completion:
            self.tokens.labels(kind="completion").inc(completion)

    def polled(self, count: int, errors: int) -> None:
        if count:
            self.polls.inc(count)
            self.last_poll = as_utc(self.clock())
        if errors:
            self.poll_errors.inc(errors)

    def ticked(self) -> None:
        self.ticks.inc()
        self.last_tick = as_utc(self.clock())
