"""Cue patterns read through one automaton of their literals give exactly the answers of the whole regex."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest

from classifier import cues, intent, urgency
from classifier.cues import CuePattern, candidates, required_literals, split_alternatives

DATA = Path(__file__).resolve().parents[1] / "data"
SETS = ("support_posts_set.jsonl", "intent_urgency_set.jsonl", "two_brand_set.jsonl", "two_brand_fresh7.jsonl",
        "support_posts_vague.jsonl")
# cases of the prefilter's edges: capitals, ё, the characters re folds unlike str.casefold, cue words inside words
EDGES = [
    "НЕ РАБОТАЕТ ПРИЛОЖЕНИЕ!!! Верните деньги 5000 ₽", "Деньги ушли, где мои деньги?", "ЁЛКИ, опять сбой",
    "не работает ıнтернет", "\u212aELVIN не работает", "ſпасибо", "спасибо", "Спасибо, всё починили", "",
    "пропалпропал", "недоработали", "заблокировали карту по 115-ФЗ, как вернуть?", "Σ ς σ не приходит смс",
]


def _texts() -> list[str]:
    texts: list[str] = []
    for name in SETS:
        for line in (DATA / name).read_text(encoding="utf-8").splitlines():
            text = json.loads(line).get("text") if line.strip() else None
            if isinstance(text, str):
                texts.append(text)
    sample = random.Random(9).sample(texts, min(len(texts), 120))
    return sample + EDGES


def _views(text: str) -> list[str]:
    """The strings the rule modules search: the post, its surface and lemma views, intent's cleaned text."""
    return [text, *urgency.views(text), intent._clean(text)]


def _answers(rx: CuePattern | re.Pattern[str], s: str) -> tuple[object, ...]:
    m = rx.search(s)
    return (m and (m.span(), m.group()), rx.findall(s), [x.span() for x in rx.finditer(s)], rx.sub("_", s))


def test_every_cue_pattern_answers_as_its_whole_regex() -> None:
    patterns = cues.REGISTRY.patterns
    assert len(patterns) >= 40  # intent's and urgency's cue lists are registered
    checked = pruned = matched = 0
    for text in _texts():
        for s in _views(text):
            found = candidates(s)
            for rx in patterns:
                assert _answers(rx, s) == _answers(rx.whole, s), (rx, s)
                checked += 1
                matched += rx.whole.search(s) is not None
                pruned += (found.get(rx._id, 0) | rx._always) != (1 << len(rx.alternatives)) - 1
    assert matched > 1000 and pruned > 0.9 * checked  # not vacuous: many matches, and most searches pruned


def test_letters_re_folds_unlike_casefold_are_found() -> None:
    rx = CuePattern(r"xyz|\bintern\w*|\bix\b|abc", re.IGNORECASE)
    for text in ("ıntern", "İNTERN", "İx", "INTERN"):
        assert rx.search(text) is not None and _answers(rx, text) == _answers(rx.whole, text), text
    assert required_literals("ещё\u03c3", re.IGNORECASE) is None  # a Greek letter: no requirement is set


def test_only_the_alternatives_whose_literals_occur_are_run() -> None:
    rx = CuePattern(r"\bпропал\w*|\bзавис\w*|(?:когда|куда)\s|\d+\s*руб", re.IGNORECASE)
    found = candidates("Деньги ЗАВИСЛИ, куда звонить")
    assert found is not None and found[rx._id] == 0b0110
    assert rx.search("Деньги ЗАВИСЛИ, куда звонить").group() == "ЗАВИСЛИ"  # type: ignore[union-attr]
    assert rx.findall("всё пропало") == ["пропало"] and rx.search("всё хорошо") is None


def test_patterns_that_cannot_be_split_are_read_whole() -> None:
    for pattern in (r"(?i)abc|\bзавис\w*", r"(abc)|\bзавис\w*", r"(?P<x>a)(?P=x)|b"):
        rx = CuePattern(pattern)
        assert not rx._split and rx.findall("ABC завис abc") == rx.whole.findall("ABC завис abc")


@pytest.mark.parametrize(("pattern", "parts"), [
    ("a|b", ["a", "b"]), (r"a\|b|c", [r"a\|b", "c"]), ("(?:a|b)|c", ["(?:a|b)", "c"]),
    ("[|]|x", ["[|]", "x"]), ("[]|]|x", ["[]|]", "x"]), (r"[\]|]|x", [r"[\]|]", "x"]), ("a", ["a"]),
])
def test_top_level_alternatives(pattern: str, parts: list[str]) -> None:
    assert split_alternatives(pattern) == parts


@pytest.mark.parametrize(("alternative", "literals"), [
    (r"\bпропал\w*", {"пропал"}), (r"(?:когда|куда)\s", {"огда", "уда"}), (r"\bне\s+работа", {"работа"}),
    (r"ид[её]т", {"ид"}), (r"\d+\s+(?:минут|час\w*)", {"минут", "час"}), (r"(?:а|б)?x", {"x"}),
    (r"Ёлки", {"ёлки"}), (r"\w+", None), (r"(?:abc)*", None), (r"(?=xyz)\w", None),
])
def test_required_literals(alternative: str, literals: set[str] | None) -> None:
    assert required_literals(alternative, re.IGNORECASE) == (None if literals is None else frozenset(literals))
