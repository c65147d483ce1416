"""Bad input from the command line and the console: a clear message, no traceback, nothing lost."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import SAMPLES
from tests.test_cli import briefbot
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
