-- Controls admins expect from a feed bot (owner: admin): a feed's own channel, filters, post looks.

-- The channel key ("discord:<id>", "console:<name>") a followed feed's new items are announced in, beside the
-- channel subscriptions; NULL: the feed has no channel of its own (feeds followed before this migration, or added
-- from the command line without --channel).
ALTER TABLE feed_follows ADD COLUMN alert_channel TEXT;
-- Include/exclude filters (JSON, bot/text/filters.py) on what the feed announces in its channel.
ALTER TABLE feed_follows ADD COLUMN filters TEXT;

-- The same filters on what a channel subscription posts (alerts and daily briefings), and how its posts look.
ALTER TABLE subscriptions ADD COLUMN filters TEXT;
ALTER TABLE subscriptions ADD COLUMN embed_color INTEGER;   -- 0xRRGGBB; NULL: the default colour
ALTER TABLE subscriptions ADD COLUMN footer TEXT;           -- a line added to every post's footer
-- (An article's picture, og:image of its page or its feed item's media, is kept in articles.meta as image_url:
-- a URL only, checked at ingest, sent to Discord as the thumbnail and never fetched by Briefbot.)
