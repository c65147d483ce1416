"""Clean stories: summaries and alerts cut at sentence ends, never mid-number; a short feed item of a few
sentences is stored; what a feed drops shows, with its reason, in `briefbot feeds list`, the console's
`/feed list` and Discord's `/feed list`."""

from __future__ import annotations

import json
import re
from pathlib import Path

from bot.briefing.extractive import lead_summary
from bot.text.sentences import cut_at_sentence_end
from tests.cli_runner import abriefbot
from tests.discord_helpers import running_bot
from tests.fakediscord import FakeDiscord
from tests.feedsite import FeedSite

LONG = ("exports", "Harbour exports climb to a record",
        "Container exports from the harbour rose 14.5 percent in October from a year earlier, well above its "
        "2.3 percent growth in September and the 6 percent that economists polled by the port authority had "
        "expected, as shipments of machinery and farm goods to Asian buyers grew for a fifth month in a row. "
        "The authority said it would add two cranes in 2027.")
FEW = ("ferry", "Ferry returns to the island", "The ferry returned on Monday. Crossings run hourly. Fares stay the same.")
TEASER = ("teaser", "Port opens", "Port opens.")

_BAD_END = re.compile(r"(\d[\d.,]*|\b(its|the|a|of|to|above|and))…$", re.IGNORECASE)


def _reads_whole(summary: str) -> bool:
    text = re.sub(r"(\s*\[\d+\])+$", "", summary.strip())
    return text.endswith((".", "!", "?", "…")) and not _BAD_END.search(text)


def test_cuts_fall_at_sentence_ends_or_clauses_never_inside_or_after_a_number() -> None:
    two = "The ferry returned on Monday. Crossings run hourly from 6 a.m. to 10 p.m. every day of the week."
    assert cut_at_sentence_end(two, 40) == "The ferry returned on Monday."
    cut = cut_at_sentence_end(LONG[2], 120)
    assert len(cut) <= 120 and cut.endswith("…") and _reads_whole(cut), cut
    assert cut_at_sentence_end("Rates stood above its 2.5 percent target all year long", 30) == "Rates stood…"
    assert cut_at_sentence_end("The union said. [1] Production restarted on Monday after the strike. [2]", 30) == "The union said. [1]"
    for limit in range(40, 400, 7):  # any limit: whole sentences, or a clean cut of the first
        got = lead_summary(LONG[2], sentences=2, max_chars=limit)
        assert len(got) <= limit and _reads_whole(got), (limit, got)


async def test_short_items_are_stored_drops_are_listed_with_reasons_and_alerts_read_whole(settings, tmp_path: Path) -> None:
    db = tmp_path / "cuts.db"
    env = {"BRIEFBOT_ALLOW_PRIVATE_URLS": "1"}
    async with FeedSite() as site:
        site.items = [LONG, FEW, TEASER]
        added = await abriefbot("feeds", "add", site.url("/feed.xml"), db=db, env=env)
        assert added.returncode == 0, added.stderr
        listed = await abriefbot("feeds", "list", db=db, env=env)
        as_json = json.loads((await abriefbot("feeds", "list", "--json", db=db, env=env)).stdout)
        shown = await abriefbot("articles", "--json", db=db, env=env)
        alert = await abriefbot("brief", "--kind", "alert", "--since", "1h", "--json", "--no-llm", db=db, env=env)
    titles = {a["title"] for a in json.loads(shown.stdout)}
    assert {"Harbour exports climb to a record", "Ferry returns to the island"} <= titles  # the few sentences stored
    assert "Port opens" not in titles
    assert "1 item not stored" in listed.stdout and "too short to store (2 words)" in listed.stdout
    assert site.url("/a/teaser") in listed.stdout
    [feed] = as_json
    assert [d["item"] for d in feed["dropped"]] == [site.url("/a/teaser")] and "too short" in feed["dropped"][0]["reason"]
    stories = json.loads(alert.stdout)["stories"]
    assert len(stories) == 2
    for story in stories:
        assert _reads_whole(story["summary"]), story["summary"]

    console = await abriefbot("--db", str(db), "console", "--no-background", input="/feed list\n")
    assert "1 item not stored" in console.stdout and "too short to store" in console.stdout, console.stdout


async def test_discord_feed_list_shows_what_the_feed_dropped(settings) -> None:
    async with FakeDiscord() as fake, FeedSite() as site:
        site.items = [FEW, TEASER]
        guild = fake.add_guild()
        chan = fake.add_channel(guild, "news")
        admin = fake.add_member(guild, "admin", manage_guild=True)
        async with running_bot(fake, settings):
            added = await fake.invoke_slash(guild, chan, admin, "feed add", {"url": site.url("/feed.xml")})
            await added.wait_response()
            await fake.wait_for_message(chan, lambda m: "Following" in (m["content"] or ""))
            listed = await fake.invoke_slash(guild, chan, admin, "feed list", {})
            body = await listed.wait_response()
    content = body["data"]["content"]
    assert "1 item not stored" in content and "too short to store" in content and len(content) <= 2000
