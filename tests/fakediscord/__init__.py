"""A local stand-in for Discord's REST API and gateway, for driving the real discord.py client in tests."""

from .models import (
    ADMINISTRATOR,
    MANAGE_GUILD,
    FakeChannel,
    FakeGuild,
    FakeMember,
    FakeRole,
    FakeUser,
)
from .server import FakeDiscord, FakeInteraction, RecordedRequest

__all__ = [
    "ADMINISTRATOR",
    "MANAGE_GUILD",
    "FakeChannel",
    "FakeDiscord",
    "FakeGuild",
    "FakeInteraction",
    "FakeMember",
    "FakeRole",
    "FakeUser",
    "RecordedRequest",
]
