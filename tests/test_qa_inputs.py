"""Bad input from the command line and the console: a clear message, no traceback, nothing lost."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import PROJECT_ROOT, SAMPLES
from tests.cli_runner import briefbot
from tests.test_console import console


def test_a_latin_1_text_file_keeps_its_accents(tmp_path: Path) -> None:
    text = ("Café prices rise in São Paulo\n\nCoffee prices in São Paulo rose 5% on Monday as café owners passed on "
            "higher bean costs to customers, traders said.\n")
    path = tmp_path / "latin1.txt"
    path.write_bytes(text.encode("latin-1"))
    run = briefbot("ingest", str(path), db=tmp_path / "l.db")
    assert run.returncode == 0, run.stderr
    assert "'Café prices rise in São Paulo'" in run.stdout


def test_a_page_that_is_not_an_article_is_named_without_library_noise(tmp_path: Path) -> None:
    page = tmp_path / "login.html"
    page.write_text("<html><body><form><input name=user><input type=password></form></body></html>", encoding="utf-8")
    run = briefbot("ingest", str(page), db=tmp_path / "p.db")
    assert run.returncode == 1
    assert f"failed  {page}: the page has no article text" in run.stdout
    assert run.stderr == ""  # no "WARNING trafilatura.core: discarding data"


def test_console_subscribe_options_are_checked_and_the_language_note_is_shown(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    assert briefbot("ingest", str(SAMPLES), db=db).returncode == 0
    result = console(db, [
        "/briefing subscribe alerts=maybe",
        "/briefing settings",
        "/briefing subscribe time=25:99 tz=Mars/Base",
        "/briefing subscribe language=French;rm",
        "/briefing subscribe time=07:30 language=French",
        "/briefing settings",
    ], "--no-background")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "alerts='maybe' is not understood; use alerts=on or alerts=off." in out
    assert "Not subscribed." in out  # the bad value subscribed nothing
    assert "'25:99' is not a time of day" in out
    assert "is not a language name" in out
    assert out.count("summaries in French (no model is configured, so summaries are extracts that keep the articles' own language") == 2
    assert "Traceback" not in out + result.stderr


def test_counts_below_their_minimum_are_usage_errors(tmp_path: Path) -> None:
    db = tmp_path / "n.db"
    for args, message in ((("search", "japan", "-k", "0"), "argument -k: '0' is less than 1"),
                          (("articles", "--limit", "0"), "argument --limit: '0' is less than 1"),
                          (("articles", "--offset", "-5"), "argument --offset: '-5' is less than 0"),
                          (("articles", "--limit", "ten"), "'ten' is not a whole number")):
        run = briefbot(*args, db=db)
        assert run.returncode == 2 and message in run.stderr, (args, run.stderr)


def test_console_uses_the_collection_it_is_given(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    assert briefbot("--collection", "samples", "ingest", str(SAMPLES), db=db).returncode == 0
    result = briefbot("--db", str(db), "--collection", "samples", "console", "--no-background",
                      input="what did Japan approve for Samsung?\n")
    assert "Briefbot console: 10 articles" in result.stdout and "photoresist" in result.stdout
    assert "Briefbot console: 0 articles" in console(db, ["/status"]).stdout  # the default collection is empty


def _first_line_then_close(args: list[str], stdin: str | None = None) -> tuple[int, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", *args], cwd=PROJECT_ROOT, text=True,
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    if stdin is not None:
        assert proc.stdin is not None
        proc.stdin.write(stdin)
        proc.stdin.close()
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline()
    proc.stdout.close()  # like `| head -1`
    err = proc.stderr.read()
    return proc.wait(timeout=60), err


def test_output_into_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    big = tmp_path / "big.txt"
    big.write_text("A very long article\n\n" + "Copper output rose again on Tuesday, the ministry said. " * 5000, encoding="utf-8")
    assert briefbot("ingest", str(big), db=db).returncode == 0
    code, err = _first_line_then_close(["--db", str(db), "show", "1"])
    assert code == 141 and err == ""
    code, err = _first_line_then_close(["--db", str(db), "console", "--no-background"], stdin="/help\n" * 400)
    assert code == 0 and err == ""
