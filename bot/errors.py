"""Errors a user can act on carry a message meant for that user.

Each transport (CLI, console, Discord) turns a `UserError` into a plain reply;
anything else is logged with its traceback and answered with a short apology.
"""

from __future__ import annotations


class UserError(Exception):
    """Something the user can fix; `str(exc)` is shown to them as is."""


class SourceError(UserError):
    """One ingest source failed; the others go on."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason
