"""Light Russian text handling for grouping and spike terms: words, crude stems, similarity.

No model and no morphology dictionary: lower case, ``ё`` -> ``е``, stop words out, and a prefix stem
(one ending off, six letters at most) so ``приложение``/``приложения``/``приложении`` meet. Fast enough to run on every
dispatch and every spike check.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable

from molva.morphology import lemma

_WORD = re.compile(r"[0-9a-zа-яё]+(?:-[0-9a-zа-яё]+)*", re.IGNORECASE)
_URL = re.compile(r"https?://\S+|www\.\S+|@\w+")
STEM_LENGTH = 6

STOP_WORDS: frozenset[str] = frozenset(
    """
    а без более бы был была были было быть в вам вас весь во вот все всего всех вы где да даже для до его
    ее если есть еще же за здесь и из или им их к как какой когда кто ли либо мне может мой мы на над
    надо наш не него нее нет ни них но ну о об однако он она они оно от очень по под после при про с
    со так также такой там те тем то того тоже той только том ты у уж уже хотя чего чей чем что чтобы
    чье эта эти это этот я мой моя мое мои свой своя свое свои себя себе сам сама сами просто опять
    вообще теперь сейчас сегодня вчера завтра раз два три день дня дней час часа часов минут неделю
    ребята друзья люди кто-нибудь кто-то что-то почему зачем снова тут вроде будет будут было всё ещё
    the and for you are with this that http https www com ru
    """.split()
)


def normalise(text: str) -> str:
    return text.lower().replace("ё", "е")


def words(text: str) -> list[str]:
    """Content words (lower case, no stop words, no numbers, at least three letters)."""
    cleaned = _URL.sub(" ", normalise(text))
    return [w for w in _WORD.findall(cleaned) if len(w) >= 3 and not w.isdigit() and w not in STOP_WORDS]


_ENDING = re.compile(
    r"(иями|ями|ами|иях|ях|ах|ого|его|ому|ему|ыми|ими|ой|ей|ий|ый|ая|яя|ое|ее|ые|ие|ом|ем|ам|ям|ов|ев|ую|юю|ть|а|я|о|е|ы|и|у|ю|ь|й)$"
)


def stem(word: str) -> str:
    """Drop one inflectional ending (keeping at least four letters), then keep six letters at most."""
    stripped = _ENDING.sub("", word)
    if len(stripped) >= 4:
        word = stripped
    return word[:STEM_LENGTH]


def stems(text: str, exclude: Iterable[str] = ()) -> frozenset[str]:
    """The set of stems of the content words of ``text``, minus the stems in ``exclude``."""
    excluded = set(exclude)
    return frozenset(s for s in (stem(w) for w in words(text)) if s not in excluded)


def brand_stems(*names: str) -> frozenset[str]:
    """Stems of a brand's name and matched alias: they say nothing about what happened."""
    out: set[str] = set()
    for name in names:
        for w in _WORD.findall(normalise(name)):
            out.add(stem(w))
            out.update(stem(part) for part in w.split("-") if part)
    return frozenset(out)


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """Dice coefficient of two stem sets (0..1)."""
    if not a or not b:
        return 0.0
    return 2 * len(a & b) / (len(a) + len(b))


def surface_forms(texts: Iterable[str], exclude: Iterable[str] = ()) -> dict[str, str]:
    """stem -> its most frequent word in ``texts`` (to show readable terms)."""
    excluded = set(exclude)
    seen: dict[str, Counter[str]] = {}
    for text in texts:
        for w in words(text):
            s = stem(w)
            if s not in excluded:
                seen.setdefault(s, Counter())[w] += 1
    return {s: c.most_common(1)[0][0] for s, c in seen.items()}


def top_terms(
    window_texts: list[str], baseline_texts: list[str], ratio: float, limit: int, exclude: Iterable[str] = ()
) -> list[str]:
    """Words that drive a burst: frequent among ``window_texts`` and rarer than usual in the baseline.

    ``ratio`` scales the baseline document frequency to the window's length. Returns readable words.
    """
    excluded = frozenset(exclude)
    window_df: Counter[str] = Counter()
    for text in window_texts:
        window_df.update(stems(text, excluded))
    base_df: Counter[str] = Counter()
    for text in baseline_texts:
        base_df.update(stems(text, excluded))
    scored = []
    for s, count in window_df.items():
        if count < 2 and len(window_texts) > 2:
            continue
        excess = count - base_df.get(s, 0) * ratio
        if excess > 0:
            scored.append((excess, count, s))
    scored.sort(key=lambda item: (-item[0], -item[1], item[2]))
    forms = surface_forms(window_texts, excluded)
    return [forms.get(s, s) for _, _, s in scored[:limit]]



def lemmas(text: str, exclude: Iterable[str] = ()) -> frozenset[str]:
    """The set of lemmas of the content words of ``text``, minus ``exclude``."""
    excluded = set(exclude)
    found = {lemma(w) for w in words(text)}
    return frozenset(w for w in found if w not in excluded and w not in STOP_WORDS)


def rising_lemmas(
    window_texts: list[str], baseline_texts: list[str], limit: int, exclude: Iterable[str] = ()
) -> list[str]:
    """Lemmas that rose: frequent in ``window_texts`` (in at least two posts and a tenth of them) and much
    more frequent there than in ``baseline_texts`` (document frequencies, add-one smoothed)."""
    excluded = frozenset(exclude)
    window_df: Counter[str] = Counter()
    for text in window_texts:
        window_df.update(lemmas(text, excluded))
    base_df: Counter[str] = Counter()
    for text in baseline_texts:
        base_df.update(lemmas(text, excluded))
    n_w, n_b = max(1, len(window_texts)), len(baseline_texts)
    floor = max(2, math.ceil(0.1 * n_w)) if n_w > 2 else 1
    scored: list[tuple[float, str]] = []
    for word, count in window_df.items():
        if count < floor:
            continue
        rate_w = count / n_w
        rate_b = (base_df.get(word, 0) + 1) / (n_b + 2)
        if rate_w > 2 * rate_b:
            scored.append((count * math.log(rate_w / rate_b), word))
    scored.sort(key=lambda item: (-item[0], item[1]))
    return [word for _, word in scored[:limit]]


def brand_lemmas(*names: str) -> frozenset[str]:
    """Lemmas of a brand's names (left out of spike words)."""
    return frozenset(lemma(w) for name in names for w in words(name)) | brand_stems(*names)
