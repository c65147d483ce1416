from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.errors import UserError
from bot.timeutil import ManualClock
from bot.app import App
from bot.timeutil import parse_daily_time, parse_since, parse_tz
from bot.usecases.cooldown import CooldownError, Cooldowns
from bot.usecases.briefings import last_due
from bot.store.subscriptions import Subscription


def _sub(daily: str, tz: str) -> Subscription:
    return Subscription(id=1, channel_key="discord:1", guild_id=1, collection_id=1, daily_time=daily, tz=tz, alerts=True)


def test_last_due_is_the_latest_local_time_at_or_before_now() -> None:
    sub = _sub("08:00", "Asia/Tokyo")  # 08:00 in Tokyo is 23:00 UTC the day before
    assert last_due(sub, datetime(2024, 5, 1, 22, 59, tzinfo=UTC)) == ("2024-05-01", datetime(2024, 4, 30, 23, 0, tzinfo=UTC))
    assert last_due(sub, datetime(2024, 5, 1, 23, 0, tzinfo=UTC)) == ("2024-05-02", datetime(2024, 5, 1, 23, 0, tzinfo=UTC))
    # Across a daylight-saving change the local time stays 08:00.
    paris = _sub("08:00", "Europe/Paris")
    assert last_due(paris, datetime(2024, 3, 30, 12, 0, tzinfo=UTC))[1] == datetime(2024, 3, 30, 7, 0, tzinfo=UTC)
    assert last_due(paris, datetime(2024, 4, 1, 12, 0, tzinfo=UTC))[1] == datetime(2024, 4, 1, 6, 0, tzinfo=UTC)


def test_settings_values_are_checked_with_clear_messages() -> None:
    assert parse_daily_time("8:05") == "08:05"
    assert parse_daily_time("off") is None
    with pytest.raises(UserError, match="HH:MM"):
        parse_daily_time("25:00")
    with pytest.raises(UserError, match="Unknown time zone"):
        parse_tz("Mars/Olympus")
    now = datetime(2024, 5, 1, tzinfo=UTC)
    assert parse_since("6h", "UTC", now).since == datetime(2024, 4, 30, 18, tzinfo=UTC)
    assert parse_since("2024-04-01", "UTC", now).since == datetime(2024, 4, 1, tzinfo=UTC)
    with pytest.raises(UserError, match="not a time I understand"):
        parse_since("yesterdayish", "UTC", now)


async def test_cooldown_is_a_per_user_token_bucket_and_says_how_long_to_wait() -> None:
    clock = ManualClock(datetime(2024, 5, 1, tzinfo=UTC))
    cooldowns = Cooldowns(10, clock, burst=3)
    for _ in range(3):  # a few questions at once...
        await cooldowns.check("user:1")
    await cooldowns.check("user:2")
    clock.advance(seconds=4)
    with pytest.raises(CooldownError, match="wait 6 s") as info:  # ...then one per 10 s
        await cooldowns.check("user:1")
    assert info.value.retry_after == pytest.approx(6)
    clock.advance(seconds=6)
    await cooldowns.check("user:1")
    with pytest.raises(CooldownError):
        await cooldowns.check("user:1")
    clock.advance(seconds=3600)  # a long pause refills the burst, never beyond it
    for _ in range(3):
        await cooldowns.check("user:1")
    with pytest.raises(CooldownError, match="wait 10 s"):
        await cooldowns.check("user:1")
    free = Cooldowns(0, clock, burst=1)
    for _ in range(20):
        await free.check("user:1")


async def test_subscribing_after_today_s_time_waits_for_tomorrow(db, settings) -> None:
    clock = ManualClock(datetime(2024, 5, 1, 10, 0, tzinfo=UTC))
    service = App(settings, db, None, clock)
    cid = await db.collection_id("guild:1")
    sub = await service.briefings.subscribe(
        "discord:5", cid, guild_id=1, daily_time="09:00", tz="UTC", alerts=True, topics="chips, Japan chips",
        role_id=None, user_id=7,
    )
    assert sub.last_daily_date == "2024-05-01"
    assert sub.topics == ["chips", "japan chips"]  # comma-separated phrases, as the README promises
    again = await service.briefings.subscribe(
        "discord:5", cid, guild_id=1, daily_time="09:00", tz="UTC", alerts=False, topics=None, role_id=3, user_id=7,
    )
    assert again.id == sub.id and not again.alerts and again.alert_role_id == 3
    assert await service.briefings.unsubscribe("discord:5") and not await service.briefings.unsubscribe("discord:5")
