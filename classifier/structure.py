"""Structural corrections of per-brand sentiment in posts naming two brands (issue 9).

The model scores each brand separately, and in a two-brand post one brand often takes the other's feeling.
Two constructions say plainly which brand is on which side, so a small rule layer corrects the label there:

* **switching** — a switch verb ("уйти", "перейти", "сбежать", "перевести", ...; "сменить/поменять/бросить X")
  with the from-brand after "из/с/со/от" (or as the object of "сменить/поменять/бросить") and the to-brand
  after "в/на/к" in the same sentence: from-brand negative, to-brand positive. Not when the verb is negated
  ("не ушёл") or the post regrets the move ("зря", "жалею", "вернусь", ...).
* **comparison** — a comparative of known direction ("лучше", "дешевле", "надёжнее" / "хуже", "дороже", ...)
  with the compared brand after "чем", "в отличие от", "по сравнению с" or right after the comparative
  ("удобнее ВТБ"): the other brand of the sentence takes the comparative's side, the compared brand the
  opposite. Not when the comparative is negated ("не лучше") or directions disagree in the sentence.

Only sentences naming exactly the target brand and one other brand count; without a confident match the
model's scores stay. No brand names in the rules: the brands are the catalog spans the caller passes.
``predict_brands`` is the one entry point that ``molva analyze`` and ``molva classify`` share.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from classifier.arch import LABELS
from classifier.inference import SentimentModel, Targets
from classifier.urgency import _morph, lemma

Span = tuple[int, int]

_SENTENCE = re.compile(r"[.!?;…]+(?=\s|$)|\n+")  # not the dot of "Дом.ру"
_WORD = re.compile(r"[a-zа-яё0-9]+(?:-[a-zа-яё0-9]+)*", re.IGNORECASE)

MAX_SENTENCE = 1000  # characters: a longer "sentence" is not one
MAX_SPANS = 16  # more brand mentions than this: no two-brand construction to read (and linear time on huge posts)

_SWITCH_VERBS = frozenset({
    "уйти", "уходить", "перейти", "переходить", "сбежать", "сбегать", "переехать", "съехать", "перевести",
    "переводить", "перевестись", "переключиться", "свалить", "слезть", "пересесть", "сменить", "поменять",
    "менять", "бросить", "вернуться",
})
_OBJECT_FROM_VERBS = frozenset({"сменить", "поменять", "менять", "бросить"})  # "сменил X на Y"
_FROM_PREP = frozenset({"из", "с", "со", "от"})
_TO_PREP = frozenset({"в", "во", "на", "к", "ко"})
_REGRET = re.compile(r"\bзря\b|\bжаль\b|жалею|пожалел|\bошибк|напрасно|не\s+стоило|разочаров|верн(?:усь|уться)"
                     r"|\bхуже\b", re.IGNORECASE)

_BETTER = frozenset({
    "лучше", "дешевле", "быстрее", "надежнее", "удобнее", "стабильнее", "выгоднее", "проще", "вежливее",
    "адекватнее", "приятнее", "понятнее", "честнее", "шустрее", "щедрее", "доступнее", "качественнее",
})
_WORSE = frozenset({
    "хуже", "дороже", "медленнее", "сложнее", "неудобнее", "запутаннее", "тормознее", "нестабильнее",
})
_THAN = re.compile(r"(?:\bчем|\bв\s+отличие\s+от|\bпо\s+сравнению\s+со?)\s+(?:(?:у|в|во|на)\s+)?$", re.IGNORECASE)



def _words(text: str, start: int, end: int) -> list[tuple[str, int, int]]:
    return [(m.group(0).lower().replace("ё", "е"), start + m.start(), start + m.end())
            for m in _WORD.finditer(text[start:end])]


def _sentence(text: str, pos: int) -> tuple[int, int]:
    begin, end = 0, len(text)
    for m in _SENTENCE.finditer(text):
        if m.end() <= pos:
            begin = m.end()
        elif m.start() >= pos:
            end = m.start()
            break
    return begin, end


def _prev_word(words: list[tuple[str, int, int]], span: Span) -> tuple[str, int, int] | None:
    before = [w for w in words if w[2] <= span[0]]
    return before[-1] if before else None


def _is_past(word: str) -> bool:
    return any("past" in p.tag for p in _morph().parse(word)[:1])


def _switch_label(text: str, words: list[tuple[str, int, int]], target: list[Span], other: Span) -> str | None:
    verbs = [(w, s, e) for w, s, e in words if lemma(w) in _SWITCH_VERBS]
    if not verbs or _REGRET.search(text):
        return None
    for w, s, _ in verbs:
        prev = _prev_word(words, (s, s))
        if prev is not None and prev[0] == "не":
            return None
        if lemma(w) == "вернуться" and not _is_past(w):
            return None

    def role(span: Span) -> str | None:
        prev = _prev_word(words, span)
        if prev is None:
            return None
        if prev[0] in _FROM_PREP:
            return "from"
        if prev[0] in _TO_PREP:
            return "to"
        if lemma(prev[0]) in _OBJECT_FROM_VERBS:
            return "from"
        return None

    own = {r for r in map(role, target) if r is not None}
    if len(own) != 1 or {*own, role(other)} != {"from", "to"}:
        return None
    return "negative" if own == {"from"} else "positive"


def _comparison_label(text: str, words: list[tuple[str, int, int]], target: list[Span], other: Span) -> str | None:
    directions: set[str] = set()
    compared: list[Span] = []
    for i, (w, _, e) in enumerate(words):
        side = "better" if w in _BETTER else "worse" if w in _WORSE else None
        if side is None:
            continue
        if i > 0 and words[i - 1][0] == "не":
            return None
        directions.add(side)
        nxt = words[i + 1] if i + 1 < len(words) else None
        for span in (*target, other):  # "удобнее ВТБ": the compared brand right after the comparative
            if nxt is not None and nxt[1] == span[0] and text[e:span[0]].strip() == "":
                compared.append(span)
    if len(directions) != 1:
        return None
    for span in (*target, other):
        if _THAN.search(text[max(0, span[0] - 40):span[0]]):
            compared.append(span)
    other_compared = other in compared
    target_compared = any(c != other for c in compared)
    if other_compared == target_compared:  # the compared side: the other brand alone, or the target alone
        return None
    better = directions == {"better"}
    target_wins = better if other_compared else not better
    return "positive" if target_wins else "negative"


def structural_label(text: str, target: Sequence[Span] | None, others: Sequence[Span] | None) -> str | None:
    """The label the sentence structure gives the brand at ``target`` (its spans), or None when no switching
    or comparison construction with exactly one other brand (``others``) is found with confidence."""
    if not target or not others or len(target) + len(others) > MAX_SPANS:
        return None
    for begin, end in sorted({_sentence(text, t[0]) for t in target}):
        near = [o for o in others if begin <= o[0] and o[1] <= end]
        own = [t for t in target if begin <= t[0] and t[1] <= end]
        if len(near) != 1 or end - begin > MAX_SENTENCE:
            continue
        words = _words(text, begin, end)
        label = _switch_label(text, words, own, near[0]) or _comparison_label(text, words, own, near[0])
        if label is not None:
            return label
    return None


def with_label(scores: dict[str, float], label: str) -> dict[str, float]:
    """``scores`` with ``label`` on top: its value and the top value swap (still a distribution)."""
    top = max(LABELS, key=lambda k: scores[k])
    if top == label:
        return scores
    out = dict(scores)
    out[top], out[label] = scores[label], scores[top]
    return out


def adjust(texts: Sequence[str], targets: Targets, others: Targets | None,
           scores: list[dict[str, float]]) -> list[dict[str, float]]:
    """Model ``scores`` corrected where a switching or comparison construction decides the brand's side."""
    if others is None:
        return scores
    out = []
    for text, tgt, oth, sc in zip(texts, targets, others, scores, strict=True):
        label = structural_label(text, tgt, oth)
        out.append(with_label(sc, label) if label is not None else sc)
    return out


def predict_brands(model: SentimentModel, texts: Sequence[str], targets: Targets, *, others: Targets | None,
                   groups: Sequence[str | None] | None = None) -> list[dict[str, float]]:
    """``model.predict`` plus the structural correction: what ``molva analyze`` and ``molva classify`` use."""
    scores = model.predict(texts, targets, others=others, groups=groups)
    return adjust(texts, targets, others, list(scores))
