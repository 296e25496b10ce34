"""The fast paths of ``molva import`` give what the slower code they replaced gave: camel-case words, ``None``
and booleans bound by the SQLite driver, the near-duplicate index's lazy removal of the texts that leave its
window."""

from __future__ import annotations

import json
import random
import re
import sqlite3
from pathlib import Path

from molva.catalog import _camel_words
from molva.db import make_engine
from molva.ingest.dedup import ShingleIndex, shingles

# what _camel_words replaced
CAMEL_WORD_RE = re.compile(r"(?<![^\W_])[^\W_]*?[^\W_][A-ZА-ЯЁ][^\W_]*")
DATA = Path(__file__).resolve().parents[1] / "data"


def test_camel_words_are_the_words_the_regex_found() -> None:
    rng = random.Random(12)
    alphabet = "aZ_ -.Яя1Ёё#@МегаФонСБПxÉİßǅΣ٣Ⅻ²\u200b\n"
    texts = ["", "A", "aB", "СберНеРаботает и ВТБОнлайн", "МегаФон, МТС и Т-Банк", "x_Yz", "_Ab", "1A", "ǅa",
             *("".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))) for _ in range(50_000))]
    with (DATA / "brand_match_set.jsonl").open(encoding="utf-8") as lines:
        texts += [json.loads(line)["text"] for line in lines]
    found = 0
    for text in texts:
        expected = [m.span() for m in CAMEL_WORD_RE.finditer(text)]
        assert list(_camel_words(text)) == expected, text
        found += len(expected)
    assert found > 10_000


def test_sqlite_binds_none_and_booleans_as_before(tmp_path: Path) -> None:
    values = (None, True, False, 7, "x")

    def bound() -> list[tuple[object, ...]]:
        conn = sqlite3.connect(tmp_path / "bound.db")
        conn.execute("CREATE TABLE IF NOT EXISTS t (a, b, c, d, e)")
        conn.execute("DELETE FROM t")
        conn.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?)", [values] * 3)
        rows = conn.execute("SELECT a, typeof(a), b, typeof(b), c, typeof(c), d, e FROM t").fetchall()
        conn.close()
        return rows

    before = bound()
    make_engine(f"sqlite:///{tmp_path / 'molva.db'}").dispose()  # registers the adapters
    assert (type(None), sqlite3.PrepareProtocol) in sqlite3.adapters
    assert bound() == before == [(None, "null", 1, "integer", 0, "integer", 7, "x")] * 3


class EagerIndex(ShingleIndex):
    """The removal before: a text out of its buckets as it leaves the window."""

    def _evict(self) -> None:
        old_id, (_grams, keys, brands) = self._entries.popitem(last=False)
        members = self._members[brands]
        members.discard(old_id)
        if not members:
            del self._members[brands]
        for key in keys:
            bucket = self._buckets.get(key)
            if bucket is None:
                continue
            if isinstance(bucket, int):
                if bucket == old_id:
                    del self._buckets[key]
                continue
            if bucket[0] != old_id:
                continue
            del bucket[0]
            if len(bucket) == 1:
                self._buckets[key] = bucket[0]


def test_lazy_eviction_gives_the_answers_of_eager_removal() -> None:
    rng = random.Random(5)
    words = [f"слово{i}" for i in range(40)]
    choices: list[frozenset[str] | None] = [None, frozenset(), frozenset({"МТС"}), frozenset({"МТС", "Билайн"})]
    lazy, eager = ShingleIndex(window=97), EagerIndex(window=97)  # swept every 97 evictions
    texts: list[list[str]] = []
    found = swept = 0
    mention_id = 0
    for _ in range(3000):
        if texts and rng.random() < 0.5:  # a copy of an earlier text (often one out of the window already)
            text = list(rng.choice(texts[-400:]))
            for _ in range(rng.randint(0, 2)):
                text[rng.randrange(len(text))] = rng.choice(words)
        else:
            text = [rng.choice(words) for _ in range(rng.randint(8, 16))]
        texts.append(text)
        grams = shingles(" ".join(text))
        brands = rng.choice(choices)
        roll = rng.random()
        # a new text, the same text again (in the window), or an id back after it left the window
        mention_id = mention_id + 1 if roll < 0.9 else mention_id if roll < 0.95 else max(1, mention_id - 150)
        swept += mention_id in lazy._gone
        answer = lazy.add(mention_id, grams, brands, search=True)
        assert answer == eager.add(mention_id, grams, brands, search=True)
        found += answer is not None
        probe = rng.choice(choices)
        assert lazy.nearest(grams, brands=probe) == eager.nearest(grams, brands=probe)
        assert len(lazy) == len(eager) and lazy._members == eager._members
        if not lazy._gone:  # just swept: the very buckets eager removal leaves
            assert lazy._buckets == eager._buckets
    assert found > 40 and swept > 0
    assert len(lazy._buckets) < 3 * len(eager._buckets)  # bounded: a sweep once per window
