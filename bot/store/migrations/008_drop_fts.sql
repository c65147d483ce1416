-- Search and the answerer's term statistics read the tantivy index (migration 006, bot/search/engine.py);
-- nothing reads the FTS5 copy of every passage any more, and filling it slowed ingest and about doubled
-- the database. (The space it held is reused by SQLite; `VACUUM` returns it to the file system.)
DROP TRIGGER IF EXISTS passages_ai;
DROP TRIGGER IF EXISTS passages_ad;
DROP TRIGGER IF EXISTS passages_au;
DROP TABLE IF EXISTS passages_fts;
