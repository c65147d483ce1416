"""Near-duplicate detection on Reuters-21578: MinHash/LSH (ours) against the old SimHash, same process.

    python bench/near_duplicates.py [--n 19043] [--rewrites 1000]

For every article: the cost of fingerprinting and looking up (in memory, as the pipeline does), the
number of links each method makes among the real articles, and the share of synthetic light rewrites
(about one word in twelve replaced, the headline changed) and syndicated copies (same body, other
headline, a furniture line added) that each links back to its source. Then the whole pipeline's ingest
rate with the new detector (SQLite store in a temp dir).
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.config import load_settings  # noqa: E402
from bot.ingest.dedupe import BandIndex, near_signature, same_story  # noqa: E402
from bench.simhash_baseline import SimHashIndex, simhash  # noqa: E402
from bot.ingest.pipeline import Ingestor  # noqa: E402
from bot.ingest.records import record_to_article  # noqa: E402
from bot.store.db import open_database  # noqa: E402

CORPUS = [
    Path(__file__).resolve().parents[2] / "shared" / "data" / "reuters21578" / "articles.jsonl.gz",
    Path("/work/shared/data/reuters21578/articles.jsonl.gz"),
]
SWAPS = ["reported", "noted", "added", "stated", "the", "firm", "group", "roughly", "also", "further"]


def load(n: int) -> list[dict]:
    path = next((p for p in CORPUS if p.exists()), None)
    if path is None:
        sys.exit("Reuters-21578 not found under shared/data")
    out = []
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            if len(rec["body"].split()) >= 20:
                out.append(rec)
            if len(out) >= n:
                break
    return out


def rewrite(body: str, rng: random.Random) -> str:
    words = body.split()
    for i in range(0, len(words), 12):
        j = min(len(words) - 1, i + rng.randrange(12))
        if not any(c.isdigit() for c in words[j]):
            words[j] = rng.choice(SWAPS)
    return " ".join(words)


def run_old(records: list[dict], probes: list[tuple[int, str, str]]) -> tuple[float, int, float]:
    index, links, story = SimHashIndex(3), 0, {}
    started = time.perf_counter()
    for i, r in enumerate(records):
        value = simhash(f"{r['title']}\n{r['body']}")
        near = index.nearest(value)
        if near is None:
            index.add(i, value)
        else:
            links += 1
        story[i] = i if near is None else near
    per = (time.perf_counter() - started) / len(records)
    found = sum(index.nearest(simhash(f"{t}\n{b}")) == story[src] for src, t, b in probes)
    return per, links, found / len(probes)


def run_new(records: list[dict], probes: list[tuple[int, str, str]], threshold: float) -> tuple[float, int, float]:
    bands, sigs, links, story = BandIndex(), {}, 0, {}

    def nearest(sig) -> int | None:  # type: ignore[no-untyped-def]
        best = None
        for cand in bands.candidates(sig.band_keys, 8):
            sim = same_story(sig, sigs[cand], threshold)
            if sim is not None and (best is None or sim > best[0]):
                best = (sim, cand)
        return best[1] if best else None

    started = time.perf_counter()
    for i, r in enumerate(records):
        sig = near_signature(r["title"], r["body"])
        near = nearest(sig)
        if near is None:
            bands.add(i, sig.band_keys)
            sigs[i] = sig
        else:
            links += 1
        story[i] = i if near is None else near
    per = (time.perf_counter() - started) / len(records)
    found = sum(nearest(near_signature(t, b)) == story[src] for src, t, b in probes)
    return per, links, found / len(probes)


async def pipeline_rate(records: list[dict]) -> float:
    settings = load_settings(db_path=str(Path(tempfile.mkdtemp()) / "bench.db"))
    db = await open_database(settings.db_path)
    try:
        cid = await db.collection_id("default")
        items = [record_to_article(r, r["id"]) for r in records]
        started = time.perf_counter()
        await Ingestor(db, settings).ingest_many(items, cid)
        return len(items) / (time.perf_counter() - started)
    finally:
        await db.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=19043)
    ap.add_argument("--rewrites", type=int, default=1000)
    ap.add_argument("--pipeline-n", type=int, default=5000)
    args = ap.parse_args()
    records = load(args.n)
    rng = random.Random(7)
    picks = rng.sample(range(len(records)), min(args.rewrites, len(records)))
    rewrites = [(i, "Update: " + records[i]["title"].lower(), rewrite(records[i]["body"], rng)) for i in picks]
    syndicated = [(i, "Wire copy " + str(i), records[i]["body"] + "\n\nFollow our markets coverage for more.") for i in picks]
    settings = load_settings()
    print(f"{len(records):,} Reuters-21578 articles (>= 20 words), {len(picks):,} probes each\n")
    print("| method | µs per article | links among the articles (exact copies included) | light rewrites linked | syndicated copies linked |")
    print("|---|---|---|---|---|")
    for name, fn in (("SimHash 64-bit, distance 3 (old)", lambda p: run_old(records, p)),
                     (f"MinHash 48/LSH 16x3, Jaccard >= {settings.ingest.near_duplicate_similarity} (new)",
                      lambda p: run_new(records, p, settings.ingest.near_duplicate_similarity))):
        per, links, rew = fn(rewrites)
        _, _, syn = fn(syndicated)
        print(f"| {name} | {per * 1e6:.0f} | {links:,} | {rew:.1%} | {syn:.1%} |")
    rate = asyncio.run(pipeline_rate(records[: args.pipeline_n]))
    print(f"\nwhole pipeline (clean, dedupe, chunk, store) with the new detector: {rate:,.0f} articles/s "
          f"over {min(args.pipeline_n, len(records)):,} articles")


if __name__ == "__main__":
    main()
