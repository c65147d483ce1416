"""The approximate (faiss IVF-SQ8) vector index above `[embeddings] ann_threshold`, on a real SQLite store.

Clustered random vectors (not a model's) stand in for passages: what is checked is that the IVF index agrees with
exact search (a recall figure, not equality), never returns a deleted passage or another collection's, and follows
the change log like the exact one.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.search.vectors import VectorIndex
from bot.store.db import Database, open_database
from bot.store.vectors import VectorRepo, to_blob

faiss = pytest.importorskip("faiss")

DIM = 384
MODEL = "test/clustered"


def _clustered(n: int, seed: int, centres: int = 12) -> np.ndarray:
    rng = np.random.default_rng(seed)
    c = rng.standard_normal((centres, DIM)).astype(np.float32)
    v = c[rng.integers(0, centres, n)] + 0.6 * rng.standard_normal((n, DIM)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


async def _store(db: Database, vectors: np.ndarray, collections: list[int], tag: str = "") -> list[int]:
    """One article with one passage and its vector per row, in the given collection; returns the article ids."""
    ids = []
    async with db.transaction():
        for cid in sorted(set(collections)):
            await db.conn.execute("INSERT OR IGNORE INTO collections(id, name) VALUES (?, ?)", (cid, f"c{cid}"))
        for i, (vec, cid) in enumerate(zip(vectors, collections)):
            cur = await db.conn.execute(
                "INSERT INTO articles(title, body, fetched, content_hash, published) VALUES (?, ?, ?, ?, ?)",
                (f"a{i}", f"body {i}", "2026-12-01T00:00:00Z", f"h{tag}{i}-{cid}", "2026-12-01T00:00:00Z"))
            aid = int(cur.lastrowid or 0)
            await db.conn.execute("INSERT INTO article_collections(collection_id, article_id) VALUES (?, ?)", (cid, aid))
            cur = await db.conn.execute("INSERT INTO passages(article_id, position, text, tokens) VALUES (?, 0, ?, 3)",
                                        (aid, f"body {i}"))
            await db.conn.execute("INSERT INTO passage_vectors(passage_id, model, dim, vector) VALUES (?, ?, ?, ?)",
                                  (cur.lastrowid, MODEL, DIM, to_blob(vec)))
            ids.append(aid)
    return ids


async def test_above_the_threshold_ivf_agrees_with_exact_and_never_returns_the_deleted_or_another_collection(
    tmp_path: Path,
) -> None:
    db = await open_database(tmp_path / "store.db")
    try:
        vecs = _clustered(300, seed=1)
        collections = [1] * 240 + [2] * 60
        articles = await _store(db, vecs, collections)
        repo = VectorRepo(db)
        ivf = VectorIndex(repo, MODEL, DIM, ann_threshold=100)
        exact = VectorIndex(repo, MODEL, DIM)
        await ivf.load()
        await exact.load()
        assert ivf.ann is not None and exact.ann is None
        assert len(ivf.ann) == 300 and ivf.ann.nlist == 64  # 2·√300 = 34.6 -> 64

        queries = _clustered(60, seed=2)
        agree = 0
        for q in queries:
            got = await ivf.search(q, 1, 10)
            want = await exact.search(q, 1, 10)
            assert len(got) == 10
            agree += got[0].passage_id == want[0].passage_id
        assert agree / len(queries) >= 0.8, agree  # top-1 recall against exact

        # collection 2 holds 60 rows, under the threshold: scanned exactly, so identical
        q = queries[0]
        assert [h.passage_id for h in await ivf.search(q, 2, 5)] == [h.passage_id for h in await exact.search(q, 2, 5)]
        theirs = {articles[i] for i, c in enumerate(collections) if c == 2}
        for q in queries[:20]:
            assert not theirs & {h.article_id for h in await ivf.search(q, 1, 50)}

        # a deleted passage never comes back; faiss drops it (remove_ids) at the next search
        best = (await ivf.search(queries[3], 1, 1))[0]
        async with db.transaction():
            await db.conn.execute("DELETE FROM articles WHERE id = ?", (best.article_id,))
        await ivf.sync(db, force=True)
        hits = await ivf.search(queries[3], 1, 50)
        assert best.article_id not in {h.article_id for h in hits} and len(hits) == 50
        assert len(ivf.ann) == 299

        # new vectors written by another connection are found once the index syncs
        more = _clustered(40, seed=3)
        added = await _store(db, more, [1] * 40, tag="more")
        await ivf.sync(db, force=True)
        found = 0
        for v, a in zip(more, added):
            found += (await ivf.search(v, 1, 1))[0].article_id == a
        assert found >= 36, found
        assert len(ivf.ann) == 339
    finally:
        await db.close()


async def test_at_or_under_the_threshold_or_with_threshold_0_the_index_stays_exact(tmp_path: Path) -> None:
    db = await open_database(tmp_path / "store.db")
    try:
        await _store(db, _clustered(120, seed=4), [1] * 120)
        repo = VectorRepo(db)
        for threshold in (0, 120):
            index = VectorIndex(repo, MODEL, DIM, ann_threshold=threshold)
            await index.load()
            assert index.ann is None
        index = VectorIndex(repo, MODEL, DIM, ann_threshold=119)
        await index.load()
        assert index.ann is not None
    finally:
        await db.close()


async def test_without_faiss_the_index_stays_exact_and_says_so_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    import sys

    import bot.search.ann as ann

    monkeypatch.setattr(ann, "_faiss", None)
    monkeypatch.setattr(ann, "_tried", False)
    monkeypatch.setitem(sys.modules, "faiss", None)  # import faiss -> ImportError
    db = await open_database(tmp_path / "store.db")
    try:
        vecs = _clustered(150, seed=5)
        await _store(db, vecs, [1] * 150)
        for _ in range(2):
            index = VectorIndex(VectorRepo(db), MODEL, DIM, ann_threshold=50)
            await index.load()
            assert index.ann is None
            assert (await index.search(vecs[7], 1, 1))[0].similarity == pytest.approx(1.0, abs=1e-2)
        assert sum("faiss is not installed" in r.getMessage() for r in caplog.records) == 1
    finally:
        await db.close()


async def test_the_time_window_holds_through_ivf_and_a_compacted_index_is_trained_again(tmp_path: Path) -> None:
    db = await open_database(tmp_path / "store.db")
    try:
        vecs = _clustered(1500, seed=6)
        articles = await _store(db, vecs, [1] * 1500)
        async with db.transaction():  # the first 1,000 are from November
            await db.conn.execute("UPDATE articles SET published = '2026-11-01T00:00:00Z' WHERE id <= ?", (articles[999],))
        december = 1_796_083_200  # 2026-12-01T00:00:00Z
        index = VectorIndex(VectorRepo(db), MODEL, DIM, ann_threshold=200)
        await index.load()
        assert index.ann is not None
        recent = set(articles[1000:])
        for q in _clustered(10, seed=7):
            hits = await index.search(q, 1, 20, since=december)
            assert len(hits) == 20 and {h.article_id for h in hits} <= recent
            older = await index.search(q, 1, 20, until=december)
            assert not {h.article_id for h in older} & recent
        first = index.ann
        # most articles go: the matrix is compacted (row numbers change) and the IVF index trained again
        async with db.transaction():
            await db.conn.execute("DELETE FROM articles WHERE id <= ?", (articles[1099],))
        await index.sync(db, force=True)
        assert len(index) == 400 and index.size == 400
        assert index.ann is not None and index.ann is not first and len(index.ann) == 400
        for v, a in zip(vecs[1100:1140], articles[1100:1140]):
            assert (await index.search(v, 1, 1))[0].article_id == a
    finally:
        await db.close()


async def test_the_training_is_saved_beside_sqlite_and_a_corrupt_or_foreign_file_is_trained_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    db = await open_database(tmp_path / "store.db")
    saved = tmp_path / "store.db-ivf.npz"
    try:
        vecs = _clustered(400, seed=8)
        await _store(db, vecs, [1] * 400)
        repo = VectorRepo(db)

        async def opened(model: str = MODEL) -> VectorIndex:
            index = VectorIndex(repo, model, DIM, ann_threshold=100)
            await index.load()
            assert index.ann is not None and len(index.ann) == 400
            return index

        first = await opened()
        assert not first.ann.reused and saved.exists()  # type: ignore[union-attr]
        second = await opened()
        assert second.ann.reused  # type: ignore[union-attr]
        q = _clustered(5, seed=9)
        for v in q:  # the same training gives the same answers
            assert [h.passage_id for h in await first.search(v, 1, 10)] == [h.passage_id for h in await second.search(v, 1, 10)]

        saved.write_bytes(b"PK\x03\x04 not an index")  # damaged: trained again, the file replaced
        third = await opened()
        assert not third.ann.reused and "cannot be read" in caplog.text  # type: ignore[union-attr]
        assert (await opened()).ann.reused  # type: ignore[union-attr]

        await db.conn.execute("UPDATE passage_vectors SET model = 'test/other'")  # another model's file: not used
        await db.conn.commit()
        other = await opened("test/other")
        assert not other.ann.reused  # type: ignore[union-attr]
        assert (await other.search(vecs[11], 1, 1))[0].similarity == pytest.approx(1.0, abs=2e-2)
    finally:
        await db.close()


def _spread(n: int, seed: int) -> np.ndarray:
    """Four broad clusters: a vector's nearest neighbours lie in several IVF lists, so nprobe 8 is not enough."""
    rng = np.random.default_rng(seed)
    c = rng.standard_normal((4, DIM)).astype(np.float32)
    v = c[rng.integers(0, 4, n)] + rng.standard_normal((n, DIM)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


async def test_the_training_chooses_the_smallest_nprobe_reaching_recall_095_logs_it_once_and_saves_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    import json
    import logging

    from bot.search.ann import NPROBES, RECALL_TARGET

    caplog.set_level(logging.INFO, logger="bot.search.vectors")
    db = await open_database(tmp_path / "store.db")
    try:
        vecs = _spread(2000, seed=10)
        await _store(db, vecs, [1] * 2000)
        index = VectorIndex(VectorRepo(db), MODEL, DIM, ann_threshold=500)
        await index.load()
        ann = index.ann
        assert ann is not None and ann.nlist == 128

        # recall@10 of every stored vector's 10 nearest others, measured here with plain numpy
        stored = vecs.astype(np.float16).astype(np.float32)
        exact = stored @ stored.T
        np.fill_diagonal(exact, -np.inf)
        want = np.argsort(-exact, axis=1)[:, :10]
        rows = np.arange(2000)  # stored in order: row i is vecs[i]
        recall = {}
        for nprobe in NPROBES:
            _, found = ann.index.search(stored, 11, params=faiss.SearchParametersIVF(nprobe=nprobe))
            got = [[r for r in f if r != i][:10] for i, f in zip(rows, found)]
            recall[nprobe] = np.mean([len(set(g) & set(w)) / 10 for g, w in zip(got, want)])
        smallest = min(p for p in NPROBES if recall[p] >= RECALL_TARGET)
        assert recall[8] < 0.9 and smallest > 8, recall  # the data needs more than the least probing
        assert ann.nprobe == smallest and ann.recall is not None and ann.recall >= RECALL_TARGET, (ann.nprobe, recall)

        with np.load(tmp_path / "store.db-ivf.npz") as saved:
            meta = json.loads(str(saved["meta"]))
        assert meta["nprobe"] == ann.nprobe and meta["recall_at_10"] >= RECALL_TARGET

        again = VectorIndex(VectorRepo(db), MODEL, DIM, ann_threshold=500)
        await again.load()
        assert again.ann is not None and again.ann.reused and again.ann.nprobe == ann.nprobe
        assert sum("nprobe" in r.getMessage() and "chosen" in r.getMessage() for r in caplog.records) == 1
        # the search uses it: a stored vector's top hit is itself
        assert (await again.search(vecs[5], 1, 1))[0].similarity == pytest.approx(1.0, abs=2e-2)
    finally:
        await db.close()


async def test_above_the_threshold_no_matrix_is_kept_and_the_exact_paths_read_the_codes(tmp_path: Path) -> None:
    db = await open_database(tmp_path / "store.db")
    try:
        vecs = _clustered(600, seed=12)
        collections = [1] * 500 + [2] * 100
        await _store(db, vecs, collections)
        repo = VectorRepo(db)
        ivf = VectorIndex(repo, MODEL, DIM, ann_threshold=200)
        exact = VectorIndex(repo, MODEL, DIM)
        await ivf.load()
        await exact.load()
        assert ivf.ann is not None and ivf.vectors.shape[0] == 0 and exact.vectors.shape[0] >= 600

        q = _clustered(1, seed=13)[0]
        # collection 2 (100 rows, under the threshold): every list's codes scanned, the same passages as exact
        got, want = await ivf.search(q, 2, 10), await exact.search(q, 2, 10)
        assert len({h.passage_id for h in got} & {h.passage_id for h in want}) >= 9
        for g, w in zip(got, want):
            assert abs(g.similarity - w.similarity) < 0.02

        # similarity of given passages, from the codes; None for one without a vector
        pids = [h.passage_id for h in await exact.search(q, 1, 30)] + [10**6]
        sims, truth = ivf.similarity(q, pids), exact.similarity(q, pids)
        assert sims[-1] is None and truth[-1] is None
        assert all(abs(s - t) < 0.02 for s, t in zip(sims[:-1], truth[:-1]) if s is not None and t is not None)
        assert None not in sims[:-1]
    finally:
        await db.close()


async def test_a_store_that_grows_past_the_threshold_drops_its_matrix_for_the_ivf_index(tmp_path: Path) -> None:
    db = await open_database(tmp_path / "store.db")
    try:
        await _store(db, _clustered(300, seed=14), [1] * 300)
        index = VectorIndex(VectorRepo(db), MODEL, DIM, ann_threshold=400)
        await index.load()
        assert index.ann is None and index.vectors.shape[0] >= 300
        more = _clustered(200, seed=15)
        added = await _store(db, more, [1] * 200, tag="more")
        await index.sync(db, force=True)
        assert index.ann is not None and len(index.ann) == 500 and index.vectors.shape[0] == 0
        found = 0
        for v, a in zip(more[:40], added[:40]):
            found += (await index.search(v, 1, 1))[0].article_id == a
        assert found >= 38, found
    finally:
        await db.close()


async def test_collection_members_read_in_pieces_are_all_of_them_sorted(tmp_path: Path) -> None:
    db = await open_database(tmp_path / "store.db")
    try:
        ids = await _store(db, _clustered(40, seed=16), [1, 2] * 20)
        repo = VectorRepo(db)
        for piece in (1, 7, 20, 50_000):
            assert (await repo.collection_articles(1, piece=piece)).tolist() == sorted(ids[0::2])
        assert (await repo.collection_articles(3, piece=7)).tolist() == []
    finally:
        await db.close()
