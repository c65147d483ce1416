"""Answer quality and latency on our own question sets, for each answer mode.

    python bench/answer_eval.py samples                  # the 10 sample articles (store built in a temp dir)
    python bench/answer_eval.py reuters --db /tmp/reuters.db   # all 19k Reuters-21578 articles (built if missing)
    python bench/answer_eval.py samples --calibrate      # relevance scores of answerable vs unanswerable questions

Modes: `extractive`, and `llm` through an OpenAI-compatible server: `--base-url` for a real one
(OPENAI_API_KEY from the environment), otherwise the test suite's local fake server, whose reply is
the first sentence of source [1] (it measures retrieval, packing and citation plumbing, not a model).
Figures: share of answerable questions whose answer holds the key fact; share citing the expected
article (or an exact copy of it); share of no-answer questions refused; median latency without the
model's own time; prompt tokens of the packed context against a naive "top 10 chunks" prompt.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot import answer as answer_module  # noqa: E402
from bot.answering.answerer import Answerer, Turn  # noqa: E402
from bot.config import load_settings  # noqa: E402
from bot.ingest.pipeline import Ingestor  # noqa: E402
from bot.ingest.sources import iter_sources  # noqa: E402
from bot.llm.client import LLMClient  # noqa: E402
from bot.llm.prompts import fence_sources, load_prompt, render  # noqa: E402
from bot.llm.tokens import count_tokens  # noqa: E402
from bot.search import search_passages  # noqa: E402
from bot.store.db import Database, open_database  # noqa: E402

NOW = datetime(2019, 10, 1, tzinfo=timezone.utc)


def reuters_file() -> Path:
    for base in (ROOT.parent / "shared" / "data", Path("/work/shared/data")):
        path = base / "reuters21578" / "articles.jsonl.gz"
        if path.exists():
            return path
    raise SystemExit("Reuters-21578 not found in ../shared/data or /work/shared/data")


async def build_store(db_path: Path, source: Path) -> None:
    settings = load_settings(db_path=str(db_path))
    db = await open_database(db_path)
    cid = await db.collection_id("default")
    started = time.perf_counter()
    results = await Ingestor(db, settings).ingest_many(iter_sources([str(source)], settings), cid)
    print(f"built {db_path}: {sum(r.status == 'added' for r in results)} articles in {time.perf_counter() - started:.0f} s",
          file=sys.stderr)
    await db.close()


async def expected_ids(db: Database, item: dict) -> set[int]:
    """The expected article and its exact or near copies (same title, or linked as duplicates)."""
    if item.get("url"):
        sql, arg = "SELECT id, title FROM articles WHERE url = ?", item["url"]
    elif item.get("record_id"):
        sql, arg = "SELECT id, title FROM articles WHERE json_extract(meta, '$.record_id') = ?", item["record_id"]
    else:
        return set()
    async with db.conn.execute(sql, (arg,)) as cur:
        row = await cur.fetchone()
    if row is None:
        raise SystemExit(f"expected article not in the store: {arg}")
    async with db.conn.execute(
        "SELECT id FROM articles WHERE title = ? OR duplicate_of = ? OR id = (SELECT duplicate_of FROM articles WHERE id = ?)",
        (row[1], row[0], row[0]),
    ) as cur:
        return {row[0]} | {r[0] for r in await cur.fetchall()}


async def naive_prompt_tokens(db: Database, settings, cid: int, question: str) -> int:
    hits = await search_passages(db, cid, question, k=10, per_article=10)
    system = load_prompt(settings, "answer_system")
    user = render(load_prompt(settings, "answer_user"), sources=fence_sources(hits), question=question,
                  today=NOW.date().isoformat(), tz="UTC", note="")
    return count_tokens(system) + count_tokens(user) + 12


def request_tokens(body: dict) -> int:
    return sum(count_tokens(str(m.get("content") or "")) + 4 for m in body.get("messages", [])) + 2


async def run_mode(mode: str, db: Database, settings, cid: int, items: list[dict], server) -> dict:
    llm = LLMClient(settings.llm) if mode == "llm" else None
    answerer = Answerer(db, settings, llm)
    rows = []
    for item in items:
        expected = await expected_ids(db, item)
        history = [Turn("user", h) for h in item.get("history", [])]
        before = len(server.requests) if server else 0
        result = await answerer.answer(item["q"], cid, history=history, now=NOW, allow_llm=mode == "llm")
        text = " ".join(result.text.lower().split())
        row = {
            "q": item["q"],
            "answerable": bool(expected),
            "found": result.found,
            "mode": result.mode,
            "fact": bool(item.get("fact")) and any(f.lower() in text for f in item["fact"]),
            "cited": bool(expected & {c.article_id for c in result.citations}),
            "latency_ms": result.elapsed_ms - getattr(result, "model_ms", 0.0),
            "scores": answerer.last_scores,
            "answer": result.text,
        }
        if mode == "llm" and server and len(server.requests) > before:
            row["prompt_tokens"] = request_tokens(server.requests[-1])
            row["naive_tokens"] = await naive_prompt_tokens(db, settings, cid, item["q"])
        elif mode == "llm" and result.usage["prompt_tokens"]:
            row["prompt_tokens"] = result.usage["prompt_tokens"]
            row["naive_tokens"] = await naive_prompt_tokens(db, settings, cid, item["q"])
        rows.append(row)
    if llm:
        await llm.aclose()
    return summarize(mode, rows)


def summarize(mode: str, rows: list[dict]) -> dict:
    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    packed = [r["prompt_tokens"] for r in rows if "prompt_tokens" in r]
    naive = [r["naive_tokens"] for r in rows if "naive_tokens" in r]
    return {
        "mode": mode,
        "questions": len(rows),
        "answerable": len(answerable),
        "no_answer": len(unanswerable),
        "facts_found": sum(r["fact"] for r in answerable) / max(len(answerable), 1),
        "correct_citations": sum(r["cited"] for r in answerable) / max(len(answerable), 1),
        "correct_refusals": sum(not r["found"] for r in unanswerable) / max(len(unanswerable), 1),
        "false_refusals": sum(not r["found"] for r in answerable),
        "fell_back": sum(r["mode"] != mode for r in rows if r["found"]),
        "median_latency_ms": statistics.median(r["latency_ms"] for r in rows),
        "p90_latency_ms": sorted(r["latency_ms"] for r in rows)[int(0.9 * (len(rows) - 1))],
        "packed_prompt_tokens_median": statistics.median(packed) if packed else None,
        "naive_top10_prompt_tokens_median": statistics.median(naive) if naive else None,
        "packed_prompt_tokens_total": sum(packed) if packed else None,
        "naive_top10_prompt_tokens_total": sum(naive) if naive else None,
        "misses": [
            {k: r[k] for k in ("q", "found", "fact", "cited", "answer", "scores")}
            for r in rows if (r["answerable"] and not (r["fact"] and r["cited"])) or (not r["answerable"] and r["found"])
        ],
    }


async def calibrate(db: Database, settings, cid: int, items: list[dict]) -> None:
    saved = answer_module.RELEVANCE_THRESHOLD, answer_module.SENTENCE_THRESHOLD
    answer_module.RELEVANCE_THRESHOLD = answer_module.SENTENCE_THRESHOLD = 0.0
    answerer = Answerer(db, settings, None)
    points = []
    for item in items:
        history = [Turn("user", h) for h in item.get("history", [])]
        await answerer.answer(item["q"], cid, history=history, now=NOW, allow_llm=False)
        points.append((bool(item.get("fact")), *answerer.last_scores, item["q"]))
    answer_module.RELEVANCE_THRESHOLD, answer_module.SENTENCE_THRESHOLD = saved
    for ok, passage, sentence, q in sorted(points, key=lambda p: p[1]):
        print(f"{'ANS' if ok else 'NO '}  passage {passage:.2f}  sentence {sentence:.2f}  {q}")
    print("\nthreshold  answerable-kept  no-answer-refused   (passage threshold, sentence threshold fixed at "
          f"{saved[1]})")
    for t in [x / 100 for x in range(40, 90, 4)]:
        kept = sum(1 for ok, p, s, _ in points if ok and p >= t and s >= saved[1])
        refused = sum(1 for ok, p, s, _ in points if not ok and (p < t or s < saved[1]))
        print(f"  {t:.2f}      {kept}/{sum(p[0] for p in points)}            {refused}/{sum(not p[0] for p in points)}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("set", choices=["samples", "reuters"])
    parser.add_argument("--db", help="store to use (reuters: built there if missing; default /tmp/briefbot-reuters.db)")
    parser.add_argument("--modes", default="extractive,llm")
    parser.add_argument("--base-url", help="a real OpenAI-compatible endpoint for the llm mode")
    parser.add_argument("--model", help="model name for --base-url")
    parser.add_argument("--calibrate", action="store_true")
    parser.add_argument("--show-misses", action="store_true")
    args = parser.parse_args()

    items = [json.loads(line) for line in (ROOT / "bench" / f"questions_{args.set}.jsonl").read_text().splitlines() if line]
    tmp = tempfile.TemporaryDirectory()
    if args.set == "samples":
        db_path = Path(args.db or Path(tmp.name) / "samples.db")
        if not db_path.exists():
            await build_store(db_path, ROOT / "examples" / "articles")
    else:
        db_path = Path(args.db or "/tmp/briefbot-reuters.db")
        if not db_path.exists():
            await build_store(db_path, reuters_file())
    settings = load_settings(db_path=str(db_path))
    db = await open_database(db_path)
    cid = await db.collection_id("default")
    async with db.conn.execute("SELECT count(*) FROM article_collections WHERE collection_id = ?", (cid,)) as cur:
        n_articles = (await cur.fetchone())[0]
    if args.calibrate:
        await calibrate(db, settings, cid, items)
        await db.close()
        return

    server = None
    fake_cm = None
    if "llm" in args.modes:
        if args.base_url:
            settings.llm.base_url = args.base_url
            settings.llm.model = args.model or settings.llm.model
            settings.llm.api_key = os.environ.get("OPENAI_API_KEY", "")
        else:
            from tests.fake_openai import FakeOpenAI

            fake_cm = FakeOpenAI()
            server = await fake_cm.__aenter__()
            settings.llm.base_url = server.base_url
    report = {
        "set": args.set, "articles": n_articles, "date": datetime.now().date().isoformat(),
        "machine": f"{os.cpu_count()} cores, Python {platform.python_version()}",
        "llm": args.base_url or ("local fake server" if server else None), "results": [],
    }
    for mode in args.modes.split(","):
        summary = await run_mode(mode, db, settings, cid, items, server)
        if not args.show_misses:
            summary["misses"] = len(summary["misses"])
        report["results"].append(summary)
    if fake_cm:
        await fake_cm.__aexit__(None, None, None)
    await db.close()
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    asyncio.run(main())
