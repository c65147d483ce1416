"""The right article and the line that states the answer, when the question words it otherwise than the article:
"US" for "U.S.", "jobless" for "unemployment", "gap" for "deficit", "highest ever" for "record", a span of months
for the quarter or the months it is, "how much capacity" for the figure next to "capacity", and "cost" for an
amount of money."""

from __future__ import annotations

from datetime import datetime, timezone

from bot.answering.answerer import Answerer
from bot.answering.terms import content_terms, stems
from bot.config import Settings
from bot.ingest.models import RawArticle
from bot.ingest.pipeline import Ingestor
from bot.search.engine import SearchIndex
from bot.store.db import Database
from bot.timeutil import parse_question

NOW = datetime(1987, 10, 1, tzinfo=timezone.utc)


def _a(title: str, body: str, month: int, day: int) -> RawArticle:
    return RawArticle(title=title, body=body, origin="paste", published=datetime(1987, month, day, tzinfo=timezone.utc))


def test_dotted_abbreviations_are_the_words_a_question_writes() -> None:
    assert "us" in stems("U.S. refiners processed more crude.")
    assert "uk" in stems("The U.K. Treasury said.")
    assert "us" not in stems("Sus scrofa")  # no word is cut into one


def test_a_span_of_months_is_read_as_the_span() -> None:
    from bot.timeutil import month_span as _ms
    assert _ms("What was the deficit for January-March 1987?") == (1, 3, 1987)
    assert _ms("How much did it earn in January and February of 1987?") == (1, 2, 1987)
    assert _ms("What did it sell from April to June?") == (4, 6, None)
    assert _ms("What did it sell in April?") is None
    window = parse_question("How much did it earn in January and February 1987?", "UTC", NOW)
    assert window is not None and window.soft and window.year == 1987 and window.month is None
    assert window.label == "from January–February 1987"


US_REFINERS = [
    _a("Canadian refinery runs steady",
       "Canadian refiners processed 1.6 mln barrels per day of crude oil in 1986, Statistics Canada said.", 2, 20),
    _a("Refinery runs in 1986",
       "U.S. refiners processed 12.4 mln barrels per day of crude oil in 1986, up from 12.0 mln in 1985, "
       "the Energy Information Administration said in its annual review of refining and crude oil markets.", 3, 2),
]


async def test_us_in_a_question_is_the_us_of_the_article(db: Database, index: SearchIndex, settings: Settings) -> None:
    collection = await db.collection_id("default")
    await Ingestor(db, settings).ingest_many(US_REFINERS, collection)
    answer = await Answerer(db, settings, None, index).answer(
        "How much crude oil did US refiners process in 1986?", collection, now=NOW)
    assert answer.found and "12.4 mln" in answer.text and "1.6 mln" not in answer.text


def _filler(n: int) -> RawArticle:
    return _a(f"Veldia jobless benefits review {n}",
              f"Veldia's labour ministry said the review of jobless benefits, part {n} of a series on the jobless "
              f"rate, its record and how the jobless are paid, would report to parliament.", 4, 1 + n)


VELDIA = [
    *[_filler(n) for n in range(1, 15)],
    _a("Veldia unemployment at record",
       "Veldia's seasonally adjusted unemployment rate rose to a record 7.9 pct in May, the worst level since the "
       "statistics office began keeping figures in 1951. The rate was 7.4 pct in April.", 6, 12),
    _a("Veldia budget shortfall narrows",
       "Veldia's budget deficit in the first quarter narrowed to 3.2 billion crowns from 4.8 billion in the same "
       "1986 period, the finance ministry said.", 4, 20),
    _a("Veldia budget talks",
       "Veldia's finance minister said the budget for 1987 would hold spending flat, and that the gap between "
       "the coalition parties on tax was wide. The 1986 deficit was 17.5 billion crowns.", 3, 5),
]


async def test_the_article_that_says_it_another_way(db: Database, index: SearchIndex, settings: Settings) -> None:
    """"jobless" is "unemployment", "highest it has ever been" is "a record", "gap" is "deficit", and
    "January-March" is "the first quarter"; the article that says so is found among many that share the words."""
    collection = await db.collection_id("default")
    await Ingestor(db, settings).ingest_many(VELDIA, collection)
    answerer = Answerer(db, settings, None, index)
    record = await answerer.answer("Is Veldia's jobless rate now the highest it has ever been?", collection, now=NOW)
    assert record.found and "7.9 pct" in record.text
    assert record.citations[0].title == "Veldia unemployment at record"
    gap = await answerer.answer("How big was Veldia's budget gap for January-March 1987?", collection, now=NOW)
    assert gap.found and "3.2 billion" in gap.text
    assert gap.citations[0].title == "Veldia budget shortfall narrows"


TIMBER = [
    _a("Norland timber exports rise in January",
       "Norland's earnings from timber exports rose 12 pct in January 1987 from a year earlier, the forestry "
       "board said, citing strong demand from paper mills.", 2, 18),
    _a("Norland timber earnings slip",
       "Norland's earnings from timber exports fell to 88 mln dlrs in the first two months of 1987 from 102 mln "
       "a year earlier, the forestry board said.", 3, 20),
]


async def test_two_months_named_together(db: Database, index: SearchIndex, settings: Settings) -> None:
    collection = await db.collection_id("default")
    await Ingestor(db, settings).ingest_many(TIMBER, collection)
    answer = await Answerer(db, settings, None, index).answer(
        "How much did Norland earn from timber exports in January and February 1987?", collection, now=NOW)
    assert answer.found and "88 mln" in answer.text
    assert answer.citations[0].title == "Norland timber earnings slip"


TERMINAL = [
    _a("Fire at Eastport oil terminal",
       "A fire broke out at the Eastport oil terminal in Maine on Monday, killing one worker and damaging three of "
       "its 12 storage tanks, the operator said. It said the terminal would work at half its 2.4 mln barrels "
       "capacity until the tanks are rebuilt.", 3, 9),
]


async def test_how_much_of_a_measure_is_the_figure_next_to_it(db: Database, index: SearchIndex,
                                                               settings: Settings) -> None:
    collection = await db.collection_id("default")
    await Ingestor(db, settings).ingest_many(TERMINAL, collection)
    answer = await Answerer(db, settings, None, index).answer(
        "How much storage capacity does the Eastport oil terminal in Maine have?", collection, now=NOW)
    assert answer.found and "2.4 mln barrels" in answer.text


CEMENT = [
    _a("Veldt chairman eyes Carrow cement arm",
       "Veldt Mining chairman Ian Ross would be interested in buying Carrow Plc's cement division if it were "
       "offered, a spokesman said. He remains interested should Carrow sell the cement side of the group, the "
       "spokesman added. \"Five times earnings would be the ceiling for the cement arm in Carrow's present "
       "state,\" Ross said. In a newspaper interview he said that with cement profits near 70 mln stg, the price "
       "would not go above 350 mln stg.", 3, 3),
]


async def test_what_it_would_cost_is_an_amount_of_money(db: Database, index: SearchIndex, settings: Settings) -> None:
    collection = await db.collection_id("default")
    await Ingestor(db, settings).ingest_many([*CEMENT, *US_REFINERS, *TIMBER, *TERMINAL], collection)
    answer = await Answerer(db, settings, None, index).answer(
        "What's the most Ian Ross thinks Carrow's cement side would cost?", collection, now=NOW)
    assert answer.found and "350 mln stg" in answer.text


def test_phrases_of_a_question_fold_like_the_article() -> None:
    assert "record" in content_terms("Is the rate the highest it has ever been?")
    assert "record" in stems("the highest level ever recorded")


COPPER = [
    _a("Chile copper output up in December",
       "Chile's copper output rose to 120,500 tonnes in December from 115,000 tonnes in November, the mining "
       "ministry said. Output for the whole of 1986 totalled 1.4 mln tonnes, against 1.36 mln in 1985. The "
       "ministry said the Chuquicamata mine ran at full capacity.", 2, 10),
]


async def test_the_figure_of_the_year_asked_about(db: Database, index: SearchIndex, settings: Settings) -> None:
    """"Back in 1986" asks for the year's figure, which a 1987 article states after the month's."""
    collection = await db.collection_id("default")
    await Ingestor(db, settings).ingest_many([*COPPER, *US_REFINERS, *TIMBER, *TERMINAL, *CEMENT], collection)
    answer = await Answerer(db, settings, None, index).answer(
        "How much copper came out of Chile's mines back in 1986?", collection, now=NOW)
    assert answer.found and "1.4 mln tonnes" in answer.text


DISCOUNT = [
    _a("Veldia raises discount rate",
       "Veldia's central bank raised its discount rate to 6.5 pct from 6.0 pct, the bank said. The move is meant "
       "to curb lending by commercial banks, which grew 14 pct last year.", 3, 4),
    _a("Veldia lifts discount rate again",
       "Veldia's central bank raised its discount rate to 7.0 pct from 6.5 pct, the bank said, citing the "
       "weak crown.", 6, 18),
]


async def test_now_is_the_newest_report_that_states_it(db: Database, index: SearchIndex, settings: Settings) -> None:
    collection = await db.collection_id("default")
    await Ingestor(db, settings).ingest_many([*DISCOUNT, *US_REFINERS, *TIMBER, *TERMINAL, *CEMENT], collection)
    answer = await Answerer(db, settings, None, index).answer(
        "What is the discount rate of Veldia's central bank for commercial banks now?", collection, now=NOW)
    assert answer.found and "7.0 pct" in answer.text.split("[1]")[0]


_COUNTRIES = ("Arland", "Belmark", "Corvia", "Dunmore", "Estavia", "Fenland", "Galdor", "Hestia", "Istra", "Jorvik",
              "Kaldia", "Lorrim", "Mernia", "Novaro")
TRADE = [
    *[_a(f"{c} trade deficit narrows", f"{c}'s trade deficit in the first quarter narrowed to {n + 1}.5 billion dlrs "
         f"from {n + 2}.1 billion, the {c} trade ministry said of trade in January-March 1987.", 4, 10 + n)
      for n, c in enumerate(_COUNTRIES)],
    *[_a(f"Ostravia news {n}", f"Ostravia's {w} ministry said on Monday that talks on {w} would go on.", 5, n + 1)
      for n, w in enumerate(("farm", "rail", "school", "health", "police", "forest", "port", "postal"))],
    *[_a(f"Market report {n}", f"Shares of {w} companies were mixed in quiet dealing, brokers said.", 6, n + 1)
      for n, w in enumerate(("steel", "paper", "chemical", "textile", "food", "shipping", "mining", "retail"))],
    _a("Ostravia figures",
       "The statistics bureau published a long set of figures on Tuesday covering industry, farming, retail sales, "
       "construction, wages, prices and the money supply, much of it later than planned. Ostravia's trade deficit "
       "in the first quarter fell to 2.05 billion dlrs from 3.4 billion, the bureau said.", 4, 28),
]


async def test_the_article_naming_whom_it_asks_about_among_many(db: Database, index: SearchIndex,
                                                                settings: Settings) -> None:
    """When most of what the words find is about someone else, the search goes deeper for the one named."""
    collection = await db.collection_id("default")
    await Ingestor(db, settings).ingest_many(TRADE, collection)
    answer = await Answerer(db, settings, None, index).answer(
        "How big was Ostravia's trade gap for January-March 1987?", collection, now=NOW)
    assert answer.found and "2.05 billion" in answer.text


def test_the_best_articles_own_line_comes_before_another_articles() -> None:
    from bot.answering.extractive import Candidate, ScoredSentence, choose_sentences
    from bot.answering.terms import WeightedTerm

    def cand(article_id: int) -> Candidate:
        return Candidate(article_id, article_id, 0, f"t{article_id}", None, None, "1987-03-01", "", 1.0)

    a, b = cand(1), cand(2)
    terms = [WeightedTerm(w, w, 1.0) for w in ("zinc", "peru", "produc", "1986", "cost")]

    def line(c: Candidate, index: int, score: float, words: str, aimed: bool) -> ScoredSentence:
        return ScoredSentence(f"Sentence {index} of article {c.article_id} says something.", c, index, 0.5, score,
                              frozenset(words.split()), 0.5, True, aimed)

    lead = line(a, 0, 0.80, "zinc peru produc december", False)
    other = line(b, 0, 0.78, "zinc peru cost 1986", True)
    own = line(a, 1, 0.60, "produc 1986 whole", True)
    chosen = choose_sentences(terms, [lead, other, own])
    assert own in chosen
    assert [c.candidate.article_id for c in chosen][:2] == [1, 1]


async def test_two_months_named_together_in_spanish(db: Database, index: SearchIndex, settings: Settings) -> None:
    collection = await db.collection_id("default")
    await Ingestor(db, settings).ingest_many([*TIMBER, *US_REFINERS, *TERMINAL, *CEMENT], collection)
    answer = await Answerer(db, settings, None, index).answer(
        "¿Cuánto ingresó Norland por sus exportaciones de madera en enero y febrero de 1987?", collection, now=NOW)
    assert answer.found and "88 mln" in answer.text


ASIA = [
    _a("Japan steel output falls in March",
       "Japan's crude steel output fell 4.2 pct in March from a year earlier to 8.1 mln tonnes, the Japan Iron and "
       "Steel Federation said. Output in February had fallen 2.9 pct.", 4, 14),
    _a("Japan car exports rise",
       "Japan's car exports rose 3.1 pct in March from a year earlier, the Japan Automobile Manufacturers "
       "Association said.", 4, 15),
    _a("South Korea raises coffee tariff",
       "South Korea raised its tariff on coffee imports to 30 pct from 20 pct, effective next month, the finance "
       "ministry said. The ministry said the higher tariffs would cut the bill for imported goods.", 5, 2),
    _a("South Korea cuts tariffs on machinery",
       "South Korea will cut tariffs on 40 kinds of machinery imports to help its factories, the trade ministry "
       "said.", 5, 4),
]


async def test_questions_in_japanese_and_korean_without_a_model(db: Database, index: SearchIndex,
                                                                 settings: Settings) -> None:
    """Their news words and "1987年3月" are read in English (the answer quotes the English article)."""
    collection = await db.collection_id("default")
    await Ingestor(db, settings).ingest_many([*ASIA, *US_REFINERS, *TIMBER, *TERMINAL, *CEMENT], collection)
    answerer = Answerer(db, settings, None, index)
    steel = await answerer.answer("1987年3月の日本の鉄鋼生産は前年同月比で何パーセント減少しましたか？", collection, now=NOW)
    assert steel.found and "4.2 pct" in steel.text
    coffee = await answerer.answer("한국 정부는 커피 수입 관세를 얼마로 올렸나요?", collection, now=NOW)
    assert coffee.found and "30 pct" in coffee.text
    # a name in katakana it cannot read ("マツダ"): not answered from its other words ("Japan", "cars")
    unknown = await answerer.answer("1987年3月の日本のマツダの自動車輸出は何パーセント増えましたか？", collection, now=NOW)
    assert not unknown.found


SUCCESSION = [
    _a("Harlow Mills chairman steps down",
       "Harlow Mills Inc said Anne Price has stepped down as chairman but will remain a director. The company said "
       "Price has been succeeded by Tom Reid, who had been its president since 1984.", 3, 20),
    _a("Kestrel Foods buys bakery unit",
       "Kestrel Foods Inc said it bought the Maple Crust bakery unit of Harlow Mills Inc for 40 mln dlrs.", 3, 22),
]


async def test_who_took_over_the_chair_is_who_succeeded(db: Database, index: SearchIndex, settings: Settings) -> None:
    """"took over the chair" is "succeeded as chairman", "gave it up" is "stepped down"; "took over" a business is
    still a purchase."""
    collection = await db.collection_id("default")
    await Ingestor(db, settings).ingest_many([*SUCCESSION, *US_REFINERS, *TIMBER, *TERMINAL, *CEMENT], collection)
    answerer = Answerer(db, settings, None, index)
    chair = await answerer.answer("Who took over the chair at Harlow Mills when Anne Price gave it up?", collection,
                                  now=NOW)
    assert chair.found and "Tom Reid" in chair.text
    unit = await answerer.answer("Who took over the Maple Crust bakery unit of Harlow Mills?", collection, now=NOW)
    assert unit.found and "Kestrel" in unit.text


def test_how_a_share_price_took_the_news_asks_no_topic_of_take() -> None:
    assert "take" not in content_terms("How did Fenwick's share price take the news of the failed talks?")
    assert "respond" not in content_terms("How did Harlow shares respond once the board backed the offer?")
    assert "take" in content_terms("Will the board take the offer?")


def test_japanese_and_korean_news_words_in_english() -> None:
    from bot.text.crosslingual import english_words

    assert "in april 1987" in english_words("1987年4月の日本の機械受注は？")
    assert "budget" in english_words("한국 정부는 1988년 예산을") and "1988" in english_words("1988년 예산")
    # a syllable that is part of other words is no word of its own: 지금 is "now", 資金 "funds", not gold
    assert "gold" not in english_words("지금 자금을") and "gold" not in english_words("資金を")
