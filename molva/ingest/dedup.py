"""Near-duplicate search: MinHash signatures in LSH bands over a bounded window of recent mentions.

Two texts are near-duplicates when the word 3-shingles they share cover at least
``NEAR_DUPLICATE_CONTAINMENT`` of the shorter one (a repost with a prefix such as "Репост:" or a trailing
remark still contains the whole original). Candidates come from MinHash LSH (``BANDS`` bands of ``ROWS``
min-hashes: texts with a Jaccard similarity of 0.5 are found with probability 0.8, of 0.7 with 0.99) and
are then checked exactly. The cost per text is bounded, whatever the size of the table: the index holds the
latest ``window`` texts, a bucket keeps its latest ``COMMON_SHINGLE`` members and a lookup checks the latest
``SCANNED`` of each (a band shared by more texts than that is boilerplate; the latest copies are checked).

A text that leaves the window leaves its buckets lazily: its members are skipped where its buckets are read, and
all buckets are swept once per ``window`` texts evicted. Since texts leave in the order they came, a bucket's
members in the window are always those an eager removal would have left (the latest ones), so the answers are
the same; a sweep reads the buckets in their order in memory, which costs less than looking 16 of them up at
random for each text evicted (the largest step of adding a text once the window is full).
"""

from __future__ import annotations

from array import array
from collections import OrderedDict
from itertools import chain
from zlib import crc32

import numpy as np

from molva.ingest.urls import normalize_text

NEAR_DUPLICATE_CONTAINMENT = 0.85
MIN_SHINGLE_WORDS = 8
SCANNED = 16  # the most recent members of each bucket checked for a new text
COMMON_SHINGLE = SCANNED  # the most recent members a bucket keeps (older ones would never be checked again)
BANDS = 16
ROWS = 4
KEY_SLICE = 2048  # shingles whose MinHash values are computed at once (64 × 8 bytes each: 1 MB; 4096 was ~20% slower)
WINDOW = 50_000  # texts kept in the index (the latest ones); about 1.5 kB each


_VOCABULARY: dict[str, int] = {}  # a word -> its number (CRC-32 of the word, never 0)
VOCABULARY_LIMIT = 500_000  # words remembered (forgotten all at once past this: the numbers stay the same)
_MIX = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F), np.uint64(0x165667B19E3779F9))
_LOW62 = np.uint64((1 << 62) - 1)


def _word_numbers(words: list[str]) -> list[int]:
    vocabulary = _VOCABULARY
    numbers = list(map(vocabulary.get, words))
    if None in numbers:
        if len(vocabulary) > VOCABULARY_LIMIT:
            vocabulary.clear()
        for i, word in enumerate(words):
            if numbers[i] is None:
                numbers[i] = vocabulary[word] = crc32(word.encode()) | 1 << 32
    return numbers  # type: ignore[return-value]


def shingle_hashes(normalized: list[str]) -> tuple[np.ndarray, list[int]]:
    """The word 3-shingle hashes of many normalised texts at once: one array of each text's hashes in turn
    (repeats kept), and how many each text has (0 for texts under ``MIN_SHINGLE_WORDS`` words).

    A shingle's hash mixes the numbers of its three words (CRC-32 of each word): the same in every process
    (Python's own string hash is salted per process, which would make the LSH candidates, and so the rare
    borderline matches, differ from run to run), and computed for a whole batch in a few numpy steps.
    """
    words: list[str] = []
    starts: list[int] = []
    sizes: list[int] = []
    for text in normalized:
        split = text.split()
        if len(split) < MIN_SHINGLE_WORDS:
            sizes.append(0)
            continue
        starts.append(len(words))
        sizes.append(len(split) - 2)
        words.extend(split)
    numbers = _word_numbers(words)  # one dictionary pass for the whole batch
    if not numbers:
        return np.zeros(0, dtype=np.uint64), sizes
    x = np.array(numbers, dtype=np.uint64)
    with np.errstate(over="ignore"):
        mixed = (x[:-2] * _MIX[0] + x[1:-1] * _MIX[1] + x[2:] * _MIX[2]) & _LOW62
    # keep each text's own shingles (drop the two that straddle it and the next text)
    counts = np.array([n for n in sizes if n], dtype=np.int64)
    firsts = np.cumsum(counts) - counts  # where each text's shingles start in the output
    keep = np.repeat(np.array(starts, dtype=np.int64) - firsts, counts) + np.arange(int(counts.sum()))
    return mixed[keep], sizes


def shingles(text: str) -> frozenset[int]:
    """Hashes of the word 3-shingles of the normalised text (empty for texts too short to compare)."""
    return shingles_normalized(normalize_text(text))


def shingles_normalized(normalized: str) -> frozenset[int]:
    """:func:`shingles` of a text already normalised."""
    hashes, _sizes = shingle_hashes([normalized])
    return frozenset(hashes.tolist())


class ShingleIndex:
    """The stored mention that a new text copies, if any (see the module's docstring)."""

    def __init__(self, window: int = WINDOW, seed: int = 20261130) -> None:
        rng = np.random.default_rng(seed)
        self._a = rng.integers(1, 2**63, size=BANDS * ROWS, dtype=np.uint64) | np.uint64(1)
        self._b = rng.integers(0, 2**63, size=BANDS * ROWS, dtype=np.uint64)
        # a band's key: a polynomial of its min-hashes, plus the band's number (one vectorised step)
        self._mix = rng.integers(1, 2**63, size=ROWS, dtype=np.uint64) | np.uint64(1)
        self._band = np.arange(BANDS, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        self._window = window
        self._entries: OrderedDict[int, tuple[array[int], tuple[int, ...], frozenset[str] | None]] = OrderedDict()
        self._buckets: dict[int, int | list[int]] = {}  # a band key -> its one member, or its latest members
        # the texts of the window by brand set (None: compared with any): a text's candidates about other
        # brands (most of them) are dropped with one set intersection, without reading their entries
        self._members: dict[frozenset[str] | None, set[int]] = {}
        self._gone: set[int] = set()  # texts evicted since the buckets were last swept

    def __len__(self) -> int:
        return len(self._entries)

    def keys(self, grams: frozenset[int]) -> tuple[int, ...]:
        """The LSH band keys of a text's shingles (compute once, pass to :meth:`nearest` and :meth:`add`)."""
        x = np.fromiter(grams, dtype=np.uint64, count=len(grams))
        with np.errstate(over="ignore"):
            hashed = (np.multiply.outer(self._a, x) + self._b[:, None]) >> np.uint64(32)
            signature = hashed.min(axis=1).reshape(BANDS, ROWS)
            return tuple((signature @ self._mix + self._band).tolist())

    def prepare(self, normalized: list[str | None]) -> list[tuple[frozenset[int], tuple[int, ...] | None]]:
        """The shingles and band keys of many normalised texts (``None``: not compared, no shingles) in a few
        numpy calls per batch."""
        hashes, sizes = shingle_hashes([text or "" for text in normalized])
        keys = self._keys_of(hashes, [size for size in sizes if size])
        out: list[tuple[frozenset[int], tuple[int, ...] | None]] = []
        position = 0
        present = iter(keys)
        values = hashes.tolist()  # one conversion for the batch, then slices of a list
        empty: frozenset[int] = frozenset()
        for size in sizes:
            if not size:
                out.append((empty, None))
                continue
            out.append((frozenset(values[position:position + size]), next(present)))
            position += size
        return out

    def _keys_of(self, x: np.ndarray, sizes: list[int]) -> list[tuple[int, ...]]:
        """Band keys of texts whose shingle hashes lie one after another in ``x`` (``sizes``: how many each).

        In slices of about ``KEY_SLICE`` shingles, computed in place: the 64 hashes of each shingle stay in the
        CPU cache instead of one array of them all going through memory several times."""
        if not sizes:
            return []
        b = self._b[:, None]
        shift = np.uint64(32)
        parts: list[np.ndarray] = []
        first = 0  # the first text of the slice
        position = 0  # where its shingles start in x
        while first < len(sizes):
            last, width = first, 0
            while last < len(sizes) and (width < KEY_SLICE or last == first):
                width += sizes[last]
                last += 1
            hashed = np.multiply.outer(self._a, x[position:position + width])
            with np.errstate(over="ignore"):
                hashed += b
            hashed >>= shift
            offsets = np.cumsum([0, *sizes[first:last - 1]])
            parts.append(np.minimum.reduceat(hashed, offsets, axis=1).T)
            first, position = last, position + width
        signatures = np.concatenate(parts).reshape(len(sizes), BANDS, ROWS)
        with np.errstate(over="ignore"):
            return [tuple(row) for row in (signatures @ self._mix + self._band).tolist()]

    def keys_many(self, texts: list[frozenset[int]]) -> list[tuple[int, ...] | None]:
        """:meth:`keys` of many texts at once (a few numpy calls per batch instead of per text)."""
        sizes = [len(grams) for grams in texts]
        total = sum(sizes)
        if not total:
            return [None] * len(texts)
        x = np.fromiter(chain.from_iterable(texts), dtype=np.uint64, count=total)
        present = [i for i, size in enumerate(sizes) if size]
        offsets = np.cumsum([0] + [sizes[i] for i in present[:-1]])
        with np.errstate(over="ignore"):
            hashed = (np.multiply.outer(self._a, x) + self._b[:, None]) >> np.uint64(32)
            signatures = np.minimum.reduceat(hashed, offsets, axis=1).T.reshape(len(present), BANDS, ROWS)
            keys = (signatures @ self._mix + self._band).tolist()
        out: list[tuple[int, ...] | None] = [None] * len(texts)
        for i, row in zip(present, keys, strict=True):
            out[i] = tuple(row)
        return out

    def add(self, mention_id: int, grams: frozenset[int], brands: frozenset[str] | None = None,
            keys: tuple[int, ...] | None = None, *, search: bool = False) -> int | None:
        """Add a text; with ``search``, first find what it copies among the texts added before it (what
        :meth:`nearest` would answer just before this call, in the same pass over its buckets)."""
        if not grams:
            return None
        keys = keys or self.keys(grams)
        entries = self._entries
        if mention_id in entries:
            return self.nearest(grams, exclude=mention_id, brands=brands, keys=keys) if search else None
        if mention_id in self._gone:  # back after leaving the window: its old bucket places must go first
            self._sweep()
        buckets = self._buckets
        candidates: set[int] = set()
        present = buckets.keys() & keys  # one C-level pass: most of a new text's keys are in no bucket yet
        if present:
            for key in present:
                bucket = buckets[key]
                if isinstance(bucket, int):
                    candidates.add(bucket)
                    buckets[key] = [bucket, mention_id]  # most keys have one member: no list
                else:
                    candidates.update(bucket)  # its latest members only: no more than SCANNED
                    bucket.append(mention_id)
                    if len(bucket) > COMMON_SHINGLE:
                        del bucket[0]
            for key in keys:
                if key not in present:
                    buckets[key] = mention_id
        else:
            buckets.update(dict.fromkeys(keys, mention_id))
        entries[mention_id] = (array("Q", grams), keys, brands)
        members = self._members.get(brands)
        if members is None:
            self._members[brands] = {mention_id}
        else:
            members.add(mention_id)
        best = self._best(grams, candidates, brands) if search and candidates else None
        while len(entries) > self._window:
            self._evict()
        return best

    def _evict(self) -> None:
        """The oldest text out of the window and the brand sets; out of the buckets at the next sweep."""
        old_id, (_grams, _keys, brands) = self._entries.popitem(last=False)
        members = self._members[brands]
        members.discard(old_id)
        if not members:
            del self._members[brands]
        self._gone.add(old_id)
        if len(self._gone) >= self._window:
            self._sweep()

    def _sweep(self) -> None:
        """The buckets without the texts that left the window (an empty bucket goes, a single member is kept as
        an ``int``): what removing each text from its buckets as it left would have left."""
        self._gone.clear()
        entries = self._entries
        kept: dict[int, int | list[int]] = {}
        for key, bucket in self._buckets.items():
            if bucket.__class__ is int:
                if bucket in entries:
                    kept[key] = bucket
                continue
            live = [member for member in bucket if member in entries]  # type: ignore[union-attr]
            if len(live) > 1:
                kept[key] = live
            elif live:
                kept[key] = live[0]
        self._buckets = kept

    def nearest(self, grams: frozenset[int], exclude: int | None = None,
                brands: frozenset[str] | None = None, keys: tuple[int, ...] | None = None) -> int | None:
        """The best-covering stored text (ties: the lowest id); with ``brands``, only texts about the same
        brands count (the same template about another brand is another post)."""
        if not grams:
            return None
        candidates: set[int] = set()
        buckets = self._buckets
        for key in keys or self.keys(grams):
            bucket = buckets.get(key)
            if bucket is None:
                continue
            if isinstance(bucket, int):
                candidates.add(bucket)
            else:
                candidates.update(bucket)  # its latest members only: no more than SCANNED
        if exclude is not None:
            candidates.discard(exclude)
        return self._best(grams, candidates, brands)

    def _best(self, grams: frozenset[int], candidates: set[int], brands: frozenset[str] | None) -> int | None:
        """The best-covering of ``candidates`` (ties: the lowest id), ``None`` below the containment."""
        best: tuple[float, int] | None = None
        size = len(grams)
        entries = self._entries
        # only texts in the window (the buckets may still hold some that left it, see _sweep) ...
        if brands is not None:  # ... about the same brands, or stored without brands (None)
            same = self._members.get(brands)
            anything = self._members.get(None)
            kept = candidates & same if same is not None else set()
            if anything is not None:
                kept |= candidates & anything
            candidates = kept
        else:
            candidates = candidates & entries.keys()
        for mention_id in candidates:
            stored, _keys, _brands = entries[mention_id]
            score = len(grams.intersection(stored)) / min(size, len(stored))
            if score >= NEAR_DUPLICATE_CONTAINMENT and (best is None or (-score, mention_id) < best):
                best = (-score, mention_id)
        return best[1] if best else None
