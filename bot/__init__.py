"""Briefbot: a store of news articles turned into cited answers and briefings."""

__version__ = "0.1.0"
