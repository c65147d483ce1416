"""The extractive answer states what the question asks for: the figure next to the word asked about, a name,
the action of a "who did it" question, the season it names; otherwise it refuses."""

from __future__ import annotations

from datetime import datetime, timezone

from bot.answering.answerer import Answerer
from bot.answering.extractive import asked_action, wants
from bot.config import Settings
from bot.ingest.models import RawArticle
from bot.ingest.pipeline import Ingestor
from bot.search.engine import SearchIndex
from bot.store.db import Database

NOW = datetime(1987, 10, 1, tzinfo=timezone.utc)


def _a(title: str, body: str, day: int) -> RawArticle:
    return RawArticle(title=title, body=body, origin="paste", published=datetime(1987, 4, day, tzinfo=timezone.utc))


ARTICLES = [
    _a("Kyushu Electric issues Euroyen bond",
       "Kyushu Electric Power Co Inc will issue a seven-year 20 billion Euroyen bond on April 22, a company "
       "spokesman said. The straight bond, priced at 101.625, will carry a 4.75 pct coupon. Nomura is lead manager.", 13),
    _a("Jaguar launches new XJ6 saloon",
       "Jaguar Cars Inc said it introduced its new XJ6 luxury saloon to replace its Series III sedan. "
       "Chairman John Egan said the XJ6 was the first of a new saloon family.", 14),
    _a("Brazil coffee institute sees big 1987/88 crop",
       "Brazil's coffee institute IBC forecast the 1987/88 coffee crop at 35.2 mln bags, a spokesman said.", 15),
    _a("Iowa Beef lifts Dakota City lockout",
       "Iowa Beef Processors Inc is lifting a lockout at its Dakota City, Nebraska, plant and plans to resume "
       "operations March 16, union spokesman Allen Zack said. The lockout, in effect since mid-December, affected "
       "2,800 members of the United Food and Commercial Workers union.", 16),
]


def test_what_a_question_asks_for() -> None:
    assert wants("What coupon will the bond carry?") == (True, False)
    assert wants("Seoul cut taxes. When do the cuts take effect?") == (True, False)
    assert wants("Which investment dealer did it hire?") == (False, True)
    assert wants("What did Japan approve for Samsung?") == (False, False)
    assert wants("What did J.C. Penney stock do after the analyst's call?") == (True, False)  # the move
    assert wants("How did Horizon Travel's share price respond?") == (True, False)
    assert asked_action("Who designed the XJ6?") == "design" and asked_action("Who is buying it?") is None


async def test_the_answer_states_what_is_asked_or_refuses(db: Database, index: SearchIndex, settings: Settings) -> None:
    collection = await db.collection_id("default")
    await Ingestor(db, settings).ingest_many(ARTICLES, collection)
    answerer = Answerer(db, settings, None, index)
    coupon = await answerer.answer("What coupon will Kyushu Electric Power's seven-year Euroyen bond carry?",
                                   collection, now=NOW)
    assert coupon.found and "4.75 pct coupon" in coupon.text
    workers = await answerer.answer("How many union workers were hit by the Iowa Beef lockout at Dakota City?",
                                    collection, now=NOW)
    assert workers.found and "2,800" in workers.text  # the date (March 16) is no count
    designer = await answerer.answer("Who designed the Jaguar XJ6 saloon?", collection, now=NOW)
    assert not designer.found  # the article names Jaguar's chairman, not a designer
    season = await answerer.answer("What did Brazil's coffee institute forecast for the 1988/89 coffee crop?",
                                   collection, now=NOW)
    assert not season.found  # another season's forecast does not answer it
    assert (await answerer.answer("What did Brazil's coffee institute forecast for the 1987/88 coffee crop?",
                                  collection, now=NOW)).found
