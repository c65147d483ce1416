"""`briefbot reindex`: rebuild the search index from the database (SQLite is the system of record)."""

from __future__ import annotations

import argparse
from typing import Any

from bot.app import NO_MODEL
from bot.transport.cli.common import open_cli, print_json


async def cmd_reindex(args: argparse.Namespace) -> int:
    async with open_cli(args, write=False, llm=NO_MODEL) as ctx:
        done = await ctx.app.articles.reindex(re_embed=args.re_embed)
        model = ctx.app.vectors.model if ctx.app.vectors is not None else None
    if args.json:
        print_json({"passages": done.passages, "seconds": round(done.seconds, 3), "path": done.path,
                    "embedded": done.vectors, "embedding_seconds": round(done.vector_seconds, 3), "embeddings": model})
    else:
        print(f"Search index rebuilt: {done.passages:,} passages in {done.seconds:.1f} s ({done.path}).")
        if model:
            print(f"Vectors ({model}): {done.vectors:,} passages embedded in {done.vector_seconds:.1f} s.")
    return 0


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser(
        "reindex", parents=[common], help="rebuild the search index from the database and embed what has no vector",
        description="Rebuild the tantivy search index beside the database from the stored passages, reload the vectors "
        "and embed every passage that has none (another model's vectors are dropped and embedded again). Never needed "
        "in normal use (the index catches up by itself and is rebuilt when it is missing or corrupt; the console and "
        "`briefbot run` embed in the background); useful after restoring the database file alone.",
        epilog="example: briefbot --db data/briefbot.db reindex",
    )
    p.add_argument("--re-embed", action="store_true", help="drop every vector and embed the whole store again")
    p.set_defaults(handler=cmd_reindex)
