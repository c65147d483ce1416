"""`briefbot feeds add|list|remove|poll`: the feeds a collection follows."""

from __future__ import annotations

import argparse
from typing import Any

from bot.transport.cli.common import count_arg, open_cli, print_json
from bot.transport.wording import dropped_lines, safe


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    feeds = sub.add_parser("feeds", parents=[common], help="follow RSS/Atom feeds and poll them")
    actions = feeds.add_subparsers(dest="feeds_command", metavar="ACTION")
    feeds.set_defaults(handler=_usage(feeds))

    p = actions.add_parser(
        "add", parents=[common], help="follow a feed (checked and polled once)",
        description="Follow an RSS/Atom feed in this collection: the URL passes the SSRF guard and is polled "
        "once; a URL that is not a working feed is not followed.",
        epilog="example: briefbot feeds add https://example.org/rss.xml --interval 30",
    )
    p.add_argument("url", help="the feed's URL (RSS or Atom)")
    p.add_argument("--interval", type=count_arg(1), metavar="MINUTES", default=None,
                   help="minutes between polls (default [feeds] default_interval_minutes)")
    p.set_defaults(handler=cmd_add)

    p = actions.add_parser("list", parents=[common], help="the feeds this collection follows, with their state")
    p.set_defaults(handler=cmd_list)

    p = actions.add_parser(
        "remove", parents=[common], help="stop following a feed (by id or URL)",
        epilog="example: briefbot feeds remove 3   or   briefbot feeds remove https://example.org/rss.xml",
    )
    p.add_argument("feed", metavar="ID_OR_URL", help="the feed's id (see briefbot feeds list) or its URL")
    p.set_defaults(handler=cmd_remove)

    p = actions.add_parser("poll", parents=[common], help="poll the feeds that are due, in every collection (exit 1 if any failed)")
    p.add_argument("--all", action="store_true", help="poll every followed feed now, due or not")
    p.set_defaults(handler=cmd_poll)


def _usage(parser: argparse.ArgumentParser) -> Any:
    async def handler(args: argparse.Namespace) -> int:
        parser.print_help()
        return 2

    return handler


async def cmd_add(args: argparse.Namespace) -> int:
    async with open_cli(args) as ctx:
        added = await ctx.app.feeds.add(ctx.collection_id, args.url, interval_minutes=args.interval)
        if args.json:
            print_json({"feed": added.feed.__dict__, "poll": added.poll.to_dict()})
        else:
            result = added.poll
            state = f"its last poll failed: {result.error}" if result.error else (
                f"found {result.item_count} items, {result.new_count} new articles"
            )
            print(f"Following feed {added.feed.id}: {safe(added.title)} — {safe(state)}; polled every {added.minutes} minutes.")
            for failure in result.item_failures:
                print(f"  item failed: {safe(failure)}")
        return 1 if added.poll.error else 0


async def cmd_list(args: argparse.Namespace) -> int:
    async with open_cli(args, write=False) as ctx:
        feeds = await ctx.app.feeds.followed(ctx.collection_id)
        if args.json:
            print_json([f.to_dict() for f in feeds])
            return 0
        if not feeds:
            print(f"{ctx.collection!r} follows no feeds. Add one with: briefbot feeds add URL")
            return 0
        threshold = ctx.app.settings.discord.feed_failure_threshold
        for f in feeds:
            if f.last_polled is None:
                state = "not polled yet"
            elif f.error_count:
                state = ("FAILING" if f.error_count >= threshold else "error") + f" x{f.error_count}: {f.last_error}"
            else:
                state = "ok"
            print(f"{f.id:>4}  {safe(f.title or '(untitled)')}  <{f.url}>")
            print(
                f"      every {f.interval_s // 60} min, last poll {f.last_polled or '-'}, "
                f"{f.item_count} items, next {f.next_poll_at or 'now'}, {safe(state)}"
            )
            for line in dropped_lines(f):
                print(f"   {safe(line)}")
        return 0


async def cmd_remove(args: argparse.Namespace) -> int:
    async with open_cli(args, write=False) as ctx:
        info = await ctx.app.feeds.remove(ctx.collection_id, args.feed)
        if args.json:
            print_json({"removed": info.id})
        else:
            print(f"Stopped following feed {info.id} ({safe(info.title or info.url)}). Articles already stored stay.")
        return 0


async def cmd_poll(args: argparse.Namespace) -> int:
    async with open_cli(args) as ctx:
        results = await ctx.app.feeds.poll(every=args.all)
        if args.json:
            print_json([r.to_dict() for r in results])
        elif not results:
            print("No feed is due (use --all to poll every feed now).")
        else:
            for r in results:
                print(safe(r.describe()))
                for failure in r.item_failures:
                    print(f"        item failed: {safe(failure)}")
            failed = sum(1 for r in results if r.error)
            print(f"Polled {len(results)} feeds: {sum(r.new_count for r in results)} new articles, {failed} failed.")
        return 1 if any(r.error for r in results) else 0
