"""German, French and Spanish questions about English articles, answered without a model: names and figures
carry over, common news words and months are read in English, the question's own function words weigh nothing."""

from __future__ import annotations

from datetime import datetime, timezone

from bot.answering.answerer import Answerer
from bot.config import Settings
from bot.ingest.models import RawArticle
from bot.ingest.pipeline import Ingestor
from bot.search.engine import SearchIndex
from bot.store.db import Database
from bot.text.crosslingual import english_words, to_english

NOW = datetime(1987, 10, 1, tzinfo=timezone.utc)
FILLER = [
    RawArticle(title=f"Market report {i}", body=f"Le Havre port handled cargo {i} as prices de la semaine held, "
               "traders said. The group said pour la premiere fois it would consider a bid.", origin="paste",
               published=datetime(1987, 3, 1 + i, tzinfo=timezone.utc))
    for i in range(8)
]
ARTICLES = [
    RawArticle(title="Ferruzzi to buy CPC's European corn milling arm",
               body="The Ferruzzi Group will pay 630 mln dlrs for the European corn wet milling business of CPC "
                    "International Inc, the companies said.", origin="paste",
               published=datetime(1987, 4, 2, tzinfo=timezone.utc)),
    RawArticle(title="West German producer prices rise in May",
               body="West German producer prices rose 0.1 pct in May from April, the Federal Statistics Office said.",
               origin="paste", published=datetime(1987, 6, 19, tzinfo=timezone.utc)),
    RawArticle(title="West German producer prices rise in March",
               body="West German producer prices rose 0.4 pct in March from February, the Federal Statistics Office "
                    "said.", origin="paste", published=datetime(1987, 4, 20, tzinfo=timezone.utc)),
]


def test_words_read_in_english() -> None:
    assert to_english("Exportaciones") == "exports" and to_english("März") == "march"
    assert to_english("Erzeugerpreise") == "producer prices" and to_english("Samsung") is None
    assert english_words("Um wie viel Prozent im Mai 1987?") == "Um wie viel percent in may 1987?"


async def test_french_and_german_questions_find_the_english_article(db: Database, index: SearchIndex, settings: Settings) -> None:
    collection = await db.collection_id("default")
    await Ingestor(db, settings).ingest_many([*FILLER, *ARTICLES], collection)
    answerer = Answerer(db, settings, None, index)
    french = await answerer.answer(
        "Combien le groupe Ferruzzi va-t-il payer pour racheter les activités européennes de CPC International ?",
        collection, now=NOW)
    assert french.found and "630" in french.text and french.citations[0].title.startswith("Ferruzzi")
    german = await answerer.answer(
        "Um wie viel Prozent sind die westdeutschen Erzeugerpreise im Mai 1987 gestiegen?", collection, now=NOW)
    assert german.found and "0.1 pct" in german.text and "May" in german.citations[0].title
    spanish = await answerer.answer("¿Qué precio pagó Toyota por la compañía de Le Havre?", collection, now=NOW)
    assert not spanish.found  # no article names Toyota: its words do not make one up


async def test_a_german_question_is_not_held_to_its_capitalised_nouns(db: Database, index: SearchIndex,
                                                                      settings: Settings) -> None:
    """German capitalises every noun: "Laufzeit" or "Ausstattung" are no names the English article must hold."""
    collection = await db.collection_id("default")
    bond = RawArticle(title="Hamburg issues 500 mln mark bond",
                      body="The city of Hamburg is issuing a 500 mln mark eight-year bond with a 6-1/4 pct coupon, "
                           "lead manager Deutsche Bank said.", origin="paste",
                      published=datetime(1987, 5, 4, tzinfo=timezone.utc))
    await Ingestor(db, settings).ingest_many([*FILLER, bond], collection)
    answerer = Answerer(db, settings, None, index)
    german = await answerer.answer("Mit welchem Kupon ist die achtjährige Anleihe über 500 Millionen Mark der Stadt "
                                   "Hamburg ausgestattet?", collection, now=NOW)
    assert german.found and "6-1/4" in german.text
