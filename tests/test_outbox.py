from __future__ import annotations

from datetime import UTC, datetime

from bot.timeutil import ManualClock, iso
from bot.app import App
from bot.usecases.scheduler import ChannelGone, Scheduler
from bot.store.outbox import OutboxItem, OutboxRepo


class RecordingSink:
    """The transport side of the outbox: records what it was asked to post (optionally failing)."""

    prefix = "discord:"

    def __init__(self) -> None:
        self.sent: list[tuple[str, str | None]] = []
        self.fail_next: Exception | None = None

    async def send(self, item: OutboxItem, late_note: str | None) -> int | None:
        if self.fail_next is not None:
            exc, self.fail_next = self.fail_next, None
            raise exc
        self.sent.append((item.nonce, late_note))
        return 1000 + item.id


async def test_outbox_rows_are_unique_nonced_and_pending_until_marked(db) -> None:
    repo = OutboxRepo(db)
    a = await repo.add("discord:1", "alert", {"text": "x"}, now="2024-05-01T08:00:00Z")
    b = await repo.add("console:default", "notice", {"text": "y"}, now="2024-05-01T08:00:00Z")
    assert a.nonce != b.nonce and len(a.nonce) <= 25
    assert [i.id for i in await repo.pending("2024-05-01T08:00:00Z", "discord:")] == [a.id]
    assert await repo.pending("2024-05-01T07:59:59Z") == []  # not due yet
    await repo.mark_sent(a.id, 555, "2024-05-01T08:00:01Z")
    assert [i.id for i in await repo.pending("2024-05-02T00:00:00Z")] == [b.id]
    assert (await repo.get(a.id)).message_id == 555  # type: ignore[union-attr]


async def test_drain_retries_a_failed_send_after_a_back_off_and_drops_gone_channels(db, settings) -> None:
    clock = ManualClock(datetime(2024, 5, 1, 8, 0, tzinfo=UTC))
    service = App(settings, db, None, clock)
    sink = RecordingSink()
    scheduler = Scheduler(service.scheduler_parts(), sink)
    item = await service.repos.outbox.add("discord:1", "alert", {"text": "x"}, now=iso(clock()))
    sink.fail_next = RuntimeError("connection reset")
    report = await scheduler.drain()
    assert report.sent == [] and sink.sent == []
    assert (await service.repos.outbox.get(item.id)).last_error == "connection reset"  # type: ignore[union-attr]
    assert (await scheduler.drain()).sent == []  # backing off
    clock.advance(seconds=30)
    report = await scheduler.drain()
    assert report.sent == [item.id] and sink.sent == [(item.nonce, None)]
    assert (await scheduler.drain()).sent == []  # never twice
    gone = await service.repos.outbox.add("discord:2", "alert", {"text": "y"}, now=iso(clock()))
    sink.fail_next = ChannelGone("deleted")
    assert (await scheduler.drain()).dropped == [gone.id]


async def test_a_late_daily_says_so_and_one_past_the_grace_period_is_dropped(db, settings) -> None:
    settings.discord.briefing_grace_minutes = 60
    clock = ManualClock(datetime(2024, 5, 1, 8, 30, tzinfo=UTC))
    service = App(settings, db, None, clock)
    sink = RecordingSink()
    scheduler = Scheduler(service.scheduler_parts(), sink)
    late = await service.repos.outbox.add(
        "discord:1", "daily", {"text": "x", "due_label": "08:00 UTC"}, now="2024-05-01T08:00:00Z",
        due_at="2024-05-01T08:00:00Z",
    )
    too_late = await service.repos.outbox.add(
        "discord:1", "daily", {"text": "y", "due_label": "06:00 UTC"}, now="2024-05-01T06:00:00Z",
        due_at="2024-05-01T06:00:00Z",
    )
    report = await scheduler.drain()
    assert report.sent == [late.id] and report.dropped == [too_late.id]
    assert sink.sent == [(late.nonce, "Late: this briefing was due at 08:00 UTC.")]
