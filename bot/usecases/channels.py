"""Where things go: a Discord server's collection, the console's collection and channel keys."""

from __future__ import annotations

CONSOLE_COLLECTION = "default"
CONSOLE_CHANNEL = "console:default"
DISCORD_PREFIX = "discord:"


def collection_name(guild_id: int | None) -> str:
    """Each server has its own collection; the console (and DMs) use 'default'."""
    return f"guild:{guild_id}" if guild_id else CONSOLE_COLLECTION


def discord_channel_key(channel_id: int) -> str:
    return f"{DISCORD_PREFIX}{channel_id}"
