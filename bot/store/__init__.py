"""SQLite is the system of record: connection, migrations, and one module per table group."""

from bot.store.db import Database, open_database

__all__ = ["Database", "open_database"]
