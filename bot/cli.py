"""The `briefbot` command line: ingest, search, articles, show (and the commands of later modules).

Every command takes `--config PATH` (or BRIEFBOT_CONFIG), `--db PATH` (or BRIEFBOT_DB)
and `--collection NAME`; it prints for people by default and JSON with `--json`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, AsyncIterator

from bot import __version__
from bot.argtypes import count
from bot.config import Settings, load_settings
from bot.errors import UserError
from bot.store.db import Database, open_database

log = logging.getLogger("briefbot")

DEFAULT_COLLECTION = "default"
MAX_ADDED_LINES = 50


@dataclass
class App:
    settings: Settings
    db: Database
    collection_id: int
    collection: str


@asynccontextmanager
async def open_app(args: argparse.Namespace) -> AsyncIterator[App]:
    settings = load_settings(args.config, args.db)
    db = await open_database(settings.db_path)
    try:
        collection = args.collection or DEFAULT_COLLECTION
        yield App(settings, db, await db.collection_id(collection), collection)
    finally:
        await db.close()


def _print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2))


# ---------------------------------------------------------------- ingest


async def cmd_ingest(args: argparse.Namespace) -> int:
    from bot.ingest.pipeline import Ingestor
    from bot.ingest.sources import iter_sources

    async with open_app(args) as app:
        ingestor = Ingestor(app.db, app.settings)
        counts = {"added": 0, "duplicate": 0, "failed": 0}
        show_progress = sys.stderr.isatty() and not args.json
        printed_added = 0

        def on_result(result: Any) -> None:
            nonlocal printed_added
            counts[result.status] += 1
            if args.json:
                return
            if result.status == "failed":
                print(result.describe())
            elif printed_added < MAX_ADDED_LINES:
                printed_added += 1
                print(result.describe())
            if show_progress and sum(counts.values()) % 100 == 0:
                sys.stderr.write(
                    f"\r{counts['added']:,} added, {counts['duplicate']:,} duplicates, {counts['failed']:,} failed"
                )
                sys.stderr.flush()

        results = await ingestor.ingest_many(iter_sources(args.sources, app.settings), app.collection_id, on_result=on_result)
        if show_progress:
            sys.stderr.write("\r\033[K")
        if args.json:
            _print_json([r.__dict__ for r in results])
        else:
            print(
                f"Ingested into {app.collection!r}: {counts['added']} added, "
                f"{counts['duplicate']} duplicates, {counts['failed']} failed."
            )
        return 1 if counts["failed"] else 0


# ---------------------------------------------------------------- search / articles / show


async def cmd_search(args: argparse.Namespace) -> int:
    from bot.search import search_passages

    query = " ".join(args.query).strip()
    if not query:
        raise UserError("Give a question or words to search for.")
    async with open_app(args) as app:
        hits = await search_passages(app.db, app.collection_id, query, k=args.k)
        if args.json:
            _print_json([h.to_dict() for h in hits])
            return 0
        if not hits:
            print("No passage matches that.")
            return 0
        for rank, hit in enumerate(hits, 1):
            date = (hit.published or "")[:10]
            meta = ", ".join(x for x in (hit.source, date) if x)
            print(f"{rank}. [{hit.article_id}] {hit.title}" + (f" ({meta})" if meta else "") + f"  score {hit.score:.2f}")
            if hit.url:
                print(f"   {hit.url}")
            print(f"   {hit.text}\n")
        return 0


async def cmd_articles(args: argparse.Namespace) -> int:
    from bot.store.articles import ArticleRepo

    async with open_app(args) as app:
        repo = ArticleRepo(app.db)
        rows = await repo.list(app.collection_id, limit=args.limit, offset=args.offset)
        if args.json:
            _print_json([a.summary() for a in rows])
            return 0
        total = await repo.count(app.collection_id)
        if not rows:
            print(f"No articles in {app.collection!r} yet. Add some with: briefbot ingest PATH_OR_URL")
            return 0
        for a in rows:
            date = (a.published or a.fetched)[:10]
            dup = f"  (repeats {a.duplicate_of})" if a.duplicate_of else ""
            print(f"{a.id:>6}  {date}  {(a.source or '-')[:18]:<18}  {a.title}{dup}")
        if total > len(rows):
            print(f"… {len(rows)} of {total} shown (--limit, --offset)")
        return 0


async def cmd_show(args: argparse.Namespace) -> int:
    from bot.store.articles import ArticleRepo

    async with open_app(args) as app:
        repo = ArticleRepo(app.db)
        article = await repo.get(args.id)
        if article is None or not await repo.in_collection(args.id, app.collection_id):
            raise UserError(f"No article {args.id} in {app.collection!r}.")
        passages = await repo.passages(article.id)
        if args.json:
            data = article.__dict__ | {"passages": [{"id": p[0], "position": p[1], "text": p[2], "tokens": p[3]} for p in passages]}
            _print_json(data)
            return 0
        print(article.title)
        print("=" * min(len(article.title), 80))
        for label, value in (
            ("id", article.id),
            ("source", article.source),
            ("author", article.author),
            ("place", article.place),
            ("published", article.published),
            ("fetched", article.fetched),
            ("url", article.url),
            ("language", article.language),
            ("repeats", article.duplicate_of),
            ("passages", len(passages)),
        ):
            if value not in (None, ""):
                print(f"{label:>10}: {value}")
        for key, value in article.meta.items():
            print(f"{key:>10}: {value}")
        print()
        print(article.body)
        return 0


# ---------------------------------------------------------------- parser


Handler = Callable[[argparse.Namespace], Awaitable[int]]


def _common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", default=argparse.SUPPRESS, help="settings file (or BRIEFBOT_CONFIG)")
    common.add_argument("--db", default=argparse.SUPPRESS, help="database file (or BRIEFBOT_DB; default ./data/briefbot.db)")
    common.add_argument("--collection", default=argparse.SUPPRESS, help="collection to use (default: 'default')")
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print JSON")
    common.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help="log more")
    return common


def build_parser() -> argparse.ArgumentParser:
    common = _common()
    parser = argparse.ArgumentParser(
        prog="briefbot", description="News articles in, cited answers and briefings out.", parents=[common]
    )
    parser.add_argument("--version", action="version", version=f"briefbot {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("ingest", parents=[common], help="add articles from files, folders, article URLs or feed URLs")
    p.add_argument("sources", nargs="+", metavar="SOURCE")
    p.set_defaults(handler=cmd_ingest)

    p = sub.add_parser("search", parents=[common], help="the passages that best match a query")
    p.add_argument("query", nargs="+")
    p.add_argument("-k", type=count(1, 1000), default=5, help="how many results (default 5)")
    p.set_defaults(handler=cmd_search)

    p = sub.add_parser("articles", parents=[common], help="list stored articles, newest first")
    p.add_argument("--limit", type=count(1), default=50, help="how many (default 50)")
    p.add_argument("--offset", type=count(0), default=0, help="how many to skip (default 0)")
    p.set_defaults(handler=cmd_articles)

    p = sub.add_parser("show", parents=[common], help="print one article with its metadata")
    p.add_argument("id", type=count(1))
    p.set_defaults(handler=cmd_show)

    for register in _extra_commands():
        register(sub, common)
    return parser


def _extra_commands() -> list[Callable[[Any, argparse.ArgumentParser], None]]:
    """Commands that live in their own modules register themselves here."""
    registrars: list[Callable[[Any, argparse.ArgumentParser], None]] = []
    import importlib

    for module_name in (
        "bot.commands.ask", "bot.commands.brief", "bot.commands.feeds", "bot.commands.run", "bot.commands.reindex",
    ):
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue
            raise
        registrars.append(module.register)
    return registrars


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    for name, default in (("config", None), ("db", None), ("collection", None), ("json", False), ("verbose", False)):
        if not hasattr(args, name):
            setattr(args, name, default)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not args.verbose:
        logging.getLogger("trafilatura").setLevel(logging.ERROR)  # "discarding data": we say why a page failed
    # Even with -v, a line per SQL statement (aiosqlite) buries what matters.
    logging.getLogger("aiosqlite").setLevel(logging.INFO)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        return asyncio.run(handler(args))
    except UserError as exc:
        print(f"briefbot: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `briefbot articles | head`: the reader left; say nothing more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    raise SystemExit(main())
