"""Duplicates: canonical URLs, content hashes, and MinHash/LSH for rewritten or syndicated copies."""

from __future__ import annotations

import hashlib
import re
import zlib
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import numpy as np

from bot.store.db import Database
from bot.store.near_dups import NearDupRepo

_TRACKING_PARAMS = re.compile(r"^(utm_\w+|fbclid|gclid|mc_cid|mc_eid|ref|ref_src|cmpid|ocid|smid|outputType)$", re.I)
_WORD = re.compile(r"\w+", re.UNICODE)


def canonical_url(url: str | None) -> str | None:
    """Lower-case scheme and host, no fragment, no tracking parameters, no trailing slash."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    if not parts.scheme or not parts.netloc:
        return None
    host = parts.hostname or ""
    if parts.port and not ((parts.scheme == "http" and parts.port == 80) or (parts.scheme == "https" and parts.port == 443)):
        host = f"{host}:{parts.port}"
    if host.startswith("www."):
        host = host[4:]
    query = urlencode(sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING_PARAMS.match(k)))
    path = parts.path.rstrip("/") or "/"
    return urlunsplit((parts.scheme.lower(), host.lower(), path, query, ""))


def content_hash(title: str, body: str) -> str:
    """The same words in the same order give the same hash, whatever the spacing or case."""
    normal = " ".join(_WORD.findall(f"{title}\n{body}".lower()))
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()


# ---------------------------------------------------------------- near-duplicates: MinHash + LSH
#
# SimHash over word 3-shingles flips too many bits for a light rewrite of a short item (a one-word
# change in a 25-word sentence moved it by 14 bits). MinHash estimates the Jaccard similarity of the
# shingle sets instead, which degrades gracefully: that same rewrite keeps J = 20/26 = 0.77.
# Originals are indexed by LSH bands (16 bands of 3 of 48 MinHash values): a pair with J = 0.5 shares
# a band with probability 0.88, J = 0.7 with 0.999, J = 0.1 with 0.016. A shared band only makes a
# candidate; the exact Jaccard of the two shingle sets (title and body) decides, and the numbers in the
# two texts must agree, so that templated notices ("Qtly div 5 cts ... Pay July 15") of different
# companies or dates are not taken for one story. Band keys persist in near_dup_bands (a row per band
# per original) and are searched in memory (sorted numpy arrays): 16 bytes per band per original.

NEAR_SCHEME = "minhash-w3-p48-b16-r3-v1"  # stored in index_state; another scheme rebuilds near_dup_bands
SHINGLE_WIDTH = 3
NUM_PERM = 48
NUM_BANDS = 16
ROWS = NUM_PERM // NUM_BANDS
MAX_CANDIDATES = 3  # candidates checked per article, most shared bands first
# Articles looked at per shared band, the newest: a copy is usually of recent news, and without a bound
# a run of look-alike items (templated notices, a feed's boilerplate) fills a band with thousands of ids,
# each read for every new article, so cost per article grows with the store (2k look-alikes 3.3 s, 8k 36.6 s).
PER_BAND: int | None = 128

_rng = np.random.default_rng(20260311)
_PERM_A = _rng.integers(1, 2**63, NUM_PERM, dtype=np.uint64) | np.uint64(1)
_PERM_B = _rng.integers(0, 2**63, NUM_PERM, dtype=np.uint64)
_BAND_MIX = _rng.integers(1, 2**63, (NUM_BANDS, ROWS), dtype=np.uint64) | np.uint64(1)
_BAND_SALT = _rng.integers(1, 2**63, NUM_BANDS, dtype=np.uint64)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
# Lower-cased text to words by translating separators to spaces: faster than re.findall(r"\w+").
_SEPARATORS = str.maketrans({i: " " for i in range(0x3000) if not (chr(i).isalnum() or chr(i) == "_")})


def _mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: every output bit depends on every input bit."""
    x = x ^ (x >> np.uint64(30))
    x = x * _MIX1
    x = x ^ (x >> np.uint64(27))
    x = x * _MIX2
    return x ^ (x >> np.uint64(31))


@dataclass
class NearSignature:
    shingles: np.ndarray  # sorted unique uint64 hashes of word 3-shingles (title and body)
    numbers: frozenset[str]  # tokens with digits in them
    band_keys: np.ndarray  # NUM_BANDS int64 LSH keys


def _words(text: str) -> list[str]:
    return text.lower().translate(_SEPARATORS).split()


def shingle_set(text: str, words: list[str] | None = None) -> np.ndarray:
    """Sorted unique 64-bit hashes of the word 3-shingles of a text (lower-cased words)."""
    words = _words(text) if words is None else words
    ids = np.fromiter((zlib.crc32(w.encode("utf-8")) for w in words), dtype=np.uint64, count=len(words))
    if ids.size < SHINGLE_WIDTH:
        ids = np.concatenate([ids, np.zeros(SHINGLE_WIDTH - ids.size, dtype=np.uint64)])
    count = ids.size - SHINGLE_WIDTH + 1
    with np.errstate(over="ignore"):
        grams = ids[:count].copy()
        for j in range(1, SHINGLE_WIDTH):
            grams = grams * _GOLDEN + ids[j : j + count]
        return np.unique(_mix64(grams))


def near_signature(title: str, body: str) -> NearSignature:
    words = _words(f"{title}\n{body}")
    shingles = shingle_set("", words)
    with np.errstate(over="ignore"):
        minhash = ((np.multiply.outer(shingles, _PERM_A) + _PERM_B) >> np.uint64(32)).min(axis=0)
        keys = _mix64((minhash.reshape(NUM_BANDS, ROWS) * _BAND_MIX).sum(axis=1) + _BAND_SALT)
    return NearSignature(
        shingles=shingles,
        numbers=frozenset(w for w in words if not w.isalpha()),
        band_keys=keys.view(np.int64),
    )


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    if a.size == 0 or b.size == 0:
        return 0.0
    shared = np.intersect1d(a, b, assume_unique=True).size
    return shared / (a.size + b.size - shared)


def numbers_agree(a: frozenset[str], b: frozenset[str]) -> bool:
    """Most numbers of the text with fewer appear in the other (a rewrite keeps the facts)."""
    if not a or not b:
        return True
    return len(a & b) >= 0.7 * min(len(a), len(b))


def same_story(a: NearSignature, b: NearSignature, threshold: float) -> float | None:
    """The Jaccard similarity when a and b tell the same story, else None."""
    similarity = jaccard(a.shingles, b.shingles)
    return similarity if similarity >= threshold and numbers_agree(a.numbers, b.numbers) else None


class BandIndex:
    """LSH band key -> article ids, in memory: a sorted numpy part plus a dict of recent additions."""

    def __init__(self) -> None:
        self._keys = np.empty(0, dtype=np.int64)
        self._ids = np.empty(0, dtype=np.int64)
        self._recent: dict[int, list[int]] = {}
        self._recent_size = 0

    def __len__(self) -> int:
        return int(self._keys.size) + self._recent_size

    def bulk_load(self, keys: np.ndarray, ids: np.ndarray) -> None:
        """Add many (key, article id) pairs at once (ids[i] goes with keys[i])."""
        if keys.size == 0:
            return
        all_keys = np.concatenate([self._keys, keys.astype(np.int64)])
        all_ids = np.concatenate([self._ids, ids.astype(np.int64)])
        order = np.lexsort((all_ids, all_keys))  # by key, then id: a band's newest articles come last
        self._keys, self._ids = all_keys[order], all_ids[order]

    def add(self, article_id: int, keys: np.ndarray) -> None:
        for key in keys.tolist():
            self._recent.setdefault(key, []).append(article_id)
        self._recent_size += keys.size
        if self._recent_size > max(50_000, self._keys.size // 4):
            self._merge()

    def candidates(self, keys: np.ndarray, limit: int) -> list[int]:
        """Articles sharing at least one band, most shared bands first; of each band only the
        PER_BAND newest (all when PER_BAND is None), so the cost per article stays flat.

        A band shared by more than PER_BAND articles (boilerplate that many items hold) says little
        about which of them this one copies, and its older members are not read at all; so shares of
        bands below the bound rank first, then all shares. When no band is over the bound (the usual
        case) this is the plain count of shared bands.
        """
        per_band = PER_BAND
        counts: dict[int, int] = {}
        rare: dict[int, int] = {}
        lo = np.searchsorted(self._keys, keys, side="left")
        hi = np.searchsorted(self._keys, keys, side="right")
        recent = [self._recent.get(key, ()) for key in keys.tolist()] if self._recent else [()] * len(keys)
        for a, b, newer in zip(lo.tolist(), hi.tolist(), recent):
            # The newest: those added since the last merge, then the sorted part's tail (by id).
            if per_band:
                ids = list(newer[-per_band:])
                room = per_band - len(ids)
                if room > 0 and b > a:
                    ids += self._ids[max(a, b - room) : b].tolist()
                small = len(newer) + (b - a) <= per_band
            else:
                ids = list(newer) + self._ids[a:b].tolist()
                small = True
            for article_id in ids:
                counts[article_id] = counts.get(article_id, 0) + 1
                if small:
                    rare[article_id] = rare.get(article_id, 0) + 1
        return sorted(counts, key=lambda i: (-rare.get(i, 0), -counts[i], i))[:limit]

    def _merge(self) -> None:
        keys = [k for k, ids in self._recent.items() for _ in ids]
        ids = [i for found in self._recent.values() for i in found]
        self._recent, self._recent_size = {}, 0
        self.bulk_load(np.array(keys, dtype=np.int64), np.array(ids, dtype=np.int64))


class NearDuplicateIndex:
    """Finds the stored original an article repeats; see the notes above.

    One per store, shared by every writer of the process, and level with other processes too: call
    `await catch_up()` inside the write transaction before looking up a batch (it loads the band keys
    of originals stored since, by anyone, found by the highest article id seen; the first call builds
    keys for articles stored before, or under another scheme). Then per article `signature` and
    `await nearest(sig)`; `add(id, sig)` for an original (in memory at once, so later articles of the
    same batch see it), and `await flush(last_id)` after the article rows are inserted, which writes
    the queued band rows in the caller's transaction.
    """

    def __init__(self, db: Database, threshold: float = 0.5) -> None:
        self.db = db
        self.repo = NearDupRepo(db)
        self.threshold = threshold
        self.bands = BandIndex()
        self._pending: dict[int, NearSignature] = {}  # added, band rows not written yet
        self._recent: dict[int, NearSignature] = {}  # signatures of recent candidates, oldest first
        self._seen_id = -1  # highest article id whose bands are in memory; -1 before the first load
        self._rollbacks = 0  # db.rollbacks when the memory was last known to match the rows

    @staticmethod
    def signature(title: str, body: str) -> NearSignature:
        return near_signature(title, body)

    async def prepare(self) -> None:
        """Load every band key, first building those missing (in a transaction of its own, or the caller's)."""
        async with self.db.transaction():
            if await self.repo.scheme() != NEAR_SCHEME:
                await self.repo.reset(NEAR_SCHEME)
            missing = [(i, near_signature(t, b).band_keys.tolist()) async for i, t, b in self.repo.originals_without_bands()]
            await self.repo.add([(key, article_id) for article_id, keys in missing for key in keys])
            self.bands, self._recent, self._pending = BandIndex(), {}, {}
            self._seen_id = -1
            await self._load_new()

    async def catch_up(self) -> None:
        """Take in the originals other writers stored since the last call (inside the write transaction).

        A store whose newest article is older than the newest seen, or a transaction rolled back
        since, means rows this memory holds are gone: it is loaded again from the rows.
        """
        if self._seen_id < 0 or self.db.rollbacks != self._rollbacks:
            await self.prepare()
            return
        last = await self.repo.last_article_id()
        if last < self._seen_id:
            await self.prepare()
        elif last > self._seen_id:
            await self._load_new()

    async def _load_new(self) -> None:
        last = await self.repo.last_article_id()
        rows = await self.repo.bands(after_article=max(self._seen_id, 0))
        if rows:
            pairs = np.array(rows, dtype=np.int64)
            self.bands.bulk_load(pairs[:, 0], pairs[:, 1])
        self._seen_id = last
        self._rollbacks = self.db.rollbacks

    async def nearest(self, sig: NearSignature) -> int | None:
        """The stored original this article repeats (the most similar), or None."""
        candidates = self.bands.candidates(sig.band_keys, MAX_CANDIDATES)
        if not candidates:
            return None
        best: tuple[float, int] | None = None
        for article_id, other in (await self._signatures(candidates)).items():
            similarity = same_story(sig, other, self.threshold)
            if similarity is not None and (best is None or (similarity, -article_id) > (best[0], -best[1])):
                best = (similarity, article_id)
        return best[1] if best else None

    def add(self, article_id: int, sig: NearSignature) -> None:
        self.bands.add(article_id, sig.band_keys)
        self._pending[article_id] = sig

    async def flush(self, last_id: int | None = None) -> None:
        """Write the band rows of added originals (whose article rows now exist); `last_id` is the
        highest article id the caller stored, so the next catch-up does not load them again."""
        rows = [(key, article_id) for article_id, sig in self._pending.items() for key in sig.band_keys.tolist()]
        self._pending = {}
        await self.repo.add(rows)
        if last_id is not None:
            self._seen_id = max(self._seen_id, last_id)

    async def _signatures(self, ids: list[int]) -> dict[int, NearSignature]:
        """Candidates are checked against their stored text (or, in the current batch, the pending one)."""
        cached = {i: self._pending.get(i) or self._recent.get(i) for i in ids}
        missing = [i for i, sig in cached.items() if sig is None]
        found = {i: sig for i, sig in cached.items() if sig is not None}
        if missing:
            for article_id, title, body in await self.repo.texts(missing):
                found[article_id] = self._recent[article_id] = near_signature(title, body)
            while len(self._recent) > 2048:
                self._recent.pop(next(iter(self._recent)))
        return found
