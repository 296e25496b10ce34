"""Brands compared by figures, unit by unit (classifier.structure_figures). Hand-written sentences."""

from __future__ import annotations

import pytest

from classifier.structure_figures import figure_label
from tests.classifier.brand_rules import per_brand


def figures(catalog, text: str) -> dict[str, str | None]:  # type: ignore[no-untyped-def]
    return per_brand(catalog, text, figure_label, brands=2)


@pytest.mark.parametrize("text, expected", [
    # speed: more is better; price: less; both pairs agree
    ("Билайн 200 Мбит за 900 р, МТС 500 Мбит за 700 р. Думайте сами",
     {"Билайн": "negative", "МТС": "positive"}),
    # a rate: the sentence says whether it is earned (a deposit) or paid (a credit)
    ("Смотрела накопительные счета: Альфа-Банк 14%, ВТБ 11,5%, потом ещё посчитаю в рублях",
     {"Альфа-Банк": "positive", "ВТБ": "negative"}),
    ("Автокредит одобрили оба: Росбанк 21%, Совкомбанк 17%",
     {"Росбанк": "negative", "Совкомбанк": "positive"}),
    # a sum earned is better when larger, even in roubles
    ("Кэшбэк за октябрь: с карты ВТБ пришло 150 руб, с Альфа-Банка 900 руб",
     {"ВТБ": "negative", "Альфа-Банк": "positive"}),
    # ping: less is better; "из 100" and "в 3 раза" are not figures
    ("Пинг вечером: Ростелеком 30 мс, Дом.ру 95 мс, это в 3 раза хуже", {"Ростелеком": "positive", "Дом.ру": "negative"}),
    # a unit said once serves the pair; "4G" is a name, not a figure; a range is the brand's figures
    ("Замер у окна: Теле2 35 Мбит из 50, а Yota 12 из 50", {"Tele2": "positive", "Yota": "negative"}),
    ("Задержка в игре: на Ростелекоме 20 мс, на МегаФоне 4G от 60 до 90", {"Ростелеком": "positive", "МегаФон": "negative"}),
    # the word "Кредит" in a brand's name does not make a deposit a credit
    ("По вкладу на полгода Ренессанс Кредит даёт 17%, Почта Банк 15%",
     {"Ренессанс Кредит": "positive", "Почта Банк": "negative"}),
])
def test_each_brand_takes_the_side_of_its_figures(catalog, text: str, expected: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    assert figures(catalog, text) == expected


@pytest.mark.parametrize("text", [
    "Билайн 300 Мбит за 900 р, МТС 200 Мбит за 700 р",  # the pairs disagree: faster but dearer
    "Почему Ростелеком обещает 300 Мбит, а даёт 40? У Дом.ру честные 200",  # a promised and a real figure
    "Ставка в Сбербанке 12%, в ВТБ тоже 12%",  # equal
    "МТС был у меня 5 лет, Теле2 уже 2 года",  # years are not figures to compare
    "В Сбербанке 14%, в ВТБ 16%, решайте сами",  # a rate of what: unknown
])
def test_no_plain_comparison_by_figures(catalog, text: str) -> None:  # type: ignore[no-untyped-def]
    assert set(figures(catalog, text).values()) == {None}
