"""Questions through the real discord.py client against the fake Discord: /ask, mentions, replies."""

from __future__ import annotations

import asyncio

from bot.ingest.models import RawArticle
from tests.discord_helpers import guild_with_channel, no_pings, running_bot, seed, versions
from tests.fake_openai import FakeOpenAI
from tests.fakediscord import FakeDiscord

QUESTION = "What did Japan approve for Samsung?"
JAPAN_URL = "<https://example.org/briefbot-samples/japan-approves-photoresist-samsung>"
EPHEMERAL = 64


def use_model(settings, server: FakeOpenAI) -> None:
    settings.llm.base_url = server.base_url
    settings.llm.api_key = "test-key"


async def test_slash_ask_streams_into_one_message_then_settles_with_numbered_sources(settings) -> None:
    async with FakeDiscord() as fake, FakeOpenAI() as llm:
        use_model(settings, llm)
        guild, chan, reader, _ = await guild_with_channel(fake, settings)
        async with running_bot(fake, settings):
            inter = await fake.invoke_slash(guild, chan, reader, "ask", {"question": QUESTION})
            msg = await fake.wait_for_message(chan, lambda m: "**Sources**" in (m["content"] or ""))
        history = versions(fake, msg)
        previews = [v for v in history if v.endswith("▌")]
        assert previews, history  # the answer streamed into the message...
        assert len(previews) <= 2, history  # ...with edits throttled (a fast stream is not one edit per word)
        assert fake.interaction_messages(inter)[0]["id"] == msg["id"]  # one message, edited in place
        assert "[1]" in msg["content"] and JAPAN_URL in msg["content"]
        assert len(msg["content"]) <= 2000 and no_pings(msg)
        assert llm.requests and llm.requests[0].get("stream") is True


async def test_slash_ask_without_a_model_gives_the_extractive_answer(settings) -> None:
    async with FakeDiscord() as fake:
        guild, chan, reader, _ = await guild_with_channel(fake, settings)
        async with running_bot(fake, settings):
            await fake.invoke_slash(guild, chan, reader, "ask", {"question": QUESTION})
            msg = await fake.wait_for_message(chan, lambda m: "**Sources**" in (m["content"] or ""))
        assert "photoresist" in msg["content"].lower() and JAPAN_URL in msg["content"]


async def test_a_mention_is_answered_and_a_reply_follows_up_with_the_earlier_turns(settings) -> None:
    settings.discord.message_content = True
    settings.discord.ask_cooldown_seconds = 0
    async with FakeDiscord() as fake, FakeOpenAI() as llm:
        use_model(settings, llm)
        guild, chan, reader, _ = await guild_with_channel(fake, settings)
        async with running_bot(fake, settings):
            asked = await fake.send_message(chan, reader, f"<@{fake.bot_user.id}> {QUESTION}", mentions=[fake.bot_user])
            answer = await fake.wait_for_message(
                chan, lambda m: "**Sources**" in (m["content"] or "") and (m.get("message_reference") or {}).get("message_id") == str(asked["id"])
            )
            assert JAPAN_URL in answer["content"] and no_pings(answer)
            llm.script("It covers a single contract [1].")
            await fake.send_message(chan, reader, "Does it lift the wider rule?", reference=answer)
            follow = await fake.wait_for_message(chan, lambda m: "single contract" in (m["content"] or ""))
        assert no_pings(follow)
        sent = " ".join(str(m.get("content")) for m in llm.requests[-1]["messages"])
        assert QUESTION in sent  # the thread's earlier turn went to the model
        assert "Does it lift the wider rule?" in sent


async def test_the_cooldown_answers_politely_and_privately(settings) -> None:
    settings.discord.ask_cooldown_seconds = 60
    settings.discord.ask_burst = 1
    async with FakeDiscord() as fake:
        guild, chan, reader, _ = await guild_with_channel(fake, settings)
        async with running_bot(fake, settings):
            await fake.invoke_slash(guild, chan, reader, "ask", {"question": QUESTION})
            await fake.wait_for_message(chan, lambda m: "**Sources**" in (m["content"] or ""))
            again = await fake.invoke_slash(guild, chan, reader, "ask", {"question": QUESTION})
            body = await again.wait_response()
        assert "Please wait" in body["data"]["content"] and " s before asking again" in body["data"]["content"]
        assert body["data"]["flags"] & EPHEMERAL


async def test_past_the_daily_token_budget_answers_are_extractive_and_say_so(settings) -> None:
    settings.discord.daily_token_budget = 10
    settings.discord.ask_cooldown_seconds = 0
    async with FakeDiscord() as fake, FakeOpenAI() as llm:
        use_model(settings, llm)
        guild, chan, reader, _ = await guild_with_channel(fake, settings)
        async with running_bot(fake, settings):
            await fake.invoke_slash(guild, chan, reader, "ask", {"question": QUESTION})
            await fake.wait_for_message(chan, lambda m: "**Sources**" in (m["content"] or ""))
            assert len(llm.requests) == 1
            await fake.invoke_slash(guild, chan, reader, "ask", {"question": "Hydrogen fluoride approval?"})
            second = await fake.wait_for_message(chan, lambda m: "budget" in (m["content"] or ""))
            status = await fake.invoke_slash(guild, chan, reader, "status", {})
            body = await status.wait_response()
        assert len(llm.requests) == 1  # the model was not called past the budget
        assert "extractive" in second["content"] and "**Sources**" in second["content"]
        assert "Tokens today" in body["data"]["content"] and "of 10" in body["data"]["content"]


async def test_everyone_in_model_output_and_article_text_never_pings(settings) -> None:
    settings.discord.ask_cooldown_seconds = 0
    loud = RawArticle(
        title="Harbour crane strike called off",
        body="@everyone The harbour crane drivers called off their strike on Monday. <@&123> @here listen up.",
        url="https://example.org/loud",
    )
    async with FakeDiscord() as fake, FakeOpenAI() as llm:
        use_model(settings, llm)
        guild, chan, reader, _ = await guild_with_channel(fake, settings, samples=False, extra=[loud])
        llm.script("@everyone the crane strike is off [1] <@&123> @here")
        async with running_bot(fake, settings):
            await fake.invoke_slash(guild, chan, reader, "ask", {"question": "harbour crane strike?"})
            msg = await fake.wait_for_message(chan, lambda m: "**Sources**" in (m["content"] or ""))
        for version in fake.message_history(msg):
            assert no_pings(version), version
            assert "@everyone" not in (version["content"] or "") and "<@&123>" not in (version["content"] or "")
        assert msg["allowed_mentions"] is not None and not msg["allowed_mentions"].get("parse")
        assert "@\u200beveryone" in msg["content"]


async def test_text_pasted_in_one_server_never_reaches_another(settings) -> None:
    async with FakeDiscord() as fake:
        a, b = fake.add_guild("A"), fake.add_guild("B")
        chan_a, chan_b = fake.add_channel(a, "news"), fake.add_channel(b, "news")
        admin_a = fake.add_member(a, "admin", manage_guild=True)
        reader_b = fake.add_member(b, "reader")
        await seed(settings, f"guild:{b.id}")
        async with running_bot(fake, settings):
            opened = await fake.invoke_slash(a, chan_a, admin_a, "article add text", {})
            await opened.wait_response()
            field_ids = [c["custom_id"] for row in opened.modal["components"] for c in _inputs(row)]
            values = dict(zip(field_ids, [
                "Zanzibarite mine opens in Tanzania",
                "The first zanzibarite mine opened on Tuesday near Arusha, the mining ministry said in a statement.",
                "",
            ]))
            submitted = await fake.submit_modal(opened, values)
            body = await submitted.wait_response()
            assert "added" in body["data"]["content"]
            await fake.invoke_slash(b, chan_b, reader_b, "ask", {"question": "zanzibarite mine"})
            msg_b = await fake.wait_for_message(chan_b, lambda m: bool(m["content"]) and "Looking" not in m["content"] and not m["content"].endswith("▌"))
        assert "zanzibarite" not in msg_b["content"].lower()
        assert "Arusha" not in msg_b["content"]


def _inputs(row: dict) -> list[dict]:
    if row.get("type") == 4:
        return [row]
    if row.get("type") == 18:
        return _inputs(row["component"])
    return [c for inner in row.get("components", []) for c in _inputs(inner)]



HUGE = QUESTION + " " + " ".join(["Please include every detail about the photoresist export approval."] * 55)
CUT_NOTE = "cut to its first 2,000 characters"


async def test_an_empty_ask_gets_a_private_hint_and_a_huge_one_is_cut_with_a_note(settings) -> None:
    settings.discord.ask_cooldown_seconds = 0
    assert 3000 < len(HUGE) <= 4000
    async with FakeDiscord() as fake:
        guild, chan, reader, _ = await guild_with_channel(fake, settings)
        async with running_bot(fake, settings) as bot:
            empty = await fake.invoke_slash(guild, chan, reader, "ask", {"question": "   "})
            hint = await empty.wait_response()
            await fake.invoke_slash(guild, chan, reader, "ask", {"question": HUGE})
            answer = await fake.wait_for_message(chan, lambda m: CUT_NOTE in (m["content"] or ""))
            await _remembered(bot, int(answer["id"]), await bot.app.collection_id(f"guild:{guild.id}"))
        assert hint["type"] == 4 and hint["data"]["flags"] & EPHEMERAL and "Ask a question" in hint["data"]["content"]
        assert len(answer["content"]) <= 2000 and not answer["content"].endswith("▌")
        assert not [r for r in fake.requests if r.status >= 400]  # Discord refused nothing


async def test_mentions_huge_empty_and_small_talk(settings) -> None:
    settings.discord.message_content = True
    settings.discord.ask_cooldown_seconds = 0
    async with FakeDiscord() as fake:
        guild, chan, reader, _ = await guild_with_channel(fake, settings)
        me = f"<@{fake.bot_user.id}>"
        async with running_bot(fake, settings):
            huge = await fake.send_message(chan, reader, f"{me} {HUGE}")
            answer = await fake.wait_for_message(chan, lambda m: _replies_to(m, huge) and CUT_NOTE in (m["content"] or ""))
            bare = await fake.send_message(chan, reader, me)
            hint = await fake.wait_for_message(chan, lambda m: _replies_to(m, bare))
            hello = await fake.send_message(chan, reader, f"{me} hi!")
            help_line = await fake.wait_for_message(chan, lambda m: _replies_to(m, hello))
            thanks = await fake.send_message(chan, reader, "thanks!", reference=answer)
            # Messages are handled in order: once a later question is answered, the "thanks" was handled too.
            later = await fake.send_message(chan, reader, f"{me} hello")
            await fake.wait_for_message(chan, lambda m: _replies_to(m, later))
            after_thanks = [m for m in fake.messages(chan) if _replies_to(m, thanks)]
        assert len(answer["content"]) <= 2000 and no_pings(answer)
        assert "Ask me a question after the mention" in hint["content"]
        assert "/ask" in help_line["content"] and len(help_line["content"]) < 200 and no_pings(help_line)
        assert after_thanks == []  # a "thanks" reply to an answer is not a question
        assert not [r for r in fake.requests if r.status >= 400]


async def _remembered(bot, message_id: int, collection_id: int) -> None:
    """Wait until the answer's turn is stored (the command's last step), so closing the bot cuts nothing short."""
    for _ in range(200):
        if await bot.app.asking.thread(message_id, collection_id) is not None:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the answer's turn was never stored")


def _replies_to(message: dict, original: dict) -> bool:
    return (message.get("message_reference") or {}).get("message_id") == str(original["id"])
