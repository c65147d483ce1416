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
    p = subparsers.add_parser("reindex", parents=[common], help="rebuild the search index from the database")
    p.set_defaults(handler=cmd_reindex)
