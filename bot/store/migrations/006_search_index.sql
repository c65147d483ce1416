-- The search index beside the database (tantivy, in <db>.index/) follows SQLite through this change log.
-- Triggers write a row in the same transaction as the change, so a crash can never lose one: at the next
-- open the index replays every row past the sequence number it committed last (or is rebuilt).
CREATE TABLE search_changes (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    article_id  INTEGER NOT NULL
);

-- A random token that names this database: an index built from another database is rebuilt.
CREATE TABLE search_state (
    key     TEXT PRIMARY KEY,
    value   TEXT NOT NULL
);
INSERT INTO search_state(key, value) VALUES ('store_token', lower(hex(randomblob(16))));

-- Existing articles (stores created before this migration) are indexed by the first catch-up.
INSERT INTO search_changes(article_id) SELECT DISTINCT article_id FROM article_collections;

CREATE TRIGGER search_ac_ai AFTER INSERT ON article_collections BEGIN
    INSERT INTO search_changes(article_id) VALUES (new.article_id);
END;
CREATE TRIGGER search_ac_ad AFTER DELETE ON article_collections BEGIN
    INSERT INTO search_changes(article_id) VALUES (old.article_id);
END;
-- Passages added to an article already in a collection (a new article's passages come before its
-- collection row, which logs it once).
CREATE TRIGGER search_passages_ai AFTER INSERT ON passages
WHEN EXISTS (SELECT 1 FROM article_collections WHERE article_id = new.article_id) BEGIN
    INSERT INTO search_changes(article_id) VALUES (new.article_id);
END;
CREATE TRIGGER search_passages_au AFTER UPDATE ON passages BEGIN
    INSERT INTO search_changes(article_id) VALUES (new.article_id);
END;
CREATE TRIGGER search_passages_ad AFTER DELETE ON passages BEGIN
    INSERT INTO search_changes(article_id) VALUES (old.article_id);
END;
CREATE TRIGGER search_articles_au AFTER UPDATE OF published, fetched, source ON articles BEGIN
    INSERT INTO search_changes(article_id) VALUES (new.id);
END;
CREATE TRIGGER search_articles_ad AFTER DELETE ON articles BEGIN
    INSERT INTO search_changes(article_id) VALUES (old.id);
END;
