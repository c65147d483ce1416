"""SOURCE arguments (files, folders, URLs) to a stream of articles and per-source failures."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import BinaryIO

from bot.config import Settings
from bot.ingest.decode import DecodeError, decode_text
from bot.ingest.extract import NotAnArticle, extract_html
from bot.ingest.inflate import InflateError, bounded_lines, file_chunks, inflate_chunks, read_limited
from bot.ingest.models import IngestResult, RawArticle
from bot.ingest.records import RecordError, iter_json, iter_jsonl
from bot.ingest.textfile import parse_text_article

TEXT_SUFFIXES = {".txt", ".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm"}
RECORD_SUFFIXES = {".json", ".jsonl", ".ndjson"}
SUPPORTED = TEXT_SUFFIXES | HTML_SUFFIXES | RECORD_SUFFIXES | {".gz"}


def failed(origin: str, reason: str) -> IngestResult:
    return IngestResult(origin, "failed", reason=reason)


def is_url(source: str) -> bool:
    return "://" in source


def _files_under(folder: Path) -> Iterator[Path]:
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.name.startswith(".") and _suffix(path) in SUPPORTED - {".gz"}:
            yield path


def _suffix(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz" and len(suffixes) >= 2:
        return suffixes[-2]
    return suffixes[-1] if suffixes else ""


def iter_file(path: Path, max_bytes: int) -> Iterator[RawArticle | IngestResult]:
    """Articles of one file; every problem becomes a failed result naming the file."""
    origin = str(path)
    suffix = _suffix(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        yield failed(origin, f"cannot read the file ({exc.strerror})")
        return
    if size == 0:
        yield failed(origin, "the file is empty")
        return
    if suffix == ".jsonl" or suffix == ".ndjson":
        # Record files may be large corpora: stream them line by line, limit per record.
        yield from _iter_jsonl_file(path, max_bytes)
        return
    if size > max_bytes:
        yield failed(origin, f"the file is {size:,} bytes, over the limit of {max_bytes:,} (ingest.max_bytes)")
        return
    try:
        text = decode_text(_read_document(path, max_bytes))
    except OSError as exc:
        yield failed(origin, f"cannot read the file ({exc.strerror or exc})")
        return
    except (DecodeError, InflateError) as exc:
        yield failed(origin, str(exc))
        return
    if suffix in TEXT_SUFFIXES:
        try:
            yield parse_text_article(text, origin)
        except ValueError as exc:
            yield failed(origin, str(exc))
    elif suffix in HTML_SUFFIXES:
        try:
            yield extract_html(text, None, origin)
        except NotAnArticle as exc:
            yield failed(origin, str(exc))
    elif suffix == ".json":
        for item in iter_json(text, origin):
            yield failed(item.where, item.reason) if isinstance(item, RecordError) else item
    else:
        yield failed(origin, f"unsupported file type {path.suffix or '(none)'}; use .txt, .md, .html, .json or .jsonl")


def _chunks(stream: BinaryIO, path: Path, limit: int | None) -> Iterator[bytes]:
    """The file's bytes a chunk at a time, inflated (within bounds) when it is gzip."""
    chunks = file_chunks(stream)
    return inflate_chunks(chunks, "gzip", limit, "the file") if _is_gzip(path) else chunks


def _is_gzip(path: Path) -> bool:
    return path.suffix.lower() == ".gz"


def _read_document(path: Path, max_bytes: int) -> bytes:
    """One document, never more than `max_bytes` in memory, compressed or inflated."""
    with open(path, "rb") as stream:
        return read_limited(_chunks(stream, path, max_bytes), max_bytes, "the file")


def _iter_jsonl_file(path: Path, max_bytes: int) -> Iterator[RawArticle | IngestResult]:
    """Records of a (possibly gzip) JSON Lines file, streamed: each is bounded by max_bytes, none held whole."""
    origin = str(path)
    try:
        stream = open(path, "rb")
    except OSError as exc:
        yield failed(origin, f"cannot read the file ({exc.strerror})")
        return
    with stream:
        try:
            lines = bounded_lines(_chunks(stream, path, None), max_bytes)
            for item in iter_jsonl(lines, origin, max_bytes):
                yield failed(item.where, item.reason) if isinstance(item, RecordError) else item
        except InflateError as exc:
            yield failed(origin, f"{exc}; reading stopped there")
        except OSError as exc:
            yield failed(origin, f"cannot read the file ({exc.strerror or exc})")


async def iter_sources(sources: list[str], settings: Settings) -> AsyncIterator[RawArticle | IngestResult]:
    """Every article of every source, in order; a failing source yields a failed result and the rest go on."""
    for source in sources:
        if is_url(source):
            from bot.ingest.web import load_url  # network code loads only when a URL is given

            async for item in load_url(source, settings):
                yield item
            continue
        path = Path(source)
        if path.is_dir():
            found = False
            for file in _files_under(path):
                found = True
                for item in iter_file(file, settings.ingest.max_bytes):
                    yield item
            if not found:
                yield failed(source, "the folder holds no .txt, .md, .html, .json or .jsonl files")
        elif path.is_file():
            for item in iter_file(path, settings.ingest.max_bytes):
                yield item
        else:
            yield failed(source, "no such file, folder or URL")
