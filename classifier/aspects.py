"""Aspects of a brand mention (what the post is about) from weighted lemma keywords.

The keywords, names and codes come from the aspect configuration (``molva.aspects.load_aspects``: shipped
defaults in ``molva/data/aspects.toml``, per-group overrides in the catalog file). Texts and keywords are
both reduced to pymorphy3 lemmas, so one keyword matches every form of a word. Each keyword counts once per
text, weighted more near the start of the post, where its subject usually is; the aspects are ranked by their
total weight (ties: the order of the configuration). Rules rather than a learned model: the ~370 dev labels of
``tests/data/support_posts_set*.jsonl`` are too few to learn seventeen aspects from, and rules are what a user
can read and extend per group in the catalog (top-aspect accuracy: BENCHMARKS.md). A post that no keyword
matches goes to a navec back-off built from the same keywords and names (``classifier.aspect_vectors``)."""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from classifier.urgency import lemma, views
from molva.aspects import AspectConfig, load_aspects

if TYPE_CHECKING:
    from classifier.aspect_vectors import AspectVectors

log = logging.getLogger(__name__)

MIN_SCORE = 1.0  # an aspect needs at least one ordinary keyword
SECONDARY_SHARE = 0.5  # further aspects are listed when they reach this share of the top one
MAX_ASPECTS = 3
BRAND_LEAN = 1.0  # the weight of a brand's leaning aspect (an ordinary keyword's)
POSITION_BONUS = 1.0  # a keyword at the start of the text weighs this much more than one at the end


@dataclass(frozen=True)
class _Keyword:
    words: tuple[str, ...]  # lemmas; the last one is a prefix when ``prefix``
    prefix: bool
    aspect: int
    weight: float


def _lemmas(phrase: str) -> tuple[str, ...]:
    return tuple(views(phrase)[1].split())


class AspectClassifier:
    """Compiled keyword rules for every configured group."""

    def __init__(self, config: AspectConfig, semantic: bool | AspectVectors = True,
                 catalog_path: Path | None = None) -> None:
        """``semantic``: the navec back-off for posts no keyword matches (``classifier.aspect_vectors``):
        True builds it on first need, False turns it off, or a ready one. ``catalog_path``: the catalog whose
        brand names the back-off ignores (default: the shipped one)."""
        self._config = config
        self._catalog_path = catalog_path
        self._semantic: bool | AspectVectors | None = semantic
        self.codes: dict[str, tuple[str, ...]] = {}
        self._brands: dict[str, dict[str, int]] = {}
        self._by_first: dict[str, dict[str, list[_Keyword]]] = {}
        self._prefixes: dict[str, list[_Keyword]] = {}
        for group, defs in config.items():
            self.codes[group] = tuple(d.code for d in defs)
            index: dict[str, list[_Keyword]] = {}
            prefixes: list[_Keyword] = []
            leans: dict[str, int] = {}
            for i, d in enumerate(defs):
                for brand in d.brands:
                    leans.setdefault(brand, i)
                for raw, weight in d.keywords:
                    prefix = raw.endswith("*")
                    words = _lemmas(raw.rstrip("*"))
                    if prefix and words:  # the stem itself is not lemmatized ("кэшб*")
                        words = (*words[:-1], raw.rstrip("*").split()[-1].lower().replace("ё", "е"))
                    if not words:
                        continue
                    kw = _Keyword(words, prefix, i, weight)
                    if prefix and len(words) == 1:
                        prefixes.append(kw)
                    else:
                        index.setdefault(words[0], []).append(kw)
            self._by_first[group] = index
            self._prefixes[group] = prefixes
            self._brands[group] = leans

    def scores(self, text: str, group: str | None, brand: str | None = None) -> dict[str, float]:
        """Total keyword weight per aspect code of the group (only aspects with some weight)."""
        return self._scores(text, group, brand)[0]

    def _scores(self, text: str, group: str | None, brand: str | None) -> tuple[dict[str, float], bool]:
        """(scores, whether any keyword matched: the brand's leaning aspect alone is not a match)."""
        if group not in self.codes:
            return {}, False
        tokens = views(text)[1].split()
        found: dict[tuple[str, ...], tuple[_Keyword, int]] = {}
        index = self._by_first[group]
        for i, tok in enumerate(tokens):
            for kw in index.get(tok, ()):
                if _matches(tokens, i, kw):
                    found.setdefault(kw.words + (str(kw.aspect),), (kw, i))
            for kw in self._prefixes[group]:
                if tok.startswith(kw.words[0]):
                    found.setdefault(kw.words + (str(kw.aspect),), (kw, i))
        totals: dict[int, float] = {}
        n = max(len(tokens), 1)
        for kw, i in found.values():  # the first place a keyword occurs; earlier is more central
            totals[kw.aspect] = totals.get(kw.aspect, 0.0) + kw.weight * (1.0 + POSITION_BONUS * (1.0 - i / n))
        lean = self._brands[group].get(brand or "")
        if lean is not None:
            totals[lean] = totals.get(lean, 0.0) + BRAND_LEAN * (1.0 + POSITION_BONUS)  # the brand opens the post
        codes = self.codes[group]
        return {codes[i]: w for i, w in sorted(totals.items())}, bool(found)

    def semantic(self) -> AspectVectors | None:
        """The navec back-off (built on first use; None when turned off or navec cannot be loaded)."""
        if self._semantic is True:
            try:
                from classifier.aspect_vectors import AspectVectors, brand_words, word_vectors
                from molva.catalog import load_catalog

                names = [n for b in load_catalog(self._catalog_path).brands for n in (b.name, *b.aliases, *b.former_names)]
                names += [b for defs in self._config.values() for d in defs for b in d.brands]
                self._semantic = AspectVectors(self._config, word_vectors(), brand_words(names))
            except (ImportError, OSError) as exc:  # no natasha / navec: keyword rules only
                log.warning("aspects: navec back-off unavailable (%s); keyword rules only", exc)
                self._semantic = None
        return self._semantic or None

    def classify(self, text: str, group: str | None, brand: str | None = None) -> list[str]:
        """Aspect codes of the group, most relevant first (empty: none found, or an unknown group)."""
        scores, matched = self._scores(text, group, brand)
        if not matched and group in self.codes:  # no keyword: the closest aspect in meaning, if close enough
            back = self.semantic()
            best = back.best(text, group) if back is not None else None
            if best is not None:
                return [best, *[c for c in scores if c != best]][:MAX_ASPECTS]
        if not scores:
            return []
        order = self.codes[group or ""]
        ranked = sorted(scores, key=lambda c: (-scores[c], order.index(c)))
        top = scores[ranked[0]]
        if top < MIN_SCORE:
            return []
        return [c for c in ranked if scores[c] >= max(MIN_SCORE, SECONDARY_SHARE * top)][:MAX_ASPECTS]


def _matches(tokens: Sequence[str], i: int, kw: _Keyword) -> bool:
    n = len(kw.words)
    if i + n > len(tokens):
        return False
    for j in range(1, n):
        tok, want = tokens[i + j], kw.words[j]
        if not (tok.startswith(want) if kw.prefix and j == n - 1 else tok == want):
            return False
    return True


@functools.lru_cache(maxsize=1)
def default_classifier() -> AspectClassifier:
    """The classifier of the shipped aspect configuration (loaded once)."""
    return AspectClassifier(load_aspects(None))


__all__ = ["AspectClassifier", "default_classifier", "lemma"]
