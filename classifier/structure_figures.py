"""Brands compared by figures (issue 9): each brand's own figures, unit by unit.

"Билайн 200 Мбит за 900₽, МТС 500 Мбит за 700₽", "Комиссия за эквайринг: Альфа 1,8%, ВТБ 2,1%", "пинг: Ростелеком
20 мс, МегаФон от 60": a brand's figures are the numbers after its mention in its sentence, up to the
next brand. The brands' figures are paired in order; each pair's unit (the word after either number) and the
words of its sentence say whether more is better (speed, traffic, a deposit's or cashback's rate or sum,
stars) or less (price, fee, a credit's rate, ping, waiting time). The brand wins a pair when its figure is the
better one; every pair must agree. A number that is a ratio ("из 100", "в 3 раза") is no figure; a brand
with a figure and a unitless one ("обещает 500 Мбит, даёт 50") has no plain figure.

``figure_label`` is asked before ``classifier.structure_verdicts.numeric_label`` (the post-wide reading by
the last number of each part), which still answers where this one finds no pair.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from classifier.structure_text import MAX_SENTENCE, MAX_SPANS, Span, sentence_at

_NUMBER = re.compile(r"(?<![\w.,])(\d+(?:[.,]\d+)?)\s*(к\b|%|₽|[a-zа-яё]+)?", re.IGNORECASE)
_MORE_UNITS = re.compile(r"^(?:мбит|мегабит|гбит|гб|гиг|мб|звезд|звёзд|балл)", re.IGNORECASE)
_LESS_UNITS = re.compile(r"^(?:мс|мин|час|дн|день|дней|недел)", re.IGNORECASE)
_MONEY_UNITS = re.compile(r"^(?:₽|руб|р$|к$|тыс)", re.IGNORECASE)
_RATE_UNITS = re.compile(r"^(?:%|процент|пункт|п$)", re.IGNORECASE)
_RATIO = re.compile(r"(?:\bиз|\bв)\s*$", re.IGNORECASE)
_NOT_FIGURE_UNITS = re.compile(r"^(?:раз|год|лет|месяц|числ|шт)", re.IGNORECASE)
# what a rate or a sum is: something the client earns (more is better) or pays (less is better)
_EARNS = re.compile(r"вклад|депозит|кэшб[эе]к|доходн|накопит|начисл|бонус|процент\w*\s+на\s+остаток", re.IGNORECASE)
_PAYS = re.compile(r"кредит|ипотек|комисс|эквайринг|рассрочк|займ|переплат|абонентк|тариф|стоит|стоимост|цен[аеуы]"
                   r"|плат[иа]т|аренд|обслуживан", re.IGNORECASE)


def _figures(text: str, start: int, stop: int) -> list[tuple[float, str]]:
    """(value, unit) of the numbers in ``text[start:stop]`` that are figures, not ratios or dates."""
    out = []
    for m in _NUMBER.finditer(text, start, stop):
        unit = (m.group(2) or "").lower()
        if _RATIO.search(text[max(0, m.start() - 4):m.start()]) or _NOT_FIGURE_UNITS.match(unit):
            continue
        if not any(u.match(unit) for u in (_MORE_UNITS, _LESS_UNITS, _MONEY_UNITS, _RATE_UNITS)):
            if m.group(2) and m.start(2) == m.end(1):  # glued to letters: a name ("4G", "1С"), not a figure
                continue
            unit = ""  # a word after the number ("40 из 100", "13 так что"): no unit
        out.append((float(m.group(1).replace(",", ".")), unit))
    return out


def _direction(unit: str, context: str) -> str | None:
    """"more" or "less" is better for a figure in ``unit`` within ``context`` (its sentence); None: unknown."""
    if _MORE_UNITS.match(unit):
        return "more"
    if _LESS_UNITS.match(unit):
        return "less"
    if _MONEY_UNITS.match(unit) or _RATE_UNITS.match(unit):
        earns, pays = bool(_EARNS.search(context)), bool(_PAYS.search(context))
        if earns != pays:
            return "more" if earns else "less"
        return "less" if _MONEY_UNITS.match(unit) and not earns else None
    return None


def _brand_figures(text: str, spans: Sequence[Span], all_starts: list[int]) -> tuple[list[tuple[float, str]], int]:
    """The figures after the first of ``spans`` that has any, up to the next brand or its sentence's end."""
    for s, e in sorted(spans):
        begin, end = sentence_at(text, s)
        if end - begin > MAX_SENTENCE:
            continue
        stop = min([x for x in all_starts if x >= e] + [end])
        found = _figures(text, e, stop)
        if found:
            return found, s
    return [], -1


def figure_label(text: str, target: Sequence[Span] | None, others: Sequence[Span] | None) -> str | None:
    """The target's side when the post compares it with the other brand by figures (see the module's text);
    None when a side has no figure, a pair's direction is unknown, the numbers are equal or the pairs
    disagree."""
    if not target or not others or len(target) + len(others) > MAX_SPANS:
        return None
    starts = sorted(s for s, _ in (*target, *others))
    own, own_at = _brand_figures(text, target, starts)
    other, other_at = _brand_figures(text, others, starts)
    if not own or not other:
        return None
    if any(any(unit for _, unit in side) and any(not unit for _, unit in side) for side in (own, other)):
        return None  # "обещать 500 Мбит и давать 50": which figure is the brand's is not plain
    first = min(own_at, other_at)
    begin, end = sentence_at(text, first)[0], sentence_at(text, max(own_at, other_at))[1]
    context = "".join(" " if any(s <= k < e for s, e in (*target, *others)) else text[k] for k in range(begin, end))
    sides: set[str] = set()
    for (a, unit_a), (b, unit_b) in zip(own, other, strict=False):
        direction = _direction(unit_a or unit_b, context)
        if direction is None or unit_a and unit_b and unit_a[:2] != unit_b[:2]:
            return None
        if a != b:
            sides.add("positive" if (a > b) == (direction == "more") else "negative")
    return sides.pop() if len(sides) == 1 else None
