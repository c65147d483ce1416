-- Slash-command sync state, so a restart does not re-sync unchanged commands (Discord rate-limits syncs),
-- and a back-off time for outbox posts that failed (e.g. 403: the bot may not post in that channel yet).
CREATE TABLE command_sync (
    scope       TEXT PRIMARY KEY,           -- "global" or "guild:<id>"
    hash        TEXT NOT NULL,              -- sha256 of the application id and the command payloads synced
    synced_at   TEXT NOT NULL               -- ISO UTC
);

ALTER TABLE outbox ADD COLUMN next_attempt_at TEXT;  -- ISO UTC; NULL: as soon as due
