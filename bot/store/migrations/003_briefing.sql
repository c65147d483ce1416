-- Briefings: what each channel has already been told, so a story is briefed once
-- (and again only when it gains new facts).
CREATE TABLE briefed_stories (
    id                  INTEGER PRIMARY KEY,
    channel_key         TEXT NOT NULL,        -- e.g. "discord:<channel id>:alert" or "terminal"
    story_key           TEXT NOT NULL,        -- stable id of the story (its first article)
    kind                TEXT NOT NULL,        -- alert | daily | adhoc
    fact_fingerprint    TEXT NOT NULL,        -- sha256 of the sorted facts below
    facts               TEXT NOT NULL,        -- JSON list: numbers and named entities briefed
    article_ids         TEXT NOT NULL,        -- JSON list of the story's article ids when briefed
    briefed_at          TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX briefed_stories_channel ON briefed_stories(channel_key, story_key);

-- One row per (channel, article) briefed: finds the earlier briefing of a story from any of its articles.
CREATE TABLE briefed_articles (
    channel_key         TEXT NOT NULL,
    article_id          INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    briefed_story_id    INTEGER NOT NULL REFERENCES briefed_stories(id) ON DELETE CASCADE,
    PRIMARY KEY (channel_key, article_id, briefed_story_id)
) WITHOUT ROWID;
CREATE INDEX briefed_articles_story ON briefed_articles(briefed_story_id);
