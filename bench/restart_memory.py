"""Resident memory across App restarts in one process: open the store, ingest (which opens the search index
writer), close; repeat. Run it with and without MALLOC_ARENA_MAX=2 to see what the allocator does.

    python bench/restart_memory.py                      # 16 rounds
    MALLOC_ARENA_MAX=2 python bench/restart_memory.py
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import sys
import tempfile
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.app import App  # noqa: E402
from bot.config import load_settings  # noqa: E402

SAMPLES = ROOT / "examples" / "articles"


async def rounds(n: int, mode: str) -> list[int]:
    proc = psutil.Process()
    out: list[int] = []
    with tempfile.TemporaryDirectory(prefix="briefbot-restart-") as tmp:
        settings = load_settings(db_path=str(Path(tmp) / "store.db"))
        first = await App.open(settings)
        cid = await first.collection_id("c")
        await first.articles.ingest([str(SAMPLES)], cid)
        await first.close()
        for r in range(n):
            app = await App.open(settings)
            if mode == "ingest":  # the same articles into a new collection: the index writer opens and commits
                await app.articles.ingest([str(SAMPLES)], await app.collection_id(f"c{r}"))
            else:
                await app.asking.ask("what did Japan approve for Samsung?", cid)
            await app.close()
            del app
            gc.collect()
            out.append(proc.memory_info().rss)
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rounds", type=int, default=16)
    p.add_argument("--mode", choices=["ingest", "search"], default="ingest")
    args = p.parse_args()
    rss = asyncio.run(rounds(args.rounds, args.mode))
    mb = [round(r / 2**20) for r in rss]
    arena = os.environ.get("MALLOC_ARENA_MAX", "unset")
    print(f"mode {args.mode}, MALLOC_ARENA_MAX={arena}: RSS after each round (MB) {mb}; "
          f"growth from round 1 to {len(mb)}: {mb[-1] - mb[0]} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
