from __future__ import annotations

import json
from pathlib import Path

from tests.cli_runner import briefbot, briefbot_subprocess
from tests.conftest import SAMPLES


def test_ingest_search_articles_show_from_the_command_line(tmp_path: Path) -> None:
    db = tmp_path / "cli.db"
    first = briefbot_subprocess("ingest", str(SAMPLES), db=db)  # smoke test: a real `python -m bot` process
    assert first.returncode == 0, first.stderr
    assert "10 added" in first.stdout
    second = briefbot("ingest", str(SAMPLES), db=db)
    assert second.returncode == 0 and "0 added, 10 duplicates" in second.stdout and "duplicate of" in second.stdout

    search = briefbot("search", "what did Japan approve for Samsung?", "--json", db=db)
    hits = json.loads(search.stdout)
    assert "photoresist" in hits[0]["text"].lower()
    assert {"article_id", "title", "url", "source", "published", "text", "score"} <= hits[0].keys()

    listing = json.loads(briefbot("articles", "--json", db=db).stdout)
    assert len(listing) == 10
    shown = briefbot("show", str(hits[0]["article_id"]), db=db)
    assert shown.returncode == 0 and "photoresist" in shown.stdout and "published" in shown.stdout


def test_failures_give_a_nonzero_exit_and_name_the_source(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"")
    run = briefbot("ingest", str(bad), str(SAMPLES / "01-japan-approves-photoresist-samsung.md"), db=tmp_path / "x.db")
    assert run.returncode == 1
    assert f"failed  {bad}: the file is empty" in run.stdout and "1 added" in run.stdout


def test_db_and_config_flags_work_on_every_command(tmp_path: Path) -> None:
    config = tmp_path / "briefbot.toml"
    config.write_text('[store]\ndb_path = "%s"\n' % (tmp_path / "from-config.db"), encoding="utf-8")
    run = briefbot("--config", str(config), "ingest", str(SAMPLES), db=tmp_path / "unused.db", env={"BRIEFBOT_DB": ""})
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "from-config.db").exists()
    listing = briefbot("articles", "--db", str(tmp_path / "other.db"), "--json", db=tmp_path / "unused.db")
    assert json.loads(listing.stdout) == []
    bad = tmp_path / "bad.toml"
    bad.write_text("[nonsense]\nx = 1\n", encoding="utf-8")
    run = briefbot("--config", str(bad), "articles", db=tmp_path / "unused.db")
    assert run.returncode == 2 and "Unknown section [nonsense]" in run.stderr


def test_empty_search_is_refused_with_a_message(tmp_path: Path) -> None:
    run = briefbot("search", "  ", db=tmp_path / "e.db")
    assert run.returncode == 2 and "Give a question" in run.stderr


def test_read_only_commands_never_create_the_collection_they_name(tmp_path: Path) -> None:
    import sqlite3

    db = tmp_path / "ro.db"
    assert briefbot("ingest", str(SAMPLES), db=db).returncode == 0
    for args in (["articles"], ["search", "photoresist"], ["ask", "what did Japan approve?"], ["show", "1"],
                 ["feeds", "list"], ["brief", "--since", "400d"]):
        ran = briefbot(*args, "--collection", "nosuch", db=db)
        assert ran.returncode in (0, 2) and "Traceback" not in ran.stderr, (args, ran.stderr)
    names = [r[0] for r in sqlite3.connect(db).execute("SELECT name FROM collections")]
    assert names == ["default"]


def test_cli_output_a_script_may_forward_never_carries_a_live_mention(tmp_path: Path) -> None:
    db = tmp_path / "pings.db"
    article = tmp_path / "pings.txt"
    article.write_text(
        "Harbour authority approves new ferry terminal\n\n"
        "The harbour authority approved a new ferry terminal on Monday, @everyone in the port said, "
        "and <@123456789> and <@&42> welcomed the ferry terminal plan @here.\n",
        encoding="utf-8",
    )
    assert briefbot("ingest", str(article), db=db).returncode == 0
    outputs = [
        briefbot("ask", "what did the harbour authority approve?", "--json", db=db).stdout,
        briefbot("ask", "what did the harbour authority approve?", db=db).stdout,
        briefbot("brief", "--since", "1d", db=db).stdout,
        briefbot("brief", "--since", "1d", "--json", db=db).stdout,
        briefbot("search", "ferry terminal", "--json", db=db).stdout,
        briefbot("show", "1", db=db).stdout,
    ]
    for out in outputs:
        assert "ferry" in out.lower(), out
        decoded = json.loads(out) if out.lstrip().startswith(("{", "[")) else out
        text = json.dumps(decoded, ensure_ascii=False) if not isinstance(decoded, str) else decoded
        for live in ("@everyone", "@here", "<@123456789>", "<@&42>"):
            assert live not in text, (live, out[:300])
