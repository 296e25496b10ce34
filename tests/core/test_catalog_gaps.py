"""Catalog gaps of issue 9 item 4 (official handles, hashtag compounds, derived words, invisible characters)
and the one-automaton matcher of issue 12 item 1 (same results on long texts as sentence by sentence)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from molva.catalog import Brand, Catalog, load_catalog

DATA = Path(__file__).resolve().parents[1] / "data" / "brand_match_set.jsonl"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def found(catalog: Catalog, text: str) -> list[tuple[str, str]]:
    matches = catalog.match(text)
    for m in matches:
        assert text[m.start:m.end] == m.alias and m.alias
    return [(m.brand, m.alias) for m in matches]


@pytest.mark.parametrize(
    ("text", "brand", "alias"),
    [
        ("@alfa_bank верните деньги", "Альфа-Банк", "@alfa_bank"),
        ("@megafonhelp нет связи", "МегаФон", "@megafonhelp"),
        ("спасибо @megafonru", "МегаФон", "@megafonru"),
        ("@tele2russia перенесли номер", "Tele2", "@tele2russia"),
        ("@mtsrussia ответьте", "МТС", "@mtsrussia"),
        ("@sberbankhelp жду", "Сбербанк", "@sberbankhelp"),
        ("@tinkoff_bank кэшбэк", "Т-Банк", "@tinkoff_bank"),
        ("@yotarussia скорость", "Yota", "@yotarussia"),
        ("@vtb24 карта", "ВТБ", "@vtb24"),
        ("#любимыйсбербанк лежит", "Сбербанк", "#любимыйсбербанк"),
        ("#мтсвсегдаснами но связи нет", "МТС", "#мтсвсегдаснами"),
        ("#ростелекомнеработает опять", "Ростелеком", "#ростелекомнеработает"),
        ("#билайнлучший", "Билайн", "#билайнлучший"),
        ("#сберпрощай", "Сбербанк", "#сберпрощай"),
        ("ВТБшный кэшбэк", "ВТБ", "ВТБшный"),
        ("в втбшном офисе", "ВТБ", "втбшном"),
        ("сберовский терминал", "Сбербанк", "сберовский"),
        ("мтсовская симка", "МТС", "мтсовская"),
        ("МТСовская симка", "МТС", "МТСовская"),
        ("билайновский роутер", "Билайн", "билайновский"),
        ("тинькоффская поддержка", "Т-Банк", "тинькоффская"),
        ("альфовский менеджер", "Альфа-Банк", "альфовский"),
        ("мегафоновская поддержка", "МегаФон", "мегафоновская"),
    ],
)
def test_handles_hashtag_compounds_derived_words(catalog: Catalog, text: str, brand: str, alias: str) -> None:
    assert found(catalog, text) == [(brand, alias)]


@pytest.mark.parametrize(
    "text",
    [
        "#отпуск на море", "#отпускнаморе", "#сбережения растут", "#альфасамец", "#домрусская кухня",
        "#йогапоутрам", "#мотивация #успех", "напишите на @helpdesk_ru", "Открытие прошло успешно",
        "Открытие состоится в субботу", "мтсыри сберечь втбшн альфач",
    ],
)
def test_no_false_compounds(catalog: Catalog, text: str) -> None:
    assert found(catalog, text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # session 9's names in people's words, and the ordinary words and other companies they must not take
        ("у ртк опять авария на линии", [("Ростелеком", "ртк")]),
        ("ОТП даёт 15%, а Ренессанс 19%", [("ОТП Банк", "ОТП"), ("Ренессанс Кредит", "Ренессанс")]),
        ("кредит в хоуме одобрили", [("Хоум Банк", "хоуме")]),
        ("сберуха опять лагает", [("Сбербанк", "сберуха")]),
        ("йотка у кореша летает", [("Yota", "йотка")]),
        ("купил в салоне РТК симку", []),
        ("Ренессанс Страхование продлило полис", []),
        ("жили в отеле Ренессанс у моря", []),
        ("архитектура эпохи Ренессанс", []),
        ("третий год на хоум офисе", []),
    ],
)
def test_session9_names_and_their_exclusions(catalog: Catalog, text: str, expected: list[tuple[str, str]]) -> None:
    assert found(catalog, text) == expected


def test_sentence_initial_proper_alias_needs_a_verb_and_a_rival(catalog: Catalog) -> None:
    assert found(catalog, "Газпромбанк молодец. Открытие же потеряло перевод") == [
        ("Газпромбанк", "Газпромбанк"), ("Открытие", "Открытие")]
    assert found(catalog, "Сбербанк молодец. Открытие нового офиса прошло хорошо") == [("Сбербанк", "Сбербанк")]
    assert found(catalog, "МТС молодец. Открытие же потеряло перевод") == [("МТС", "МТС")]  # other group


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("С\u200bбербанк дарит бонусы", [("Сбербанк", "С\u200bбербанк")]),
        ("Т\u00adинькофф заблокировал", [("Т-Банк", "Т\u00adинькофф")]),
        ("\ufeffБилайн повысил тариф", [("Билайн", "Билайн")]),
        ("МТС\u200b\u200bопять без связи", [("МТС", "МТС")]),  # a zero-width space used as a space
        ("Альфа\u200d-Банк\x00 одобрил", [("Альфа-Банк", "Альфа\u200d-Банк")]),
        ("\x00\x00МТС\x00и\x00Билайн\x00", [("МТС", "МТС"), ("Билайн", "Билайн")]),
        ("\u200b\u200b", []),
        ("\x00", []),
        ("", []),
    ],
)
def test_invisible_characters_do_not_evade_matching(catalog: Catalog, text: str,
                                                    expected: list[tuple[str, str]]) -> None:
    assert found(catalog, text) == expected


def test_invisible_characters_anywhere_keep_spans_valid(catalog: Catalog) -> None:
    rng = random.Random(7)
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
    invisible = ["\u200b", "\u00ad", "\x00", "\u2060", "\ufeff", "\u200d"]
    checked = 0
    for row in rows:
        text = row["text"]
        plain = [m.brand for m in catalog.match(text)]
        chars = list(text)
        for _ in range(3):  # inside words, never next to a space: the words stay the same words
            k = rng.randrange(1, len(chars)) if len(chars) > 1 else 0
            chars.insert(k, rng.choice(invisible))
        noisy = "".join(chars)
        matches = catalog.match(noisy)
        for m in matches:
            assert noisy[m.start:m.end] == m.alias, noisy
            assert m.alias[0] not in invisible and m.alias[-1] not in invisible
        assert [m.brand for m in matches] == plain, noisy
        checked += bool(plain)
    assert checked > 300


def test_a_long_text_matches_like_its_sentences(catalog: Catalog) -> None:
    rows = [json.loads(line)["text"] for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
    texts = [t for t in rows if "\n" not in t] * 40  # ~20,000 sentences, ~1 MB
    joined = "\n".join(texts)
    expected = []
    offset = 0
    for text in texts:
        expected += [(m.brand, m.start + offset, m.end + offset) for m in catalog.match(text)]
        offset += len(text) + 1
    got = [(m.brand, m.start, m.end) for m in catalog.match(joined)]
    assert len(got) > 10_000
    assert got == expected


def test_empty_and_custom_catalogs() -> None:
    assert Catalog([]).match("Сбербанк") == []
    acme = Brand(id="acme", name="Акме", group="banks", aliases=("ACME",), official_accounts={})
    catalog = Catalog([acme])
    assert [m.alias for m in catalog.match("#любимыйакме и @acmehelp")] == ["#любимыйакме", "@acmehelp"]
