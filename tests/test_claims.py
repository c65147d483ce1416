"""The claim check on the model path: numbers and names checked against the sources a sentence cites.

Through the check itself, `briefbot ask --json` (in process, model = tests/fake_openai.py) and Discord's
streamed /ask (the final edited message). The scripted replies are written from the prompt the fake model
receives, so they cite the numbers the answerer really gave its sources.
"""

from __future__ import annotations

import re

import json
from pathlib import Path
from typing import Any

from bot.answering.claims import answer_sentences, check_claims, names, quantities
from bot.config import Settings
from bot.ingest.pipeline import Ingestor
from bot.ingest.sources import iter_sources
from bot.search.engine import SearchIndex
from bot.store.db import Database
from tests.cli_runner import abriefbot
from tests.conftest import SAMPLES
from tests.discord_helpers import guild_with_channel, no_pings, running_bot
from tests.fake_openai import FakeOpenAI, FakeReply, prompt_sources
from tests.fakediscord import FakeDiscord

CARD = "What did Japan approve for Samsung?"
FIRST = "Japan approves first photoresist shipment"  # holds "up to 90 days"
SECOND = "Tokyo clears second chip-material licence"
JAPAN_URL = "<https://example.org/briefbot-samples/japan-approves-photoresist-samsung>"

SOURCES = {
    1: "Sugar exports\n1987-03-02 2 March 1987\nTaiwan exported 1,500 mln dlrs of sugar in 1986, up 5.3 pct.",
    2: "Rice crop\n1987-03-03\nThailand's rice crop rose 12 pct to 20 mln tonnes, the ministry said.",
    3: "Coffee talks\n1987-03-04\nBrazil and Colombia met in London.",
    4: "Tin prices\n1987-03-05\nTin fell 40 cents to 5.20 dlrs a kilo in Kuala Lumpur, traders said.",
}


# ---------------------------------------------------------------- the check itself


def test_a_correct_answer_passes_untouched() -> None:
    text = "Taiwan exported $1.5 billion of sugar in 1986 [1]. Thailand's rice crop rose 12% [2]."
    checked = check_claims(text, SOURCES)
    assert checked.text == text and checked.used == [1, 2]
    assert [c.action for c in checked.checks] == ["kept", "kept"] and all(c.supported for c in checked.checks)


def test_a_wrong_number_under_a_valid_citation_is_dropped_and_says_why() -> None:
    checked = check_claims("Taiwan exported sugar in 1986 [1]. Exports rose 7.5 pct [1].", SOURCES)
    assert checked.text == "Taiwan exported sugar in 1986 [1]."
    dropped = checked.dropped
    assert len(dropped) == 1 and not dropped[0].supported and "7.5 pct" in dropped[0].why
    assert "none of the sources" in dropped[0].why


def test_a_right_number_under_the_wrong_citation_is_re_cited_and_renumbered() -> None:
    checked = check_claims("The rice crop rose 12 pct to 20 mln tonnes [3].", SOURCES)
    assert checked.text == "The rice crop rose 12 pct to 20 mln tonnes [1]." and checked.used == [2]
    (check,) = checked.checks
    assert check.action == "re-cited" and not check.supported and check.cited == [1]


def test_citations_of_two_and_four_show_as_one_and_two() -> None:
    checked = check_claims("Rice rose 12 pct [2]. Tin fell 40 cents in Kuala Lumpur. [4]", SOURCES)
    assert checked.text == "Rice rose 12 pct [1]. Tin fell 40 cents in Kuala Lumpur. [2]"
    assert checked.used == [2, 4]


def test_a_name_no_cited_source_holds() -> None:
    # Brazil is in [3], not in [4]: re-cited; a name in no source at all: dropped.
    checked = check_claims("Brazil met Colombia [4]. Indonesia joined the talks [3].", SOURCES)
    assert checked.text == "Brazil met Colombia [1]."
    assert [c.action for c in checked.checks] == ["re-cited", "dropped"] and "indonesia" in checked.checks[1].why


def test_a_possessive_name_is_the_name() -> None:
    source = {1: "Amselco is a unit of British Petroleum PLC's BP North America Inc unit."}
    assert check_claims("Amselco belongs to British Petroleum PLC [1].", source).checks[0].supported


def test_numbers_compare_with_their_scale_and_unit() -> None:
    source = [q for q in quantities(SOURCES[1])]
    said = {q.text: q for q in quantities("$1.5 billion, 1,500 million dollars, 5.3%, 5.3 days, 1.5 bln yen")}
    from bot.answering.claims import _holds_quantity

    assert _holds_quantity(said["$1.5 billion"], source) and _holds_quantity(said["1,500 million dollars"], source)
    assert _holds_quantity(said["5.3%"], source)
    assert not _holds_quantity(said["5.3 days"], source)  # the unit differs
    assert not _holds_quantity(said["1.5 bln yen"], source)
    assert _holds_quantity(quantities("5 pct")[0], source)  # 5.3 rounded
    assert not _holds_quantity(quantities("6 pct")[0], source)


def test_what_is_read_as_a_claim() -> None:
    assert answer_sentences("Rice rose. [1] Tin fell [2]. 日本は承認した[1]。次に[2]。") == [
        "Rice rose [1].", "Tin fell [2].", "日本は承認した[1]。", "次に[2]。"]
    assert names("Officials in Seoul said Samsung Electronics would wait [1].") == ["seoul", "samsung", "electronics"]
    assert names("Reviews can take up to 90 days [1].") == []
    # A German answer capitalises every noun: its names are not read, its numbers are.
    assert names("Japan hat die Lieferung von Photoresist an Samsung genehmigt [1].") == []
    assert [q.text for q in quantities("Die Prüfung dauert bis zu 90 Tage <@123> [1].")] == ["90"]
    assert check_claims("Ni números ni nombres.", SOURCES).checks[0].why == "states no number or name to check"


# ---------------------------------------------------------------- through the CLI


def _numbers(body: dict[str, Any]) -> tuple[int, int]:
    """The numbers the prompt gave the first and the second licence article."""
    given = prompt_sources(body)
    first = next(n for n, (title, _) in given.items() if title.startswith(FIRST))
    second = next(n for n, (title, _) in given.items() if title.startswith(SECOND))
    return first, second


async def _seeded(db: Database, settings: Settings) -> None:
    await Ingestor(db, settings).ingest_many(iter_sources([str(SAMPLES)], settings), await db.collection_id("default"))


async def test_cli_json_carries_the_checks_of_the_model_answer(db: Database, settings: Settings) -> None:
    await _seeded(db, settings)
    written: list[str] = []

    def wrong_number(body: dict[str, Any]) -> str:
        first, _ = _numbers(body)
        return f"Japan approved a shipment of photoresist to Samsung [{first}]. Reviews can take up to 60 days [{first}]."

    def wrong_source(body: dict[str, Any]) -> str:
        _, second = _numbers(body)
        return f"Reviews of each photoresist shipment can take up to 90 days [{second}]."

    def correct(body: dict[str, Any]) -> str:
        first, second = _numbers(body)
        assert first < second  # so that renumbering leaves the correct answer as written
        written.append(
            f"Japan's trade ministry approved a shipment of photoresist to Samsung Electronics [{first}]. "
            f"As of 20 August 2019, Japan had granted a second export licence for photoresist bound for South Korea [{second}]."
        )
        return written[-1]

    async with FakeOpenAI() as server:
        server.script(FakeReply(write=wrong_number), FakeReply(write=wrong_source), FakeReply(write=correct))
        env = {"OPENAI_BASE_URL": server.base_url}
        runs = [await abriefbot("ask", "--json", CARD, db=Path(settings.db_path), env=env) for _ in range(3)]
    assert all(r.returncode == 0 for r in runs), [r.stderr for r in runs]
    dropped, recited, untouched = (json.loads(r.stdout) for r in runs)

    assert dropped["mode"] == "llm" and "60" not in dropped["answer"] and "photoresist" in dropped["answer"]
    assert [c["supported"] for c in dropped["checks"]] == [True, False]
    assert dropped["checks"][1]["action"] == "dropped" and "60 days" in dropped["checks"][1]["why"]
    assert "dropped" in dropped["note"]

    # (as of the article's date: the CLI's clock is today's)
    assert recited["answer"].endswith(": Reviews of each photoresist shipment can take up to 90 days [1].")
    assert [c["n"] for c in recited["citations"]] == [1] and recited["citations"][0]["title"].startswith(FIRST)
    assert recited["checks"][0]["action"] == "re-cited" and recited["checks"][0]["cited"] == [1]

    # the model's text as written, led only by the "As of …: " line every dated answer carries
    assert re.fullmatch(r"As of \d{1,2} [A-Z][a-z]+ \d{4}: " + re.escape(written[0]), untouched["answer"]), untouched["answer"]
    assert all(c["supported"] and c["action"] == "kept" for c in untouched["checks"])
    assert [c["title"][:20] for c in untouched["citations"]] == [FIRST[:20], SECOND[:20]]


async def test_an_answer_none_of_whose_claims_holds_falls_back_to_the_extractive_answer(
    db: Database, settings: Settings
) -> None:
    await _seeded(db, settings)
    async with FakeOpenAI() as server:
        server.script("Toyota approved 7,000 tonnes of steel for Honda [1].")
        ran = await abriefbot("ask", "--json", CARD, db=Path(settings.db_path), env={"OPENAI_BASE_URL": server.base_url})
    data = json.loads(ran.stdout)
    assert data["mode"] == "extractive" and data["found"] and "photoresist" in data["answer"]
    assert "Toyota" not in data["answer"] and data["checks"][0]["action"] == "dropped"
    assert "extractive" in data["note"]


# ---------------------------------------------------------------- through Discord


async def test_discord_the_final_message_carries_the_checked_answer(settings: Settings) -> None:
    def wrong(body: dict[str, Any]) -> str:
        first, second = _numbers(body)
        return (f"Japan approved a shipment of photoresist to Samsung [{second}]. "
                f"Reviews can take up to 60 days [{first}].")

    async with FakeDiscord() as fake, FakeOpenAI() as llm:
        settings.llm.base_url = llm.base_url
        settings.llm.api_key = "test-key"
        llm.script(FakeReply(write=wrong))
        guild, chan, reader, _ = await guild_with_channel(fake, settings)
        async with running_bot(fake, settings):
            await fake.invoke_slash(guild, chan, reader, "ask", {"question": CARD})
            msg = await fake.wait_for_message(chan, lambda m: "**Sources**" in (m["content"] or ""))
    content = msg["content"]
    answer = content.split("**Sources**")[0]
    assert "60 days" not in answer and "Japan approved a shipment of photoresist to Samsung" in answer
    # "Samsung" is in both articles: kept under [2] as cited, then renumbered to [1] (the only source left).
    assert "[1]" in answer and "[2]" not in answer
    sources = content.split("**Sources**")[1]
    assert sources.count("[1]") == 1 and "[2]" not in sources and SECOND.split()[0] in sources
    assert "dropped" in content and no_pings(msg)


# ---------------------------------------------------------------- a question in another language, with a model


async def test_a_japanese_question_is_searched_in_english_and_answered_as_asked(
    db: Database, index: SearchIndex, settings: Settings
) -> None:
    from bot.answering.answerer import Answerer
    from bot.llm.client import make_client

    await _seeded(db, settings)
    question = "日本はサムスンに何を承認しましたか？"
    async with FakeOpenAI() as server:
        server.script("What did Japan approve for Samsung?")  # the model's English for the search
        settings.llm.base_url = server.base_url
        answerer = Answerer(db, settings, make_client(settings), index)
        answer = await answerer.answer(question, await db.collection_id("default"))
        await answerer.llm.aclose()  # type: ignore[union-attr]
        first, second = server.requests
    assert first["messages"][0]["content"].startswith("Rewrite the user's question in English")
    assert question in second["messages"][-1]["content"]  # the answer is asked in the question's language
    assert answer.mode == "llm" and answer.citations[0].title.startswith(FIRST)
    assert answer.usage["prompt_tokens"] > sum(len(str(m["content"]).split()) for m in second["messages"])
