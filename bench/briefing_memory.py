"""A briefing's memory and time against its window's size: reading leads and sparse similarities (new)
against whole bodies and one dense N x N similarity matrix (old), in the same run.

    python bench/briefing_memory.py [--sizes 1000,5000,19043]

One store holds the Reuters-21578 articles of ../shared/data (19,043 records; all arrive now, so one
window holds them all). Each (size, mode) builds one ad hoc extractive briefing with
`[briefing] max_window_articles = size`, in a process of its own, which reports its peak resident memory
(ru_maxrss) and the build's wall time. "old" is this code with the old choices put back: whole bodies in
the window query and the dense matrix at every size (stories.DENSE_MAX raised); "new" reads 3,000-character
leads, whole bodies for the shown stories only, and above stories.DENSE_MAX (3,000) finds only the pairs a
join can read, in row blocks, and reads group means from summed vectors. Both give the same stories
(checked: same story keys). `--modes new --db /tmp/x.db` reuses a store and skips the 2.6 GB old run.
Build the store in a separate run from the measurements: a child forked from a parent that has just
ingested starts with the parent's resident size as its ru_maxrss floor (the 145 MB of earlier tables).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CORPUS = next(
    (p for p in (ROOT.parent / "shared" / "data" / "reuters21578" / "articles.jsonl.gz",
                 Path("/work/shared/data/reuters21578/articles.jsonl.gz")) if p.exists()),
    ROOT.parent / "shared" / "data" / "reuters21578" / "articles.jsonl.gz",
)


async def build_store(db_path: Path) -> int:
    from bot.config import load_settings
    from bot.ingest.pipeline import Ingestor
    from bot.ingest.sources import iter_sources
    from bot.store.db import open_database

    settings = load_settings(db_path=str(db_path))
    db = await open_database(db_path)
    try:
        cid = await db.collection_id("default")
        results = await Ingestor(db, settings).ingest_many(iter_sources([str(CORPUS)], settings), cid)
        return sum(r.status == "added" for r in results) + sum(r.status == "duplicate" for r in results)
    finally:
        await db.close()


async def child(db_path: Path, size: int, mode: str) -> dict:
    from bot.briefing import stories
    from bot.briefing.builder import BriefingBuilder
    from bot.config import load_settings
    from bot.store import briefings
    from bot.store.db import open_database

    if mode == "old":
        stories.DENSE_MAX = 10**9
        briefings._SELECT = (
            "SELECT a.id, a.title, a.body, a.url, a.source, a.published, a.duplicate_of, ac.added_at "
            "FROM article_collections ac JOIN articles a ON a.id = ac.article_id "
        )
    settings = load_settings(db_path=str(db_path))
    settings.briefing.max_window_articles = size
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    db = await open_database(db_path)
    try:
        cid = await db.collection_id("default")
        started = time.perf_counter()
        briefing = await BriefingBuilder(db, settings, None).build(cid, kind="adhoc", since="30d", max_stories=10)
        seconds = time.perf_counter() - started
    finally:
        await db.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"size": size, "mode": mode, "seconds": seconds, "peak_mb": peak, "before_mb": before,
            "read": briefing.window_read, "stories": [s.key for s in briefing.stories], "footer": briefing.footer}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000,5000,19043")
    ap.add_argument("--modes", default="old,new", help="old,new or one of them")
    ap.add_argument("--db", help="reuse this store (built there when missing) instead of a fresh one")
    ap.add_argument("--child", nargs=3, metavar=("DB", "SIZE", "MODE"))
    args = ap.parse_args()
    if args.child:
        print(json.dumps(asyncio.run(child(Path(args.child[0]), int(args.child[1]), args.child[2]))))
        return
    if not CORPUS.exists():
        sys.exit(f"{CORPUS} not found")
    db_path = Path(args.db) if args.db else Path(tempfile.mkdtemp(prefix="briefing-memory-")) / "reuters.db"
    if not db_path.exists():
        started = time.perf_counter()
        stored = asyncio.run(build_store(db_path))
        print(f"store: {stored:,} records in {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    modes = args.modes.split(",")
    rows = []
    for size in [int(s) for s in args.sizes.split(",")]:
        for mode in modes:
            out = subprocess.run([sys.executable, __file__, "--child", str(db_path), str(size), mode],
                                 capture_output=True, text=True, cwd=ROOT)
            if out.returncode != 0:
                sys.exit(out.stderr)
            row = json.loads(out.stdout.strip().splitlines()[-1])
            rows.append(row)
            print(f"  {size} {mode}: {row['seconds']:.1f} s, peak {row['peak_mb']:.0f} MB", file=sys.stderr, flush=True)
    print("| window (articles read) | mode | peak RSS MB | of which before the build | build s | same stories as old |")
    print("|---|---|---|---|---|---|")
    old = {r["size"]: r for r in rows if r["mode"] == "old"}
    for r in rows:
        if r["mode"] == "old" or r["size"] not in old:
            same = "—"
        else:
            same = "yes" if r["stories"] == old[r["size"]]["stories"] else "NO"
        print(f"| {r['read']:,} | {r['mode']} | {r['peak_mb']:.0f} | {r['before_mb']:.0f} | {r['seconds']:.1f} | {same} |")
    print(f"\nfooter at the smallest size: {rows[0]['footer']}")


if __name__ == "__main__":
    main()
