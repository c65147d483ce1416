-- Feed polling state and near-duplicate band keys (owner: ingest-web).

-- When a feed is next due (ISO UTC); NULL means "now". Back-off after errors moves it later.
ALTER TABLE feeds ADD COLUMN next_poll_at TEXT;
CREATE INDEX feeds_next_poll ON feeds(next_poll_at);

-- Items a feed has already delivered, so a poll stores only what is new and never refetches a page.
CREATE TABLE feed_items (
    feed_id     INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
    item_key    TEXT NOT NULL,      -- the item's guid/id, else its link
    article_id  INTEGER REFERENCES articles(id) ON DELETE SET NULL,
    seen_at     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    PRIMARY KEY (feed_id, item_key)
) WITHOUT ROWID;
CREATE INDEX feed_items_article ON feed_items(article_id);

-- MinHash LSH band keys of original articles (not of near-duplicates): two articles that share a key
-- are candidates, confirmed by their word-shingle Jaccard similarity (bot/ingest/dedupe.py).
CREATE TABLE near_dup_bands (
    band_key    INTEGER NOT NULL,   -- 64-bit hash of (band number, band values), signed
    article_id  INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE
);
CREATE INDEX near_dup_bands_key ON near_dup_bands(band_key);
CREATE INDEX near_dup_bands_article ON near_dup_bands(article_id);

-- Small key/value state of derived indexes, e.g. which near-duplicate scheme built near_dup_bands.
CREATE TABLE index_state (
    name    TEXT PRIMARY KEY,
    value   TEXT NOT NULL
);
