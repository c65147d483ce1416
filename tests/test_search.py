from __future__ import annotations

import re

import pytest

from bot.config import Settings
from bot.ingest.pipeline import Ingestor
from bot.ingest.sources import iter_sources
from bot.ingest.models import RawArticle
from bot.search import search_passages
from bot.search.query import fts5_match, query_terms
from bot.search.engine import SearchIndex
from bot.store.db import Database
from tests.conftest import SAMPLES


@pytest.fixture
async def sample_db(db: Database, index: SearchIndex, settings: Settings) -> Database:
    cid = await db.collection_id("default")
    await Ingestor(db, settings, index).ingest_many(iter_sources([str(SAMPLES)], settings), cid)
    return db


async def test_the_card_question_ranks_the_photoresist_passage_first(sample_db: Database, index: SearchIndex) -> None:
    cid = await sample_db.collection_id("default")
    hits = await search_passages(index, cid, "what did Japan approve for Samsung?", k=5)
    assert "photoresist" in hits[0].text.lower() and "samsung" in hits[0].text.lower()
    assert "Japan approves first photoresist" in hits[0].title
    assert len({h.article_id for h in hits}) == len(hits)  # one passage per article
    assert hits == sorted(hits, key=lambda h: -h.score)


@pytest.mark.parametrize(
    "query",
    ['"unbalanced', "carbon-fibre AND", "NEAR(a b)", "*", "photoresist*", "a OR", "(((", "'; DROP TABLE articles; --", "Samsung's chips?!", "ÜBER naïve ✓", "^col:foo", "-"],
)
async def test_query_syntax_in_questions_is_only_words(sample_db: Database, index: SearchIndex, query: str) -> None:
    """Operators, quotes and SQL in a question are searched as the words they hold, nothing more."""
    cid = await sample_db.collection_id("default")
    before = await sample_db.conn.execute_fetchall("SELECT count(*) FROM articles")
    hits = await search_passages(index, cid, query)
    words_only = await search_passages(index, cid, re.sub(r"[^\w\s']", " ", query))
    assert [h.passage_id for h in hits] == [h.passage_id for h in words_only]
    assert await sample_db.conn.execute_fetchall("SELECT count(*) FROM articles") == before


def test_query_terms_drop_stop_words_but_keep_an_all_stop_word_query() -> None:
    assert query_terms("What did Japan approve for Samsung?") == ["japan", "approve", "samsung"]
    assert query_terms("the who") == ["the", "who"]
    assert fts5_match(['say"hi']) == '"say""hi"'


async def test_collections_never_see_each_other(db: Database, index: SearchIndex, settings: Settings) -> None:
    ingestor = Ingestor(db, settings, index)
    a = await db.collection_id("guild:a")
    b = await db.collection_id("guild:b")
    secret = RawArticle(title="Private memo", body="The zeppelin project budget is twelve million.", origin="paste")
    result = await ingestor.ingest_one(secret, a)
    assert result.status == "added"
    assert await search_passages(index, b, "zeppelin budget") == []
    assert (await search_passages(index, a, "zeppelin budget"))[0].article_id == result.article_id
    # The same text added in the other collection is stored once and becomes visible there too.
    again = await ingestor.ingest_one(RawArticle(title="Private memo", body=secret.body, origin="paste"), b)
    assert again.status == "duplicate" and again.duplicate_of == result.article_id
    assert (await search_passages(index, b, "zeppelin"))[0].article_id == result.article_id
