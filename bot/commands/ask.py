"""`briefbot ask QUESTION [--since 24h|7d|2019-08-01] [--source NAME] [--tz ZONE] [--no-llm]`."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("ask", parents=[common], help="answer a question from the stored articles, with citations")
    p.add_argument("question", nargs="+")
    p.add_argument("--since", help="only articles from this window: 24h, 7d, 2w or a date like 2019-08-01")
    p.add_argument("--source", help="only articles from this source (e.g. Reuters)")
    p.add_argument("--tz", default="UTC", help="time zone for time phrases and dates (default UTC)")
    p.add_argument("--no-llm", action="store_true", help="answer extractively even when a model is configured")
    p.set_defaults(handler=cmd_ask)


def render_text(answer: Any) -> str:
    """The answer, then a numbered source list (title, source, date, link)."""
    lines = [answer.text]
    if answer.citations:
        lines.append("")
        lines.append("Sources:")
        for c in answer.citations:
            meta = ", ".join(x for x in (c.source, (c.published or "")[:10]) if x)
            lines.append(f"[{c.n}] {c.title}" + (f" ({meta})" if meta else ""))
            if c.url:
                lines.append(f"    {c.url}")
    tail = "extractive answer (no model)" if answer.mode == "extractive" else "answered by the model"
    if answer.note:
        lines.append("")
        lines.append(f"Note: {answer.note}")
    lines.append(f"— {tail}, {answer.elapsed_ms:.0f} ms")
    return "\n".join(lines)


async def cmd_ask(args: argparse.Namespace) -> int:
    from bot.answer import Answerer
    from bot.cli import open_app
    from bot.llm.client import make_client

    question = " ".join(args.question)
    async with open_app(args) as app:
        llm = make_client(app.settings)
        try:
            answerer = Answerer(app.db, app.settings, llm)
            streaming = not args.json and llm is not None and not args.no_llm and sys.stdout.isatty()
            shown = 0

            async def on_delta(text: str) -> None:
                nonlocal shown
                sys.stdout.write(text[shown:])
                sys.stdout.flush()
                shown = len(text)

            answer = await answerer.answer(
                question, app.collection_id, since=args.since, source=args.source, tz=args.tz,
                allow_llm=not args.no_llm, on_delta=on_delta if streaming else None,
            )
        finally:
            if llm is not None:
                await llm.aclose()
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
    else:
        if shown:
            sys.stdout.write("\r\033[J" if sys.stdout.isatty() else "\n")
        print(render_text(answer))
    return 0
