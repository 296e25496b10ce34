"""The frozen two-brand evaluation set (issue 9): well-formed, and every labelled brand is found by the catalog."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from molva.catalog import Catalog, load_catalog

DATA = Path(__file__).resolve().parents[1] / "data" / "two_brand_set.jsonl"
LABELS = {"negative", "neutral", "positive"}
PHENOMENA = {"contrast", "comparison", "switch", "sarcasm", "negation", "emoji", "question", "other"}

# Rows whose brands the shipped catalog does not find yet (catalog gaps, issue 9 item 4).
KNOWN_GAPS: set[str] = set()


@pytest.fixture(scope="module")
def rows() -> list[dict[str, object]]:
    return [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_set_is_well_formed(rows: list[dict[str, object]]) -> None:
    assert len(rows) >= 150
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids))
    texts = [r["text"] for r in rows]
    assert len(texts) == len(set(texts))
    for r in rows:
        assert set(r) == {"id", "text", "labels", "phenomenon", "split"}, r["id"]
        labels = r["labels"]
        assert isinstance(labels, dict) and 2 <= len(labels) <= 3, r["id"]
        assert set(labels.values()) <= LABELS, r["id"]
        assert len(set(labels.values())) >= 2, f"{r['id']}: brands must have different labels"
        assert r["phenomenon"] in PHENOMENA, r["id"]
        assert r["split"] in ("dev", "heldout"), r["id"]
    splits = Counter(r["split"] for r in rows)
    assert abs(splits["dev"] - splits["heldout"]) <= len(rows) // 10
    phenomena = Counter(r["phenomenon"] for r in rows)
    assert all(phenomena[p] >= 10 for p in PHENOMENA), phenomena


def test_labels_use_catalog_display_names(rows: list[dict[str, object]]) -> None:
    names = set(load_catalog().brand_names())
    for r in rows:
        assert set(r["labels"]) <= names, r["id"]  # type: ignore[arg-type]


def test_every_labelled_brand_is_matched(rows: list[dict[str, object]]) -> None:
    catalog: Catalog = load_catalog()
    wrong = {}
    for r in rows:
        text = r["text"]
        assert isinstance(text, str)
        found = {m.brand for m in catalog.match(text)}
        if found != set(r["labels"]):  # type: ignore[arg-type]
            wrong[r["id"]] = (sorted(set(r["labels"]) - found), sorted(found - set(r["labels"])))  # type: ignore[arg-type]
    assert set(wrong) == KNOWN_GAPS, wrong


def test_eval_script_scores_per_brand(rows: list[dict[str, object]]) -> None:
    import importlib.util

    path = DATA.parents[2] / "benchmarks" / "two_brand_eval.py"
    spec = importlib.util.spec_from_file_location("two_brand_eval", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    perfect = {str(r["id"]): dict(r["labels"]) for r in rows}  # type: ignore[call-overload]
    result = module.score(rows, perfect)
    assert result["accuracy"]["all"]["accuracy"] == 1.0 and result["same_label_posts"] == 0
    assert result["errors"] == [] and result["missed_brands"] == 0
    assert set(result["accuracy"]) >= {f"phenomenon:{p}" for p in PHENOMENA} | {"split:dev", "split:heldout"}
    flip = {"positive": "negative", "negative": "positive", "neutral": "positive"}
    wrong = {k: {b: flip[v] for b, v in labels.items()} for k, labels in perfect.items()}
    first = str(rows[0]["id"])
    wrong[first] = {}  # a post whose brands were not found: every label wrong
    result = module.score(rows, wrong)
    assert result["accuracy"]["all"]["right"] == 0  # every label flipped or missing
    assert result["accuracy"]["all"]["labels"] == sum(len(r["labels"]) for r in rows)  # type: ignore[arg-type]
    assert result["missed_brands"] == len(rows[0]["labels"])  # type: ignore[arg-type]
    assert result["errors"][0]["id"] == first


LATER_SETS = ["two_brand_fresh.jsonl", "two_brand_fresh2.jsonl", "two_brand_fresh3.jsonl", "two_brand_dev4.jsonl",
              "two_brand_fresh4.jsonl", "two_brand_fresh5.jsonl",
              "two_brand_fresh6.jsonl", "two_brand_fresh7.jsonl"]
# fresh7 (session 9) was frozen as written, so brands the catalog does not find stay in it and count as wrong in
# the benchmark: "Открытие" as a sentence-initial or lower-case ordinary word ("Открытие тоже, ...", "в открытии"),
# and "пскб", which the writers' brief wrongly gave as a name of Промсвязьбанк (ПСКБ is another bank). Since
# session 11 the context aliases ("ренессанс", "халва": counted beside another bank) find the rest.
CATALOG_MISSES = {"f7_009": {"Открытие"}, "f7_088": {"Открытие"}, "f7_144": {"Промсвязьбанк"}}
LATER_PHENOMENA = PHENOMENA | {"news", "slang", "same"}


@pytest.mark.parametrize("name", LATER_SETS)
def test_later_sets_are_well_formed_and_match_the_catalog(name: str) -> None:
    """The sets written after the first (frozen; fresh3 held back whole, dev4 the set to tune on): each row has
    an id, a text, 2-3 brand labels under catalog names, a phenomenon and a split, and the catalog finds exactly
    the labelled brands (a brand it missed would count as wrong in the benchmark)."""
    rows = [json.loads(line) for line in (DATA.parent / name).read_text(encoding="utf-8").splitlines()
            if line.strip()]
    assert len(rows) >= 60
    assert len({r["id"] for r in rows}) == len(rows)
    catalog = load_catalog()
    names = set(catalog.brand_names())
    for r in rows:
        assert set(r) == {"id", "text", "labels", "phenomenon", "split"}, r["id"]
        assert 2 <= len(r["labels"]) <= 3 and set(r["labels"]) <= names, r["id"]
        assert set(r["labels"].values()) <= LABELS and r["phenomenon"] in LATER_PHENOMENA, r["id"]
        assert r["split"] in ("dev", "heldout"), r["id"]
        missed = CATALOG_MISSES.get(r["id"], set())
        assert {m.brand for m in catalog.match(r["text"])} == set(r["labels"]) - missed, r["id"]
