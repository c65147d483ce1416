"""A long question whose first sentence is the real question and the rest filler is answered, and says so."""

from __future__ import annotations

from bot.answering.answerer import Answerer
from bot.config import Settings
from bot.search.engine import SearchIndex
from bot.store.db import open_database
from tests.discord_helpers import seed

QUESTION = "what did Japan approve for Samsung?"


async def test_a_long_question_with_filler_answers_its_first_sentence(settings: Settings) -> None:
    cid = await seed(settings, "default")
    db = await open_database(settings.db_path)
    index = SearchIndex(db)
    try:
        answerer = Answerer(db, settings, None, index)
        filler = " ".join(["I was wondering about this because my colleague mentioned it over lunch and"] * 30)
        long = await answerer.answer(f"{QUESTION} {filler}"[:2000], cid)
        unknown = await answerer.answer(f"what did Japan approve for the moon colony? {filler}"[:2000], cid)
        short_unknown = await answerer.answer("what did Japan approve for the moon colony? Tell me more.", cid)
    finally:
        index.close()
        await db.close()
    assert long.found and "photoresist" in long.text and long.citations
    assert long.note and f"answers its first sentence: “{QUESTION}”" in long.note
    assert not unknown.found and "first sentence" not in (unknown.note or "")  # nothing promised that is not there
    assert not short_unknown.found
