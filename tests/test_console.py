"""`briefbot console` in a subprocess: questions, commands, an unknown command, end of input."""

from __future__ import annotations

import pytest

import os
import subprocess
import sys
from pathlib import Path

from tests.cli_runner import Ran, briefbot
from tests.conftest import PROJECT_ROOT, SAMPLES


def console(db: Path, lines: list[str] | None, *extra: str) -> Ran:
    """`briefbot --db DB console EXTRA` reading `lines`, in process; `lines=None`: a real process with stdin closed
    (the smoke test of the README's first command, which ends in the console)."""
    if lines is None:
        proc = subprocess.run(
            [sys.executable, "-m", "bot", "--db", str(db), "console", *extra], stdin=subprocess.DEVNULL,
            capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=60,
            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(PROJECT_ROOT), "BRIEFBOT_EMBEDDINGS": os.environ.get("BRIEFBOT_EMBEDDINGS", "off")},
        )
        return Ran(proc.returncode, proc.stdout, proc.stderr)
    return briefbot("--db", str(db), "console", *extra, input="".join(line + "\n" for line in lines))


def test_console_with_closed_stdin_greets_hints_and_exits_cleanly(tmp_path: Path) -> None:
    result = console(tmp_path / "c.db", None)
    assert result.returncode == 0, result.stderr
    assert "Briefbot console" in result.stdout and "/help" in result.stdout and "Bye." in result.stdout
    assert result.stderr == ""


def test_console_answers_questions_and_commands_on_the_sample_articles(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    ingest = briefbot("--db", str(db), "ingest", str(SAMPLES))
    assert ingest.returncode == 0, ingest.stderr
    result = console(db, [
        "what did Japan approve for Samsung?",
        "and hydrogen fluoride?",
        "/status",
        "/article show 1",
        "/frobnicate now",
        "/briefing subscribe time=25:00",
        "/briefing subscribe time=07:30 tz=Europe/Paris alerts=off topics=chips,japan",
        "/briefing settings",
        "/feed list",
        "/help",
    ], "--no-background")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    count = len(list(SAMPLES.glob("*.md")))
    assert f"console: {count} articles" in out  # the greeting counts the store
    assert "photoresist" in out.lower() and "\nSources:\n[1] Japan approves" in out
    assert "<https://example.org/briefbot-samples/japan-approves-photoresist-samsung>" in out
    assert "Please wait" not in out  # no cooldown for the one person at a terminal
    assert "hydrogen fluoride" in out.lower()
    assert f"Articles: {count}" in out and "Version: briefbot" in out
    assert "Japan approves first photoresist shipment" in out
    assert "Unknown command /frobnicate. Type /help for the list." in out
    assert "is not a time of day" in out
    assert "daily at 07:30 (Europe/Paris), new-item alerts off, topics: chips, japan." in out
    assert "No feeds yet" in out
    assert "/briefing now [SINCE]" in out
    assert out.rstrip().endswith("Bye.")


def test_run_without_a_token_points_to_discord_token_and_the_console(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--db", str(tmp_path / "r.db"), "run"],
        capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=60,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(PROJECT_ROOT), "BRIEFBOT_EMBEDDINGS": os.environ.get("BRIEFBOT_EMBEDDINGS", "off")},
    )
    assert result.returncode == 2
    assert "DISCORD_TOKEN" in result.stderr and "briefbot console" in result.stderr


async def test_the_console_channel_prints_its_daily_briefing_when_it_is_posted(settings, db) -> None:
    pytest.importorskip("bot.briefing", reason="lands with another branch")
    import io
    from datetime import UTC, datetime, timedelta

    from bot.ingest.models import RawArticle
    from bot.ingest.pipeline import Ingestor
    from bot.timeutil import ManualClock
    from bot.app import App
    from bot.usecases.channels import CONSOLE_CHANNEL
    from bot.transport.console import Console

    start = datetime.now(UTC).replace(second=0, microsecond=0)
    clock = ManualClock(start)
    cid = await db.collection_id("default")
    await Ingestor(db, settings).ingest_one(RawArticle(
        title="Night trains return between Vienna and Amsterdam",
        body="A night train between Vienna and Amsterdam ran again on Sunday after a pause of four years, the operator said.",
        published=start,
    ), cid)
    service = App(settings, db, None, clock)
    out = io.StringIO()
    console_ = Console(service, stdin=io.StringIO(""), stdout=out, background=False)
    due = (start + timedelta(minutes=1)).strftime("%H:%M")
    await service.briefings.subscribe(CONSOLE_CHANNEL, cid, guild_id=None, daily_time=due, tz="UTC", alerts=False,
                            topics=None, role_id=None, user_id=None)
    assert (await console_.scheduler.tick(poll=False)).sent == []
    clock.advance(minutes=1)
    assert len((await console_.scheduler.tick(poll=False)).sent) == 1
    assert "── Daily briefing ──" in out.getvalue() and "Night trains return" in out.getvalue()
