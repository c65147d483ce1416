"""The terminal channel: a line is a question, `/command args` is a command, and the
briefings for the console channel print as they are posted. Same core as the Discord bot.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TextIO

from bot.app import App
from bot.briefing.render import render_text
from bot.errors import UserError
from bot.ingest.opml import MAX_OPML_BYTES
from bot.store.outbox import OutboxItem
from bot.transport import wording
from bot.transport.health import HealthServer
from bot.usecases.ask import is_small_talk
from bot.usecases.channels import CONSOLE_CHANNEL, CONSOLE_COLLECTION
from bot.usecases.scheduler import Scheduler

log = logging.getLogger(__name__)

USER_KEY = "console"
HISTORY_TURNS = 3
HISTORY_FILE = "~/.briefbot_history"  # line history of interactive consoles (BRIEFBOT_HISTORY overrides; '' for none)
HISTORY_LINES = 1000
PROMPT = "> "
CONSOLE_HELP_LINE = (
    "Ask me about the news in the stored articles, e.g. what did Japan approve for Samsung? "
    "— or type /help for the commands (/briefing now, /feed list, /status, …)."
)

HELP = """\
Type a question and press Enter, or a command:
  /ask QUESTION                      ask (a plain line does the same; follow-ups keep the last turns, /new forgets them)
  /feed add URL [MINUTES]            follow a feed (polled every MINUTES); its new items print here
  /feed channel ID here|none         whether the feed posts its new items here
  /feed remove ID|URL                stop following a feed
  /feed list                         feeds with last poll, item count and last error
  /feed import FILE.opml | /feed export   follow the feeds an OPML file lists | print the feeds as OPML
  /feed filter ID include=TERMS exclude=TERMS   which items it announces: words, "phrases", /regex/, title:… text:…
  /feed test ID [include=… exclude=…]           which recent items its filters (or these) let through
  /article add URL                   add an article (or every item of a feed) by URL
  /article add text                  paste an article: first line the title, end with a line holding only '.'
  /article show ID                   one article
  /briefing subscribe [time=08:00] [tz=Europe/Paris] [alerts=on|off] [topics=word,word] [language=French]
                     [include=TERMS] [exclude=TERMS] [color=#1e90ff] [footer=TEXT]   (filters and looks of its posts)
  /briefing unsubscribe              stop briefings here
  /briefing now [SINCE]              a briefing of what came in since SINCE (e.g. 6h, 2d; default 24h)
  /briefing settings                 this channel's briefing settings
  /status                            counts, last poll, model, token use, version
  /help                              this list;  /quit (or Ctrl-D) leaves"""


class ConsoleSink:
    """Posts for the console channel are printed."""

    prefix = "console:"

    def __init__(self, write: Callable[[str], None]) -> None:
        self.write = write

    async def send(self, item: OutboxItem, late_note: str | None) -> int | None:
        label = {"daily": "Daily briefing", "alert": "New items", "notice": "Notice", "adhoc": "Briefing"}.get(
            item.kind, item.kind
        )
        lines = [f"\n── {label} ──"]
        lines += [n for n in (late_note, item.payload.get("note")) if n]
        lines.append(item.payload.get("text") or "")
        self.write("\n".join(lines).rstrip() + "\n")
        return None


class Console:
    def __init__(
        self,
        app: App,
        *,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
        background: bool = True,
        collection: str | None = None,
    ) -> None:
        """`collection`: the collection to use (default: the `default` one, as the CLI's)."""
        self.app = app
        self.collection = collection
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self.background = background
        self.history: list[tuple[str, str]] = []
        self.scheduler = Scheduler(app.scheduler_parts(), ConsoleSink(self.write))
        self.interactive = self.stdin.isatty() and self.stdout.isatty()
        self._lines: asyncio.Queue[str] | None = None
        self.output_closed = False
        self._readline: Any = None
        self._history_path: Path | None = None

    def write(self, text: str) -> None:
        if self.output_closed:
            return
        try:
            self.stdout.write(text)
            self.stdout.flush()
        except BrokenPipeError:  # `briefbot console | head`: the reader left, so the console ends quietly
            self.output_closed = True

    def say(self, text: str = "") -> None:
        self.write(text + "\n")

    def _open_history(self) -> None:
        """In a terminal: GNU readline line editing, and the line history (up-arrow) read from its file."""
        if not self.interactive or self._readline is not None or self.stdin is not sys.stdin or self.stdout is not sys.stdout:
            return  # input() edits sys.stdin's line only
        try:
            import readline
        except ImportError:  # pragma: no cover - Python built without readline
            return
        self._readline = readline
        path = os.environ.get("BRIEFBOT_HISTORY", HISTORY_FILE)
        self._history_path = Path(path).expanduser() if path else None
        readline.set_history_length(HISTORY_LINES)
        if self._history_path is not None:
            try:
                readline.read_history_file(str(self._history_path))
            except (OSError, UnicodeDecodeError):
                pass  # no history yet (or unreadable): start a new one

    def _save_history(self) -> None:
        if self._readline is None or self._history_path is None:
            return
        try:
            self._history_path.parent.mkdir(parents=True, exist_ok=True)
            self._readline.write_history_file(str(self._history_path))
        except OSError as exc:
            log.warning("could not save the console history to %s: %s", self._history_path, exc)

    async def _read_edited(self) -> str | None:
        """One line through readline (input() in a daemon thread, so the event loop keeps running)."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[str | None] = loop.create_future()

        def read() -> None:
            try:
                value: str | None = input(PROMPT)
            except EOFError:
                value = None
            except (OSError, ValueError, KeyboardInterrupt):
                value = None

            def deliver() -> None:
                if not done.done():
                    done.set_result(value)

            loop.call_soon_threadsafe(deliver)

        threading.Thread(target=read, name="console-readline", daemon=True).start()
        line = await done
        if line is None:
            self.write("\n")
        return line

    async def readline(self) -> str | None:
        """One line from stdin without blocking the event loop; None at end of input.

        In a terminal, readline edits the line and keeps its history; otherwise a daemon thread reads stdin
        (so Ctrl-C or the end of the program never waits for a pending read).
        """
        if self._readline is not None:
            return await self._read_edited()
        if self._lines is None:
            self._lines = asyncio.Queue()
            loop = asyncio.get_running_loop()
            queue = self._lines

            def pump() -> None:
                while True:
                    try:
                        line = self.stdin.readline()
                    except (OSError, ValueError):
                        line = ""
                    loop.call_soon_threadsafe(queue.put_nowait, line)
                    if line == "":
                        return

            threading.Thread(target=pump, name="console-stdin", daemon=True).start()
        if self.interactive:
            self.write(PROMPT)
        line = await self._lines.get()
        return None if line == "" else line.rstrip("\n")

    async def run(self) -> int:
        collection_id = await self.app.collection_id(self.collection or CONSOLE_COLLECTION)
        status = await self.app.status.status(collection_id)
        self.say(banner(status.articles, status.feeds, status.db_path, status.model))
        self.say("Type a question, or /help for the commands. Ctrl-D leaves.")
        self._open_history()
        ticker: asyncio.Task[None] | None = None
        health = HealthServer(self.app) if self.app.settings.service.http_port else None
        if health is not None:
            await health.start()
        warming = asyncio.create_task(self.app.warm())  # while the person types the first question
        if self.background:
            self.app.start_background()  # the embedding worker
            ticker = asyncio.create_task(self.scheduler.run(self.app.settings.discord.scheduler_seconds))
        try:
            while True:
                line = None if self.output_closed else await self.readline()
                if line is None:
                    break
                line = line.strip()
                if not line:
                    continue
                if line in ("/quit", "/exit"):
                    break
                await self.handle(line, collection_id)
        finally:
            if not warming.done():
                warming.cancel()
            if ticker is not None:
                ticker.cancel()
                try:
                    await ticker
                except (asyncio.CancelledError, Exception):
                    pass
            if health is not None:
                await health.stop()
            self._save_history()
        self.say("Bye.")
        return 0

    async def handle(self, line: str, collection_id: int) -> None:
        try:
            if line.startswith("/"):
                await self.command(line, collection_id)
            elif line.lower().strip(" ?!.") in ("help", "commands", ""):
                self.say(HELP)
            elif is_small_talk(line):  # "hi", "hello bot", "thanks": how to start, not a refusal
                self.say(CONSOLE_HELP_LINE)
            else:
                await self.ask(line, collection_id)
        except UserError as exc:
            self.say(str(exc))
        except Exception:
            log.exception("console command failed: %s", line[:80])
            self.say("Sorry, something went wrong with that; the details are in the log.")

    # ------------------------------------------------------------ questions

    async def ask(self, question: str, collection_id: int) -> None:
        streamed = {"n": 0}

        async def on_delta(text_so_far: str) -> None:
            new = text_so_far[streamed["n"] :]
            streamed["n"] = len(text_so_far)
            self.write(new)

        outcome = await self.app.asking.ask(  # one person at a terminal: no cooldown
            question, collection_id, history=self.history[-HISTORY_TURNS:], on_delta=on_delta
        )
        text = wording.answer_text(outcome.answer, outcome.notes, markdown=False)
        if streamed["n"]:
            # The streamed text is already on screen: finish with what follows it (notes, sources).
            body = wording.safe((outcome.answer.text or "").strip())
            rest = text[len(body) :] if text.startswith(body) else "\n\n" + text
            self.say(rest.rstrip())
        else:
            self.say(text)
        self.say()
        self.history.append((question, outcome.answer.text or ""))

    # ------------------------------------------------------------ commands

    async def command(self, line: str, collection_id: int) -> None:
        name, _, rest = line[1:].partition(" ")
        words = rest.split()
        sub = words[0].lower() if words else ""
        handlers: dict[str, Callable[[], Awaitable[None]]] = {
            "help": lambda: self._help(),
            "ask": lambda: self.ask(rest, collection_id),
            "new": lambda: self._forget(),
            "status": lambda: self._status(collection_id),
            "feed": lambda: self._feed(sub, words[1:], collection_id, _after_word(rest)),
            "feeds": lambda: self._feed("list", [], collection_id),
            "article": lambda: self._article(sub, words[1:], collection_id),
            "briefing": lambda: self._briefing(sub, words[1:], collection_id, _after_word(rest)),
        }
        handler = handlers.get(name.lower())
        if handler is None:
            raise UserError(f"Unknown command /{name}. Type /help for the list.")
        await handler()

    async def _help(self) -> None:
        self.say(HELP)

    async def _forget(self) -> None:
        self.history.clear()
        self.say("Starting a new conversation.")

    async def _status(self, collection_id: int) -> None:
        status = await self.app.status.status(collection_id)
        self.say("\n".join(wording.status_lines(status)))

    async def _feed(self, sub: str, args: list[str], collection_id: int, raw: str = "") -> None:
        if sub == "add" and args:
            minutes = None
            if len(args) > 1:
                if not args[1].isdigit():
                    raise UserError("The interval is a number of minutes, e.g. /feed add URL 30")
                minutes = int(args[1])
            # As in Discord, a feed added here announces its new items here.
            added = await self.app.feeds.add(collection_id, args[0], interval_minutes=minutes, alert_channel=CONSOLE_CHANNEL)
            self.say(wording.feed_added(added))
        elif sub == "import" and args:
            path = Path(raw.strip()).expanduser()
            try:
                data = path.read_bytes()[: MAX_OPML_BYTES + 1]
            except OSError as exc:
                raise UserError(f"Cannot read {path}: {exc.strerror or exc}") from None
            self.say("working… (each feed is checked and polled once)")
            report = await self.app.feeds.import_opml(collection_id, data, name=path.name, alert_channel=CONSOLE_CHANNEL)
            self.say("\n".join(wording.import_lines(report)))
        elif sub == "channel" and args:
            where = args[1].lower() if len(args) > 1 else "here"
            if where not in ("here", "none", "off"):
                raise UserError("Use /feed channel ID here (post its new items in this console) or /feed channel ID none.")
            info = await self.app.feeds.set_channel(collection_id, args[0], CONSOLE_CHANNEL if where == "here" else None)
            self.say(f"{info.title or info.url}: " + ("its new items print here." if info.alert_channel else "no posts of its own."))
        elif sub == "export":
            self.write(await self.app.feeds.export_opml(collection_id))
        elif sub in ("filter", "test") and args:
            ref, _, opts_text = raw.strip().partition(" ")
            opts = _keyed(opts_text, {"include", "exclude"})
            if sub == "filter":
                if not opts:
                    raise UserError('Use /feed filter ID include="rate cut, title:fed" exclude=sponsored (none clears).')
                info, filters = await self.app.feeds.set_filters(
                    collection_id, ref, opts.get("include", ""), opts.get("exclude", "")
                )
                self.say(f"Feed {info.id} ({info.title or info.url}): {filters.describe()}.")
            else:
                test = await self.app.feeds.test_filters(collection_id, ref, opts.get("include"), opts.get("exclude"))
                self.say("\n".join(wording.filter_test_lines(test)))
        elif sub == "remove" and args:
            info = await self.app.feeds.remove(collection_id, " ".join(args))
            self.say(f"Stopped following {info.title or info.url}.")
        elif sub == "list":
            feeds = await self.app.feeds.followed(collection_id)
            if not feeds:
                self.say("No feeds yet. Add one with /feed add URL")
            for f in feeds:
                self.say(wording.feed_line(f))
        else:
            raise UserError("Use /feed add URL [MINUTES], /feed remove ID, /feed list, /feed filter ID include=… exclude=… "
                            "or /feed test ID.")

    async def _article(self, sub: str, args: list[str], collection_id: int) -> None:
        if sub == "add" and args and args[0].lower() == "text":
            await self._paste(collection_id)
        elif sub == "add" and args:
            results = await self.app.articles.add_url(collection_id, args[0])
            for r in results:
                self.say(r.describe())
        elif sub == "show" and args:
            if not args[0].isdigit():
                raise UserError("Give the article's number, e.g. /article show 3")
            article = (await self.app.articles.show(collection_id, int(args[0]))).article
            meta = ", ".join(x for x in (article.source, (article.published or "")[:10], article.url) if x)
            self.say(f"[{article.id}] {article.title}" + (f"\n{meta}" if meta else ""))
            self.say(wording.truncate(wording.safe(article.body), 4000))
        else:
            raise UserError("Use /article add URL, /article add text or /article show ID.")

    async def _paste(self, collection_id: int) -> None:
        self.say("Paste the article: the first line is its title; end with a line holding only '.'")
        lines: list[str] = []
        while True:
            line = await self.readline()
            if line is None or line.strip() == ".":
                break
            lines.append(line)
        text = "\n".join(lines).strip()
        if not text:
            raise UserError("Nothing pasted; nothing added.")
        title, _, body = text.partition("\n")
        result = await self.app.articles.add_text(collection_id, title.lstrip("# ").strip(), body)
        self.say(result.describe())

    async def _briefing(self, sub: str, args: list[str], collection_id: int, raw: str = "") -> None:
        if sub == "subscribe":
            opts = _keyed(raw, {"time", "tz", "alerts", "topics", "language", "include", "exclude", "color", "footer"})
            alerts = _on_off("alerts", opts.get("alerts", "on"))
            s = await self.app.briefings.subscribe(
                CONSOLE_CHANNEL, collection_id, daily_time=opts.get("time", "08:00"), tz=opts.get("tz"),
                alerts=alerts, topics=opts.get("topics"), language=opts.get("language"),
                include=opts.get("include"), exclude=opts.get("exclude"), color=opts.get("color"), footer=opts.get("footer"),
            )
            self.say("Subscribed this console. " + wording.subscription_summary(s, extractive=self.app.llm is None))
        elif sub == "unsubscribe":
            done = await self.app.briefings.unsubscribe(CONSOLE_CHANNEL)
            self.say("Unsubscribed." if done else "This console was not subscribed.")
        elif sub == "settings":
            current = await self.app.briefings.settings(CONSOLE_CHANNEL)
            extractive = self.app.llm is None
            self.say(
                wording.subscription_summary(current, extractive=extractive)
                if current else "Not subscribed. Use /briefing subscribe time=08:00 tz=UTC"
            )
        elif sub == "now":
            here = await self.app.briefings.settings(CONSOLE_CHANNEL)
            self.app.briefings.check_since(" ".join(args) or None, here.tz if here else "UTC")
            self.say("working… (building the briefing)")
            outcome = await self.app.briefings.brief(
                collection_id, since=" ".join(args) or None, channel_key=CONSOLE_CHANNEL,
                tz=here.tz if here else "UTC", topics=here.topics if here else (),
            )
            for note in outcome.notes:
                self.say(note)
            self.say(render_text(outcome.briefing))
        else:
            raise UserError("Use /briefing subscribe, /briefing unsubscribe, /briefing now [SINCE] or /briefing settings.")


def banner(articles: int, feeds: int, db_path: str, model: str) -> str:
    """The first line: what the store holds and where it is (an empty store says how to reach another one)."""
    where = Path(db_path).expanduser().resolve()
    line = f"Briefbot console: {articles:,} articles, {feeds} feeds in {where}. Model: {model}."
    if articles == 0:
        line += (
            f"\nThis store is empty. If you added articles from another folder, their store is that folder's "
            f"{db_path if not Path(db_path).is_absolute() else 'database'}: start the console there, or pass "
            "--db PATH (or BRIEFBOT_DB). To add some here: briefbot ingest PATH, or /article add URL."
        )
    return line


def _on_off(name: str, value: str) -> bool:
    word = value.strip().lower()
    if word in ("on", "yes", "true", "1"):
        return True
    if word in ("off", "no", "false", "0"):
        return False
    raise UserError(f"{name}={value!r} is not understood; use {name}=on or {name}=off.")


def _after_word(text: str) -> str:
    """The text after its first word, as typed (spaces inside it kept)."""
    parts = text.strip().split(None, 1)
    return parts[1] if len(parts) > 1 else ""


def _keyed(text: str, known: set[str]) -> dict[str, str]:
    """'include=rate cut, fed exclude="x"' -> {'include': 'rate cut, fed', 'exclude': 'x'}: each value runs
    to the next known key=, as typed (so phrases and regular expressions keep their spaces and backslashes)."""
    import re

    keys = "|".join(sorted(known))
    marks = list(re.finditer(rf"(?:^|\s)({keys})=", text, re.I))
    if text.strip() and (not marks or text[: marks[0].start()].strip()):
        raise UserError(f"Unknown option in {text.strip()[:60]!r}; use " + ", ".join(f"{k}=…" for k in sorted(known)) + ".")
    opts: dict[str, str] = {}
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        value = text[m.end() : end].strip()
        if len(value) >= 2 and value[0] == value[-1] == "'":
            value = value[1:-1]
        elif len(value) >= 2 and value[0] == value[-1] == '"' and value.count('"') == 2:
            value = value[1:-1]
        opts[m.group(1).lower()] = value
    return opts


def _options(args: list[str], known: set[str]) -> dict[str, str]:
    opts: dict[str, str] = {}
    for arg in args:
        key, sep, value = arg.partition("=")
        if not sep or key.lower() not in known:
            raise UserError(f"Unknown option {arg!r}; use " + ", ".join(f"{k}=…" for k in sorted(known)) + ".")
        opts[key.lower()] = value
    return opts


