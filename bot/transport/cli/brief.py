"""`briefbot brief`: the briefing of the articles a collection received recently, in the terminal."""

from __future__ import annotations

import argparse
from typing import Any

from bot.app import NO_MODEL
from bot.briefing.render import render_text
from bot.transport.cli.common import count_arg, open_cli, print_json
from bot.transport.wording import safe


async def cmd_brief(args: argparse.Namespace) -> int:
    async with open_cli(args, write=bool(args.channel), llm=NO_MODEL if args.no_llm else None) as ctx:
        outcome = await ctx.app.briefings.brief(
            ctx.collection_id, since=args.since, kind=args.kind, tz=args.tz, topics=args.topics,
            channel_key=args.channel, remember=bool(args.channel), language=args.language,
            max_stories=args.max_stories,
        )
    if args.json:
        print_json(outcome.briefing.to_dict())
    else:
        for note in outcome.notes:
            print(safe(note))
        print(safe(render_text(outcome.briefing)))
    return 0


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "brief",
        parents=[common],
        help="the stories of the articles received recently, grouped, ranked and summarised with sources",
        description="The briefing of the articles the collection received in the window: stories (each once, "
        "with all its sources), ranked, summarised with [n] citations and links.",
        epilog='example: briefbot brief --since 2d --topics "chips, export controls" --tz Asia/Tokyo',
    )
    p.add_argument(
        "--since", default="24h", help="window: 90m, 24h, 2 days, 1w, yesterday, or a date/time (default 24h)"
    )
    p.add_argument("--topics", default="", help='comma-separated topic words, e.g. "chips,export controls"')
    p.add_argument("--tz", default="UTC", help="time zone for dates, e.g. Europe/Paris (default UTC)")
    p.add_argument("--kind", choices=("daily", "alert", "adhoc"), default="daily", help="the briefing's shape")
    p.add_argument("--language", default=None, help="language of model-written summaries")
    p.add_argument("--max-stories", type=count_arg(1, 50), default=None, help="stories at most (default from settings)")
    p.add_argument(
        "--channel", default=None, help="a channel key: leave out stories already briefed there, and remember these"
    )
    p.add_argument("--no-llm", action="store_true", help="extractive summaries only, even with a model configured")
    p.set_defaults(handler=cmd_brief)
