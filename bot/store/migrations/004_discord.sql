-- Discord and console channels: briefing subscriptions, the outbox, token usage, conversation turns.
CREATE TABLE subscriptions (
    id              INTEGER PRIMARY KEY,
    channel_key     TEXT NOT NULL UNIQUE,       -- "discord:<channel id>" or "console:<name>"
    guild_id        INTEGER,
    collection_id   INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
    daily_time      TEXT,                       -- "HH:MM" local time, NULL for no daily briefing
    tz              TEXT NOT NULL DEFAULT 'UTC',
    alerts          INTEGER NOT NULL DEFAULT 1,
    topics          TEXT NOT NULL DEFAULT '[]', -- JSON list of words
    language        TEXT,
    alert_role_id   INTEGER,                    -- the one role an alert may mention
    last_alert_at   TEXT,                       -- ISO UTC
    last_daily_date TEXT,                       -- local date (YYYY-MM-DD) of the last daily briefing handled
    created_by      INTEGER,
    created_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX subscriptions_collection ON subscriptions(collection_id);

-- One row per post to a channel, written before it is sent, marked with Discord's message id after.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    channel_key     TEXT NOT NULL,
    kind            TEXT NOT NULL,              -- daily | alert | adhoc | notice
    payload         TEXT NOT NULL,              -- JSON: text, embeds, role_id, ...
    nonce           TEXT NOT NULL UNIQUE,       -- sent with enforce_nonce so a retry is not posted twice
    created_at      TEXT NOT NULL,
    due_at          TEXT NOT NULL,
    sent_at         TEXT,
    message_id      INTEGER,
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    dropped_at      TEXT                        -- given up (too late, channel gone)
);
CREATE INDEX outbox_pending ON outbox(due_at) WHERE sent_at IS NULL AND dropped_at IS NULL;

-- Model tokens spent per collection (server) and UTC day, for the daily budget and /status.
CREATE TABLE usage (
    collection_id       INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
    day                 TEXT NOT NULL,
    prompt_tokens       INTEGER NOT NULL DEFAULT 0,
    completion_tokens   INTEGER NOT NULL DEFAULT 0,
    requests            INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (collection_id, day)
) WITHOUT ROWID;

-- Question/answer turns keyed by the bot's answer message, so a reply continues the thread.
CREATE TABLE conversation_turns (
    message_id          INTEGER PRIMARY KEY,    -- the bot's answer message
    channel_key         TEXT NOT NULL,
    collection_id       INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
    parent_message_id   INTEGER,                -- the answer this one followed up
    question            TEXT NOT NULL,
    answer              TEXT NOT NULL,
    created_at          TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
