"""A store that cannot be opened or written fails at once, with one line naming the path and the cause."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from bot.errors import UserError
from bot.store.db import migration_files, open_database
from tests.conftest import PROJECT_ROOT

OPEN_SCRIPT = textwrap.dedent(
    """
    import asyncio, sys, time
    from bot.errors import UserError
    from bot.store.db import open_database

    while time.time() < float(sys.argv[2]):  # all start together: the race is the point
        time.sleep(0.001)

    async def main(path):
        db = await open_database(path)
        try:
            print(await db.schema_version(), flush=True)
        finally:
            await db.close()

    try:
        asyncio.run(main(sys.argv[1]))
    except UserError as exc:
        print(exc, file=sys.stderr)
        sys.exit(2)
    """
)


def _open_at_once(path: Path, n: int) -> list[subprocess.CompletedProcess[str]]:
    start_at = time.time() + 1.0  # after every interpreter has started
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", OPEN_SCRIPT, str(path), str(start_at)], cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for _ in range(n)
    ]
    done: list[subprocess.CompletedProcess[str]] = []
    for proc in procs:
        try:
            out, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            for other in procs:
                other.kill()
            pytest.fail("a process opening the store hung")
        done.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
    return done


async def test_four_processes_open_a_fresh_store_at_once(tmp_path: Path) -> None:
    latest = str(migration_files()[-1][0])
    for round_ in range(10):
        path = tmp_path / f"round{round_}" / "store.db"
        results = await asyncio.to_thread(_open_at_once, path, 4)
        for r in results:
            assert r.returncode == 0 and r.stdout.strip() == latest and r.stderr == "", (round_, r.stderr)
        check = sqlite3.connect(path)
        try:
            assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert check.execute("SELECT COUNT(*) FROM schema_migrations").fetchone()[0] == len(migration_files())
            assert check.execute("SELECT COUNT(*) FROM search_state").fetchone()[0] == 1  # each migration ran once
        finally:
            check.close()


async def test_a_file_that_is_not_sqlite(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("these are my notes, not a database\n" * 100)
    with pytest.raises(UserError, match=r"notes\.db.*not an SQLite database"):
        await open_database(path)


@pytest.mark.parametrize("where", ["/proc/briefbot/store.db", "/proc/store.db"])
async def test_a_path_under_proc(where: str) -> None:
    with pytest.raises(UserError, match=where.replace(".", r"\.")):
        await open_database(where)


async def test_a_folder_given_as_the_store(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="folder"):
        await open_database(tmp_path)


async def test_a_store_another_process_keeps_locked_waits_a_bounded_time(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # e.g. another process migrating it
        with pytest.raises(UserError, match=r"store\.db.*locked"):
            await open_database(path, wait_s=0.5)
    finally:
        holder.close()
    db = await open_database(path)  # free again: it opens
    await db.close()


@pytest.mark.skipif(os.geteuid() == 0, reason="file permissions do not bind root")
@pytest.mark.parametrize("what", ["file", "folder"])
async def test_a_read_only_store(tmp_path: Path, what: str) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    path = folder / "store.db"
    db = await open_database(path)
    await db.close()
    for extra in folder.iterdir():
        if extra != path and extra.is_file():
            extra.unlink()
    (path if what == "file" else folder).chmod(0o444 if what == "file" else 0o555)
    try:
        with pytest.raises(UserError, match=r"store\.db"):
            await open_database(path)
    finally:
        folder.chmod(0o755)
        path.chmod(0o644)


def test_the_cli_says_one_line_and_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.db"
    bad.write_text("not sqlite")
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "articles", "--db", str(bad)], cwd=PROJECT_ROOT,
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and str(bad) in lines[0] and "not an SQLite database" in lines[0], proc.stderr
