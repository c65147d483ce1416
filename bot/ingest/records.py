"""JSON and JSON Lines records (`title`, `body`, `url`, `source`, `published`) to articles."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from bot.ingest.dates import parse_date
from bot.ingest.models import RawArticle


class RecordError(ValueError):
    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}")
        self.where = where
        self.reason = reason


def record_to_article(record: Any, origin: str) -> RawArticle:
    if not isinstance(record, dict):
        raise RecordError(origin, "a record must be a JSON object")
    title = record.get("title")
    body = record.get("body") or record.get("text") or record.get("content")
    if not isinstance(title, str) or not title.strip():
        raise RecordError(origin, "the record has no title")
    if not isinstance(body, str) or not body.strip():
        raise RecordError(origin, "the record has no body")
    published = record.get("published")
    meta = {"record_id": record["id"]} if isinstance(record.get("id"), (str, int)) else {}
    return RawArticle(
        title=title.strip(),
        body=body,
        url=record.get("url") or None,
        source=record.get("source") or None,
        author=record.get("author") or None,
        published=parse_date(published) if isinstance(published, str) else None,
        language=record.get("language") or None,
        meta=meta,
        origin=origin,
    )


def iter_json(text: str, origin: str) -> Iterator[RawArticle | RecordError]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        yield RecordError(origin, f"not valid JSON ({exc.msg} at line {exc.lineno})")
        return
    records = data if isinstance(data, list) else data.get("articles", [data]) if isinstance(data, dict) else [data]
    for i, record in enumerate(records, 1):
        where = f"{origin}#{i}" if len(records) > 1 else origin
        try:
            yield record_to_article(record, where)
        except RecordError as exc:
            yield exc


def iter_jsonl(lines: Iterator[str], origin: str) -> Iterator[RawArticle | RecordError]:
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{origin}:{lineno}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield RecordError(where, f"not valid JSON ({exc.msg})")
            continue
        try:
            yield record_to_article(record, where)
        except RecordError as exc:
            yield exc
