"""`briefbot run` (the Discord bot) and `briefbot console` (the same features in a terminal)."""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

from bot.app import open_app
from bot.config import load_settings
from bot.transport.console import Console

log = logging.getLogger("briefbot")

NO_TOKEN = (
    "No Discord token: set DISCORD_TOKEN in the environment (or [discord] token in the config file) "
    "to run the bot.\nTo use Briefbot without Discord, run: briefbot console"
)


async def cmd_run(args: argparse.Namespace) -> int:
    settings = load_settings(args.config, args.db)
    if not settings.discord.token:
        print(NO_TOKEN, file=sys.stderr)
        return 2
    if not getattr(args, "verbose", False):
        logging.getLogger().setLevel(logging.INFO)
    from bot.transport.discord.bot import run_bot  # discord.py loads only for this command

    return await run_bot(settings)


async def cmd_console(args: argparse.Namespace) -> int:
    settings = load_settings(args.config, args.db)
    async with open_app(settings) as app:
        return await Console(app, background=not args.no_background, collection=args.collection).run()


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "run", parents=[common], help="run the Discord bot (needs DISCORD_TOKEN)",
        description="Run the Discord bot: sync the slash commands, poll the feeds, post alerts and daily briefings "
        "and answer questions, until interrupted (Ctrl-C). The token comes from DISCORD_TOKEN or [discord] token; "
        "without one it says so and points to briefbot console.",
        epilog="example: DISCORD_TOKEN=... briefbot --config briefbot.toml run",
    )
    p.set_defaults(handler=cmd_run)
    p = sub.add_parser(
        "console", parents=[common], help="the bot's features in this terminal (no token needed)",
        description="Talk to the bot in this terminal, on the 'default' collection (or --collection): a line is a "
        "question, /command args a command (/help lists them; help or hi says how to start). Line editing and "
        "history (up-arrow) when run in a terminal, kept in ~/.briefbot_history (BRIEFBOT_HISTORY); briefings for "
        "the console channel print as they are posted. Ctrl-D or /quit leaves.",
        epilog="example: briefbot ingest examples/articles && briefbot console",
    )
    p.add_argument(
        "--no-background", action="store_true", help="do not poll feeds or post briefings while the console runs"
    )
    p.set_defaults(handler=cmd_console)
