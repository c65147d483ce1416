"""Retrieval benchmark: briefbot's engine (tantivy beside SQLite) against plain FTS5, bm25s and tantivy.

    python bench/search_bench.py --sizes 10000,100000,1000000

For each size it builds the passage set once (real Reuters-21578 passages, then recombined
real sentences), writes it to a work folder, and runs every engine in its own subprocesses:
one builds the index (build time, size on disk, time to add 1,000 passages), a fresh one
serves 200 user-style questions (p50/p95/p99 latency, resident memory, top-1/top-5 hit rate
of the question's source article, one passage per article). Every engine gets the same
query terms (bot.search.query.query_terms) and, where it lets us, the same analyzer
(lower-case, ASCII folding, English stemming). Finally ingest throughput: our pipeline on the
19k Reuters articles from JSONL vs a bare FTS5 insert of the same articles.
Needs the bench extra: pip install -e '.[bench]'.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import pickle
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from bench_data import build_passages, corpus_path, make_questions  # noqa: E402

ENGINES = ["briefbot", "fts5", "bm25s", "tantivy"]
LABELS = {
    "briefbot": "briefbot: tantivy+SQLite (index)",
    "briefbot-e2e": "briefbot: search_passages end to end",
    "fts5": "plain FTS5 bm25() OR query",
    "bm25s": "bm25s (numba)",
    "tantivy": "plain tantivy",
}
K = 5
FETCH = 50


def dir_mb(path: Path) -> float:
    if path.is_file():
        return path.stat().st_size / 1e6
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 1e6


def collapse(article_ids: list[int], k: int = K) -> list[int]:
    out: list[int] = []
    for a in article_ids:
        if a not in out:
            out.append(a)
            if len(out) >= k:
                break
    return out


def analyzer():
    from bot.search.engine import build_analyzer

    return build_analyzer()


def query_tokens(questions: list[dict]) -> list[list[str]]:
    from bot.search.query import query_terms

    an = analyzer()
    out = []
    for q in questions:
        toks: list[str] = []
        for w in query_terms(q["q"]):
            for t in an.analyze(w):
                if t not in toks:
                    toks.append(t)
        out.append(toks)
    return out


def extra_passages(work: Path):
    with open(work / "extra.pkl", "rb") as f:
        return pickle.load(f)


# ---------------------------------------------------------------- engines: build


def build_fts5(work: Path, passages) -> dict:
    path = work / "fts5.db"
    t = time.perf_counter()
    conn = sqlite3.connect(path)
    conn.execute("CREATE VIRTUAL TABLE f USING fts5(text, article_id UNINDEXED, tokenize='porter unicode61 remove_diacritics 2')")
    conn.executemany("INSERT INTO f(rowid, text, article_id) VALUES (?,?,?)", ((p.pid, p.text, p.article_id) for p in passages))
    conn.commit()
    build = time.perf_counter() - t
    extra = extra_passages(work)
    t = time.perf_counter()
    conn.executemany("INSERT INTO f(rowid, text, article_id) VALUES (?,?,?)", ((p.pid, p.text, p.article_id) for p in extra))
    conn.commit()
    add = time.perf_counter() - t
    conn.close()
    return {"build_s": build, "index_mb": dir_mb(path), "add_s": add}


def build_tantivy(work: Path, passages) -> dict:
    import tantivy

    from bot.search.engine import ANALYZER

    path = work / "tantivy"
    path.mkdir()
    t = time.perf_counter()
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("text", tokenizer_name=ANALYZER, index_option="freq")
    sb.add_integer_field("article_id", fast=True)
    index = tantivy.Index(sb.build(), path=str(path))
    index.register_tokenizer(ANALYZER, analyzer())
    writer = index.writer(256_000_000, 2)
    for p in passages:
        writer.add_document(tantivy.Document(text=p.text, article_id=p.article_id))
    writer.commit()
    writer.wait_merging_threads()
    build = time.perf_counter() - t
    writer = index.writer(64_000_000, 1)
    t = time.perf_counter()
    for p in extra_passages(work):
        writer.add_document(tantivy.Document(text=p.text, article_id=p.article_id))
    writer.commit()
    index.reload()
    add = time.perf_counter() - t
    writer.wait_merging_threads()
    return {"build_s": build, "index_mb": dir_mb(path), "add_s": add}


def _bm25s_index(passages, path: Path) -> None:
    import bm25s
    import numpy as np

    an = analyzer()
    tokens = [an.analyze(p.text) for p in passages]
    retriever = bm25s.BM25(backend="numba")
    retriever.index(tokens, show_progress=False)
    retriever.save(str(path))
    np.save(path / "article_ids.npy", np.array([p.article_id for p in passages], dtype=np.int64))


def build_bm25s(work: Path, passages) -> dict:
    path = work / "bm25s"
    t = time.perf_counter()
    _bm25s_index(passages, path)
    build = time.perf_counter() - t
    size = dir_mb(path)
    # bm25s has no incremental add: taking 1,000 new passages means indexing everything again.
    t = time.perf_counter()
    _bm25s_index(list(passages) + list(extra_passages(work)), work / "bm25s-plus")
    add = time.perf_counter() - t
    shutil.rmtree(work / "bm25s-plus", ignore_errors=True)
    return {"build_s": build, "index_mb": size, "add_s": add, "add_note": "full rebuild"}


async def _build_briefbot(work: Path, passages) -> dict:
    from bot.store.db import open_database

    path = work / "briefbot.db"
    db = await open_database(path)
    try:
        return await _build_in(db, path, work, passages)
    finally:
        await db.close()


async def _build_in(db, path: Path, work: Path, passages) -> dict:
    from bot.search.engine import SearchIndex

    cid = await db.collection_id("bench")
    t = time.perf_counter()
    await _store_rows(db, cid, passages)
    load = time.perf_counter() - t
    t = time.perf_counter()
    index = await SearchIndex(db).open()  # a new index: built from SQLite
    build = time.perf_counter() - t
    assert index.writable
    # Time to take 1,000 passages: insert in SQLite, commit, index catches up, searchable.
    t = time.perf_counter()
    await _store_rows(db, cid, extra_passages(work))
    await index.sync()
    add = time.perf_counter() - t
    index.close()
    return {"build_s": build, "index_mb": dir_mb(Path(str(path) + ".index")), "add_s": add, "store_load_s": load}


async def _store_rows(db, cid: int, passages) -> None:
    articles: dict[int, str] = {}
    for p in passages:
        articles.setdefault(p.article_id, p.published)
    await db.conn.executemany(
        "INSERT OR IGNORE INTO articles(id, title, body, source, published, fetched, content_hash) VALUES (?,?,?,?,?,?,?)",
        [(a, f"Article {a}", "", "Reuters", pub, pub, f"bench-{a}") for a, pub in articles.items()],
    )
    await db.conn.executemany(
        "INSERT INTO passages(id, article_id, position, text, tokens) VALUES (?,?,?,?,0)",
        [(p.pid, p.article_id, p.pid, p.text) for p in passages],
    )
    await db.conn.executemany(
        "INSERT OR IGNORE INTO article_collections(collection_id, article_id) VALUES (?, ?)", [(cid, a) for a in articles]
    )
    await db.conn.commit()


def build_briefbot(work: Path, passages) -> dict:
    return asyncio.run(_build_briefbot(work, passages))


# ---------------------------------------------------------------- engines: serve


def timed(run, questions, tokens) -> tuple[list[float], list[list[int]]]:
    for i in range(min(20, len(questions))):  # warm-up (JIT, caches)
        run(questions[i], tokens[i])
    lat, results = [], []
    for q, toks in zip(questions, tokens):
        t = time.perf_counter()
        results.append(run(q, toks))
        lat.append((time.perf_counter() - t) * 1000)
    return lat, results


def serve_fts5(work: Path, questions, tokens):
    from bot.search.query import fts5_match, query_terms

    conn = sqlite3.connect(work / "fts5.db")

    def run(q, toks):
        terms = query_terms(q["q"])
        if not terms:
            return []
        rows = conn.execute(
            "SELECT article_id FROM f WHERE f MATCH ? ORDER BY bm25(f) LIMIT ?", (fts5_match(terms), FETCH)
        ).fetchall()
        return collapse([r[0] for r in rows])

    return {"fts5": timed(run, questions, tokens)}


def serve_tantivy(work: Path, questions, tokens):
    import tantivy

    from bot.search.engine import ANALYZER

    index = tantivy.Index.open(str(work / "tantivy"))
    index.register_tokenizer(ANALYZER, analyzer())
    schema = index.schema

    def run(q, toks):
        if not toks:
            return []
        query = tantivy.Query.boolean_query([(tantivy.Occur.Should, tantivy.Query.term_query(schema, "text", t)) for t in toks])
        searcher = index.searcher()
        hits = searcher.search(query, FETCH, count=False).hits
        return collapse(searcher.fast_field_values("article_id", [a for _, a in hits]))

    return {"tantivy": timed(run, questions, tokens)}


def serve_bm25s(work: Path, questions, tokens):
    import bm25s
    import numpy as np

    retriever = bm25s.BM25.load(str(work / "bm25s"), mmap=False)
    retriever.backend = "numba"
    article_ids = np.load(work / "bm25s" / "article_ids.npy")
    vocab = retriever.vocab_dict

    def run(q, toks):
        ids = [vocab[t] for t in toks if t in vocab]
        if not ids:
            return []
        docs, _ = retriever.retrieve([ids], k=FETCH, show_progress=False, n_threads=1, backend_selection="numba")
        return collapse([int(article_ids[d]) for d in docs[0]])

    return {"bm25s": timed(run, questions, tokens)}


def serve_briefbot(work: Path, questions, tokens):
    from bot.search import search_passages
    from bot.search.engine import SearchIndex
    from bot.store.db import open_database

    async def main():
        db = await open_database(work / "briefbot.db")
        try:
            return await measure(db)
        finally:
            await db.close()

    async def measure(db):
        cid = await db.collection_id("bench")
        index = await SearchIndex(db).open()

        def run(q, toks):
            return collapse([h.article_id for h in index.search(toks, cid, FETCH)])

        engine = timed(run, questions, tokens)
        for q in questions[:20]:
            await search_passages(index, cid, q["q"], k=K)
        lat, results = [], []
        for q in questions:
            t = time.perf_counter()
            hits = await search_passages(index, cid, q["q"], k=K)
            lat.append((time.perf_counter() - t) * 1000)
            results.append([h.article_id for h in hits])
        index.close()
        return {"briefbot": engine, "briefbot-e2e": (lat, results)}

    return asyncio.run(main())


BUILD = {"fts5": build_fts5, "tantivy": build_tantivy, "bm25s": build_bm25s, "briefbot": build_briefbot}
SERVE = {"fts5": serve_fts5, "tantivy": serve_tantivy, "bm25s": serve_bm25s, "briefbot": serve_briefbot}


def child(args: argparse.Namespace) -> None:
    work = Path(args.work)
    if args.phase == "build":
        with open(work / "passages.pkl", "rb") as f:
            passages = pickle.load(f)
        out = BUILD[args.child](work, passages)
    else:
        questions = json.loads((work / "questions.json").read_text())
        tokens = query_tokens(questions)
        served = SERVE[args.child](work, questions, tokens)
        out = {}
        rss = rss_mb()
        for name, (lat, results) in served.items():
            lat_sorted = sorted(lat)
            pct = lambda p, xs=lat_sorted: xs[min(len(xs) - 1, int(round(p / 100 * len(xs))) - 1)]  # noqa: E731
            top1 = sum(1 for q, r in zip(questions, results) if r[:1] == [q["article_id"]]) / len(questions)
            top5 = sum(1 for q, r in zip(questions, results) if q["article_id"] in r[:K]) / len(questions)
            out[name] = {"p50": statistics.median(lat), "p95": pct(95), "p99": pct(99), "rss_mb": rss,
                         "top1": top1, "top5": top5}
    print("RESULT " + json.dumps(out))


def run_child(engine: str, phase: str, work: Path) -> dict:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", engine, "--phase", phase, "--work", str(work)],
        capture_output=True, text=True, timeout=3600,
    )
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise RuntimeError(f"{engine} {phase} failed:\n{proc.stderr[-3000:]}")


# ---------------------------------------------------------------- ingest throughput


async def _ingest_ours(db_path: Path) -> tuple[int, float]:
    from bot.config import load_settings
    from bot.ingest.pipeline import Ingestor
    from bot.ingest.sources import iter_sources
    from bot.search.engine import SearchIndex
    from bot.store.db import open_database

    settings = load_settings(db_path=str(db_path))
    t = time.perf_counter()
    db = await open_database(db_path)
    cid = await db.collection_id("default")
    index = SearchIndex(db)
    results = await Ingestor(db, settings, index).ingest_many(iter_sources([str(corpus_path())], settings), cid)
    index.close()
    await db.close()
    return len(results), time.perf_counter() - t


def ingest_throughput(work: Path) -> dict:
    from bench_data import load_articles

    n, ours = asyncio.run(_ingest_ours(work / "ingest.db"))
    t = time.perf_counter()
    articles = load_articles()
    conn = sqlite3.connect(work / "bare.db")
    conn.execute("CREATE VIRTUAL TABLE f USING fts5(title, body, tokenize='porter unicode61 remove_diacritics 2')")
    conn.executemany("INSERT INTO f(title, body) VALUES (?, ?)", ((a["title"], a["body"]) for a in articles))
    conn.commit()
    conn.close()
    bare = time.perf_counter() - t
    return {"articles": n, "ours_s": ours, "ours_per_s": n / ours, "bare_s": bare, "bare_per_s": len(articles) / bare}


# ---------------------------------------------------------------- main


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--engines", default=",".join(ENGINES))
    ap.add_argument("--questions", type=int, default=200)
    ap.add_argument("--work", default=None, help="work folder (default: a temporary one, removed at the end)")
    ap.add_argument("--no-ingest", action="store_true")
    ap.add_argument("--child")
    ap.add_argument("--phase")
    args = ap.parse_args()
    if args.child:
        child(args)
        return
    base = Path(args.work or tempfile.mkdtemp(prefix="searchbench-"))
    base.mkdir(parents=True, exist_ok=True)
    print(f"# search benchmark {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    rows = []
    for n in [int(s) for s in args.sizes.split(",")]:
        work = base / f"n{n}"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir()
        t = time.perf_counter()
        passages, real = build_passages(n + 1000)
        extra, passages = passages[n:], passages[:n]
        questions = make_questions(passages, args.questions)
        real = min(real, n)
        print(f"\n## N = {n:,} passages: {real:,} real Reuters passages + {n - real:,} recombined from real sentences; "
              f"{len(questions)} questions; data {time.perf_counter() - t:.0f} s", flush=True)
        with open(work / "passages.pkl", "wb") as f:
            pickle.dump(passages, f)
        with open(work / "extra.pkl", "wb") as f:
            pickle.dump(extra, f)
        (work / "questions.json").write_text(json.dumps(questions))
        del passages
        for engine in args.engines.split(","):
            try:
                built = run_child(engine, "build", work)
                served = run_child(engine, "serve", work)
            except RuntimeError as exc:
                print(f"  {engine}: {exc}", flush=True)
                continue
            for name, s in served.items():
                row = {"engine": name, "n": n, **built, **s}
                rows.append(row)
                print(fmt(row), flush=True)
        shutil.rmtree(work, ignore_errors=True)
    print("\n| engine | N | build s | index MB | RSS MB | p50 ms | p95 ms | p99 ms | add 1,000 passages | top-1 | top-5 |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(fmt(r))
    if not args.no_ingest:
        work = base / "ingest"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir()
        r = ingest_throughput(work)
        print(f"\nIngest of {r['articles']:,} Reuters articles from JSONL (clean, dedupe, chunk, SQLite + index): "
              f"{r['ours_s']:.1f} s = {r['ours_per_s']:,.0f} articles/s; bare FTS5 insert of the same articles: "
              f"{r['bare_s']:.1f} s = {r['bare_per_s']:,.0f} articles/s")
        shutil.rmtree(work, ignore_errors=True)
    if not args.work:
        shutil.rmtree(base, ignore_errors=True)


def fmt(r: dict) -> str:
    add = f"{r['add_s']:.2f} s" + (f" ({r['add_note']})" if r.get("add_note") else "")
    return (f"| {LABELS.get(r['engine'], r['engine'])} | {r['n']:,} | {r['build_s']:.1f} | {r['index_mb']:.0f} | "
            f"{r['rss_mb']:.0f} | {r['p50']:.2f} | {r['p95']:.2f} | {r['p99']:.2f} | {add} | "
            f"{r['top1']:.0%} | {r['top5']:.0%} |")


if __name__ == "__main__":
    main()
