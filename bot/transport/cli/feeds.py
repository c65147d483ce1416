"""`briefbot feeds add|list|remove|poll`: the feeds a collection follows."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from bot.errors import UserError
from bot.ingest.opml import MAX_OPML_BYTES
from bot.transport.cli.common import count_arg, open_cli, print_json
from bot.transport.wording import dropped_lines, feed_routing, filter_test_lines, import_lines, safe
from bot.usecases.channels import discord_channel_key


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    feeds = sub.add_parser(
        "feeds", parents=[common], help="follow RSS/Atom feeds and poll them",
        description="The RSS/Atom feeds a collection follows: add, list, remove, poll, filter, test, "
        "import and export (OPML). `briefbot feeds ACTION --help` tells more about each.",
        epilog="examples:\n  briefbot feeds add https://example.org/rss.xml\n  briefbot feeds list\n"
        "  briefbot feeds import subscriptions.opml",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = feeds.add_subparsers(dest="feeds_command", metavar="ACTION")
    feeds.set_defaults(handler=_usage(feeds))

    p = actions.add_parser(
        "add", parents=[common], help="follow a feed (checked and polled once)",
        description="Follow an RSS/Atom feed in this collection: the URL passes the SSRF guard and is polled "
        "once; a URL that is not a working feed is not followed.",
        epilog="examples:\n  briefbot feeds add https://example.org/rss.xml --interval 30\n"
        "  briefbot --collection guild:1234 feeds add https://example.org/markets.xml --channel 5678",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("url", help="the feed's URL (RSS or Atom)")
    p.add_argument("--interval", type=count_arg(1), metavar="MINUTES", default=None,
                   help="minutes between polls (default [feeds] default_interval_minutes)")
    p.add_argument("--channel", type=count_arg(1), metavar="CHANNEL_ID", default=None,
                   help="the Discord channel (its id) the feed's new items are announced in, beside the channel "
                   "subscriptions; use with --collection guild:SERVER_ID")
    p.set_defaults(handler=cmd_add)

    p = actions.add_parser(
        "import", parents=[common], help="follow every feed an OPML file lists (exit 1 if any failed)",
        description="Follow the feeds an OPML file (a feed reader's export) lists. Each feed goes through the SSRF "
        "guard and is polled once, like feeds add; a report names each feed added and each that failed, and why. "
        "A malformed file adds nothing.",
        epilog="example: briefbot feeds import subscriptions.opml --interval 60",
    )
    p.add_argument("file", metavar="FILE.opml", help="the OPML file ('-' reads standard input)")
    p.add_argument("--interval", type=count_arg(1), metavar="MINUTES", default=None,
                   help="minutes between polls (default [feeds] default_interval_minutes)")
    p.add_argument("--channel", type=count_arg(1), metavar="CHANNEL_ID", default=None,
                   help="the Discord channel (its id) the feeds' new items are announced in")
    p.set_defaults(handler=cmd_import)

    p = actions.add_parser(
        "export", parents=[common], help="the followed feeds as an OPML file",
        description="Write the feeds this collection follows as OPML 2.0, which feed readers and feeds import read.",
        epilog="example: briefbot feeds export > feeds.opml   or   briefbot feeds export -o feeds.opml",
    )
    p.add_argument("-o", "--output", metavar="FILE", default=None, help="write to FILE instead of standard output")
    p.set_defaults(handler=cmd_export)

    p = actions.add_parser(
        "channel", parents=[common], help="where a feed's new items are announced (a Discord channel id, or none)",
        description="Set the Discord channel a feed's new items are announced in (beside the channel subscriptions), "
        "or 'none' to stop the feed posting on its own.",
        epilog="example: briefbot --collection guild:1234 feeds channel 3 5678   or   ... feeds channel 3 none",
    )
    p.add_argument("feed", metavar="ID_OR_URL", help="the feed's id (see briefbot feeds list) or its URL")
    p.add_argument("channel", metavar="CHANNEL_ID|none", help="the Discord channel's id, or none")
    p.set_defaults(handler=cmd_channel)

    p = actions.add_parser(
        "filter", parents=[common], help="set which of a feed's items are announced (include/exclude words, regex)",
        description="Set a feed's filters: an item is announced when it matches an --include term (if any) and no "
        "--exclude term. Terms are comma-separated: a word or phrase (whole words, any case), \"a, quoted\" phrase, "
        "/a regular expression/ (at most 200 characters; one that takes too long is refused), each optionally "
        "prefixed title: or text: to look at the headline or the article text only. 'none' clears a list.",
        epilog="example: briefbot feeds filter 3 --include 'rate cut, title:fed, /\\bECB\\b/' --exclude sponsored",
    )
    p.add_argument("feed", metavar="ID_OR_URL", help="the feed's id (see briefbot feeds list) or its URL")
    p.add_argument("--include", metavar="TERMS", default="", help="announce only items matching one of these")
    p.add_argument("--exclude", metavar="TERMS", default="", help="never announce items matching one of these")
    p.set_defaults(handler=cmd_filter)

    p = actions.add_parser(
        "test", parents=[common], help="show which of a feed's recent items its filters let through",
        description="Try a feed's filters (or --include/--exclude, without saving them) on its 10 most recent "
        "stored items, and show which would be announced and why.",
        epilog="example: briefbot feeds test 3   or   briefbot feeds test 3 --include 'title:fed'",
    )
    p.add_argument("feed", metavar="ID_OR_URL", help="the feed's id (see briefbot feeds list) or its URL")
    p.add_argument("--include", metavar="TERMS", default=None, help="include terms to try instead of the saved ones")
    p.add_argument("--exclude", metavar="TERMS", default=None, help="exclude terms to try instead of the saved ones")
    p.set_defaults(handler=cmd_test)

    p = actions.add_parser(
        "list", parents=[common], help="the feeds this collection follows, with their state",
        description="The feeds this collection follows: id, title, URL, interval, last poll, item count, next poll, "
        "state and last error, the channel its items are announced in and its filters.",
        epilog="example: briefbot feeds list   or   briefbot --json feeds list",
    )
    p.set_defaults(handler=cmd_list)

    p = actions.add_parser(
        "remove", parents=[common], help="stop following a feed (by id or URL)",
        description="Stop following a feed in this collection; the articles it brought stay stored.",
        epilog="example: briefbot feeds remove 3   or   briefbot feeds remove https://example.org/rss.xml",
    )
    p.add_argument("feed", metavar="ID_OR_URL", help="the feed's id (see briefbot feeds list) or its URL")
    p.set_defaults(handler=cmd_remove)

    p = actions.add_parser(
        "poll", parents=[common], help="poll the feeds that are due, in every collection (exit 1 if any failed)",
        description="Poll the feeds whose next poll time has come (every followed feed with --all), in every "
        "collection, and print one line per feed; the exit status is 1 if any failed. briefbot run and the "
        "console poll by themselves.",
        epilog="example: briefbot feeds poll --all",
    )
    p.add_argument("--all", action="store_true", help="poll every followed feed now, due or not")
    p.set_defaults(handler=cmd_poll)


def _usage(parser: argparse.ArgumentParser) -> Any:
    async def handler(args: argparse.Namespace) -> int:
        parser.print_help()
        return 2

    return handler


async def cmd_add(args: argparse.Namespace) -> int:
    async with open_cli(args) as ctx:
        added = await ctx.app.feeds.add(
            ctx.collection_id, args.url, interval_minutes=args.interval,
            alert_channel=discord_channel_key(args.channel) if args.channel else None,
        )
        if args.json:
            print_json({"feed": added.feed.__dict__, "poll": added.poll.to_dict()})
        else:
            result = added.poll
            state = f"its last poll failed: {result.error}" if result.error else (
                f"found {result.item_count} items, {result.new_count} new articles"
            )
            print(f"Following feed {added.feed.id}: {safe(added.title)} — {safe(state)}; polled every {added.minutes} minutes.")
            if added.alert_channel:
                print(f"  new items are announced in channel {added.alert_channel.split(':', 1)[1]}")
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
            if f.alert_channel or f.filters:
                print(f"      {safe(feed_routing(f).removeprefix(', '))}")
            for line in dropped_lines(f):
                print(f"   {safe(line)}")
        return 0


async def cmd_import(args: argparse.Namespace) -> int:
    if args.file == "-":
        data, name = sys.stdin.buffer.read(MAX_OPML_BYTES + 1), "standard input"
    else:
        path = Path(args.file)
        try:
            with path.open("rb") as handle:
                data = handle.read(MAX_OPML_BYTES + 1)
        except OSError as exc:
            raise UserError(f"Cannot read {args.file}: {exc.strerror or exc}") from None
        name = path.name
    async with open_cli(args) as ctx:
        report = await ctx.app.feeds.import_opml(
            ctx.collection_id, data, name=name, interval_minutes=args.interval,
            alert_channel=discord_channel_key(args.channel) if args.channel else None,
        )
        if args.json:
            print_json({
                "added": [{"id": a.feed.id, "url": a.feed.url, "title": a.title, "articles": a.articles} for a in report.added],
                "failed": [{"url": u, "reason": r} for u, r in report.failed],
                "already": report.already,
            })
        else:
            for line in import_lines(report):
                print(safe(line))
        return 1 if report.failed else 0


async def cmd_export(args: argparse.Namespace) -> int:
    async with open_cli(args, write=False) as ctx:
        text = await ctx.app.feeds.export_opml(ctx.collection_id, f"Briefbot feeds of {ctx.collection}")
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"Wrote {text.count('<outline ')} feeds to {args.output}.")
    else:
        sys.stdout.write(text)
    return 0


async def cmd_channel(args: argparse.Namespace) -> int:
    value = args.channel.strip().lower()
    if value in ("none", "off", "-"):
        key = None
    elif value.isdigit() and 0 < int(value) < 2**63:
        key = discord_channel_key(int(value))
    else:
        raise UserError(f"{args.channel!r} is not a channel id; give the channel's number, or none.")
    async with open_cli(args, write=False) as ctx:
        info = await ctx.app.feeds.set_channel(ctx.collection_id, args.feed, key)
        if args.json:
            print_json({"feed": info.id, "alert_channel": key})
        elif key:
            print(f"Feed {info.id} ({safe(info.title or info.url)}) now posts its new items in channel {value}.")
        else:
            print(f"Feed {info.id} ({safe(info.title or info.url)}) no longer posts on its own.")
        return 0


async def cmd_filter(args: argparse.Namespace) -> int:
    async with open_cli(args, write=False) as ctx:
        info, filters = await ctx.app.feeds.set_filters(ctx.collection_id, args.feed, args.include, args.exclude)
        if args.json:
            print_json({"feed": info.id, "filters": json.loads(filters.to_json() or "{}")})
        else:
            print(f"Feed {info.id} ({safe(info.title or info.url)}): {safe(filters.describe())}.")
        return 0


async def cmd_test(args: argparse.Namespace) -> int:
    async with open_cli(args, write=False) as ctx:
        test = await ctx.app.feeds.test_filters(ctx.collection_id, args.feed, args.include, args.exclude)
        if args.json:
            print_json({
                "feed": test.feed.id, "filters": test.filters.describe(), "trial": test.trial,
                "items": [i.__dict__ for i in test.items],
            })
        else:
            for line in filter_test_lines(test):
                print(safe(line))
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
