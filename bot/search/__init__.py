"""Passages out: the lexical index, query parsing, and the search entry point."""

from bot.search.models import SearchHit
from bot.search.service import search_passages

__all__ = ["SearchHit", "search_passages"]
