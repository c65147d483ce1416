"""Writers in several processes on one store wait their turn and give the store one writer would."""

from __future__ import annotations

import asyncio
import json
import random
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bot.config import Settings
from bot.ingest.models import RawArticle
from bot.ingest.pipeline import Ingestor
from bot.store import db as store_db
from bot.store.db import open_database
from tests.conftest import PROJECT_ROOT


def look_alike_records(originals: int, copies: int, seed: int = 7) -> list[dict[str, str]]:
    """Distinct stories, then light rewrites (three words changed) of the first `copies`, mixed in later."""
    rng = random.Random(seed)
    vocab = [f"w{rng.randrange(10**6):06d}" for _ in range(3000)]
    stories = []
    for i in range(originals):
        words = [rng.choice(vocab) for _ in range(60)]
        stories.append((f"Story {i} {rng.choice(vocab)}", words))
    records = [{"title": t, "body": " ".join(w) + f" Figure {i}."} for i, (t, w) in enumerate(stories)]
    rewrites = []
    for i, (title, words) in enumerate(stories[:copies]):
        changed = list(words)
        for pos in (10, 30, 50):
            changed[pos] = rng.choice(vocab)
        rewrites.append({"title": f"{title} (rewritten)", "body": " ".join(changed) + f" Figure {i}."})
    half = len(records) // 2
    mixed = records[:half]
    for extra, original in zip(rewrites, records[half:] + [None] * len(rewrites)):  # type: ignore[operator]
        mixed.append(extra)
        if original is not None:
            mixed.append(original)
    mixed.extend(records[half + len(rewrites):])
    return mixed


def _summary(path: Path) -> tuple[int, int, int]:
    con = sqlite3.connect(path)
    try:
        articles = con.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
        linked = con.execute("SELECT COUNT(*) FROM articles WHERE duplicate_of IS NOT NULL").fetchone()[0]
        members = con.execute("SELECT COUNT(*) FROM article_collections").fetchone()[0]
        return int(articles), int(linked), int(members)
    finally:
        con.close()


def _ingest(db_path: Path, source: Path, n: int) -> list[subprocess.CompletedProcess[str]]:
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "bot", "ingest", str(source), "--db", str(db_path)], cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for _ in range(n)
    ]
    done = []
    for proc in procs:
        try:
            out, err = proc.communicate(timeout=180)
        except subprocess.TimeoutExpired:
            for other in procs:
                other.kill()
            pytest.fail("an ingest hung")
        done.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
    return done


async def test_two_processes_ingesting_one_file_give_the_store_of_one_after_the_other(tmp_path: Path) -> None:
    source = tmp_path / "wire.jsonl"
    records = look_alike_records(900, 300)
    source.write_text("".join(json.dumps(r) + "\n" for r in records))
    alone = await asyncio.to_thread(_ingest, tmp_path / "alone.db", source, 1)
    assert alone[0].returncode == 0, alone[0].stderr
    expected = _summary(tmp_path / "alone.db")
    assert expected[0] == 1200 and expected[1] == 300  # the file does what the test means

    both = await asyncio.to_thread(_ingest, tmp_path / "both.db", source, 2)
    for r in both:
        assert r.returncode == 0 and "Traceback" not in r.stderr and "locked" not in r.stderr, r.stderr
    assert _summary(tmp_path / "both.db") == expected


WAITING_WRITER = textwrap.dedent(
    """
    import asyncio, json, sys
    from bot.config import load_settings
    from bot.ingest.models import RawArticle
    from bot.ingest.pipeline import Ingestor
    from bot.store.db import open_database

    async def main(db_path, copies_path):
        settings = load_settings(db_path=db_path)
        db = await open_database(db_path)
        cid = await db.collection_id("default")
        ingestor = Ingestor(db, settings)
        await ingestor.ingest_one(RawArticle(title="Warm-up", body="An unrelated note about the weather today.", origin="w"), cid)
        print("ready", flush=True)
        sys.stdin.readline()  # meanwhile another process stores the originals
        copies = [RawArticle(title=r["title"], body=r["body"], origin=str(i))
                  for i, r in enumerate(json.loads(line) for line in open(copies_path))]
        results = await ingestor.ingest_many(copies, cid)
        print(sum(1 for r in results if r.near_duplicate_of is not None), flush=True)
        await db.close()

    asyncio.run(main(sys.argv[1], sys.argv[2]))
    """
)


async def test_a_process_links_copies_of_what_another_process_stored_after_it_started(
    tmp_path: Path, settings: Settings
) -> None:
    records = look_alike_records(40, 40)
    originals = [r for r in records if "(rewritten)" not in r["title"]]
    copies = [r for r in records if "(rewritten)" in r["title"]]
    copies_path = tmp_path / "copies.jsonl"
    copies_path.write_text("".join(json.dumps(r) + "\n" for r in copies))
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", WAITING_WRITER, str(settings.db_path), str(copies_path), cwd=PROJECT_ROOT,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None and proc.stdin is not None
        assert (await asyncio.wait_for(proc.stdout.readline(), 60)).strip() == b"ready"
        db = await open_database(settings.db_path)
        try:
            cid = await db.collection_id("default")
            stored = await Ingestor(db, settings).ingest_many(
                [RawArticle(title=r["title"], body=r["body"], origin="o") for r in originals], cid
            )
            assert all(r.status == "added" for r in stored)
        finally:
            await db.close()
        proc.stdin.write(b"go\n")
        await proc.stdin.drain()
        out, err = await asyncio.wait_for(proc.communicate(), 60)
        assert proc.returncode == 0, err.decode()
        assert int(out.strip()) == len(copies)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def test_a_small_write_waits_its_turn_behind_a_long_one(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Longer than SQLite's busy timeout: the writer tries again instead of failing with 'database is locked'."""
    monkeypatch.setattr(store_db, "BUSY_TIMEOUT_MS", 100)
    db = await open_database(settings.db_path)
    try:
        cid = await db.collection_id("default")
        other = sqlite3.connect(settings.db_path, isolation_level=None)  # another process's long batch
        other.execute("BEGIN IMMEDIATE")
        started = asyncio.Event()

        async def small_ingest() -> int | None:
            started.set()
            result = await Ingestor(db, settings).ingest_one(
                RawArticle(title="Small", body="A short pasted note about the harbour.", origin="p"), cid
            )
            return result.article_id

        task = asyncio.create_task(small_ingest())
        await started.wait()
        await asyncio.sleep(0.5)  # the batch holds the lock for five busy timeouts
        other.execute("COMMIT")
        other.close()
        assert await asyncio.wait_for(task, 30) is not None
    finally:
        await db.close()
