"""Every input is bounded: compressed files and bodies by what they inflate to, every record accounted for."""

from __future__ import annotations

import gzip
import json
import tracemalloc
import zlib
from pathlib import Path

import pytest

from bot.config import Settings
from bot.ingest.models import IngestResult, RawArticle
from bot.ingest.sources import iter_sources
from tests.newsserver import NewsServer, site, story_page  # noqa: F401  (fixture)
from tests.test_cli import briefbot

ZEROS_MB = 64  # inflated size of the test bomb; it compresses to about 64 KB


def gzip_bomb(megabytes: int = ZEROS_MB, prefix: bytes = b"") -> bytes:
    """`megabytes` of zeros (after `prefix`) as gzip, compressed a megabyte at a time."""
    z = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(1 << 20)
    return z.compress(prefix) + b"".join(z.compress(block) for _ in range(megabytes)) + z.flush()


async def collect(sources: list[str], settings: Settings) -> tuple[list[RawArticle | IngestResult], int]:
    """Every item of the sources, and the peak of Python memory while reading them."""
    tracemalloc.start()
    try:
        items = [item async for item in iter_sources(sources, settings)]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return items, peak


def failures(items: list[RawArticle | IngestResult]) -> list[IngestResult]:
    return [i for i in items if isinstance(i, IngestResult) and i.status == "failed"]


@pytest.mark.parametrize("name", ["bomb.jsonl.gz", "bomb.txt.gz", "bomb.json.gz"])
async def test_a_compressed_file_bomb_is_refused_without_inflating_it(tmp_path: Path, settings: Settings, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(gzip_bomb())
    assert path.stat().st_size < settings.ingest.max_bytes  # the compressed size alone passes
    items, peak = await collect([str(path)], settings)
    [failure] = failures(items)
    assert failure.origin == str(path) and "refused" in failure.reason
    assert "decompression bomb" in failure.reason or "inflates to more than" in failure.reason
    assert peak < 20 * 2**20, f"{peak:,} bytes held to refuse a {ZEROS_MB} MB bomb"


async def test_a_large_but_honest_gzip_document_is_refused_by_its_inflated_size(tmp_path: Path, settings: Settings) -> None:
    settings.ingest.max_bytes = 50_000
    text = "Harbour traffic grows\n\n" + " ".join(f"Sentence {i} says something new about ship {i * 7}." for i in range(4000))
    path = tmp_path / "long.txt.gz"
    path.write_bytes(gzip.compress(text.encode()))
    assert path.stat().st_size < 50_000 < len(text)
    [failure] = failures((await collect([str(path)], settings))[0])
    assert failure.reason.startswith("the file inflates to more than the 50,000-byte limit (ingest.max_bytes)")


async def test_compressed_files_within_bounds_are_read(tmp_path: Path, settings: Settings) -> None:
    (tmp_path / "a.txt.gz").write_bytes(gzip.compress(b"Bridge to close\n\nThe old bridge will close for repairs in May, the city said."))
    records = "\n".join(json.dumps({"title": f"Title {i}", "body": f"Body number {i} has words."}) for i in range(3))
    (tmp_path / "r.jsonl.gz").write_bytes(gzip.compress(records.encode()) + gzip.compress(b"\n" + records.encode()))
    items, _ = await collect([str(tmp_path / "a.txt.gz"), str(tmp_path / "r.jsonl.gz")], settings)
    assert not failures(items)
    assert [i.title for i in items if isinstance(i, RawArticle)] == ["Bridge to close"] + [f"Title {i}" for i in (0, 1, 2)] * 2


async def test_a_truncated_gzip_file_is_named(tmp_path: Path, settings: Settings) -> None:
    blob = gzip.compress(b"Bridge to close\n\n" + b"The old bridge will close for repairs in May. " * 200)
    (tmp_path / "cut.txt.gz").write_bytes(blob[: len(blob) // 2])
    [failure] = failures((await collect([str(tmp_path / "cut.txt.gz")], settings))[0])
    assert failure.reason == "the file is cut short (its gzip data ends early)"


async def test_a_gzip_body_bomb_is_refused_by_its_inflated_size(site: NewsServer, settings: Settings) -> None:
    site.encoded["bomb.html"] = (gzip_bomb(prefix=b"<html><body><p>"), "gzip", "text/html")
    url = site.url("/encoded/bomb.html")
    items, peak = await collect([url], settings)
    [failure] = failures(items)
    assert failure.origin == url and "refused" in failure.reason and "the page" in failure.reason
    assert peak < 20 * 2**20, f"{peak:,} bytes held to refuse a {ZEROS_MB} MB bomb"
    assert "gzip" in site.seen_headers["/encoded/bomb.html"]["Accept-Encoding"]


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "raw-deflate"])
async def test_compressed_pages_within_bounds_are_read(site: NewsServer, settings: Settings, encoding: str) -> None:
    page = story_page("copper").encode()
    if encoding == "gzip":
        body = gzip.compress(page)
    elif encoding == "deflate":
        body = zlib.compress(page)
    else:
        z = zlib.compressobj(wbits=-zlib.MAX_WBITS)
        body, encoding = z.compress(page) + z.flush(), "deflate"
    site.encoded["copper.html"] = (body, encoding, "text/html")
    [article] = (await collect([site.url("/encoded/copper.html")], settings))[0]
    assert isinstance(article, RawArticle) and article.title == "Chilean copper mine resumes output after strike"


async def test_an_encoding_we_did_not_ask_for_is_refused(site: NewsServer, settings: Settings) -> None:
    site.encoded["br.html"] = (b"\x0b\x02\x80hello\x03", "br", "text/html")
    [failure] = failures((await collect([site.url("/encoded/br.html")], settings))[0])
    assert failure.reason == "the server sent the body as 'br', which Briefbot did not ask for"


def test_the_cli_says_a_bomb_failed_and_exits_nonzero(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.jsonl.gz"
    bomb.write_bytes(gzip_bomb())
    run = briefbot("ingest", str(bomb), db=tmp_path / "b.db")
    assert run.returncode == 1, run.stdout + run.stderr
    assert f"failed  {bomb}: the file looks like a decompression bomb" in run.stdout
    assert "0 added, 0 duplicates, 1 failed." in run.stdout


def test_a_record_over_the_limit_is_named_and_counted_as_failed(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text("[ingest]\nmax_bytes = 2000\n", encoding="utf-8")
    path = tmp_path / "r.jsonl"
    lines = [
        {"title": "Harbour traffic grows", "body": "Container traffic grew for a third month in a row."},
        {"title": "Too long", "body": "word " * 1000},
        {"title": "Wheat harvest starts early", "body": "Farmers began cutting winter wheat ten days early."},
    ]
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n\n\xff\n", encoding="utf-8", errors="surrogateescape")
    path.write_bytes(path.read_bytes().replace("\xff".encode(), b"\xff"))
    run = briefbot("--config", str(config), "ingest", str(path), db=tmp_path / "r.db")
    assert run.returncode == 1
    assert f"failed  {path}:2: the record is over the 2,000-byte limit (ingest.max_bytes)" in run.stdout
    assert f"failed  {path}:5: the record is not UTF-8 text" in run.stdout
    assert "2 added, 0 duplicates, 2 failed." in run.stdout


async def test_a_feed_entry_with_nothing_in_it_is_named_not_dropped(site: NewsServer, settings: Settings) -> None:
    from tests.newsserver import rss, rss_item

    feed = rss("Wire", [rss_item(site.base, "bees")]).replace("</channel>", "<item><guid>empty-1</guid></item></channel>")
    site.encoded["feed.xml"] = (feed.encode(), "identity", "application/rss+xml")
    items, _ = await collect([site.url("/encoded/feed.xml")], settings)
    assert [i.title for i in items if isinstance(i, RawArticle)] == ["Beekeepers report strong spring after mild winter"]
    [failure] = failures(items)
    assert (failure.origin, failure.reason) == (site.url("/encoded/feed.xml") + "#2", "the feed item has no title, text or link")
