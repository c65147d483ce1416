"""Hybrid search while the worker's backlog is large: a passage with no vector yet keeps its BM25 rank.

A store half embedded (a freshly imported archive: the worker embeds newest first) fused the BM25 list with a
vector list drawn from the embedded passages only, so BM25's best passage, still waiting for its vector, fell
below embedded ones both lists ranked (bench/README.md, reuters-dev stop 16: hybrid hit@1 0.00 on the questions
whose article had no vector yet, BM25 0.80)."""

from __future__ import annotations

from bot.app import open_app
from bot.config import Settings
from bot.search import search_passages
from tests.conftest import SAMPLES
from tests.fake_openai import FakeOpenAI

QUESTION = "hydrogen fluoride export approval Stella Chemifa"


async def test_bm25s_best_passage_without_a_vector_is_not_pushed_down_by_embedded_ones(settings: Settings) -> None:
    async with FakeOpenAI() as server:
        settings.embeddings.provider = "openai"
        settings.embeddings.base_url = server.base_url
        settings.embeddings.model = "fake-embed"
        async with open_app(settings) as app:
            cid = await app.collection_id("default")
            await app.articles.ingest([str(SAMPLES)], cid)
            vectors = app.vectors
            assert vectors is not None
            lexical = await search_passages(app.index, cid, QUESTION, k=5)
            best = lexical[0]
            # every passage embedded but BM25's best one (the worker has not reached it yet)
            rows = await app.db.conn.execute_fetchall(
                "SELECT p.id, a.title, p.text FROM passages p JOIN articles a ON a.id = p.article_id WHERE p.id != ?",
                (best.passage_id,))
            vecs = await vectors.embedder.passages([f"{title}. {text}" for _, title, text in rows])
            await vectors.open(write=True)
            await vectors.repo.save(vectors.model, [(int(r[0]), v) for r, v in zip(rows, vecs)])
            index = await vectors._ensure_index(int(vecs.shape[1]))
            await index.sync(app.db, force=True)
            assert vectors.index is not None and vectors.index.without_vector([best.passage_id]) == {best.passage_id}
            assert vectors.index.without_vector([h.passage_id for h in lexical[1:]]) == set()

            qvec = await vectors.query_vector(QUESTION)
            assert qvec is not None
            semantic = [h.article_id for h in await vectors.search(qvec, cid, 50)]
            assert best.article_id not in semantic  # the vector list cannot hold it
            hybrid = await search_passages(app.index, cid, QUESTION, k=5, vectors=vectors, query_vector=qvec)
            assert hybrid[0].passage_id == best.passage_id, [h.title for h in hybrid]

            # once embedded, it is ranked by both lists like every other passage
            await vectors.embed_pending(16)
            assert vectors.index.without_vector([best.passage_id]) == set()
            hybrid = await search_passages(app.index, cid, QUESTION, k=5, vectors=vectors, query_vector=qvec)
            assert best.passage_id in {h.passage_id for h in hybrid}
