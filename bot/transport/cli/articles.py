"""`briefbot ingest|search|articles|show`: articles in, passages and articles out."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from bot.app import NO_MODEL
from bot.ingest.models import IngestResult
from bot.usecases.articles import INLINE_EMBED_MAX
from bot.transport.cli.common import count_arg, open_cli, print_json
from bot.transport.wording import safe

MAX_ADDED_LINES = 50


async def cmd_ingest(args: argparse.Namespace) -> int:
    async with open_cli(args, llm=NO_MODEL) as ctx:
        counts = {"added": 0, "duplicate": 0, "failed": 0}
        show_progress = sys.stderr.isatty() and not args.json
        printed_added = 0

        def on_result(result: IngestResult) -> None:
            nonlocal printed_added
            counts[result.status] += 1
            if args.json:
                return
            if result.status == "failed":
                print(safe(result.describe()))
            elif printed_added < MAX_ADDED_LINES:
                printed_added += 1
                print(safe(result.describe()))
            if show_progress and sum(counts.values()) % 100 == 0:
                sys.stderr.write(
                    f"\r{counts['added']:,} added, {counts['duplicate']:,} duplicates, {counts['failed']:,} failed"
                )
                sys.stderr.flush()

        results = await ctx.app.articles.ingest(args.sources, ctx.collection_id, on_result=on_result)
        if show_progress:
            sys.stderr.write("\r\033[K")
        embedded = None if args.no_embed else await ctx.app.articles.embed(None if args.embed else INLINE_EMBED_MAX)
        if args.json:
            print_json([r.__dict__ for r in results])
        else:
            print(
                f"Ingested into {ctx.collection!r}: {counts['added']} added, "
                f"{counts['duplicate']} duplicates, {counts['failed']} failed."
            )
            if embedded is not None and embedded.error:
                print(f"Embedding failed ({embedded.error}); BM25 search works, and the console or `briefbot run` "
                      "embed the waiting passages in the background.")
            elif embedded is not None and embedded.passages:
                print(f"Embedded {embedded.passages:,} passages ({embedded.seconds:.1f} s): questions in other words "
                      "or other languages find them.")
            if embedded is not None and embedded.waiting and not embedded.error:
                print(f"{embedded.waiting:,} passages wait for their vectors (searchable by BM25 now): the console and "
                      "`briefbot run` embed them in the background, or run `briefbot reindex`.")
        return 1 if counts["failed"] else 0


async def cmd_search(args: argparse.Namespace) -> int:
    async with open_cli(args, write=False, llm=NO_MODEL) as ctx:
        hits = await ctx.app.articles.search(ctx.collection_id, " ".join(args.query), k=args.k)
        if args.json:
            print_json([h.to_dict() for h in hits])
            return 0
        if not hits:
            print("No passage matches that.")
            return 0
        for rank, hit in enumerate(hits, 1):
            date = (hit.published or "")[:10]
            meta = ", ".join(x for x in (hit.source, date) if x)
            print(safe(f"{rank}. [{hit.article_id}] {hit.title}" + (f" ({meta})" if meta else "") + f"  score {hit.score:.2f}"))
            if hit.url:
                print(f"   {hit.url}")
            print(f"   {safe(hit.text)}\n")
        return 0


async def cmd_articles(args: argparse.Namespace) -> int:
    async with open_cli(args, write=False, llm=NO_MODEL) as ctx:
        page = await ctx.app.articles.page(ctx.collection_id, limit=args.limit, offset=args.offset)
        rows, total = page.articles, page.total
        if args.json:
            print_json([a.summary() for a in rows])
            return 0
        if not rows:
            print(f"No articles in {ctx.collection!r} yet. Add some with: briefbot ingest PATH_OR_URL")
            return 0
        for a in rows:
            date = (a.published or a.fetched)[:10]
            dup = f"  (repeats {a.duplicate_of})" if a.duplicate_of else ""
            print(f"{a.id:>6}  {date}  {(a.source or '-')[:18]:<18}  {safe(a.title)}{dup}")
        if total > len(rows):
            print(f"… {len(rows)} of {total} shown (--limit, --offset)")
        return 0


async def cmd_show(args: argparse.Namespace) -> int:
    async with open_cli(args, write=False, llm=NO_MODEL) as ctx:
        detail = await ctx.app.articles.show(ctx.collection_id, args.id)
        article, passages = detail.article, detail.passages
        if args.json:
            data = article.__dict__ | {"passages": [{"id": p[0], "position": p[1], "text": p[2], "tokens": p[3]} for p in passages]}
            print_json(data)
            return 0
        print(safe(article.title))
        print("=" * min(len(article.title), 80))
        for label, value in (
            ("id", article.id),
            ("source", article.source),
            ("author", article.author),
            ("place", article.place),
            ("published", article.published),
            ("fetched", article.fetched),
            ("url", article.url),
            ("language", article.language),
            ("repeats", article.duplicate_of),
            ("passages", len(passages)),
        ):
            if value not in (None, ""):
                print(safe(f"{label:>10}: {value}"))
        for key, value in article.meta.items():
            print(safe(f"{key:>10}: {value}"))
        print()
        print(safe(article.body))
        return 0


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "ingest", parents=[common], help="add articles from files, folders, article URLs or feed URLs",
        description="Add articles: .txt/.md/.html files, .json/.jsonl(.gz) records, folders, article URLs and "
        "RSS/Atom feed URLs. Each failing source is named with its reason; exit status 1 if any failed.",
        epilog="example: briefbot ingest examples/articles https://example.org/rss.xml",
    )
    p.add_argument("sources", nargs="+", metavar="SOURCE", help="a file, folder, article URL or feed URL")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--embed", action="store_true", help="embed every waiting passage now, however many")
    g.add_argument("--no-embed", action="store_true", help="leave embedding to the background worker")
    p.set_defaults(handler=cmd_ingest)

    p = sub.add_parser(
        "search", parents=[common], help="the passages that best match a query",
        description="The passages that best match a query (BM25), one per article, best first.",
        epilog='example: briefbot search "photoresist Samsung" -k 3',
    )
    p.add_argument("query", nargs="+", help="words or a question")
    p.add_argument("-k", type=count_arg(1, 1000), default=5, help="how many results (default 5)")
    p.set_defaults(handler=cmd_search)

    p = sub.add_parser(
        "articles", parents=[common], help="list stored articles, newest first",
        description="The collection's stored articles, newest first.", epilog="example: briefbot articles --limit 20",
    )
    p.add_argument("--limit", type=count_arg(1), default=50, help="how many (default 50)")
    p.add_argument("--offset", type=count_arg(0), default=0, help="how many to skip (default 0)")
    p.set_defaults(handler=cmd_articles)

    p = sub.add_parser(
        "show", parents=[common], help="print one article with its metadata",
        description="One stored article: metadata, then its text.", epilog="example: briefbot show 3",
    )
    p.add_argument("id", type=count_arg(1), help="the article's number (see briefbot articles)")
    p.set_defaults(handler=cmd_show)
