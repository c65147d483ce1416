"""Front ends: the command line (cli/), the terminal console and the Discord bot (discord/), thin adapters
over the use cases that bot.app.App builds once."""
