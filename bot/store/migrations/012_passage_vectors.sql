-- Passage vectors for semantic retrieval (bot/search/vectors.py), beside the passages they embed.
-- `id` grows with every vector written, so another process's in-memory index loads only what is new;
-- a deleted passage takes its vector with it (and logs its article in search_changes, migration 006).
CREATE TABLE passage_vectors (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    passage_id  INTEGER NOT NULL UNIQUE REFERENCES passages(id) ON DELETE CASCADE,
    model       TEXT NOT NULL,      -- the embedder's identity: another model's vectors are re-embedded
    dim         INTEGER NOT NULL,
    vector      BLOB NOT NULL       -- dim float16 values, little-endian, L2-normalised
);
CREATE INDEX passage_vectors_model ON passage_vectors(model);

-- A passage whose text changes loses its vector (the worker embeds it again).
CREATE TRIGGER passage_vectors_text_au AFTER UPDATE OF text ON passages BEGIN
    DELETE FROM passage_vectors WHERE passage_id = new.id;
END;
