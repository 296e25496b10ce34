"""The near-duplicate index's brand filter (a set intersection over the window's texts by brand set) gives the
answers of the plain per-candidate comparison it replaced."""

from __future__ import annotations

import random

from molva.ingest.dedup import NEAR_DUPLICATE_CONTAINMENT, ShingleIndex, shingles


class PlainIndex(ShingleIndex):
    """The comparison before: each candidate's stored brands read and compared in turn."""

    def _best(self, grams: frozenset[int], candidates: set[int], brands: frozenset[str] | None) -> int | None:
        best: tuple[float, int] | None = None
        for mention_id in candidates & self._entries.keys():  # the window's (buckets are swept lazily)
            stored, _keys, stored_brands = self._entries[mention_id]
            if brands is not None and stored_brands is not None and stored_brands != brands:
                continue
            score = len(grams.intersection(stored)) / min(len(grams), len(stored))
            if score >= NEAR_DUPLICATE_CONTAINMENT and (best is None or (-score, mention_id) < best):
                best = (-score, mention_id)
        return best[1] if best else None


def test_brand_filter_gives_the_same_answers() -> None:
    rng = random.Random(12)
    words = [f"слово{i}" for i in range(60)]
    choices: list[frozenset[str] | None] = [None, frozenset(), frozenset({"МТС"}), frozenset({"Билайн"}),
                                            frozenset({"МТС", "Билайн"})]
    new, old = ShingleIndex(window=150), PlainIndex(window=150)  # texts leave the window as it goes
    texts: list[list[str]] = []
    found = 0
    for mention_id in range(1, 1201):
        if texts and rng.random() < 0.4:  # a copy of an earlier text with a word or two changed
            text = list(rng.choice(texts[-300:]))
            for _ in range(rng.randint(0, 2)):
                text[rng.randrange(len(text))] = rng.choice(words)
        else:
            text = [rng.choice(words) for _ in range(rng.randint(8, 20))]
        texts.append(text)
        grams = shingles(" ".join(text))
        brands = rng.choice(choices)
        if rng.random() < 0.1:  # a set equal to one stored, but another object
            brands = None if brands is None else frozenset(set(brands))
        answer = new.add(mention_id, grams, brands, search=True)
        assert answer == old.add(mention_id, grams, brands, search=True)
        found += answer is not None
        probe = rng.choice(choices)
        assert new.nearest(grams, brands=probe) == old.nearest(grams, brands=probe)
        if rng.random() < 0.05:  # the same text added again
            assert new.add(mention_id, grams, brands, search=True) == old.add(mention_id, grams, brands, search=True)
    assert found > 30
    assert new._members.keys() <= set(choices)
    assert sum(map(len, new._members.values())) == len(new) == 150
