"""The `briefbot` command line: the parser and the entry point. Each command lives in its own
module of this package and is a short adapter over a use case of bot.app.App.

Every command takes `--config PATH` (or BRIEFBOT_CONFIG), `--db PATH` (or BRIEFBOT_DB)
and `--collection NAME`; it prints for people by default and JSON with `--json`.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from bot import __version__
from bot.errors import UserError
from bot.transport.cli import articles, ask, brief, feeds, health, reindex, run

log = logging.getLogger("briefbot")


Handler = Callable[[argparse.Namespace], Coroutine[Any, Any, int]]


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
        prog="briefbot", description="News articles in, cited answers and briefings out.", parents=[common],
        epilog="examples:\n  briefbot ingest examples/articles\n  briefbot ask \"what did Japan approve for Samsung?\"\n"
        "  briefbot console\n\n`briefbot COMMAND --help` describes each command, with an example.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"briefbot {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    for command in (articles, ask, brief, feeds, run, reindex, health):
        command.register(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    for name, default in (("config", None), ("db", None), ("collection", None), ("json", False), ("verbose", False)):
        if not hasattr(args, name):
            setattr(args, name, default)
    logging.basicConfig(
        force=True,
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
