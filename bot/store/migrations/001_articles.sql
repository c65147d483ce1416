-- Articles, the collections they belong to, their passages and the full-text index.
CREATE TABLE collections (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

CREATE TABLE articles (
    id              INTEGER PRIMARY KEY,
    title           TEXT NOT NULL,
    body            TEXT NOT NULL,
    url             TEXT,
    canonical_url   TEXT UNIQUE,
    source          TEXT,
    author          TEXT,
    place           TEXT,
    published       TEXT,            -- ISO 8601, UTC, or NULL when unknown
    fetched         TEXT NOT NULL,   -- ISO 8601, UTC
    language        TEXT,
    content_hash    TEXT NOT NULL UNIQUE,
    simhash         INTEGER,         -- 64-bit SimHash of the body, signed
    duplicate_of    INTEGER REFERENCES articles(id) ON DELETE SET NULL,
    meta            TEXT             -- JSON: captions, credits, feed item id, ...
);
CREATE INDEX articles_published ON articles(published);
CREATE INDEX articles_duplicate_of ON articles(duplicate_of);

CREATE TABLE article_collections (
    collection_id   INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
    article_id      INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    added_at        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    PRIMARY KEY (collection_id, article_id)
) WITHOUT ROWID;
CREATE INDEX article_collections_article ON article_collections(article_id);
CREATE INDEX article_collections_added ON article_collections(collection_id, added_at);

CREATE TABLE passages (
    id          INTEGER PRIMARY KEY,
    article_id  INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    text        TEXT NOT NULL,
    tokens      INTEGER NOT NULL,
    UNIQUE (article_id, position)
);

CREATE VIRTUAL TABLE passages_fts USING fts5(
    text,
    content='passages',
    content_rowid='id',
    tokenize='porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER passages_ai AFTER INSERT ON passages BEGIN
    INSERT INTO passages_fts(rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER passages_ad AFTER DELETE ON passages BEGIN
    INSERT INTO passages_fts(passages_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
CREATE TRIGGER passages_au AFTER UPDATE ON passages BEGIN
    INSERT INTO passages_fts(passages_fts, rowid, text) VALUES ('delete', old.id, old.text);
    INSERT INTO passages_fts(rowid, text) VALUES (new.id, new.text);
END;

CREATE TABLE feeds (
    id              INTEGER PRIMARY KEY,
    url             TEXT NOT NULL UNIQUE,
    title           TEXT,
    etag            TEXT,
    last_modified   TEXT,
    last_polled     TEXT,
    last_success    TEXT,
    last_error      TEXT,
    error_count     INTEGER NOT NULL DEFAULT 0,
    interval_s      INTEGER NOT NULL DEFAULT 1800,
    item_count      INTEGER NOT NULL DEFAULT 0,
    created_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

-- Which collection follows which feed (a feed that two servers follow is fetched once).
CREATE TABLE feed_follows (
    feed_id         INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
    collection_id   INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
    channel_id      INTEGER,          -- where it was added (failure reports go there)
    added_by        INTEGER,
    added_at        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    PRIMARY KEY (feed_id, collection_id)
) WITHOUT ROWID;
