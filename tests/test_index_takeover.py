"""A second process on one store: what it stores is searchable to it at once, and it takes the index's
writer over when the process that held it exits (issue 13, "A long-running console or bot can stop
indexing for good")."""

from __future__ import annotations

import asyncio
import io
import logging
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.app import NO_MODEL, open_app
from bot.config import Settings, load_settings
from bot.store.db import Database
from bot.transport.console import Console
from tests.conftest import PROJECT_ROOT

TITLE = "Zeppelin hangar reopens in Friedrichshafen"
BODY = "The zeppelin hangar in Friedrichshafen reopened on Monday after a two-year refit, its operator said."
QUESTION = "what happened to the zeppelin hangar in Friedrichshafen?"


async def last_change(db: Database) -> int:
    rows = await db.conn.execute_fetchall("SELECT seq FROM sqlite_sequence WHERE name = 'search_changes'")
    return int(rows[0][0]) if rows else 0


async def wait_until(predicate, timeout: float = 15.0, step=None) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        if step is not None:
            await step()
        if predicate():
            return
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.1)


async def test_two_apps_on_one_store_overlay_then_takeover(settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    async with open_app(settings, llm=NO_MODEL) as first:
        cid = await first.collection_id("default")
        await first.articles.add_text(cid, "Walrus census", "The walrus census on Svalbard counted more animals this year.")
        assert (await first.index.ready()).writable
        async with open_app(settings, llm=NO_MODEL) as second:
            added = await second.articles.add_text(cid, TITLE, BODY)
            assert not second.index.writable  # the first App holds the writer
            hits = await second.articles.search(cid, "zeppelin hangar")
            assert [h.article_id for h in hits] == [added.article_id]  # from its overlay, at once
            assert [h.title for h in await second.articles.search(cid, "walrus census")] == ["Walrus census"]
            assert second.index.committed_seq() < await last_change(second.db)
            # The first App still serves its own index; it catches up with the second's article too
            # (it looks for other connections' commits every EXTERNAL_CHECK_S).
            found: list[int] = []

            async def first_searches() -> None:
                found[:] = [h.article_id for h in await first.articles.search(cid, "zeppelin")]

            await wait_until(lambda: found == [added.article_id], step=first_searches)
            first.index.close()  # the writer is free now
            await wait_until(lambda: second.index.writable, step=lambda: second.articles.search(cid, "zeppelin"))
            assert second.index.committed_seq() == await last_change(second.db)
            assert second.index.pending == {}
            assert added.article_id in {h.article_id for h in await second.articles.search(cid, "zeppelin hangar")}
            newer = await second.articles.add_text(cid, "Quokka count", "The quokka count on Rottnest rose again.")
            assert second.index.committed_seq() == await last_change(second.db)  # it writes the index itself now
            assert [h.article_id for h in await second.articles.search(cid, "quokka")] == [newer.article_id]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING and r.name.startswith("bot.")]


def _console_process(db: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "--db", str(db), "console", "--no-background"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=PROJECT_ROOT,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(PROJECT_ROOT)},
    )


async def test_a_console_started_beside_another_finds_its_paste_and_takes_the_writer_over(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db_path = tmp_path / "two.db"
    settings = load_settings(db_path=str(db_path))
    # The first console (a real process) opens the index by answering a question: it holds the writer.
    first = _console_process(db_path)
    try:
        assert first.stdin is not None and first.stdout is not None
        first.stdin.write("what about walruses?\n")
        first.stdin.flush()
        seen: list[str] = []
        while not any("don't have" in line or "nothing" in line.lower() for line in seen[2:]):
            line = await asyncio.wait_for(asyncio.to_thread(first.stdout.readline), 30)
            assert line, f"the first console ended: {''.join(seen)} {first.stderr.read() if first.stderr else ''}"
            seen.append(line)
        caplog.set_level(logging.INFO)
        async with open_app(settings, llm=NO_MODEL) as app:
            paste = io.StringIO(f"{TITLE}\n{BODY}\n.\n")
            out = io.StringIO()
            console = Console(app, stdin=paste, stdout=out, background=False)
            cid = await app.collection_id("default")
            await console.handle("/article add text", cid)
            assert "Added" in out.getvalue() or "added" in out.getvalue(), out.getvalue()
            await console.handle(QUESTION, cid)
            assert not app.index.writable  # the first console still holds the writer
            assert TITLE in out.getvalue() and "refit" in out.getvalue()  # found at once, in this process
            # A CLI search (a third process) finds it too, and says nothing about the other processes.
            cli = await asyncio.to_thread(
                subprocess.run, [sys.executable, "-m", "bot", "--db", str(db_path), "search", "zeppelin hangar"],
                capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=60,
                env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(PROJECT_ROOT)},
            )
            assert cli.returncode == 0 and TITLE in cli.stdout and cli.stderr == "", cli.stderr
            # The first console leaves: this one takes the writer over and the index catches up.
            first.stdin.write("/quit\n")
            first.stdin.flush()
            assert await asyncio.to_thread(first.wait, 30) == 0
            assert first.stderr is not None and first.stderr.read() == ""
            await wait_until(lambda: app.index.writable, step=lambda: console.handle(QUESTION, cid))
            assert app.index.committed_seq() == await last_change(app.db)
            assert app.index.pending == {}
            index_hits = app.index.search(app.index.terms(["zeppelin"]), cid, 5)
            assert len(index_hits) == 1  # in the on-disk index now, not the overlay
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING and r.name.startswith("bot.")]

