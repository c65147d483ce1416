"""First question after a start against later ones, with and without `App.warm()` (what the bot and
the console run at start), in model mode against the tests' local OpenAI-compatible server.

Each run is a fresh process (so nothing is cached from an earlier run): open the App on a store of
the sample articles, optionally warm, then ask four questions and time each through the ask use case.

    python bench/first_question.py --runs 5
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

QUESTIONS = ["what did Japan approve for Samsung?", "How much will Hyosung invest in carbon fibre?",
             "and hydrogen fluoride?", "what did Japan approve for Samsung?"]


async def one_run(db: str, warm: bool) -> dict[str, float]:
    from bot.app import open_app
    from bot.config import load_settings
    from tests.fake_openai import FakeOpenAI

    async with FakeOpenAI() as llm:
        settings = load_settings(db_path=db)
        settings.llm.base_url, settings.llm.api_key = llm.base_url, "bench"
        async with open_app(settings) as app:
            warm_s = await app.warm() if warm else 0.0
            cid = await app.lookup_collection("default")
            times = []
            for q in QUESTIONS:
                t = time.perf_counter()
                await app.asking.ask(q, cid)
                times.append(time.perf_counter() - t)
    return {"warm": warm_s, "first": times[0], "later": statistics.median(times[1:])}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--child", choices=["cold", "warm"])
    p.add_argument("--db")
    args = p.parse_args()
    if args.child:
        print(json.dumps(asyncio.run(one_run(args.db, args.child == "warm"))))
        return
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "b.db")
        subprocess.run([sys.executable, "-m", "bot", "--db", db, "ingest", str(ROOT / "examples" / "articles")],
                       check=True, capture_output=True, cwd=ROOT)
        rows = {}
        for mode in ("cold", "warm"):
            runs = []
            for _ in range(args.runs):
                out = subprocess.run([sys.executable, __file__, "--child", mode, "--db", db],
                                     check=True, capture_output=True, text=True, cwd=ROOT)
                runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
            rows[mode] = runs
    load = os.getloadavg()
    print(f"# first question, {os.cpu_count()} cores, load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, "
          f"python {platform.python_version()}, {args.runs} processes each")
    print("| start | warm-up, ms (median) | first question, ms (median, max) | later questions, ms (median) |")
    print("|---|---|---|---|")
    for mode, runs in rows.items():
        def med(key: str, runs: list[dict[str, float]] = runs) -> float:
            return statistics.median(r[key] for r in runs) * 1000

        print(f"| {mode} | {med('warm'):.0f} | {med('first'):.0f} ({max(r['first'] for r in runs) * 1000:.0f}) | {med('later'):.1f} |")


if __name__ == "__main__":
    main()
