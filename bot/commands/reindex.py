"""`briefbot reindex`: rebuild the search index from the database (SQLite is the system of record)."""

from __future__ import annotations

import argparse
import time
from typing import Any


async def cmd_reindex(args: argparse.Namespace) -> int:
    from bot.cli import _print_json, open_app
    from bot.errors import UserError
    from bot.search.engine import open_index

    async with open_app(args) as app:
        index = await open_index(app.db)
        if not index.writable:
            raise UserError("The search index is in use by another briefbot process; stop it and try again.")
        started = time.perf_counter()
        count = await index.rebuild(app.db)
        await index.trim(app.db)
        elapsed = time.perf_counter() - started
        if args.json:
            _print_json({"passages": count, "seconds": round(elapsed, 3), "path": str(index.path or ":memory:")})
        else:
            print(f"Search index rebuilt: {count:,} passages in {elapsed:.1f} s ({index.path}).")
        return 0


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser("reindex", parents=[common], help="rebuild the search index from the database")
    p.set_defaults(handler=cmd_reindex)
