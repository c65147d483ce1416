from __future__ import annotations

from dataclasses import dataclass, field

from bot.transport.discord.render import (
    MESSAGE_LIMIT,
    ThrottledEditor,
    answer_messages,
    fit_embeds,
    post_messages,
    split_message,
)


@dataclass
class Cite:
    n: int
    title: str
    url: str | None
    source: str | None = "Wire"
    published: str | None = "2024-05-01T08:00:00Z"


@dataclass
class FakeAnswer:  # the shape of bot.answering.answerer.Answer that rendering reads
    text: str
    citations: list[Cite] = field(default_factory=list)
    note: str | None = None


def test_split_keeps_every_part_within_the_limit_and_truncates_cleanly() -> None:
    text = "\n\n".join(f"Paragraph {i}. " + "word " * 300 for i in range(10))
    parts = split_message(text, max_parts=3)
    assert len(parts) == 3 and all(len(p) <= MESSAGE_LIMIT for p in parts)
    assert parts[-1].endswith("… (truncated)")
    assert split_message("short") == ["short"]
    assert all(len(p) <= MESSAGE_LIMIT for p in split_message("x" * 5000, max_parts=5))


def test_a_long_answer_ends_with_its_numbered_sources_and_never_pings() -> None:
    answer = FakeAnswer("@everyone " + "Japan approved it [1]. " * 20, [Cite(1, "Japan approves", "https://e.org/a")])
    [message] = answer_messages(answer, ["Budget note"])
    assert message.index("-# Budget note") < message.index("**Sources**")
    assert "[1] Japan approves (Wire, 2024-05-01) <https://e.org/a>" in message
    assert "@everyone" not in message and "@\u200beveryone" in message


def test_posts_put_only_the_chosen_role_first_and_fit_embeds_in_messages() -> None:
    embeds = [{"title": "t", "description": "d" * 4000} for _ in range(3)]
    groups = fit_embeds(embeds)
    assert [len(g) for g in groups] == [1, 1, 1]  # 2 × 4,000 would pass 6,000 characters
    messages = post_messages({"text": "x", "embeds": embeds, "role_id": 42, "note": "<@&7> note"}, "Late: due 08:00")
    assert messages[0][0].startswith("<@&42>\nLate: due 08:00")
    assert "<@&7>" not in messages[0][0]  # article or model text never carries a working mention
    assert all(content == "" for content, _ in messages[1:])


async def test_streaming_edits_are_throttled_to_one_per_interval() -> None:
    now = [0.0]
    edits: list[str] = []

    async def edit(text: str) -> None:
        edits.append(text)

    editor = ThrottledEditor(edit, interval=1.0, clock=lambda: now[0])
    for i in range(50):  # 50 deltas over 2.5 s
        await editor.update("word " * (i + 1))
        now[0] += 0.05
    assert len(edits) == 3  # at 0 s, 1 s and 2 s
    assert all(e.endswith(" ▌") for e in edits)


def test_splits_fall_at_sentence_ends_with_their_markers_never_inside_a_number() -> None:
    from bot.transport.discord.render import clean_cut

    text = " ".join(f"Output rose {i}.5 % above its 2.{i} level. [1]" for i in range(200))
    parts = split_message(text, max_parts=5)
    assert len(parts) > 1
    for p in parts:
        assert len(p) <= MESSAGE_LIMIT and not p.startswith("[")
    for p in parts[:-1]:
        assert p.endswith(". [1]"), p[-40:]
    assert clean_cut("The index stood above its 2.5 mark today and more words follow here", 30) == 29  # a space, not "2."


async def test_a_stream_moves_on_to_the_next_message_with_edits_paced_per_message() -> None:
    from bot.transport.discord.render import MessageStream

    now = [0.0]
    calls: list[tuple[int, str]] = []
    sent: list[int] = []

    async def edit_first(text: str) -> None:
        calls.append((0, text))

    async def send(text: str) -> int:
        sent.append(len(sent) + 1)
        calls.append((sent[-1], text))
        return sent[-1]

    async def edit(message: int, text: str) -> None:
        calls.append((message, text))

    stream = MessageStream(edit_first, send, edit, interval=1.0, max_messages=3, clock=lambda: now[0])
    sentence = "Japan approved a shipment worth 2.5 billion yen. [1] "
    text = ""
    for _ in range(90):  # ~4,800 characters over 9 s
        text += sentence
        await stream.update(text)
        now[0] += 0.1
    assert stream.count == 3 and len(sent) == 2
    for target in (0, 1, 2):
        mine = [t for m, t in calls if m == target]
        assert mine and all(len(t) <= MESSAGE_LIMIT and not t.startswith("[") for t in mine)
        assert len(mine) <= 5  # about once a second per message, plus its final filled form
    assert [t for m, t in calls if m == 0][-1].endswith("[1]")  # the filled first message, cursor gone


async def test_settling_puts_the_final_parts_in_the_streamed_messages_and_removes_the_rest() -> None:
    from bot.transport.discord.render import MessageStream

    shown: dict[int, str] = {}
    deleted: list[int] = []

    async def edit_first(text: str) -> int:
        shown[0] = text
        return 0

    async def send(text: str) -> int:
        n = len(shown)
        shown[n] = text
        return n

    async def edit(message: int, text: str) -> None:
        shown[message] = text

    async def delete(message: int) -> None:
        deleted.append(message)

    stream = MessageStream(edit_first, send, edit, delete, interval=0.0, max_messages=3)
    await stream.update("Japan approved a shipment. [1] " * 120)  # ~3,700 characters: two messages
    assert stream.count == 2 and len(shown) == 2
    settled = await stream.settle(["The short final answer. [1]\n\n**Sources**\n[1] Japan approves"])
    assert settled == [0] and deleted == [1] and shown[0].startswith("The short final answer")
