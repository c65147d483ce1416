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


def test_figures_asked_as_a_bound_and_phrasal_actions() -> None:
    assert wants("What's the most the analyst reckoned the brewery would cost?") == (True, False)
    assert wants("What is the highest level the index reached?")[0]
    # "took over" is said as "succeeded" or "replaced": the verb alone is no action the answer must state
    assert asked_action("Who took over the chair at the company?") is None
    assert asked_action("Who won the title?") == "win"


LATER_LINES = [
    _a("Northgate Foods puts bakery unit up for sale",
       "Northgate Foods Ltd said it retained Harbour Securities Inc to seek a buyer for its Maple Crust bakery "
       "unit. The unit had sales of 210 mln dlrs last year.", 20),
    _a("Norland trade minister says surplus to stay",
       "Norland Trade Minister Anna Berg said her country would keep a trade surplus for three to five years to "
       "cut its foreign debt. Berg spoke at the end of a two-week trade mission. The team she led agreed to buy "
       "Canadian products valued at 2.4 billion dlrs, she said.", 21),
    _a("Kestrel Bank to buy Typeset unit from Allied",
       "The placement of shares in <Typeset GmbH>, to be bought from Allied Corp, would come later, bankers said. "
       "Kestrel Bank AG said it will acquire <Typeset GmbH>, a maker of printing systems, from Allied Corp.", 22),
]


async def test_the_line_that_states_it_answers(db: Database, index: SearchIndex, settings: Settings) -> None:
    collection = await db.collection_id("default")
    await Ingestor(db, settings).ingest_many(LATER_LINES, collection)
    answerer = Answerer(db, settings, None, index)
    # "bring in to find" is said "retained to seek": not refused
    dealer = await answerer.answer("Which investment dealer did Northgate Foods bring in to find a buyer for Maple "
                                   "Crust?", collection, now=NOW)
    assert dealer.found and "Harbour Securities" in dealer.text
    # the figure asked for is a later line of the article, not its lead: not refused
    goods = await answerer.answer("How much Canadian goods did the trade mission led by Anna Berg agree to buy?",
                                  collection, now=NOW)
    assert goods.found and "2.4 billion" in goods.text
    # "GmbH" and "Corp" name nobody new: the buyer's line is the answer
    buyer = await answerer.answer("Who is buying Allied's Typeset printing business?", collection, now=NOW)
    assert buyer.found and "Kestrel" in buyer.text


async def test_a_country_named_another_way(db: Database, index: SearchIndex, settings: Settings) -> None:
    """"Moscow" is the Soviet government, a "British" minister is Britain's: the article need not use the
    question's form of the name."""
    collection = await db.collection_id("default")
    await Ingestor(db, settings).ingest_many([
        _a("Soviet plan sets 1988 targets",
           "Soviet planners set the 1988 oil output goal at 640 mln tonnes, the official news agency Tass said.", 23),
        _a("Britain seeks fraud accord with Japan",
           "Britain's corporate affairs minister Michael Hale left for Tokyo to seek an accord on sharing "
           "information to fight securities fraud.", 24),
    ], collection)
    answerer = Answerer(db, settings, None, index)
    oil = await answerer.answer("What oil production goal has Moscow set for 1988?", collection, now=NOW)
    assert oil.found and "640" in oil.text
    minister = await answerer.answer("Which British minister went to Tokyo to seek an accord on sharing "
                                     "information to fight fraud?", collection, now=NOW)
    assert minister.found and "Michael Hale" in minister.text


async def test_the_figure_or_name_asked_for_not_a_ticker_or_a_change(db: Database, index: SearchIndex,
                                                                      settings: Settings) -> None:
    """A ticker (<NRC.N>) names nobody, "type-setting" is "typesetting", and "how much cargo" asks for tonnes,
    not for the change in percent."""
    collection = await db.collection_id("default")
    await Ingestor(db, settings).ingest_many([
        _a("Sandhaven port traffic up last year",
           "The tonnage of cargo passing through the port of Sandhaven rose 3.1 pct last year, the port authority "
           "said. Its annual report said 7.25 mln tonnes of cargo passed through the port, against 7.03 mln.", 25),
        _a("Kestrel Bank to buy Printex from Norcom",
           "But the placement of shares in <Printex GmbH>, to be bought from Norcom Inc <NRC.N>, would come later, "
           "bankers said. Kestrel Bank AG <KBK.F> said it will acquire <Printex GmbH>, a maker of type-setting "
           "systems, from Norcom Inc.", 26),
    ], collection)
    answerer = Answerer(db, settings, None, index)
    cargo = await answerer.answer("How much cargo passed through the port of Sandhaven?", collection, now=NOW)
    assert cargo.found and "7.25 mln tonnes" in cargo.text
    buyer = await answerer.answer("Who is buying Norcom's Printex typesetting business?", collection, now=NOW)
    assert buyer.found and "Kestrel Bank" in buyer.text


async def test_how_a_share_price_responded_is_the_move(db: Database, index: SearchIndex, settings: Settings) -> None:
    """"How did its share price take the news?": the line with the move answers, whatever the news is called."""
    collection = await db.collection_id("default")
    await Ingestor(db, settings).ingest_many([
        _a("Fenwick and Carrow fail to agree on bid",
           "<Carrow Plc> said it had not been possible to agree terms on a bid to be made by Fenwick Holdings Plc. "
           "Fenwick said it had ended the talks. On the news Carrow shares fell 31p to 188p, a price last seen "
           "in January.", 27),
        *ARTICLES, *LATER_LINES,  # other news: the question's words are not all rare
    ], collection)
    answerer = Answerer(db, settings, None, index)
    moved = await answerer.answer("How did Carrow's share price take the news that the talks with Fenwick had ended?",
                                  collection, now=NOW)
    assert moved.found and "31p" in moved.text
