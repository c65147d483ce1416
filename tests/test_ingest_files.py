from __future__ import annotations

import json
from pathlib import Path

from bot.config import Settings
from bot.ingest.pipeline import Ingestor
from bot.ingest.sources import iter_sources
from bot.store.articles import ArticleRepo
from bot.store.db import Database
from tests.conftest import SAMPLES


async def ingest(db: Database, settings: Settings, *sources: str, collection: str = "default"):
    cid = await db.collection_id(collection)
    return await Ingestor(db, settings).ingest_many(iter_sources(list(sources), settings), cid)


async def test_samples_ingest_once(db: Database, settings: Settings) -> None:
    first = await ingest(db, settings, str(SAMPLES))
    assert len(first) >= 10 and all(r.status == "added" for r in first)
    second = await ingest(db, settings, str(SAMPLES))
    assert all(r.status == "duplicate" for r in second)
    assert {r.duplicate_of for r in second} == {r.article_id for r in first}
    async with db.conn.execute("SELECT COUNT(*) FROM articles") as cur:
        assert (await cur.fetchone())[0] == len(first)


async def test_same_content_under_other_whitespace_is_a_duplicate(db: Database, settings: Settings, tmp_path: Path) -> None:
    a = tmp_path / "a.txt"
    b = tmp_path / "b.txt"
    a.write_text("Rates cut\n\nThe central bank cut its rate by a quarter point on Thursday.", encoding="utf-8")
    b.write_text("Rates  cut\n\nThe central bank cut its rate by a quarter point   on Thursday.\n", encoding="utf-8")
    results = await ingest(db, settings, str(a), str(b))
    assert [r.status for r in results] == ["added", "duplicate"]
    assert results[1].duplicate_of == results[0].article_id


async def test_bad_files_are_reported_by_name_and_the_rest_go_on(db: Database, settings: Settings, tmp_path: Path) -> None:
    settings.ingest.max_bytes = 10_000
    good = tmp_path / "good.txt"
    good.write_text("A good article\n\nThe port reopened on Monday after the storm passed.", encoding="utf-8")
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    huge = tmp_path / "huge.txt"
    huge.write_text("Huge\n\n" + "word " * 5000, encoding="utf-8")
    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\xff\xfe\x00\x00" * 20)
    title_only = tmp_path / "title.md"
    title_only.write_text("# Only a title\n", encoding="utf-8")
    records = tmp_path / "records.jsonl"
    records.write_text(
        json.dumps({"title": "Record one", "body": "Exports of chips rose by ten percent in May."}) + "\n"
        + "{not json\n"
        + json.dumps({"title": "No body"}) + "\n",
        encoding="utf-8",
    )
    missing = tmp_path / "missing.txt"
    results = await ingest(db, settings, str(empty), str(huge), str(binary), str(title_only), str(records), str(missing), str(good))
    by_origin = {r.origin: r for r in results}
    assert by_origin[str(empty)].reason == "the file is empty"
    assert "over the limit" in by_origin[str(huge)].reason
    assert "binary" in by_origin[str(binary)].reason
    assert "no body" in by_origin[str(title_only)].reason
    assert "not valid JSON" in by_origin[f"{records}:2"].reason
    assert "no body" in by_origin[f"{records}:3"].reason
    assert by_origin[f"{records}:1"].status == "added"
    assert "no such file" in by_origin[str(missing)].reason
    assert by_origin[str(good)].status == "added"


async def test_legacy_encodings_are_decoded_and_garbage_is_refused(db: Database, settings: Settings, tmp_path: Path) -> None:
    latin = tmp_path / "latin1.txt"
    latin.write_bytes("Café prices\n\nThe café owners in Zürich said prices for crème brûlée rose again this year.".encode("cp1252"))
    results = await ingest(db, settings, str(latin))
    assert results[0].status == "added"
    article = await ArticleRepo(db).get(results[0].article_id)
    assert article is not None and "Zürich" in article.body and article.title == "Café prices"


async def test_json_file_with_a_list_of_records(db: Database, settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_text(json.dumps([
        {"title": "One", "body": "The first record talks about wheat harvests in Kansas.", "source": "Wire", "published": "2020-01-02T03:04:05Z", "url": "https://example.org/one"},
        {"title": "Two", "body": "The second record talks about copper mines in Chile."},
    ]), encoding="utf-8")
    results = await ingest(db, settings, str(path))
    assert [r.status for r in results] == ["added", "added"]
    one = await ArticleRepo(db).get(results[0].article_id)
    assert one is not None and one.source == "Wire" and one.published == "2020-01-02T03:04:05Z"
    assert one.canonical_url == "https://example.org/one"


async def test_html_file_is_extracted_and_a_non_article_page_refused(db: Database, settings: Settings, tmp_path: Path) -> None:
    paragraphs = "".join(
        f"<p>Paragraph {i}: the harbour authority said container traffic grew for the third month in a row, "
        "helped by new shipping routes to South America.</p>" for i in range(6)
    )
    page = tmp_path / "page.html"
    page.write_text(
        f"<html><head><title>Harbour traffic grows</title></head><body><nav>Home | News</nav>"
        f"<article><h1>Harbour traffic grows</h1>{paragraphs}</article><footer>Copyright</footer></body></html>",
        encoding="utf-8",
    )
    login = tmp_path / "login.html"
    login.write_text("<html><body><form><input name=user><button>Log in</button></form></body></html>", encoding="utf-8")
    results = await ingest(db, settings, str(page), str(login))
    assert results[0].status == "added", results[0].reason
    assert results[1].status == "failed" and "no article text" in results[1].reason
    article = await ArticleRepo(db).get(results[0].article_id)
    assert article is not None and "container traffic" in article.body and "Home | News" not in article.body
