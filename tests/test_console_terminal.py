"""`briefbot console` as a person uses it, in a real terminal (a pty): line editing and history (up-arrow,
kept across runs), "working…" while a briefing builds, help for "hi" and "help", the store's path in the
banner and what an empty store says."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

from tests.cli_runner import briefbot
from tests.conftest import PROJECT_ROOT, SAMPLES

UP = "\x1b[A"


class Terminal:
    """`python -m bot ... console` on a pty: type lines, wait for what it prints."""

    def __init__(self, args: list[str], env: dict[str, str], cwd: Path = PROJECT_ROOT) -> None:
        self.master, slave = pty.openpty()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", *args], stdin=slave, stdout=slave, stderr=slave, cwd=cwd,
            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(PROJECT_ROOT), "TERM": "xterm", **env},
            close_fds=True,
        )
        os.close(slave)
        self.seen = ""

    def type(self, text: str) -> None:
        os.write(self.master, text.encode())

    def wait_for(self, wanted: str, count: int = 1, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while self.seen.count(wanted) < count:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{wanted!r} x{count} not seen; the terminal shows:\n{self.seen[-3000:]}")
            ready, _, _ = select.select([self.master], [], [], min(left, 0.5))
            if ready:
                try:
                    self.seen += os.read(self.master, 65536).decode("utf-8", "replace")
                except OSError:  # the console ended
                    if self.proc.poll() is not None and self.seen.count(wanted) < count:
                        raise AssertionError(f"{wanted!r} not seen before exit:\n{self.seen[-3000:]}") from None
        return self.seen

    def close(self) -> int:
        try:
            return self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()  # a failed test left it waiting for input
            self.proc.wait(timeout=10)
            raise
        finally:
            os.close(self.master)


def test_line_editing_history_working_and_help_in_a_terminal(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    assert briefbot("ingest", str(SAMPLES), db=db).returncode == 0
    history = tmp_path / "history"
    env = {"BRIEFBOT_HISTORY": str(history), "HOME": str(tmp_path)}
    term = Terminal(["--db", str(db), "console", "--no-background"], env)
    try:
        term.wait_for("Ctrl-D leaves.")
        assert f"in {db}." in term.seen  # the store's path in the banner
        term.wait_for("> ")
        term.type("hi\r")
        term.wait_for("Ask me about the news in the stored articles")
        term.wait_for("> ", count=2)
        term.type("help\r")
        term.wait_for("/briefing now [SINCE]")
        term.wait_for("> ", count=3)
        term.type("what did Japan approve for Samsung?\r")
        term.wait_for("Sources:")
        term.wait_for("> ", count=4)
        term.type(UP + "\r")  # the same question again, from the history
        term.wait_for("Sources:", count=2)
        term.wait_for("> ", count=5)
        term.type("what did Jaan" + "\x1b[D" * 2 + "p" + "\x05" + " approve for Samsung?\r")  # left-arrow x2, insert, Ctrl-E
        term.wait_for("Sources:", count=3)
        term.wait_for("> ", count=6)
        term.type("/briefing now 2 days\r")
        term.wait_for("working… (building the briefing)")
        term.wait_for("Briefing —")
        term.wait_for("> ", count=7)
        term.type("\x04")  # Ctrl-D
        term.wait_for("Bye.")
    finally:
        code = term.close()
    assert code == 0
    saved = history.read_text().splitlines()
    # typed, recalled and edited into the same question: kept once (readline skips a repeat of the last line)
    assert saved == ["hi", "help", "what did Japan approve for Samsung?", "/briefing now 2 days"]

    again = Terminal(["--db", str(db), "console", "--no-background"], env)  # the history is kept across runs
    try:
        again.wait_for("> ")
        again.type(UP + "\r")
        again.wait_for("working… (building the briefing)")
        again.wait_for("Briefing —")
        again.type("/quit\r")
        again.wait_for("Bye.")
    finally:
        assert again.close() == 0


def test_an_empty_store_opened_from_another_folder_says_so(tmp_path: Path) -> None:
    elsewhere = tmp_path / "home"
    elsewhere.mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "bot", "console"], input="", capture_output=True, text=True, cwd=elsewhere, timeout=60,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(PROJECT_ROOT)},
    )
    assert result.returncode == 0, result.stderr
    first = result.stdout.splitlines()[:2]
    assert f"0 articles, 0 feeds in {elsewhere / 'data' / 'briefbot.db'}." in first[0]
    assert "This store is empty. If you added articles from another folder" in first[1]
    assert "--db PATH" in first[1]
