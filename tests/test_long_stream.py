"""Long answers keep streaming across messages, through discord.py and the fake Discord, with a
scripted model writing 5,100 characters slowly."""

from __future__ import annotations

import re

from tests.discord_helpers import guild_with_channel, running_bot
from tests.fake_openai import FakeOpenAI, FakeReply
from tests.fakediscord import FakeDiscord
from tests.test_discord_ask import _remembered

QUESTION = "What did Japan approve for Samsung?"
MARKER_START = re.compile(r"\s*\[\d+\]")


def long_reply(chars: int = 5100) -> str:
    """Sentences the sample article supports (so the claim check keeps them: its name, its "90 days"), varied
    in wording, each cited after its full stop as small models do ("…. [1]")."""
    verbs = ["can take", "may take", "could last", "is said to take", "is expected to take", "often takes"]
    out: list[str] = []
    i = 0
    while sum(len(s) + 1 for s in out) < chars:
        out.append(f"Japan's review of each photoresist shipment to Samsung {verbs[i % len(verbs)]} up to 90 days. [1]")
        i += 1
    return " ".join(out)[:chars].rsplit(" [1]", 1)[0] + " [1]"


async def test_a_long_answer_streams_on_into_the_next_message_split_at_sentence_ends(settings) -> None:
    settings.discord.ask_cooldown_seconds = 0
    text = long_reply()
    assert len(text) > 5000
    async with FakeDiscord() as fake, FakeOpenAI() as llm:
        settings.llm.base_url = llm.base_url
        settings.llm.api_key = "test-key"
        llm.script(FakeReply(text=text, piece_delay=0.003))  # ~700 pieces: 2-3 s of writing
        guild, chan, reader, _ = await guild_with_channel(fake, settings)
        async with running_bot(fake, settings) as bot:
            await fake.invoke_slash(guild, chan, reader, "ask", {"question": QUESTION})
            mine = lambda: [m for m in fake.messages(chan) if m["author"]["id"] == str(bot.user.id)]  # noqa: E731
            await fake.wait_for_message(chan, lambda m: len(mine()) >= 2)
            assert llm.streams_done == 0  # a second message while the model still writes
            await fake.wait_for_message(chan, lambda m: "**Sources**" in (m["content"] or ""), timeout=20)
            cid = await bot.app.collection_id(f"guild:{guild.id}")
            await _remembered(bot, int(mine()[0]["id"]), cid)  # settled: the command's last step
            messages = mine()
        assert len(messages) >= 3, [len(m["content"]) for m in messages]
        every_version = [v for m in messages for v in fake.message_history(m)]
        for version in every_version:
            content = version.get("content") or ""
            assert len(content) <= 2000
            assert not MARKER_START.match(content), content[:80]  # markers stay with their sentences
        first_versions = [v.get("content") or "" for v in fake.message_history(messages[0])]
        streamed = [v for v in first_versions if v.endswith("▌")]
        assert streamed and all(v.startswith("As of ") for v in streamed)  # the 2019 samples: dated while streaming
        for m in messages[:-1]:
            assert m["content"].rstrip().endswith(("[1]", ".")), m["content"][-60:]  # cut at a sentence end
        joined = " ".join(m["content"] for m in messages)
        assert joined.count("90 days") >= 40 and not re.search(r"\b9\b|\b90(?! days)", joined)  # numbers never split
        assert messages[-1]["content"].count("**Sources**") == 1
