"""A quick second question is answered: the per-user allowance is a token bucket (a few questions at
once, then a steady rate), kept in the store across a restart; through discord.py and the fake Discord."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.timeutil import ManualClock
from tests.discord_helpers import guild_with_channel, running_bot
from tests.fakediscord import FakeDiscord

QUESTION = "What did Japan approve for Samsung?"
EPHEMERAL = 64


def _sources(m: dict) -> bool:
    return "**Sources**" in (m["content"] or "")


async def test_a_reply_right_after_an_answer_is_answered_and_the_allowance_survives_a_restart(settings) -> None:
    settings.discord.message_content = True
    settings.discord.ask_cooldown_seconds = 60
    settings.discord.ask_burst = 2
    clock = ManualClock(datetime(2024, 5, 1, 12, 0, tzinfo=UTC))
    async with FakeDiscord() as fake:
        guild, chan, reader, _ = await guild_with_channel(fake, settings)
        async with running_bot(fake, settings, clock=clock):
            await fake.invoke_slash(guild, chan, reader, "ask", {"question": QUESTION})
            answer = await fake.wait_for_message(chan, _sources)
            clock.advance(seconds=2)
            follow = await fake.send_message(chan, reader, "and hydrogen fluoride?", reference=answer)
            second = await fake.wait_for_message(
                chan, lambda m: _sources(m) and (m.get("message_reference") or {}).get("message_id") == str(follow["id"])
            )
            assert "second-licence" in second["content"]  # answered, as a follow-up, 2 s after the first
            third = await fake.invoke_slash(guild, chan, reader, "ask", {"question": "Hyosung carbon fibre?"})
            refused = await third.wait_response()
            assert "Please wait 58 s" in refused["data"]["content"] and refused["data"]["flags"] & EPHEMERAL

        clock.advance(seconds=30)
        async with running_bot(fake, settings, clock=clock):  # a restart neither refills nor forgets the bucket
            again = await fake.invoke_slash(guild, chan, reader, "ask", {"question": "Hyosung carbon fibre?"})
            body = await again.wait_response()
            assert "Please wait 28 s" in body["data"]["content"], body
            clock.advance(seconds=28)
            later = await fake.invoke_slash(guild, chan, reader, "ask", {"question": "Hyosung carbon fibre?"})
            await later.wait_response()
            hyosung = await fake.wait_for_message(chan, lambda m: _sources(m) and "hyosung" in m["content"].lower())
        assert "carbon" in hyosung["content"].lower()
