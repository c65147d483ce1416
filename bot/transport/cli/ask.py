"""`briefbot ask QUESTION [--since 24h|7d|2019-08-01] [--source NAME] [--tz ZONE] [--no-llm]`."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from bot.answering.answerer import Answer
from bot.app import NO_MODEL
from bot.transport.cli.common import open_cli, print_json
from bot.transport.wording import safe


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "ask", parents=[common], help="answer a question from the stored articles, with citations",
        description="A short answer from the stored articles with [n] markers and a numbered source list; "
        "written by the model when one is configured, else extractive.",
        epilog='example: briefbot ask "what did Japan approve for Samsung?" --since 7d',
    )
    p.add_argument("question", nargs="+", help="the question")
    p.add_argument(
        "--since", help="only articles from this window: 90m, 24h, 2 days, 2w, 3mo, yesterday or a date like 2019-08-01"
    )
    p.add_argument("--source", help="only articles from this source (e.g. Reuters)")
    p.add_argument("--tz", default="UTC", help="time zone for time phrases and dates (default UTC)")
    p.add_argument("--no-llm", action="store_true", help="answer extractively even when a model is configured")
    p.set_defaults(handler=cmd_ask)


def render_text(answer: Answer) -> str:
    """The answer, then a numbered source list (title, source, date, link)."""
    lines = [safe(answer.text)]
    if answer.citations:
        lines.append("")
        lines.append("Sources:")
        for c in answer.citations:
            meta = ", ".join(x for x in (c.source, (c.published or "")[:10]) if x)
            lines.append(safe(f"[{c.n}] {c.title}" + (f" ({meta})" if meta else "")))
            if c.url:
                lines.append(f"    {c.url}")
    tail = "extractive answer (no model)" if answer.mode == "extractive" else "answered by the model"
    if answer.note:
        lines.append("")
        lines.append(f"Note: {answer.note}")
    lines.append(f"— {tail}, {answer.elapsed_ms:.0f} ms")
    return "\n".join(lines)


async def cmd_ask(args: argparse.Namespace) -> int:
    question = " ".join(args.question)
    async with open_cli(args, write=False, llm=NO_MODEL if args.no_llm else None) as ctx:
        streaming = not args.json and ctx.app.llm is not None and sys.stdout.isatty()
        shown = 0

        async def on_delta(text: str) -> None:
            nonlocal shown
            clean = safe(text)
            sys.stdout.write(clean[shown:])
            sys.stdout.flush()
            shown = len(clean)

        outcome = await ctx.app.asking.ask(
            question, ctx.collection_id, since=args.since, source=args.source, tz=args.tz,
            on_delta=on_delta if streaming else None,
        )
        answer = outcome.answer
    if args.json:
        print_json(answer.to_dict())
    else:
        if shown:
            sys.stdout.write("\r\033[J" if sys.stdout.isatty() else "\n")
        print(render_text(answer))
    return 0
