"""Aspects (configurable per group in the catalog), and the per-brand judgment that `molva analyze` rows and
stored brand mentions carry: intent, urgency, urgent, reasons, aspects."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy.orm import Session

from classifier.aspects import AspectClassifier, default_classifier
from classifier.inference import SentimentModel
from classifier.intent import classify_intent
from classifier.judge import judge_mention, own_part
from molva.aspects import DEFAULT_ASPECTS, load_aspects, shipped_aspects_path
from molva.catalog import load_catalog
from molva.cli import main
from molva.errors import ConfigFileError

MILD = {"negative": 0.3, "neutral": 0.6, "positive": 0.1}
NEG = {"negative": 0.85, "neutral": 0.1, "positive": 0.05}


@pytest.mark.parametrize(("text", "group", "top"), [
    ("Банкоматом Сбербанка на Ленина съело карту, в отделении разводят руками", "banks", "atm_offices"),
    ("ВТБ одобрил ипотеку, но ставку подняли при сделке", "banks", "credits"),
    ("Перевод по СБП в Т-Банк завис, получатель ничего не видит", "banks", "transfers"),
    ("Звонили якобы из службы безопасности Альфы, мошенники увели деньги", "banks", "fraud"),
    ("Открыла вклад в Газпромбанке под 18% годовых", "banks", "deposits"),
    ("Кэшбэк по карте Совкомбанка опять урезали", "banks", "cards"),
    ("Роуминг МТС в Турции съел весь баланс за два дня", "telecom", "roaming"),
    ("МегаФон не ловит на даче, связь обрывается", "telecom", "coverage"),
    ("Перенос номера в Tele2 с сохранением номера занял неделю", "telecom", "sim"),
    ("Билайн, роутер перезагружается, домашний интернет пропадает", "telecom", "home_internet"),
])
def test_top_aspect_of_clear_posts_in_any_word_form(text: str, group: str, top: str) -> None:
    assert default_classifier().classify(text, group)[0] == top


def test_unknown_group_and_nothing_found_give_no_aspects() -> None:
    clf = default_classifier()
    assert clf.classify("Банкомат съел карту", "retail") == []
    assert clf.classify("Сбербанк, ну и ну", "banks") == []


def test_brand_leaning_aspect_breaks_a_vague_tie() -> None:
    clf = default_classifier()
    assert clf.classify("Ростелеком, интернет опять пропал", "telecom", "Ростелеком")[0] == "home_internet"
    assert clf.classify("Билайн, интернет опять пропал", "telecom", "Билайн")[0] == "mobile_internet"


def test_shipped_configuration_matches_the_codes_and_names_others_read() -> None:
    config = load_aspects(None)
    for group, names in DEFAULT_ASPECTS.items():
        assert {d.code: d.name for d in config[group]} == names


CATALOG = """
[[brand]]
id = "shop"
name = "Магазин Ромашка"
group = "retail"
aliases = ["Ромашка"]

[aspects.retail.delivery]
name = "Доставка"
keywords = ["курьер:2", "доставка:3", "привезти"]

[aspects.retail.prices]
name = "Цены"
keywords = ["цена", "дорог*:2"]

[aspects.banks.cashback]
name = "Кэшбэк"
keywords = ["кэшбэк:3"]

[aspects.banks.cards]
disabled = true
"""


def test_catalog_defines_aspects_per_group(tmp_path: Path) -> None:
    path = tmp_path / "brands.toml"
    path.write_text(CATALOG, encoding="utf-8")
    assert [b.name for b in load_catalog(path).brands] == ["Магазин Ромашка"]  # the catalog still loads
    config = load_aspects(path)
    assert [d.code for d in config["retail"]] == ["delivery", "prices"]
    banks = [d.code for d in config["banks"]]  # merged by code: one added, one removed, the rest shipped
    assert banks[-1] == "cashback" and "cards" not in banks and set(banks) == set(DEFAULT_ASPECTS["banks"]) - {
        "cards"} | {"cashback"}
    assert {d.code for d in config["telecom"]} == set(DEFAULT_ASPECTS["telecom"])  # the others stay
    clf = AspectClassifier(config)
    assert clf.classify("Ромашка, курьер не привёз заказ, доставку перенесли", "retail") == ["delivery"]
    assert clf.classify("В Ромашке всё дорожает, цены выросли", "retail") == ["prices"]
    assert clf.classify("Кэшбэк по карте урезали", "banks") == ["cashback"]


@pytest.mark.parametrize(("snippet", "problem"), [
    ('[aspects.banks.app]\nname = "X"\nkeywords = []\n', "keywords"),
    ('[aspects.banks.app]\nname = "X"\nkeywords = ["a"]\ncolour = 1\n', "colour"),
    ("[aspects]\nbanks = 3\n", "aspects.banks"),
])
def test_broken_aspect_config_names_the_file_and_the_problem(tmp_path: Path, snippet: str, problem: str) -> None:
    path = tmp_path / "brands.toml"
    path.write_text(snippet, encoding="utf-8")
    with pytest.raises(ConfigFileError) as err:
        load_aspects(path)
    assert str(path) in str(err.value) and problem in str(err.value)
    assert shipped_aspects_path().exists()


@pytest.mark.parametrize("text", [
    "В работе СберБанк Онлайн утром наблюдался сбой, сейчас проблема устранена, сообщили в пресс-службе банка.",
    "Билайн сообщил о восстановлении связи в Подмосковье после аварии, проблема устранена.",
    "Ростелеком, интернет дали, всё починили, спасибо ребятам",
    "Приложение Т-Банка снова работает, можно выдохнуть",
])
def test_posts_that_report_the_problem_fixed_are_flagged_and_not_urgent(text: str) -> None:
    j = judge_mention(text, NEG)
    assert j.resolved and "resolved" in j.reasons
    assert j.intent in ("other", "thanks") and not j.urgent and j.urgency < 0.3


def test_not_fixed_is_not_resolved() -> None:
    j = judge_mention("Сбербанк, проблема не решена уже месяц, приложение так и не починили", NEG)
    assert not j.resolved and j.intent == "problem"


@pytest.mark.parametrize(("text", "intent"), [
    # questions however they are closed, with or without a question mark
    ("Подскажите, сколько идёт перевод в ВТБ из Казахстана? Отправили вчера 50 тысяч. Спасибо.", "question"),
    ("газпромбанк, можно ли оформить кредит пенсионеру до 75 лет, спасибо", "question"),
    ("как в Альфа-Банке отключить платное смс-информирование? Заранее спасибо. #спасибо", "question"),
    ("Т-Банк, у вас можно заказать детскую карту ребенку 10 лет", "question"),
    # a question about one's own failure is a problem
    ("Тинькофф лежит?? ни приложение ни сайт не работают", "problem"),
    ("Почему МТС Банк поднял цену без предупреждения? Было одно, стало 1200 р.", "problem"),
    # sarcasm, and thanks beside a complaint
    ("Билайн, браво! Третий день без связи, отличный сервис", "problem"),
    ("теле2 спасибо за связь, которой нет", "problem"),
    ("Спасибо сотруднику Сбера, помог с картой. Но очередь 40 минут, это надоело", "thanks"),
    # praise is not thanks; ideas; news
    ("У Промсвязьбанка лучший накопительный счёт из того, что я видел, рекомендую. Респект.", "other"),
    ("Билайн, верните тариф без абонентской платы для пенсионеров", "idea"),
    ("МТС с 1 февраля повышает стоимость архивных тарифов на 10%, сообщила компания.", "other"),
])
def test_intents_of_hard_cases(text: str, intent: str) -> None:
    assert classify_intent(text, MILD) == intent, text


def test_each_brand_of_a_post_is_judged_on_its_own_part() -> None:
    text = "Сбербанк заблокировал карту и списал деньги, а МТС молодцы"
    sber, mts = (0, 8), (text.index("МТС"), text.index("МТС") + 3)
    assert own_part(text, mts, [sber]) == "МТС молодцы"
    assert judge_mention(text, NEG, target=sber, others=[mts], group="banks").intent == "problem"
    assert judge_mention(text, NEG, target=mts, others=[sber], group="telecom").intent == "thanks"
    assert own_part(text, sber, []) == text


def test_analyze_rows_carry_intent_urgency_urgent_and_aspects(tmp_path: Path) -> None:
    rows = [{"id": 1, "text": "Сбер заблокировал карту по 115-ФЗ, зарплата на ней, верните доступ к деньгам!",
             "brand": "Сбербанк"},
            {"id": 2, "text": "Подскажите, как в МТС перенести номер с сохранением номера? Заранее спасибо."}]
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    env = {"MOLVA_ALERTS__URGENCY_THRESHOLD": "0.5"}
    result = CliRunner(env=env).invoke(main, ["analyze", str(src), "-o", str(out)])
    assert result.exit_code == 0, result.output
    first, second = (json.loads(line) for line in out.read_text(encoding="utf-8").splitlines())
    sber = first["brands"][0]
    assert sber["intent"] == "problem" and sber["urgent"] is True and 0.5 <= sber["urgency"] <= 1.0
    assert "card_blocked" in sber["reasons"] and sber["aspects"][0] == "cards"
    assert {k: first[k] for k in ("intent", "urgency", "urgent", "aspects")} == {
        k: sber[k] for k in ("intent", "urgency", "urgent", "aspects")}
    mts = second["brands"][0]
    assert mts["intent"] == "question" and mts["urgent"] is False and mts["aspects"][0] == "sim"
    # the urgent flag follows the configured alert threshold
    strict = CliRunner(env={"MOLVA_ALERTS__URGENCY_THRESHOLD": "1.0"}).invoke(
        main, ["analyze", str(src), "-o", str(out)])
    assert strict.exit_code == 0, strict.output
    again = json.loads(out.read_text(encoding="utf-8").splitlines()[0])["brands"][0]
    assert again["urgency"] == sber["urgency"] and (again["urgent"] is (sber["urgency"] >= 1.0))


def test_classify_stores_aspects_and_the_resolved_reason(session: Session, shipped_model: SentimentModel) -> None:
    from classifier.scoring import classify_pending
    from molva.models import BrandMention, Mention, Source

    now = datetime(2025, 3, 1, 12, tzinfo=UTC)
    src = Source(name="test-aspects", kind="telegram")
    session.add(src)
    session.flush()
    texts = ["Банкомат Сбербанка съел карту и не выдал 5000, в отделении сказали ждать 10 дней",
             "Билайн сообщил, что связь в Подмосковье восстановлена, проблема устранена."]
    stored = []
    for n, text in enumerate(texts):
        m = Mention(source_id=src.id, kind="telegram", external_id=f"a{n}", url=f"https://t.me/x/{n}",
                    canonical_url=f"https://t.me/x/{n}", text=text, published_at=now, content_hash=f"aspects-{n}")
        session.add(m)
        session.flush()
        brand = "Сбербанк" if n == 0 else "Билайн"
        start = text.index(brand[:5])
        bm = BrandMention(mention_id=m.id, brand=brand, alias=brand, span_start=start, span_end=start + len(brand),
                          published_at=now)
        session.add(bm)
        stored.append(bm)
    session.flush()
    classify_pending(session, shipped_model, limit=10, now=now)
    atm, fixed = stored
    assert atm.aspects and atm.aspects[0] == "atm_offices" and atm.intent == "problem"
    assert fixed.aspects and fixed.aspects[0] == "coverage"
    assert fixed.urgency_reasons is not None and "resolved" in fixed.urgency_reasons
    assert fixed.urgency is not None and fixed.urgency < 0.3 and fixed.intent == "other"


def test_every_reason_the_classifier_writes_has_a_russian_name() -> None:
    from classifier.urgency import SIGNALS
    from molva.reasons import DAMPERS, REASON_NAMES, reason_name

    written = set(SIGNALS) | {"negative", "complaint", "intensity", "high_reach", "engagement"} | DAMPERS
    assert written <= set(REASON_NAMES)
    assert reason_name("resolved") == "проблема уже решена" and reason_name("unknown_code") == "unknown_code"
