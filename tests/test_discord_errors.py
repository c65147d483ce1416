"""Discord refusing or failing requests: posts kept and retried, answers never lost."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from bot.timeutil import ManualClock, iso
from bot.usecases.scheduler import MAX_ATTEMPTS
from tests.discord_helpers import guild_with_channel, no_pings, running_bot
from tests.fakediscord import FakeDiscord

MISSING_PERMISSIONS = {"message": "Missing Permissions", "code": 50013}


async def test_a_403_on_a_post_is_kept_retried_with_back_off_and_finally_dropped(settings, caplog) -> None:
    clock = ManualClock(datetime(2024, 5, 1, 8, 0, tzinfo=UTC))
    async with FakeDiscord() as fake:
        _, chan, _, _ = await guild_with_channel(fake, settings, samples=False)
        async with running_bot(fake, settings, clock=clock) as bot:
            key = f"discord:{chan.id}"
            item = await bot.app.repos.outbox.add(key, "notice", {"text": "The feed Test Wire works again."}, now=iso(clock()))
            fake.fail_next("POST", rf"/channels/{chan.id}/messages$", 403, MISSING_PERMISSIONS)
            report = await bot.scheduler.tick(poll=False)  # the scheduler survives the refusal
            kept = await bot.app.repos.outbox.get(item.id)
            assert report.sent == [] and report.dropped == []
            assert kept.sent_at is None and kept.dropped_at is None and kept.attempts == 1
            assert "403" in kept.last_error and "Missing Permissions" in kept.last_error
            assert any("not sent (attempt 1 of" in r.getMessage() for r in caplog.records)
            assert (await bot.scheduler.tick(poll=False)).sent == []  # backing off: no second try at once
            assert len([r for r in fake.requests if r.method == "POST" and r.path.endswith(f"{chan.id}/messages")]) == 1
            clock.advance(seconds=30)
            assert (await bot.scheduler.tick(poll=False)).sent == [item.id]  # permission fixed: sent
            assert "works again" in fake.messages(chan)[-1]["content"] and no_pings(fake.messages(chan)[-1])

            stuck = await bot.app.repos.outbox.add(key, "notice", {"text": "Never allowed."}, now=iso(clock()))
            fake.fail_next("POST", rf"/channels/{chan.id}/messages$", 403, MISSING_PERMISSIONS, times=MAX_ATTEMPTS)
            for _ in range(MAX_ATTEMPTS):
                await bot.scheduler.tick(poll=False)
                clock.advance(hours=1)
            assert (await bot.scheduler.tick(poll=False)).sent == []
            gone = await bot.app.repos.outbox.get(stuck.id)
        assert gone.attempts == MAX_ATTEMPTS and gone.dropped_at is not None and "gave up" in gone.last_error
        assert not any("Never allowed" in (m["content"] or "") for m in fake.messages(chan))


async def test_the_scheduler_loop_keeps_running_through_a_403(settings) -> None:
    async with FakeDiscord() as fake:
        _, chan, _, _ = await guild_with_channel(fake, settings, samples=False)
        async with running_bot(fake, settings) as bot:
            item = await bot.app.repos.outbox.add(f"discord:{chan.id}", "notice", {"text": "hello"}, now=iso(bot.app.now()))
            fake.fail_next("POST", rf"/channels/{chan.id}/messages$", 403, MISSING_PERMISSIONS)
            stop = asyncio.Event()
            loop = asyncio.create_task(bot.scheduler.run(0.01, stop))
            for _ in range(500):  # until the refused post was tried and the loop has gone round again
                kept = await bot.app.repos.outbox.get(item.id)
                if kept.attempts >= 1 and kept.last_error:
                    break
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.05)  # a few more 0.01 s ticks, each of which must survive the 403
            assert not loop.done()
            stop.set()
            await asyncio.wait_for(loop, 5)
            kept = await bot.app.repos.outbox.get(item.id)
        assert kept.sent_at is None and kept.attempts == 1 and "403" in kept.last_error


async def test_a_5xx_on_the_streamed_answer_edits_does_not_lose_the_answer(settings) -> None:
    from tests.fake_openai import FakeOpenAI

    settings.discord.message_content = True
    async with FakeDiscord() as fake, FakeOpenAI() as llm:
        settings.llm.base_url, settings.llm.api_key = llm.base_url, "test-key"
        guild, chan, reader, _ = await guild_with_channel(fake, settings)
        async with running_bot(fake, settings):
            # 503 is not retried by discord.py's REST client: every edit of the answer message fails at once.
            fake.fail_next("PATCH", rf"/channels/{chan.id}/messages/\d+$", 503, {"message": "upstream"}, times=50)
            asked = await fake.send_message(chan, reader, f"<@{fake.bot_user.id}> What did Japan approve for Samsung?")
            final = await fake.wait_for_message(chan, lambda m: "**Sources**" in (m["content"] or ""))
        patches = [r for r in fake.requests if r.method == "PATCH" and f"/channels/{chan.id}/messages/" in r.path]
        assert patches and all(r.status == 503 for r in patches)  # the edits really failed
        assert "photoresist" in final["content"].lower() and no_pings(final)
        assert final["id"] != asked["id"] and len(final["content"]) <= 2000
