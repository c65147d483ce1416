from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import Settings, load_settings
from bot.search.engine import SearchIndex
from bot.store.db import Database, open_database

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SAMPLES = PROJECT_ROOT / "examples" / "articles"
SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never pick up a developer's own settings or secrets."""
    for name in ("BRIEFBOT_CONFIG", "BRIEFBOT_DB", "DISCORD_TOKEN", "OPENAI_API_KEY", "OPENAI_BASE_URL", "BRIEFBOT_MODEL",
                 "EMBEDDINGS_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    # The in-process embedder costs ~0.3 s a passage on 2 cores: tests run BM25 only unless they test vectors
    # (tests/test_vectors.py sets BRIEFBOT_EMBEDDINGS itself or builds its settings with a provider).
    monkeypatch.setenv("BRIEFBOT_EMBEDDINGS", "off")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    s = load_settings(db_path=str(tmp_path / "test.db"))
    s.ingest.allow_private_urls = True  # tests serve everything from 127.0.0.1
    return s


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[Database]:
    database = await open_database(settings.db_path)
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
async def index(db: Database) -> AsyncIterator[SearchIndex]:
    """The search index of the `db` fixture's store, as an App owns it (opened on first use)."""
    idx = SearchIndex(db)
    try:
        yield idx
    finally:
        idx.close()
