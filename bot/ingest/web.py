"""Article and feed URLs (fetched through the SSRF guard)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from bot.config import Settings
from bot.ingest.models import IngestResult, RawArticle


async def load_url(url: str, settings: Settings) -> AsyncIterator[RawArticle | IngestResult]:
    yield IngestResult(url, "failed", reason="fetching URLs is not available in this build yet")
