"""`briefbot brief`: the briefing of the articles a collection received recently, in the terminal."""

from __future__ import annotations

import argparse
import json
from typing import Any

from bot.argtypes import count


async def cmd_brief(args: argparse.Namespace) -> int:
    from bot.briefing import BriefingBuilder, render_text
    from bot.cli import open_app

    async with open_app(args) as app:
        llm = None
        if not args.no_llm:
            try:
                from bot.llm.client import make_client
            except ModuleNotFoundError:
                make_client = None  # type: ignore[assignment]
            llm = make_client(app.settings) if make_client else None
        try:
            builder = BriefingBuilder(app.db, app.settings, llm)
            briefing = await builder.build(
                app.collection_id,
                kind=args.kind,
                since=args.since,
                topics=args.topics or (),
                tz=args.tz,
                channel_key=args.channel,
                language=args.language,
                allow_llm=not args.no_llm,
                max_stories=args.max_stories,
            )
            if args.channel:
                await builder.mark_briefed(args.channel, briefing)
        finally:
            if llm is not None:
                await llm.aclose()
        if args.json:
            print(json.dumps(briefing.to_dict(), ensure_ascii=False, indent=2))
        else:
            print(render_text(briefing))
        return 0


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "brief",
        parents=[common],
        help="the stories of the articles received recently, grouped, ranked and summarised with sources",
    )
    p.add_argument("--since", default="24h", help="window start: 24h, 7d, 90m or a date/time (default 24h)")
    p.add_argument("--topics", default="", help='comma-separated topic words, e.g. "chips,export controls"')
    p.add_argument("--tz", default="UTC", help="time zone for dates, e.g. Europe/Paris (default UTC)")
    p.add_argument("--kind", choices=("daily", "alert", "adhoc"), default="daily", help="the briefing's shape")
    p.add_argument("--language", default=None, help="language of model-written summaries")
    p.add_argument("--max-stories", type=count(1, 50), default=None, help="stories at most (default from settings)")
    p.add_argument(
        "--channel", default=None, help="a channel key: leave out stories already briefed there, and remember these"
    )
    p.add_argument("--no-llm", action="store_true", help="extractive summaries only, even with a model configured")
    p.set_defaults(handler=cmd_brief)
