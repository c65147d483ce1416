"""What every `briefbot` command shares: the App on `--collection`, JSON output, count arguments."""

from __future__ import annotations

import argparse
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from bot.app import App, open_app
from bot.config import load_settings
from bot.transport.wording import safe_data

DEFAULT_COLLECTION = "default"


@dataclass
class CliContext:
    app: App
    collection_id: int  # 0 when a read-only command names a collection that does not exist
    collection: str


@asynccontextmanager
async def open_cli(args: argparse.Namespace, *, write: bool = True, llm: object | None = None) -> AsyncIterator[CliContext]:
    """The App for one command, on `--collection` (created only by commands that write)."""
    settings = load_settings(args.config, args.db)
    async with open_app(settings, llm=llm) as app:
        collection = args.collection or DEFAULT_COLLECTION
        cid = await app.collection_id(collection) if write else await app.lookup_collection(collection)
        yield CliContext(app, cid, collection)


def print_json(data: Any) -> None:
    """JSON for scripts, with mention syntax neutralised as in Discord (a script may forward it there)."""
    print(json.dumps(safe_data(data), ensure_ascii=False, indent=2))


MAX_ID = 2**63 - 1  # SQLite's largest integer


def count_arg(minimum: int, maximum: int = MAX_ID) -> Callable[[str], int]:
    """An argparse type: a whole number from `minimum` to `maximum`, else a clear usage error (an unbounded
    int would reach SQLite as an OverflowError, or tantivy as a panic)."""

    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
        if number < minimum:
            raise argparse.ArgumentTypeError(f"{value!r} is less than {minimum}")
        if number > maximum:
            raise argparse.ArgumentTypeError(f"{value!r} is more than {maximum:,}")
        return number

    return parse
