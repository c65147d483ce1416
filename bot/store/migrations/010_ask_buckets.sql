-- Per-user question allowance (a token bucket), kept so a restart neither forgets nor refills it.
CREATE TABLE ask_buckets (
    user_key    TEXT PRIMARY KEY,           -- e.g. "user:<discord id>"
    tokens      REAL NOT NULL,              -- questions left at updated_at (fractions refill with time)
    updated_at  REAL NOT NULL               -- Unix seconds of the last question
);
