"""Semantic back-off for aspects: a post whose words hit no keyword rule is compared with each aspect in
navec space.

Every configured aspect gets one vector: the mean of its keywords' vectors (a keyword's vector is the mean of
its lemmas' navec vectors) and of its Russian name's, computed once when the classifier is built, so an aspect
added in the catalog gets one too. A post's vector is the mean of its content words' vectors: pymorphy3 lemmas of
nouns, adjectives, verbs, participles and adverbs, less stop words and the catalog's brand names; a word navec
does not know (slang, diminutives: "ипотечка", "приложуха") stands for the group's keyword lemmas that share its
first five letters. The two are compared by cosine (centring on the group's mean vector, nearest keyword word
instead of mean vectors were both worse on the dev halves: BENCHMARKS.md). The back-off only speaks where the
keyword rules found nothing (``classifier.aspects``); its threshold was chosen on the dev halves only."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable

import numpy as np

from classifier.urgency import _WORD
from molva import morphology
from molva.aspects import AspectConfig

# cosine of the post's and the aspect's vectors; below it the post keeps the rules' answer. Chosen on dev sets
# only: the lowest value at which posts that fit no aspect (tests/data/support_posts_vague.jsonl) get one no more
# often than with the rules alone (0.20 gave the same top-aspect accuracy on the new wording's dev half plus 3
# of 48 labels, but an aspect to 40% of the vague posts instead of 15%)
SIMILARITY_THRESHOLD = 0.32
NAME_WEIGHT = 3.0  # the aspect's name counts as this many keywords
UNIT_CACHE = 20_000  # words whose unit vectors are kept (1.2 KB each): post words repeat
PREFIX = 5  # a word navec does not know stands for the group's keyword lemmas that start with its first letters

_CONTENT_POS = frozenset({"NOUN", "ADJF", "ADJS", "COMP", "VERB", "INFN", "PRTF", "PRTS", "GRND", "ADVB"})
# words that say nothing about the subject of a post (lemmas); pymorphy3's part of speech drops the rest
STOP_LEMMAS = frozenset("""
быть есть мочь хотеть сказать говорить делать сделать стать становиться знать понимать думать
весь свой этот тот такой какой который каждый самый другой один сам наш ваш мой твой их его её
очень уже ещё опять снова вообще просто вот там тут здесь сейчас теперь потом тогда всегда никогда
так как где когда почему зачем сколько куда откуда совсем даже только тоже также вроде типа
раз день неделя месяц год час минута время утро вечер ночь сегодня вчера завтра
человек люди ребята друг народ вопрос проблема ситуация случай дело вещь раньше спасибо пожалуйста
хороший плохой нормальный новый старый большой маленький огромный полный целый
банк оператор компания клиент абонент
""".split())


def word_vectors() -> Callable[[str], np.ndarray | None]:
    """navec vector of a word (None when navec does not know it), reconstructed from its product-quantized
    codes; the tables are the ones the sentiment model already loads (``classifier.embeddings``)."""
    from classifier.embeddings import load_navec

    nav = load_navec()
    qdim = nav.centroids.shape[0]
    rows = np.arange(qdim)

    @functools.lru_cache(maxsize=100_000)
    def vector(word: str) -> np.ndarray | None:
        idx = nav.vocab.get(word)
        if idx is None:
            return None
        vec: np.ndarray = nav.centroids[rows, nav.codes[idx]].reshape(-1)
        return vec

    return vector


@functools.lru_cache(maxsize=200_000)
def _content_lemma(word: str) -> str | None:
    if word.isdigit() or len(word) < 2:
        return None
    parse = morphology.parse(word)
    if parse.tag.POS not in _CONTENT_POS:
        return None
    lem = str(parse.normal_form).replace("ё", "е")
    return None if lem in STOP_LEMMAS else lem


def content_lemmas(text: str, skip: frozenset[str] = frozenset()) -> list[str]:
    """The content words of ``text`` as lemmas, without stop words and the words in ``skip``."""
    out = []
    for w in _WORD.findall(text.lower().replace("ё", "е")):
        if w in skip:
            continue
        lem = _content_lemma(w)
        if lem is not None and lem not in skip:
            out.append(lem)
    return out


def brand_words(names: Iterable[str]) -> frozenset[str]:
    """Lower-cased words and lemmas of brand names and aliases (removed from posts before comparing)."""
    out: set[str] = set()
    for name in names:
        for w in _WORD.findall(name.lower().replace("ё", "е")):
            out.add(w)
            out.add(morphology.lemma(w))
    return frozenset(out - {"банк", "кредит", "онлайн", "мобайл", "mobile", "bank", "credit", "линк"})


class AspectVectors:
    """Per group: the aspect codes and a (aspects, dim) matrix of unit aspect vectors; the keyword lemmas that
    navec knows, by their first ``PREFIX`` letters (for post words navec does not know)."""

    def __init__(self, config: AspectConfig, vector: Callable[[str], np.ndarray | None],
                 skip: frozenset[str] = frozenset()) -> None:
        self._vector = vector
        self._skip = skip

        @functools.lru_cache(maxsize=UNIT_CACHE)
        def unit(word: str) -> np.ndarray | None:
            v = vector(word)
            return None if v is None else v / (np.linalg.norm(v) + 1e-9)

        self._unit = unit
        self._groups: dict[str, tuple[tuple[str, ...], np.ndarray]] = {}
        self._stems: dict[str, dict[str, list[str]]] = {}
        for group, defs in config.items():
            codes, vecs = [], []
            stems: dict[str, list[str]] = {}
            for d in defs:
                parts: list[tuple[np.ndarray, float]] = []
                for raw, _weight in d.keywords:
                    lemmas = content_lemmas(raw.rstrip("*")) or [raw.rstrip("*").lower()]
                    v = self._mean(lemmas)
                    if v is not None:
                        parts.append((v, 1.0))
                    for w in lemmas:
                        if len(w) >= PREFIX and self._vector(w) is not None and w not in stems.get(w[:PREFIX], ()):
                            stems.setdefault(w[:PREFIX], []).append(w)
                name = self._mean(content_lemmas(d.name))
                if name is not None:
                    parts.append((name, NAME_WEIGHT))
                if not parts:
                    continue
                codes.append(d.code)
                vecs.append(sum(v * w for v, w in parts) / sum(w for _, w in parts))
            if vecs:
                matrix = np.stack(vecs).astype(np.float32)
                matrix /= np.linalg.norm(matrix, axis=1, keepdims=True) + 1e-9
                self._groups[group] = (tuple(codes), matrix)
                self._stems[group] = stems

    def _mean(self, lemmas: list[str]) -> np.ndarray | None:
        units = [u for u in map(self._unit, lemmas) if u is not None]
        if not units:
            return None
        mean: np.ndarray = np.mean(units, axis=0)
        return mean

    def similarities(self, text: str, group: str | None) -> dict[str, float]:
        """Cosine of the post to every aspect of the group (empty: unknown group or no usable content word)."""
        if group not in self._groups:
            return {}
        codes, matrix = self._groups[group]
        stems = self._stems[group]
        words: list[str] = []
        for w in content_lemmas(text, self._skip):
            if self._vector(w) is not None:
                words.append(w)
            elif len(w) >= PREFIX:  # unknown to navec: "ипотечка" -> "ипотека", "приложуха" -> "приложение"
                words.extend(stems.get(w[:PREFIX], ()))
        post = self._mean(words)
        if post is None:
            return {}
        sims = matrix @ (post / (np.linalg.norm(post) + 1e-9))
        return {c: float(s) for c, s in zip(codes, sims, strict=True)}

    def best(self, text: str, group: str | None, threshold: float | None = None) -> str | None:
        """The most similar aspect when its cosine reaches ``threshold`` (default ``SIMILARITY_THRESHOLD``)."""
        threshold = SIMILARITY_THRESHOLD if threshold is None else threshold
        sims = self.similarities(text, group)
        if not sims:
            return None
        code = max(sims, key=lambda c: sims[c])
        return code if sims[code] >= threshold else None
