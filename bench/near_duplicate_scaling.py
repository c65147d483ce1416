"""Near-duplicate cost per article as a store fills with look-alike items: bounded bands against the old way.

    python bench/near_duplicate_scaling.py [--sizes 1000,10000,100000] [--probe 300] [--budget 30]

Look-alikes are templated notices (the same 60-word boilerplate, another company and other numbers in
each), the worst case for LSH: they share bands with one another, so every band bucket grows with the
store, yet none is a copy (the numbers disagree), so all stay originals. For each size a store of that
many is built once (bounded), copied, and then each mode ingests the same probe through the whole
pipeline (`Ingestor.ingest_many`, batches of 50; no search index, so the figure is about deduplication):
look-alikes, plus light rewrites of the oldest items (one word changed, numbers kept), which must link to
their source. "unbounded" is the old way (PER_BAND = None: every id of every shared band is read).
A mode stops after `--budget` seconds of probing; articles/s is over what it did.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.config import load_settings  # noqa: E402
from bot.ingest import dedupe  # noqa: E402
from bot.ingest.models import RawArticle  # noqa: E402
from bot.ingest.pipeline import Ingestor  # noqa: E402
from bot.store.db import open_database  # noqa: E402

BOILERPLATE = (
    "The board of directors declared a regular quarterly cash dividend on its common stock payable to "
    "holders of record at the close of business, the company said in a statement released on Monday, "
    "adding that the payment reflects continued confidence in the outlook for its core businesses and "
    "its balance sheet, and that it expects to review the dividend policy again later in the year"
)
NAMES = ["Acme", "Globex", "Initech", "Umbrella", "Hooli", "Vandelay", "Stark", "Wayne", "Tyrell", "Cyberdyne"]


def look_alike(n: int) -> RawArticle:
    name = f"{NAMES[n % len(NAMES)]} {n}"
    body = (f"{name} Corp said its quarterly dividend is {n % 97 + 1}.{n % 10} cts a share against "
            f"{(n * 7) % 89 + 1} cts, payable on {n + 100000} and record {n + 200000}. {BOILERPLATE}.")
    return RawArticle(title=f"{name} Corp sets quarterly dividend", body=body, origin=f"look-alike:{n}")


def rewrite_of(n: int) -> RawArticle:
    item = look_alike(n)
    return RawArticle(title=f"UPDATE {item.title}", body=item.body.replace("regular", "usual", 1),
                      origin=f"rewrite:{n}")


async def build(path: Path, size: int) -> float:
    settings = load_settings(db_path=str(path))
    db = await open_database(path)
    try:
        cid = await db.collection_id("default")
        started = time.perf_counter()
        await Ingestor(db, settings).ingest_many((look_alike(n) for n in range(size)), cid)
        return size / (time.perf_counter() - started)
    finally:
        await db.close()


async def probe(path: Path, size: int, count: int, budget: float) -> tuple[float, int, int, int, int]:
    """(articles/s, probed, look-alikes wrongly linked, rewrites probed, rewrites linked to their source)."""
    settings = load_settings(db_path=str(path))
    db = await open_database(path)
    try:
        cid = await db.collection_id("default")
        ingestor = Ingestor(db, settings)
        await ingestor.ingest_many([look_alike(size + 10**7)], cid)  # loads the bands (not timed)
        rng = random.Random(size)
        items: list[tuple[RawArticle, int | None]] = []
        for i in range(count):
            if i % 10 == 9:  # one in ten: a rewrite of one of the 100 oldest items
                src = rng.randrange(min(100, size))
                items.append((rewrite_of(src), src + 1))  # article ids start at 1, in build order
            else:
                items.append((look_alike(size + 1 + i), None))
        done, wrong, rewrites, linked = 0, 0, 0, 0
        started = time.perf_counter()
        for start in range(0, len(items), 50):
            part = items[start : start + 50]
            results = await ingestor.ingest_many([raw for raw, _ in part], cid)
            for (_raw, src), result in zip(part, results):
                if src is None:
                    wrong += result.near_duplicate_of is not None
                else:
                    rewrites += 1
                    linked += result.near_duplicate_of == src
            done += len(part)
            if time.perf_counter() - started > budget:
                break
        return done / (time.perf_counter() - started), done, wrong, rewrites, linked
    finally:
        await db.close()


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--probe", type=int, default=300)
    ap.add_argument("--budget", type=float, default=30.0)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="nd-scaling-"))
    rows = []
    try:
        for size in [int(s) for s in args.sizes.split(",")]:
            base = work / f"base-{size}.db"
            dedupe.PER_BAND = 128
            rate = await build(base, size)
            print(f"built {size:,} look-alikes at {rate:,.0f} articles/s (bounded)", file=sys.stderr, flush=True)
            for mode, per_band in (("bounded (PER_BAND=128)", 128), ("unbounded (old)", None)):
                copy = work / f"copy-{size}.db"
                for suffix in ("", "-wal", "-shm"):
                    if os.path.exists(f"{base}{suffix}"):
                        shutil.copy(f"{base}{suffix}", f"{copy}{suffix}")
                dedupe.PER_BAND = per_band
                speed, done, wrong, rewrites, linked = await probe(copy, size, args.probe, args.budget)
                rows.append((size, mode, speed, done, wrong, rewrites, linked))
                print(f"  {mode}: {speed:,.1f} articles/s over {done}", file=sys.stderr, flush=True)
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{copy}{suffix}").unlink(missing_ok=True)
            for suffix in ("", "-wal", "-shm"):
                Path(f"{base}{suffix}").unlink(missing_ok=True)
    finally:
        dedupe.PER_BAND = 128
        shutil.rmtree(work, ignore_errors=True)
    print("| look-alikes stored | mode | articles/s (whole pipeline) | probed | look-alikes linked (wrong) "
          "| rewrites of the oldest linked to their source |")
    print("|---|---|---|---|---|---|")
    for size, mode, speed, done, wrong, rewrites, linked in rows:
        print(f"| {size:,} | {mode} | {speed:,.1f} | {done} | {wrong} | {linked}/{rewrites} |")
    by = {(s, m.split()[0]): sp for s, m, sp, *_ in rows}
    for size in sorted({s for s, *_ in rows}):
        if (size, "unbounded") in by and by[(size, "unbounded")]:
            print(f"\n{size:,}: bounded is {by[(size, 'bounded')] / by[(size, 'unbounded')]:.1f}x the old way", end="")
    print()


if __name__ == "__main__":
    asyncio.run(main())
