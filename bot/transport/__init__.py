"""Transports: the Discord bot and the terminal channel, over the same core (bot.service)."""
