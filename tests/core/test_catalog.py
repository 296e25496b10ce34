"""The brand catalog: the shipped file, Russian-aware matching, and clear errors on bad files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from molva.catalog import Brand, BrandMatch, Catalog, CatalogError, default_catalog_path, load_catalog
from molva.errors import ConfigFileError, MolvaError

DATA = Path(__file__).resolve().parents[1] / "data" / "brand_match_set.jsonl"

REQUIRED = [
    "Сбербанк", "ВТБ", "Газпромбанк", "Альфа-Банк", "Банк Москвы", "Райффайзенбанк", "Уралсиб",
    "Россельхозбанк", "Билайн", "МТС", "МегаФон", "Tele2", "Ростелеком", "Комстар", "Скай Линк",
    "Т-Банк", "Совкомбанк", "Почта Банк", "Открытие", "Промсвязьбанк", "Росбанк", "Хоум Банк",
    "Русский Стандарт", "МКБ", "Yota",
]


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def brands_in(catalog: Catalog, text: str) -> set[str]:
    return {m.brand for m in catalog.match(text)}


# --- the shipped catalog ----------------------------------------------------------------------------

def test_default_path_is_the_shipped_file() -> None:
    assert default_catalog_path().name == "brands.toml"
    assert default_catalog_path().is_file()


def test_required_brands_present(catalog: Catalog) -> None:
    names = catalog.brand_names()
    for name in REQUIRED:
        assert name in names, name
    assert len(names) == len(set(names))
    assert set(catalog.groups()) == {"banks", "telecom"}
    assert "Сбербанк" in [b.name for b in catalog.groups()["banks"]]
    assert "МТС" in [b.name for b in catalog.groups()["telecom"]]


def test_every_brand_has_official_accounts_of_every_kind(catalog: Catalog) -> None:
    for brand in catalog.brands:
        for kind in ("telegram", "vk", "mastodon", "reviews"):
            assert brand.official_accounts.get(kind), (brand.name, kind)
        assert all(a.startswith("-") and a[1:].isdigit() for a in brand.official_accounts["vk"])


def test_renamed_brands_are_one_entry(catalog: Catalog) -> None:
    tele2 = catalog.get("Tele2")
    assert tele2 is not None and tele2.group == "telecom"
    for key in ("Т2", "t2", "Теле2", "tele2", "TELE2"):
        assert catalog.get(key) is tele2, key
    assert catalog.get("Тинькофф") is catalog.get("Т-Банк") is catalog.get("tinkoff")
    assert catalog.get("ВТБ24") is catalog.get("втб")
    assert catalog.get("Хоум Кредит") is catalog.get("Хоум Банк")
    assert brands_in(catalog, "Tele2 теперь называется t2, а раньше было Теле2") == {"Tele2"}
    assert brands_in(catalog, "Тинькофф стал Т-Банком") == {"Т-Банк"}


def test_get_by_id_name_alias_former_name(catalog: Catalog) -> None:
    sber = catalog.get("sberbank")
    assert isinstance(sber, Brand) and sber.name == "Сбербанк"
    assert catalog.get("СБЕРБАНК") is sber
    assert catalog.get("  сбер ") is sber
    assert catalog.get("@sberbank") is sber
    assert catalog.get("Сберегательный банк") is sber
    assert catalog.get("Зелёный банк") is sber  # ё = е
    assert catalog.get("no such brand") is None


def test_official_brand(catalog: Catalog) -> None:
    assert catalog.official_brand("telegram", "sberbank") is catalog.get("Сбербанк")
    assert catalog.official_brand("telegram", "@SberBank") is catalog.get("Сбербанк")
    assert catalog.official_brand("telegram", "https://t.me/mts_ru") is catalog.get("МТС")
    assert catalog.official_brand("vk", "-22522055") is catalog.get("Сбербанк")
    assert catalog.official_brand("vk", "22522055") is None
    assert catalog.official_brand("mastodon", "sberbank@mastodon.social") is catalog.get("Сбербанк")
    assert catalog.official_brand("mastodon", "sberbank") is catalog.get("Сбербанк")
    assert catalog.official_brand("reviews", "tcs") is catalog.get("Т-Банк")
    assert catalog.official_brand("telegram", "random_channel") is None
    assert catalog.official_brand("reviews", "sberbank") is not catalog.official_brand("reviews", "vtb")


# --- matching ---------------------------------------------------------------------------------------

def load_set() -> list[tuple[str, set[str]]]:
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [(r["text"], set(r["brands"])) for r in rows]


def test_precision_and_recall_on_the_labelled_set(catalog: Catalog) -> None:
    rows = load_set()
    assert len(rows) >= 300
    assert sum(1 for _, b in rows if not b) >= 80  # many negatives
    assert len({b for _, bs in rows for b in bs}) >= 25  # most brands covered
    tp = fp = fn = 0
    for text, expected in rows:
        found = brands_in(catalog, text)
        tp, fp, fn = tp + len(found & expected), fp + len(found - expected), fn + len(expected - found)
    assert tp > 300
    assert tp / (tp + fp) >= 0.97
    assert tp / (tp + fn) >= 0.97


def test_spans_are_exact_and_sorted(catalog: Catalog) -> None:
    total = 0
    for text, _ in load_set():
        matches = catalog.match(text)
        assert [m.start for m in matches] == sorted(m.start for m in matches)
        for m in matches:
            assert isinstance(m, BrandMatch)
            assert text[m.start:m.end] == m.alias and m.alias
            assert catalog.get(m.brand_id) is not None and catalog.get(m.brand_id).name == m.brand  # type: ignore[union-attr]
            total += 1
    assert total > 300


@pytest.mark.parametrize(
    ("text", "brand", "alias"),
    [
        ("Пишу в поддержку Сбербанка", "Сбербанк", "Сбербанка"),
        ("спасибо Сбербанку", "Сбербанк", "Сбербанку"),
        ("с Сбербанком давно", "Сбербанк", "Сбербанком"),
        ("в Сбербанке очередь", "Сбербанк", "Сбербанке"),
        ("в сбере очередь", "Сбербанк", "сбере"),
        ("сберу привет", "Сбербанк", "сберу"),
        ("сберик опять лежит", "Сбербанк", "сберик"),
        ("карта сберовская", "Сбербанк", "сберовская"),
        ("в СБ РФ", "Сбербанк", "СБ РФ"),
        ("у Билайна", "Билайн", "Билайна"),
        ("Билайну пора", "Билайн", "Билайну"),
        ("дружу с Мегафоном", "МегаФон", "Мегафоном"),
        ("мегафончик опять", "МегаФон", "мегафончик"),
        ("мастер Ростелекома", "Ростелеком", "Ростелекома"),
        ("в Теле2 сказали", "Tele2", "Теле2"),
        ("ушла в т2", "Tele2", "т2"),
        ("втб24 закрыли", "ВТБ", "втб24"),
        ("ВТБшники звонят", "ВТБ", "ВТБшники"),
        ("тиньк опять", "Т-Банк", "тиньк"),
        ("в тиньке", "Т-Банк", "тиньке"),
        ("Тинёк молодец", "Т-Банк", "Тинёк"),
        ("перекатываюсь в тинь", "Т-Банк", "тинь"),
        ("симка Т-Мобайл", "Т-Банк", "Т-Мобайл"),
        ("в Т-Банке", "Т-Банк", "Т-Банке"),
        ("sberbank online", "Сбербанк", "sberbank"),
        ("Tinkoff Black", "Т-Банк", "Tinkoff"),
        ("MTS roaming", "МТС", "MTS"),
        ("Beeline is down", "Билайн", "Beeline"),
        ("Megafon 5G", "МегаФон", "Megafon"),
        ("VTB online", "ВТБ", "VTB"),
        ("#сбербанк лежит", "Сбербанк", "#сбербанк"),
        ("@sberbank ответьте", "Сбербанк", "@sberbank"),
        ("@mts_ru ответьте", "МТС", "@mts_ru"),
        ("в Почта-Банке", "Почта Банк", "Почта-Банке"),
        ("почтабанк звонит", "Почта Банк", "почтабанк"),
        ("в Альфа Банке", "Альфа-Банк", "Альфа Банке"),
        ("в альфе", "Альфа-Банк", "альфе"),
        ("Банка Москвы больше нет", "Банк Москвы", "Банка Москвы"),
        ("в Русском Стандарте", "Русский Стандарт", "Русском Стандарте"),
        ("Московского кредитного банка", "МКБ", "Московского кредитного банка"),
        ("перевела в Открытие", "Открытие", "Открытие"),
        ("в банке Открытие", "Открытие", "банке Открытие"),
        ("перешла на Йоту", "Yota", "Йоту"),
        ("МТС Банк одобрил", "МТС Банк", "МТС Банк"),
        ("зелёный банк", "Сбербанк", "зелёный банк"),
        ("MТС тормозит", "МТС", "MТС"),  # Latin M
        ("#СберНеРаботает", "Сбербанк", "Сбер"),
        ("карта Ozon Банка", "Ozon Банк", "Ozon Банка"),
        ("в озон банке", "Ozon Банк", "озон банке"),
        ("Яндекс Пэй не проходит", "Яндекс Банк", "Яндекс Пэй"),
        ("вклад в Яндекс Банке", "Яндекс Банк", "Яндекс Банке"),
        ("WB Банк заблокировал", "WB Банк", "WB Банк"),
        ("в Вайлдберриз Банке", "WB Банк", "Вайлдберриз Банке"),
        ("ипотека в Ак Барс Банке", "Ак Барс Банк", "Ак Барс Банке"),
        ("в банке «Санкт-Петербург»", "Банк Санкт-Петербург", "банке «Санкт-Петербург"),
        ("Сбер Мобайл не ловит", "СберМобайл", "Сбер Мобайл"),
        ("МГТС отключила интернет", "МГТС", "МГТС"),
    ],
)
def test_matches_inflections_slang_latin_handles(catalog: Catalog, text: str, brand: str, alias: str) -> None:
    matches = catalog.match(text)
    assert [(m.brand, m.alias) for m in matches] == [(brand, alias)]
    m = matches[0]
    assert text[m.start:m.end] == alias


@pytest.mark.parametrize(
    "text",
    [
        "Вышла альфа-версия приложения",
        "он альфа-самец",
        "Альфа Центавра",
        "Открытие нового магазина",
        "открытие счёта в банке",
        "Открытие Арена полная",
        "Почта России опять потеряла посылку",
        "проверь почту",
        "код по МКБ-10",
        "ни на йоту не сдвинулись",
        "кричал в мегафон",
        "Газпром поднял цены",
        "Россельхознадзор запретил ввоз",
        "Олег Тиньков дал интервью",
        "тинь-тинь, звенит колокольчик",
        "бутылка водки Русский Стандарт",
        "сберечь сбережения в сберкассе",
        "заказ в СберМаркете",
        "T2-взвешенные изображения МРТ",
        "Эпоха Ренессанса",
        "Купила халву",
        "МТСБанком не пользуюсь",  # МТС Банк, not the operator
        "купил на Озоне",  # the marketplace, not its bank
        "Яндекс опять упал",
        "Ак Барс выиграл у СКА",  # the hockey club
        "лучшие банки Санкт-Петербурга",
    ],
)
def test_false_friends(catalog: Catalog, text: str) -> None:
    found = brands_in(catalog, text)
    assert "МТС" not in found and found <= {"МТС Банк"}, (text, found)


def test_mts_bank_is_not_mts(catalog: Catalog) -> None:
    assert brands_in(catalog, "МТС Банк и МТС-Банк") == {"МТС Банк"}
    assert brands_in(catalog, "МТС и МТС Банк") == {"МТС", "МТС Банк"}


def test_every_occurrence_is_returned(catalog: Catalog) -> None:
    text = "Сбер, Сбербанк и снова #сбер, а ещё ВТБ"
    matches = catalog.match(text)
    assert [m.alias for m in matches] == ["Сбер", "Сбербанк", "#сбер", "ВТБ"]
    assert [m.brand for m in matches] == ["Сбербанк"] * 3 + ["ВТБ"]


def test_word_boundaries(catalog: Catalog) -> None:
    assert brands_in(catalog, "мтсыри сберечь втбшн альфач") == set()
    assert brands_in(catalog, "(МТС)") == {"МТС"}
    assert brands_in(catalog, "МТС!") == {"МТС"}
    assert brands_in(catalog, "") == set()


def test_proper_alias_needs_capital_mid_sentence(catalog: Catalog) -> None:
    assert brands_in(catalog, "Деньги ушли в Открытие.") == {"Открытие"}
    assert brands_in(catalog, "деньги ушли в открытие.") == set()
    assert brands_in(catalog, "Ура. Открытие сезона!") == set()


def test_context_alias_needs_another_brand_of_its_group_on_the_line(catalog: Catalog) -> None:
    assert brands_in(catalog, "кредит в ренессансе закрыл, а с русским стандартом ждал месяц") == {
        "Ренессанс Кредит", "Русский Стандарт"}
    assert brands_in(catalog, "халва 💚 рассрочка без переплат, сбер со своим спасибо 🤡") == {"Совкомбанк", "Сбербанк"}
    assert brands_in(catalog, "кредит в ренессансе закрыл досрочно") == set()  # no other bank
    assert brands_in(catalog, "Купила халву, а МТС опять без связи") == {"МТС"}  # an operator is another group
    assert brands_in(catalog, "купила халву\nв Тинькофф кешбэк пришёл") == {"Т-Банк"}  # another line
    assert brands_in(catalog, "эпоха ренессанса, а сбер всё тот же") == {"Сбербанк"}  # exclude still applies
    assert brands_in(catalog, "перевела в Ренессанс") == {"Ренессанс Кредит"}  # the proper alias alone, as before


# --- bad catalog files ------------------------------------------------------------------------------

GOOD_ENTRY = """
[[brand]]
id = "acme"
name = "Акме"
group = "banks"
aliases = ["Acme"]
[brand.official_accounts]
telegram = ["acme"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "brands.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_custom_catalog_loads(tmp_path: Path) -> None:
    catalog = load_catalog(write(tmp_path, GOOD_ENTRY))
    assert catalog.brand_names() == ["Акме"]
    assert [m.alias for m in catalog.match("в Акме и acme")] == ["Акме", "acme"]
    assert catalog.official_brand("telegram", "acme") is catalog.get("Акме")


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        (GOOD_ENTRY + '\n[[brand]]\nid = "x"\nname = "X\n', 12, "TOML"),  # unterminated string
        (GOOD_ENTRY + '\n[[brand]]\nid = "beta"\ngroup = "banks"\n', 10, "name"),  # missing field
        (GOOD_ENTRY + '\n[[brand]]\nid = "acme"\nname = "Другой"\ngroup = "banks"\n', 11, "acme"),  # dup id
        (GOOD_ENTRY + '\n[[brand]]\nid = "b"\nname = "Акме"\ngroup = "banks"\n', 12, "Акме".lower()),  # dup name
        (GOOD_ENTRY + '\n[[brand]]\nid = "b"\nname = "Б"\ngroup = "banks"\nexclude = ["(unclosed"]\n', 14, "exclude"),
        (GOOD_ENTRY + '\n[[brand]]\nid = "b"\nname = "Б"\ngroup = "banks"\naliases = "Б"\n', 14, "aliases"),
        (GOOD_ENTRY + '\n[[brand]]\nid = "b"\nname = "Б"\ngroup = "banks"\n[brand.official_accounts]\nfax = ["1"]\n',
         15, "fax"),
        (GOOD_ENTRY + '\n[[brand]]\nid = "b"\nname = "Б"\ngroup = "banks"\n[brand.official_accounts]\nvk = ["club1"]\n',
         15, "vk"),
        (GOOD_ENTRY + '\n[[brand]]\nid = "b"\nname = "Б"\ngroup = "banks"\naliases = ["Acme"]\n', 14, "Acme"),
        (GOOD_ENTRY + '\n[[brand]]\nid = "Bad Id"\nname = "Б"\ngroup = "banks"\n', 11, "id"),
        (GOOD_ENTRY + '\n[[brand]]\nid = "b"\nname = "Б"\ngroup = "banks"\ncolour = "red"\n', 14, "colour"),
    ],
)
def test_bad_catalog_names_file_line_and_problem(tmp_path: Path, text: str, line: int, words: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(CatalogError) as info:
        load_catalog(path)
    err = info.value
    assert isinstance(err, ConfigFileError) and isinstance(err, MolvaError)
    assert err.path == path
    assert err.line == line, str(err)
    assert words in err.problem
    assert str(err).startswith(f"{path}:{line}: ")


def test_missing_or_empty_catalog(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="не найден"):
        load_catalog(tmp_path / "nope.toml")
    with pytest.raises(CatalogError, match=r"\[\[brand\]\]"):
        load_catalog(write(tmp_path, "# nothing here\n"))


# --- CLI --------------------------------------------------------------------------------------------

def run_cli(*args: str) -> tuple[int, str]:
    from molva.cli import main

    result = CliRunner().invoke(main, list(args), env={"MOLVA_CONFIG": None})
    return result.exit_code, result.output


def test_cli_brands_list() -> None:
    code, out = run_cli("brands", "list")
    assert code == 0, out
    for name in REQUIRED:
        assert name in out
    code, out = run_cli("brands", "list", "--json")
    assert code == 0
    data = json.loads(out)
    assert {d["name"] for d in data} >= set(REQUIRED)
    assert {"id", "name", "group", "aliases", "official_accounts"} <= set(data[0])
    renins = next(d for d in data if d["id"] == "renins")
    assert renins["proper_aliases"] == ["Ренессанс"] and renins["context_aliases"] == ["ренессанс"]
    code, out = run_cli("brands", "list", "--group", "banks")
    assert "Халва (рядом с брендом группы)" in out and "Открытие (с заглавной)" in out


def test_cli_brands_match() -> None:
    text = "В Сбере сказали звонить в МТС"
    code, out = run_cli("brands", "match", text)
    assert code == 0, out
    assert "Сбербанк" in out and "2-7" in out and "МТС" in out
    code, out = run_cli("brands", "match", "--json", text)
    data = json.loads(out)
    assert [(d["brand"], d["alias"]) for d in data] == [("Сбербанк", "Сбере"), ("МТС", "МТС")]
    assert all(text[d["start"]:d["end"]] == d["alias"] for d in data)
    code, out = run_cli("brands", "match", "ничего нет")
    assert code == 0 and "не найдено" in out


def test_cli_bad_catalog_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "[[brand]\n")
    config = tmp_path / "molva.toml"
    config.write_text(f'catalog_path = "{path.as_posix()}"\n', encoding="utf-8")
    code, out = run_cli("--config", str(config), "brands", "match", "Сбер")
    assert code == 2, out
