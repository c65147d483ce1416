"""JSON and JSON Lines records (`title`, `body`, `url`, `source`, `published`) to articles."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from bot.ingest.dates import from_timestamp, parse_date
from bot.ingest.models import RawArticle


class RecordError(ValueError):
    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}")
        self.where = where
        self.reason = reason


def _text_field(record: dict[str, Any], key: str, where: str) -> str | None:
    value = record.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise RecordError(where, f"the record's {key!r} must be text")
    return str(value).strip() or None


def _published(value: Any) -> Any:
    """A date string, or a number of Unix seconds; anything unreadable (or out of range) leaves it undated."""
    if isinstance(value, str):
        return parse_date(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return from_timestamp(value)
    return None


def record_to_article(record: Any, origin: str) -> RawArticle:
    if not isinstance(record, dict):
        raise RecordError(origin, "a record must be a JSON object")
    title = record.get("title")
    body = record.get("body") or record.get("text") or record.get("content")
    if not isinstance(title, str) or not title.strip():
        raise RecordError(origin, "the record has no title")
    if not isinstance(body, str) or not body.strip():
        raise RecordError(origin, "the record has no body")
    record_id = record.get("id")
    meta = {"record_id": record_id} if isinstance(record_id, str) or (isinstance(record_id, int) and not isinstance(record_id, bool) and abs(record_id) < 2**63) else {}
    return RawArticle(
        title=title.strip(),
        body=body,
        url=_text_field(record, "url", origin),
        source=_text_field(record, "source", origin),
        author=_text_field(record, "author", origin),
        published=_published(record.get("published")),
        language=_text_field(record, "language", origin),
        meta=meta,
        origin=origin,
    )


def _loads(text: str) -> Any:
    """json.loads, every failure a ValueError: huge integers (over 4,300 digits) and deep nesting included."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON ({exc.msg} at line {exc.lineno})") from None
    except RecursionError:
        raise ValueError("not valid JSON (nested too deeply)") from None
    except ValueError as exc:  # "Exceeds the limit (4300 digits) for integer string conversion"
        raise ValueError(f"not usable JSON ({str(exc).split(';')[0]})") from None


def iter_json(text: str, origin: str) -> Iterator[RawArticle | RecordError]:
    try:
        data = _loads(text)
    except ValueError as exc:
        yield RecordError(origin, str(exc))
        return
    records = data if isinstance(data, list) else data.get("articles", [data]) if isinstance(data, dict) else [data]
    if not isinstance(records, list):
        records = [records]
    if not records:
        yield RecordError(origin, "the file holds no records")
    for i, record in enumerate(records, 1):
        where = f"{origin}#{i}" if len(records) > 1 else origin
        try:
            yield record_to_article(record, where)
        except RecordError as exc:
            yield exc


def iter_jsonl(lines: Iterable[bytes | None], origin: str, max_bytes: int) -> Iterator[RawArticle | RecordError]:
    """One article or one named error per non-blank line; None stands for a line over `max_bytes`."""
    for lineno, raw in enumerate(lines, 1):
        where = f"{origin}:{lineno}"
        if raw is None:
            yield RecordError(where, f"the record is over the {max_bytes:,}-byte limit (ingest.max_bytes)")
            continue
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            yield RecordError(where, "the record is not UTF-8 text")
            continue
        if not line.strip():
            continue
        try:
            record = _loads(line)
        except ValueError as exc:
            yield RecordError(where, str(exc).replace(" at line 1)", ")"))
            continue
        try:
            yield record_to_article(record, where)
        except RecordError as exc:
            yield exc
