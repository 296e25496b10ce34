"""Russian morphology for every stage: one pymorphy3 analyzer per process, cached lemmas and parses.

The classifier's rules and urgency signals, the alerts' spike terms and the explorer's word forms all read words
through this module, so the dictionaries are loaded once (about 0.3 s and 15 MB) and each word is analysed once.
"""

from __future__ import annotations

import functools
from typing import Any


@functools.lru_cache(maxsize=1)
def analyzer() -> Any:
    """The process's ``pymorphy3.MorphAnalyzer`` (loaded on first use)."""
    import pymorphy3

    return pymorphy3.MorphAnalyzer()


@functools.lru_cache(maxsize=200_000)
def parse(word: str) -> Any:
    """The most likely pymorphy3 parse of a lower-case word (``.tag``, ``.normal_form``, ``.lexeme``)."""
    return analyzer().parse(word)[0]


@functools.lru_cache(maxsize=200_000)
def lemma(word: str) -> str:
    """The dictionary form of a lower-case word, ``ё`` read as ``е``: "связи" -> "связь", "ушло" -> "уйти"."""
    return str(parse(word).normal_form).replace("ё", "е")
