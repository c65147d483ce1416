-- Migration 010 (issue 12): question allowances and what feeds drop.

-- Per-user question allowance (a token bucket), kept so a restart neither forgets nor refills it.
CREATE TABLE ask_buckets (
    user_key    TEXT PRIMARY KEY,           -- e.g. "user:<discord id>"
    tokens      REAL NOT NULL,              -- questions left at updated_at (fractions refill with time)
    updated_at  REAL NOT NULL               -- Unix seconds of the last question
);

-- Feed items a poll could not store, with the reason, so `feeds list` and `/feed list` show what a feed
-- drops (not only `feeds add`). Replaced by each poll that reads the feed; an item stored later leaves it.
CREATE TABLE feed_drops (
    feed_id     INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
    item_key    TEXT NOT NULL,
    origin      TEXT NOT NULL,              -- the item's link (or feed URL#n)
    reason      TEXT NOT NULL,
    at          TEXT NOT NULL,              -- ISO UTC of the poll
    PRIMARY KEY (feed_id, item_key)
);
