"""Switches that ``classifier.structure_rules`` cannot read in one sentence (issue 9).

* **A switch across sentences** (``switch_across``) — the sentence with the move names only the brand it
  reaches ("вчера ушла на Y", "перешли в Y", "подключилась к Y"), and the brand left stands in an earlier
  sentence ("Была на X 12 лет. Вчера ушла на Y"): the brand left is negative, the brand reached positive.
  The move is a verb of leaving or arriving (by lemma) in the past tense, not negated, not only intended
  ("думаю уйти") nor conditional ("перешёл бы"), with the brand after "в/на/к" within the verb's phrase
  ("на 4G роутер от Y": the brand as the object's genitive counts). Regret reads as in the one-sentence rule: "зря", "лучше бы осталась" turn
  the sides, other regret leaves the post alone, "не жалею" keeps the usual sides.
* **Closed here, opened there** (``switch_across`` too) — one sentence closes or cancels something at one
  brand and then opens, takes out or connects something at the other ("Закрыла карту X и оформила Y",
  "отключил X, подключил Y"): the brand closed is negative, the brand opened positive. Not when what is
  closed is a debt ("закрыла ипотеку в X": paying off is no verdict).

It also holds what the one-sentence rule of ``classifier.structure_rules`` shares with it: the post's mood about
a switch (``switch_mood``) and the role of a brand that is its object's genitive (``phrase_role``).

No brand names here: the brands are the catalog spans the caller passes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from classifier.structure_text import MAX_SENTENCE, MAX_SPANS, Span, Word, sentences, words_in
from molva.morphology import lemma, parse

# leaving or arriving (not "сменить/поменять X на Y", which names both brands in its own sentence)
_MOVE_VERBS = frozenset({
    "уйти", "перейти", "сбежать", "переехать", "перевестись", "переключиться", "свалить", "пересесть",
    "вернуться", "подключиться", "переползти", "мигрировать", "перебраться",
})
_TO_PREP = frozenset({"в", "во", "на", "к", "ко"})
_FROM_PREP = frozenset({"из", "с", "со", "от"})
_REGRET = re.compile(r"\bзря\b|\bжаль\b|жалею|пожалел|\bошиб(?:к|лась|ся|лись)|напрасно|не\s+стоило|разочаров"
                     r"|верн(?:усь|уться)|\bхуже\b|лучше\s+бы\s+остал", re.IGNORECASE)
# regret that says the move was a mistake: the from-brand was the better one ("перешёл ... — и зря")
_MISTAKE = re.compile(r"\bзря\b|\bошиб(?:лась|ся|лись)\b|\bжалею|пожалел|напрасно|не\s+стоило|лучше\s+бы\s+остал",
                      re.IGNORECASE)
# regret or return denied: "не жалею", "ни разу не пожалел", "вернуться не тянет", "возвращаться не хочу"
NO_REGRET = re.compile(r"\bне\s+(?:\w+\s+)?(?:жалею|пожалел\w*)|\bни\s+(?:разу|секунды|капли)\s+не\s+"
                       r"(?:жалею|пожалел\w*)|верн\w*\s+(?:\w+\s+)?не\s+(?:тянет|хочу|хочется|собираюсь|планирую)"
                       r"|\bне\s+(?:тянет|хочу|хочется|собираюсь)\s+(?:\w+\s+)?верн", re.IGNORECASE)

_INTENT = frozenset({"думать", "подумывать", "хотеть", "собираться", "планировать", "решать", "мочь"})
_CLOSE_VERBS = frozenset({"закрыть", "расторгнуть", "отключить", "отключиться", "отказаться", "сдать"})
_OPEN_VERBS = frozenset({"оформить", "открыть", "завести", "подключить", "взять", "купить"})
_DEBT = re.compile(r"\b(?:кредит\w*|ипотек\w*|займ\w*|заем|долг\w*|рассрочк\w*|задолженност\w*)\b", re.IGNORECASE)
_PHRASE_GAP = 4  # words between a preposition (or verb) and the brand it governs: "на 4G роутер от Y"


def switch_mood(text: str) -> str | None:
    """"mistake" when the post says a switch was one ("зря", "лучше бы осталась"), "regret" for other regret
    (the sides are unclear), None for none or regret denied ("не жалею", "возвращаться не хочу")."""
    calm = NO_REGRET.sub(" ", text)
    if _MISTAKE.search(calm):
        return "mistake"
    return "regret" if _REGRET.search(calm) else None


def in_phrase(words: list[Word], k: int) -> bool:
    """``words[k]`` can be inside a noun phrase: a noun, adjective, numeral or a Latin name ("4G роутер")."""
    if k < 0:
        return False
    tag = parse(words[k][0]).tag
    return tag.POS in ("NOUN", "ADJF", "NUMR") or "LATN" in tag or "NUMB" in tag


def phrase_role(words: list[Word], at: int) -> str | None:
    """The role of a brand that is the genitive of a switch's object ("на 4G роутер от Y", "с карты Y"): the
    preposition that opens the phrase, at most three words (and an "от") back."""
    j = at
    while j >= 0 and at - j < 4 and (in_phrase(words, j) or words[j][0] == "от"):
        j -= 1
    if j < 0 or j == at:
        return None
    return "from" if words[j][0] in _FROM_PREP else "to" if words[j][0] in _TO_PREP else None


def _past(word: str) -> bool:
    return "past" in parse(word).tag


def _governed(words: list[Word], k: int, spans: Sequence[Span], heads: frozenset[str]) -> bool:
    """Whether a mention in ``spans`` follows ``words[k]`` within a short phrase opened by a word of ``heads``
    right after it (or at it): "ушла на мегафон", "перешли на 4G роутер от Билайна"."""
    after = words[k + 1:k + 2 + _PHRASE_GAP]
    prep = next((j for j, w in enumerate(after) if w[0] in heads), None)
    if prep is None or prep > 1:
        return False
    stop = after[min(len(after) - 1, prep + _PHRASE_GAP)][2] if after else words[k][2]
    return any(after[prep][2] <= s[0] < stop for s in spans)


def _move(words: list[Word], k: int) -> bool:
    w = words[k][0]
    if lemma(w) not in _MOVE_VERBS or not _past(w):
        return False
    before = [x[0] for x in words[max(0, k - 2):k]]
    conditional = "бы" in before or "бы" in [x[0] for x in words[k + 1:k + 2]]  # "перешёл бы на Y": not done
    return "не" not in before and not conditional and not any(lemma(x) in _INTENT for x in before)


def _across(text: str, target: Sequence[Span], others: Sequence[Span]) -> str | None:
    """"to" / "from" for the target in a switch whose sentence names only the brand reached."""
    for begin, end in sentences(text):
        if end - begin > MAX_SENTENCE:
            continue
        words = words_in(text, begin, end)
        for k in range(len(words)):
            if not _move(words, k):
                continue
            inside_t = [t for t in target if begin <= t[0] < end]
            inside_o = [o for o in others if begin <= o[0] < end]
            if inside_t and inside_o:
                return None  # both in the sentence: the one-sentence rule's business
            reached = inside_t or inside_o
            if not reached or not _governed(words, k, reached, _TO_PREP):
                continue
            left = others if inside_t else target
            if not all(s[1] <= begin for s in left):  # the brand left stands before the move
                return None
            return "to" if inside_t else "from"
    return None


def _closed_opened(text: str, target: Sequence[Span], others: Sequence[Span]) -> str | None:
    """"from" / "to" for the target in "закрыла карту X и оформила Y" (one sentence, close before open)."""
    for begin, end in sentences(text):
        if end - begin > MAX_SENTENCE:
            continue
        words = words_in(text, begin, end)
        close = [k for k, w in enumerate(words) if lemma(w[0]) in _CLOSE_VERBS and _past(w[0])]
        opened = [k for k, w in enumerate(words) if lemma(w[0]) in _OPEN_VERBS and _past(w[0])]
        if len(close) != 1 or len(opened) != 1 or close[0] > opened[0]:
            continue
        c, o = close[0], opened[0]
        if any(words[j][0] == "не" for j in (c - 1, o - 1) if j >= 0):
            return None
        mid_begin, mid_end, tail_begin = words[c][2], words[o][1], words[o][2]
        if _DEBT.search(text, mid_begin, mid_end):
            return None
        tgt = {tuple(t) for t in target}
        mid = {tuple(s) in tgt for s in (*target, *others) if mid_begin <= s[0] < mid_end}
        tail = {tuple(s) in tgt for s in (*target, *others) if tail_begin <= s[0] < end}
        if mid == {True} and tail == {False}:
            return "from"
        if mid == {False} and tail == {True}:
            return "to"
    return None


def switch_across(text: str, target: Sequence[Span] | None, others: Sequence[Span] | None) -> str | None:
    """The target's label from a switch the one-sentence rule cannot see (see the module's text), or None."""
    if not target or not others or len(target) + len(others) > MAX_SPANS:
        return None
    role = _across(text, target, others) or _closed_opened(text, target, others)
    if role is None:
        return None
    mood = switch_mood(text)
    if mood == "regret":
        return None
    if mood == "mistake":
        return "positive" if role == "from" else "negative"
    return "negative" if role == "from" else "positive"
