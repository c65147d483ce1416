"""Alerts at once: an item stored during a poll is announced in that poll's alert, through the
scheduler and discord.py against the tests' local Discord, on a clock that moves while the poll runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.timeutil import ManualClock
from tests.discord_helpers import running_bot
from tests.fakediscord import FakeDiscord
from tests.test_discord_briefings import COPPER, HARBOUR, WHEAT, FeedSite, _all_text


class MovingClock(ManualClock):
    """Real time moves while work runs: every reading is a second after the last one."""

    def __call__(self) -> datetime:
        self.current += timedelta(seconds=1)
        return self.current


async def test_one_new_item_is_alerted_in_the_tick_whose_poll_stored_it(settings) -> None:
    clock = MovingClock(datetime.now(UTC))
    async with FakeDiscord() as fake, FeedSite() as site:
        site.items = [HARBOUR]
        guild = fake.add_guild()
        chan = fake.add_channel(guild, "news")
        admin = fake.add_member(guild, "admin", manage_guild=True)
        async with running_bot(fake, settings, clock=clock) as bot:
            added = await fake.invoke_slash(guild, chan, admin, "feed add", {"url": site.url("/feed.xml"), "interval": 5})
            await added.wait_response()
            await fake.wait_for_message(chan, lambda m: "Following" in (m["content"] or ""))
            sub = await fake.invoke_slash(guild, chan, admin, "briefing subscribe", {"time": "off", "alerts": True})
            await sub.wait_response()

            for item in (COPPER, WHEAT):  # one new item per poll, each alerted by the tick that polled it
                site.items.append(item)
                clock.advance(minutes=6)
                report = await bot.scheduler.tick()
                assert report.new_articles == 1 and len(report.sent) == 1, report
                word = item[0]
                alert = await fake.wait_for_message(chan, lambda m, w=word: w in _all_text(m).lower())
                assert "harbour" not in _all_text(alert).lower()
            alerts = [m for m in fake.messages(chan) if m.get("embeds")]
        assert len(alerts) == 2
