"""`briefbot reindex`: rebuild the search index from the database (SQLite is the system of record)."""

from __future__ import annotations

import argparse
from typing import Any

from bot.app import NO_MODEL
from bot.transport.cli.common import open_cli, print_json


async def cmd_reindex(args: argparse.Namespace) -> int:
    async with open_cli(args, write=False, llm=NO_MODEL) as ctx:
        done = await ctx.app.articles.reindex()
    if args.json:
        print_json({"passages": done.passages, "seconds": round(done.seconds, 3), "path": done.path})
    else:
        print(f"Search index rebuilt: {done.passages:,} passages in {done.seconds:.1f} s ({done.path}).")
    return 0


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser(
        "reindex", parents=[common], help="rebuild the search index from the database",
        description="Rebuild the tantivy search index beside the database from the stored passages. Never needed in "
        "normal use (the index catches up by itself and is rebuilt when it is missing or corrupt); useful after "
        "restoring the database file alone.",
        epilog="example: briefbot --db data/briefbot.db reindex",
    )
    p.set_defaults(handler=cmd_reindex)
