"""The bot's own vector index (bot/search/vectors.py) at n vectors: exact against IVF-SQ8 (`ann_threshold`).

A real SQLite store (temporary) with one article, passage and vector per row, all in collection 1 and a random
50,000 of them also in collection 2; the same `VectorIndex` the bot opens, each in a process of its own (so that
its memory is its own): `ann_threshold = 0` (exact, the float32 matrix), then 50,000 (faiss IVF-SQ8, no matrix:
trained at open, the training and the nprobe chosen saved beside SQLite), then 50,000 again (the saved training read).
Vectors: synthetic topical clusters (each a mixture of two of 2,000 random centres plus noise), generated in pieces.

Reported per index: open time (`VectorIndex.load()`), RSS after open (VmRSS) and the peak (ru_maxrss), p50/p99 of a
top-50 search in collection 1 over the queries, recall@10 against exact search (numpy over the stored float16
vectors), nprobe, and the exact path for a filtered set of 50,000 rows (collection 2, top-50) three ways: what the
bot does (every IVF list's codes scanned, the filter as a bitmap), the same rows' vectors read from SQLite, and
the rows decoded from the codes through a faiss direct map (hash table). Then the size on disk.

    .venv/bin/pip install faiss-cpu
    .venv/bin/python bench/vector_ann.py [--n 100000] [--no-exact]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DIM = 384
MODEL = "bench/vectors"
PIECE = 50_000
SUBSET = 50_000  # rows of collection 2: a filtered set at the threshold, searched exactly


def _status(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def rss_mb() -> float:
    """Current resident set size (VmRSS)."""
    return _status("VmRSS")


def peak_mb() -> float:
    """Peak resident set size: ru_maxrss, or VmHWM when lower — a child's ru_maxrss also counts the parent's memory
    copied at fork (Linux keeps the pre-exec high-water mark), VmHWM is this program's own."""
    return min(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, _status("VmHWM") or float("inf"))


class Synthetic:
    def __init__(self, seed: int = 0) -> None:
        self.rng = np.random.default_rng(seed)
        self.centres = self.rng.standard_normal((2000, DIM)).astype(np.float32)

    def __call__(self, m: int, rng: np.random.Generator | None = None) -> np.ndarray:
        rng, centres = rng or self.rng, self.centres
        w = rng.uniform(0.5, 1.0, (m, 1)).astype(np.float32)
        v = w * centres[rng.integers(0, 2000, m)] + (1 - w) * centres[rng.integers(0, 2000, m)]
        v += 0.3 * rng.standard_normal((m, DIM)).astype(np.float32)
        return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float16)


async def make_store(path: Path, n: int, queries: np.ndarray) -> np.ndarray:
    """Write n vectors (with their articles and passages) to a new store; return the exact top-10 passage ids of
    each query in collection 1 (computed piece by piece from the stored float16 values)."""
    from bot.store.db import open_database

    db = await open_database(path)
    await db.close()
    gen = Synthetic()
    subset = set(np.random.default_rng(3).choice(n, min(SUBSET, n), replace=False).tolist())
    q = queries.astype(np.float32)
    best = np.full((len(q), 10), -np.inf, dtype=np.float32)
    best_ids = np.zeros((len(q), 10), dtype=np.int64)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("INSERT INTO collections(id, name) VALUES (1, 'all'), (2, 'subset')")
    for start in range(0, n, PIECE):
        vecs = gen(min(PIECE, n - start))
        ids = range(start + 1, start + 1 + len(vecs))
        conn.executemany("INSERT INTO articles(id, title, body, fetched, content_hash) "
                         "VALUES (?, 'a', '', '2026-12-01T00:00:00Z', ?)", ((i, f"h{i}") for i in ids))
        conn.executemany("INSERT INTO article_collections(collection_id, article_id) VALUES (1, ?)", ((i,) for i in ids))
        conn.executemany("INSERT INTO article_collections(collection_id, article_id) VALUES (2, ?)",
                         ((i,) for i in ids if i - 1 in subset))
        conn.executemany("INSERT INTO passages(id, article_id, position, text, tokens) VALUES (?, ?, 0, '', 0)",
                         ((i, i) for i in ids))
        conn.executemany("INSERT INTO passage_vectors(passage_id, model, dim, vector) VALUES (?, ?, ?, ?)",
                         ((i, MODEL, DIM, v.tobytes()) for i, v in zip(ids, vecs)))
        conn.commit()
        scores = q @ vecs.astype(np.float32).T
        allscores = np.hstack([best, scores])
        allids = np.hstack([best_ids, np.broadcast_to(np.arange(start + 1, start + 1 + len(vecs)), scores.shape)])
        top = np.argsort(-allscores, axis=1)[:, :10]
        best, best_ids = np.take_along_axis(allscores, top, axis=1), np.take_along_axis(allids, top, axis=1)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return best_ids


async def child(db_path: Path, threshold: int, queries: np.ndarray) -> dict[str, object]:
    """One index opened as the bot opens it; what it costs and how it answers."""
    from bot.search.vectors import VectorIndex
    from bot.store.db import open_database
    from bot.store.vectors import VectorRepo

    out: dict[str, object] = {"rss_before_mb": rss_mb()}
    db = await open_database(db_path)
    index = VectorIndex(VectorRepo(db), MODEL, DIM, ann_threshold=threshold)
    t0 = time.perf_counter()
    await index.load()
    out["open_s"] = time.perf_counter() - t0
    out["rss_open_mb"], out["peak_open_mb"] = rss_mb(), peak_mb()
    ann = index.ann
    out["ivf"] = ann is not None
    out["nprobe"] = ann.nprobe if ann is not None else None
    out["recall_at_training"] = ann.recall if ann is not None else None
    out["reused"] = ann.reused if ann is not None else None
    await index.search(queries[0], 1, 50)  # warm
    times, tops = [], []
    for q in queries:
        t0 = time.perf_counter()
        hits = await index.search(q, 1, 50)
        times.append(time.perf_counter() - t0)
        tops.append([h.passage_id for h in hits[:10]])
    out["p50_ms"], out["p99_ms"] = np.percentile(times, 50) * 1e3, np.percentile(times, 99) * 1e3
    out["tops"] = tops

    few = queries[:20]
    def timed(f: object) -> float:
        ts = []
        for q in few:
            t0 = time.perf_counter()
            f(q)  # type: ignore[operator]
            ts.append(time.perf_counter() - t0)
        return float(np.percentile(ts, 50) * 1e3)

    loop_times = []
    for q in few:
        t0 = time.perf_counter()
        await index.search(q, 2, 50)
        loop_times.append(time.perf_counter() - t0)
    out["subset_bot_ms"] = float(np.percentile(loop_times, 50) * 1e3)
    out["rss_searched_mb"], out["peak_searched_mb"] = rss_mb(), peak_mb()

    conn = sqlite3.connect(db_path)
    def from_sqlite(q: np.ndarray) -> None:
        rows = conn.execute("SELECT v.passage_id, v.vector FROM passage_vectors v JOIN passages p ON p.id = v.passage_id "
                            "JOIN article_collections ac ON ac.article_id = p.article_id WHERE ac.collection_id = 2").fetchall()
        m = np.frombuffer(b"".join(r[1] for r in rows), dtype="<f2").reshape(len(rows), DIM).astype(np.float32)
        np.argpartition(-(m @ q), 49)[:50]
    out["subset_sqlite_ms"] = timed(from_sqlite) if len(few) else None
    conn.close()
    if ann is not None:
        import faiss  # type: ignore[import-not-found, import-untyped, unused-ignore]

        mask = await index._mask(2)
        rows = np.nonzero(mask & index.alive[: index.size])[0].astype(np.int64)
        t0 = time.perf_counter()
        ann.index.make_direct_map()
        ann.index.set_direct_map_type(faiss.DirectMap.Hashtable)
        out["direct_map_s"] = time.perf_counter() - t0
        out["direct_map_rss_mb"] = rss_mb() - float(out["rss_searched_mb"])  # type: ignore[arg-type]

        def decoded(q: np.ndarray) -> None:
            m = ann.index.reconstruct_batch(rows)
            np.argpartition(-(m @ q), 49)[:50]
        out["subset_decode_ms"] = timed(decoded)
    out["peak_end_mb"] = peak_mb()
    await db.close()
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=100_000)
    p.add_argument("--queries", type=int, default=200)
    p.add_argument("--threshold", type=int, default=50_000, help="ann_threshold of the IVF runs")
    p.add_argument("--no-exact", action="store_true", help="skip the exact (float32 matrix) run")
    p.add_argument("--child", nargs=3, metavar=("DB", "THRESHOLD", "QUERIES"), help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        db, threshold, qfile = args.child
        print(json.dumps(asyncio.run(child(Path(db), int(threshold), np.load(qfile)))))
        return
    queries = Synthetic()(args.queries, np.random.default_rng(1)).astype(np.float32)  # the store's centres, other draws
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as tmp:
        path = Path(tmp) / "store.db"
        t0 = time.perf_counter()
        truth = asyncio.run(make_store(path, args.n, queries))
        stored_s = time.perf_counter() - t0
        print(f"stored {args.n:,} vectors (synthetic clusters) in {stored_s:.0f} s", file=sys.stderr)
        qfile = Path(tmp) / "queries.npy"
        np.save(qfile, queries)
        runs = [("exact (float32 matrix)", 0)] if not args.no_exact else []
        runs += [("ivf-sq8, trained at open", args.threshold), ("ivf-sq8, training read from disk", args.threshold)]
        results = {}
        for name, threshold in runs:
            load0 = os.getloadavg()[0]
            proc = subprocess.run([sys.executable, __file__, "--child", str(path), str(threshold), str(qfile)],
                                  capture_output=True, text=True, check=True)
            results[name] = json.loads(proc.stdout.strip().splitlines()[-1])
            results[name]["load"] = load0
            print(f"{name}: done", file=sys.stderr)
        db_mb = path.stat().st_size / 2**20
        npz = path.with_name(path.name + "-ivf.npz")
        npz_mb = npz.stat().st_size / 2**20 if npz.exists() else 0.0
    print(f"n={args.n:,} (synthetic clusters), {args.queries} queries, top-50; store written in {stored_s:.0f} s; "
          f"on disk: SQLite {db_mb:.0f} MB, <db>-ivf.npz {npz_mb:.1f} MB; load average {os.getloadavg()[0]:.2f}")
    print("| index | open s | RSS after open MB | peak RSS (ru_maxrss) MB | p50 ms | p99 ms | recall@10 vs exact | nprobe "
          "| 50k filtered: bot (codes, every list) / SQLite / direct-map decode ms |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, r in results.items():
        recall = np.mean([len(set(a) & set(b.tolist())) / 10 for a, b in zip(r["tops"], truth)])
        nprobe = f"{r['nprobe']} (recall {r['recall_at_training']:.3f} at training)" if r["recall_at_training"] else (
            str(r["nprobe"]) if r["nprobe"] else "–")
        decode = f"{r['subset_decode_ms']:.0f}" if r.get("subset_decode_ms") else "–"
        print(f"| {name} | {r['open_s']:.1f} | {r['rss_open_mb']:.0f} | {r['peak_searched_mb']:.0f} | {r['p50_ms']:.2f} "
              f"| {r['p99_ms']:.2f} | {recall:.3f} | {nprobe} | {r['subset_bot_ms']:.1f} / {r['subset_sqlite_ms']:.0f} "
              f"/ {decode} |")
    for name, r in results.items():
        if r.get("direct_map_s") is not None:
            print(f"{name}: direct map (hash table) built in {r['direct_map_s']:.2f} s, +{r['direct_map_rss_mb']:.0f} MB; "
                  f"RSS before open {r['rss_before_mb']:.0f} MB, peak at open {r['peak_open_mb']:.0f} MB")


if __name__ == "__main__":
    main()
