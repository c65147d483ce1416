"""Articles in: fetch, feeds, extract, clean, dedupe, chunk, store."""
