"""`briefbot feeds add|list|remove|poll`: the feeds a collection follows."""

from __future__ import annotations

import argparse
import json
from typing import Any

from bot.argtypes import count
from bot.errors import UserError


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    feeds = sub.add_parser("feeds", parents=[common], help="follow RSS/Atom feeds and poll them")
    actions = feeds.add_subparsers(dest="feeds_command", metavar="ACTION")
    feeds.set_defaults(handler=_usage(feeds))

    p = actions.add_parser("add", parents=[common], help="follow a feed (checked and polled once)")
    p.add_argument("url")
    p.add_argument("--interval", type=count(1), metavar="MINUTES", default=None,
                   help="minutes between polls (default [feeds] default_interval_minutes)")
    p.set_defaults(handler=cmd_add)

    p = actions.add_parser("list", parents=[common], help="the feeds this collection follows, with their state")
    p.set_defaults(handler=cmd_list)

    p = actions.add_parser("remove", parents=[common], help="stop following a feed")
    p.add_argument("id", type=count(1))
    p.set_defaults(handler=cmd_remove)

    p = actions.add_parser("poll", parents=[common], help="poll the feeds that are due, in every collection (exit 1 if any failed)")
    p.add_argument("--all", action="store_true", help="poll every followed feed now, due or not")
    p.set_defaults(handler=cmd_poll)


def _usage(parser: argparse.ArgumentParser) -> Any:
    async def handler(args: argparse.Namespace) -> int:
        parser.print_help()
        return 2

    return handler


def _print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2))


async def cmd_add(args: argparse.Namespace) -> int:
    from bot.cli import open_app
    from bot.ingest.fetch import check_url
    from bot.ingest.poller import FeedPoller
    from bot.store.feeds import FeedRepo

    async with open_app(args) as app:
        feeds_settings = app.settings.feeds
        minutes = args.interval if args.interval is not None else feeds_settings.default_interval_minutes
        if minutes < feeds_settings.min_interval_minutes:
            raise UserError(f"The interval must be at least {feeds_settings.min_interval_minutes} minutes.")
        await check_url(args.url, app.settings)
        repo = FeedRepo(app.db)
        already = {f.id for f in await repo.list(app.collection_id)}
        feed = await repo.follow(args.url, app.collection_id, interval_s=minutes * 60)
        result = await FeedPoller(app.db, app.settings).poll(feed)
        if result.error and feed.id not in already:
            await repo.unfollow(feed.id, app.collection_id)
            raise UserError(f"Not following {args.url}: {result.error}")
        if args.json:
            _print_json({"feed": (await repo.get(feed.id)).__dict__, "poll": result.to_dict()})  # type: ignore[union-attr]
        else:
            state = f"its last poll failed: {result.error}" if result.error else (
                f"found {result.item_count} items, {result.new_count} new articles"
            )
            print(f"Following feed {feed.id}: {result.title or feed.url} — {state}; polled every {minutes} minutes.")
            for failure in result.item_failures:
                print(f"  item failed: {failure}")
        return 1 if result.error else 0


async def cmd_list(args: argparse.Namespace) -> int:
    from bot.cli import open_app
    from bot.store.feeds import FeedRepo

    async with open_app(args) as app:
        feeds = await FeedRepo(app.db).list(app.collection_id)
        if args.json:
            _print_json([f.to_dict() for f in feeds])
            return 0
        if not feeds:
            print(f"{app.collection!r} follows no feeds. Add one with: briefbot feeds add URL")
            return 0
        threshold = app.settings.discord.feed_failure_threshold
        for f in feeds:
            if f.last_polled is None:
                state = "not polled yet"
            elif f.error_count:
                state = ("FAILING" if f.error_count >= threshold else "error") + f" x{f.error_count}: {f.last_error}"
            else:
                state = "ok"
            print(f"{f.id:>4}  {f.title or '(untitled)'}  <{f.url}>")
            print(
                f"      every {f.interval_s // 60} min, last poll {f.last_polled or '-'}, "
                f"{f.item_count} items, next {f.next_poll_at or 'now'}, {state}"
            )
        return 0


async def cmd_remove(args: argparse.Namespace) -> int:
    from bot.cli import open_app
    from bot.store.feeds import FeedRepo

    async with open_app(args) as app:
        if not await FeedRepo(app.db).unfollow(args.id, app.collection_id):
            raise UserError(f"{app.collection!r} does not follow a feed with id {args.id} (see: briefbot feeds list).")
        if args.json:
            _print_json({"removed": args.id})
        else:
            print(f"Stopped following feed {args.id}. Articles already stored stay.")
        return 0


async def cmd_poll(args: argparse.Namespace) -> int:
    from bot.cli import open_app
    from bot.ingest.poller import FeedPoller
    from bot.store.feeds import FeedRepo

    async with open_app(args) as app:
        poller = FeedPoller(app.db, app.settings)
        if args.all:
            results = await poller.poll_many(await FeedRepo(app.db).all())
        else:
            results = await poller.poll_due()
        if args.json:
            _print_json([r.to_dict() for r in results])
        elif not results:
            print("No feed is due (use --all to poll every feed now).")
        else:
            for r in results:
                print(r.describe())
                for failure in r.item_failures:
                    print(f"        item failed: {failure}")
            failed = sum(1 for r in results if r.error)
            print(f"Polled {len(results)} feeds: {sum(r.new_count for r in results)} new articles, {failed} failed.")
        return 1 if any(r.error for r in results) else 0
