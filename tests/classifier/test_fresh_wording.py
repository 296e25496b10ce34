"""Intent and urgency cues that carry over to new wording (issue 10, the fresh batch of 2026-11-30).

Own sentences, none from the labelled sets; the sentiment scores are fixed so that only the rules are tested.
Each case exercises one general cue: a speech act (suggestion, thanks), a question that reports the author's
own failure, a lemma rule that holds for any person or word order, or a damper."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from classifier.intent import INTENTS, classify_intent, is_resolved
from classifier.urgency import URGENT_THRESHOLD, urgency_score
from molva.aspects import DEFAULT_ASPECTS
from molva.catalog import load_catalog

NEUTRAL = {"negative": 0.1, "neutral": 0.8, "positive": 0.1}
ANGRY = {"negative": 0.95, "neutral": 0.04, "positive": 0.01}
FRESH = Path(__file__).resolve().parents[1] / "data" / "support_posts_fresh.jsonl"


@pytest.mark.parametrize("text", [
    "Банк, как насчёт вклада с ежемесячной выплатой процентов на карту?",  # "как насчёт" proposes, not asks
    "Оператор, давайте пакет минут для звонков родителям за границу",  # hortative "давайте"
    "Пусть в приложении появится раздел с чеками за год, удобно для налогового вычета",  # jussive "пусть"
    "Честно мечтаю о том, что в офисе когда-нибудь сделают нормальную зону ожидания",  # wishing
    "Логично было бы присылать уведомление за день до списания абонентки",  # evaluation + subjunctive
    "А можно сделать, чтобы остаток трафика переносился на следующий месяц?",  # "можно сделать, чтобы"
])
def test_suggestions_in_new_wording_are_ideas(text: str) -> None:
    assert classify_intent(text, NEUTRAL) == "idea"


@pytest.mark.parametrize("text", [
    "Выражаю признательность сотруднице отделения, терпеливо всё объяснила про ипотеку",
    "Низкий поклон мастеру, который в воскресенье приехал и поменял роутер",
    "Консультанту Ирине моё почтение, карту оформила за десять минут",
    "Оператор связи, вы лучшие, в поездке ни разу не подвели",
])
def test_gratitude_without_the_word_spasibo_is_thanks(text: str) -> None:
    assert classify_intent(text, NEUTRAL) == "thanks"


@pytest.mark.parametrize("text", [
    "Приятно удивлён: кэшбэк пришёл за пару секунд, всё чётко. Так держать!",  # praise, as the simulator labels it
    "Поставил новое приложение, вот это правильно, рекомендую",
])
def test_praise_without_gratitude_stays_other(text: str) -> None:
    assert classify_intent(text, NEUTRAL) == "other"


def test_a_negated_recommendation_is_not_thanks() -> None:
    assert classify_intent("Брал кредит тут, проценты по факту выше, чем в рекламе. Не рекомендую.", NEUTRAL) == "problem"


def test_thanks_for_a_fixed_emergency_are_not_urgent_despite_negative_words() -> None:
    text = "Спасибо банку, вернули деньги, которые украли мошенники, низкий поклон службе безопасности"
    intent = classify_intent(text, ANGRY)
    value, _ = urgency_score(text, ANGRY, intent)
    assert intent == "thanks" and value < URGENT_THRESHOLD


@pytest.mark.parametrize("text", [
    "У вас тоже с обеда нет связи? Мне по работе звонить, а я сижу как дурак",  # is it shared? = it is down
    "Карта вдруг перестала проходить, кто-нибудь знает, как до банка достучаться",  # remedial "how to"
    "Деньги со счёта списали, а я что, теперь как жить буду",
    "У вас банкоматы вообще кто-нибудь проверяет? На вокзале месяц пишут «нет купюр»",  # rhetorical "вообще"
    "Когда вы уже научитесь отвечать на письма? Пишу вам с понедельника",  # rhetorical "when will you learn"
    "Почему абонентка подорожала на сто рублей? Никто не предупредил",  # "why did you raise" = imposed change
])
def test_questions_that_report_the_authors_own_failure_are_problems(text: str) -> None:
    assert classify_intent(text, ANGRY) == "problem"


@pytest.mark.parametrize("text", [
    "Если карту заблокируют в поездке, как её разблокировать из-за границы?",  # supposed, not happened
    "Как связаться с живым оператором, а не с ботом?",
    "Во сколько обойдётся месяц интернета в Грузии",  # a question without "?"
])
def test_how_to_questions_stay_questions(text: str) -> None:
    assert classify_intent(text, NEUTRAL) == "question"


@pytest.mark.parametrize("text", [
    "Что за бред, чтобы поменять телефон в профиле, надо ехать в офис",  # negative evaluation noun
    "Скорость обещана 300, по факту 20 вечером",  # promise against reality
    "Раньше вы были нормальным оператором, а теперь режете скорость на всём",  # better before, worse now
])
def test_grumbles_in_new_wording_are_problems_but_not_urgent(text: str) -> None:
    intent = classify_intent(text, NEUTRAL)
    value, _ = urgency_score(text, NEUTRAL, intent)
    assert intent == "problem" and value < URGENT_THRESHOLD


@pytest.mark.parametrize(("text", "signal"), [
    ("Оператор положил сеть во всём посёлке, такси вызвать не можем, бабушке плохо", "no_service"),  # any person
    ("Домашний инет отвалился, завтра созвон с клиентом", "no_service"),
    ("Оплата картой перестала проходить, я в другом городе", "no_service"),
    ("Банк снова отказал в переводе на мою же карту в другом банке, деньги нужны сегодня", "card_blocked"),
    ("Банкомат не отдал карту, а на ней вся зарплата", "money_lost"),
    ("Оплатил ремонт 80 000, с карты списано, а мастерская ничего не получила", "money_lost"),
    ("Пришёл код для входа с чужого устройства, я его не запрашивала, а потом списание 9 000", "fraud"),
])
def test_lemma_rules_hold_for_any_person_and_word_order(text: str, signal: str) -> None:
    value, reasons = urgency_score(text, ANGRY, "problem")
    assert signal in reasons and value >= URGENT_THRESHOLD


def test_a_payment_due_soon_keeps_an_app_lockout_urgent() -> None:
    text = "Второй день не могу войти в приложение, а платёж по кредиту послезавтра"
    value, reasons = urgency_score(text, ANGRY, "problem")
    assert "deadline" in reasons and "app_only" not in reasons and value >= URGENT_THRESHOLD
    value, reasons = urgency_score("Второй день не могу войти в приложение, неудобно", ANGRY, "problem")
    assert "app_only" in reasons and value < URGENT_THRESHOLD


def test_came_back_to_life_is_resolved() -> None:
    assert is_resolved("Отбой тревоги, приложение само ожило")
    assert not is_resolved("Приложение так и не заработало")


def test_fresh_batch_is_labelled_with_known_codes_and_balanced_halves() -> None:
    rows = [json.loads(line) for line in FRESH.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(rows) >= 120 and len({r["id"] for r in rows}) == len(rows)
    catalog = load_catalog()
    strata: dict[str, Counter[tuple[str, bool]]] = {"dev": Counter(), "heldout": Counter()}
    for row in rows:
        matched = {m.brand for m in catalog.match(row["text"])}
        for label in row["labels"]:
            assert label["brand"] in matched and label["intent"] in INTENTS, row["id"]
            assert label["aspects"] and set(label["aspects"]) <= set(DEFAULT_ASPECTS[label["group"]]), row["id"]
        first = row["labels"][0]
        strata[row["split"]][(first["intent"], first["urgent"])] += 1
    assert set(strata["dev"]) == set(strata["heldout"])
    assert all(abs(strata["dev"][k] - strata["heldout"][k]) <= 1 for k in strata["dev"])


def test_an_outage_total_in_extent_is_urgent_even_when_the_model_is_calm() -> None:
    calm = {"negative": 0.1, "neutral": 0.85, "positive": 0.05}
    value, reasons = urgency_score("Пропала связь по всему городу, ни звонков ни смс", calm, "problem")
    assert "wide_outage" in reasons and value >= URGENT_THRESHOLD
    value, reasons = urgency_score("В метро иногда пропадает связь", calm, "problem")
    assert "wide_outage" not in reasons and value < URGENT_THRESHOLD


@pytest.mark.parametrize(("text", "intent"), [
    ("Ну и сервис, в отделении меня гоняли от окна к окну, цирк какой-то", "problem"),  # negative evaluation
    ("Вы там вообще читаете, что вам пишут?", "problem"),  # "вы там …?" challenges, asks nothing
    ("Стоит ли переводить зарплату на вашу карту ради кэшбэка", "question"),  # interrogative "ли"
    ("На сколько дней можно заморозить номер на время поездки", "question"),
    ("Идея: показывать в приложении, сколько осталось до конца льготного периода", "idea"),
    ("Хочу сказать добрые слова мастеру, который настроил нам роутер", "thanks"),
    ("Поддержке плюсик в карму, разобрались с начислением за пять минут", "thanks"),
])
def test_second_round_cues(text: str, intent: str) -> None:
    assert classify_intent(text, NEUTRAL) == intent


@pytest.mark.parametrize(("text", "signal"), [
    ("Банк закрыл мне доступ к счетам после крупного поступления, сижу без копейки", "card_blocked"),
    ("Прямо сейчас кто-то пытается войти в мой кабинет, приходят коды", "fraud"),
    ("Пришло уведомление, что карта скомпрометирована, а я в командировке и другой карты нет", "card_blocked"),
])
def test_second_round_urgency_signals(text: str, signal: str) -> None:
    value, reasons = urgency_score(text, ANGRY, "problem")
    assert signal in reasons and value >= URGENT_THRESHOLD


POSITIVE = {"negative": 0.05, "neutral": 0.15, "positive": 0.8}


@pytest.mark.parametrize("text, intent", [
    # a problem denied is praise, not complaint evidence
    ("Домашний интернет работает стабильно уже два года, ни одного обрыва. Цена адекватная.", "other"),
    ("Полгода пользуюсь приложением банка без сбоев, всё понятно", "other"),
    ("Оператор ни разу не подвёл за шесть лет, связь везде, где езжу", "other"),
    ("Ни одного ответа за неделю, связи нет", "problem"),  # a missing answer is not a denied problem
    # "хочу предложить" proposes
    ("Хочу предложить банку сделать тёмную тему в веб-версии, глаза болят вечером", "idea"),
    # "интересно" that evaluates asks nothing
    ("Банк поднял ставки по вкладам до 21%, выглядит интересно, думаю переложить часть денег", "other"),
    ("Интересно, а вклад можно пополнять в приложении", "question"),
])
def test_denied_problems_proposals_and_evaluating_interesno(text: str, intent: str) -> None:
    sentiment = ANGRY if intent == "problem" else POSITIVE if intent == "other" else NEUTRAL
    assert classify_intent(text, sentiment) == intent


@pytest.mark.parametrize("text, sentiment, intent", [
    # a praise word that is also a sarcasm cue is earnest without complaint evidence beside it
    ("Обожаю приложение банка, всё под рукой", POSITIVE, "other"),
    ("Гениально сделали новый интерфейс, всё в два клика", POSITIVE, "other"),
    # beside a complaint (or the model's negativity) it is irony
    ("Обожаю свой банк: третий день не могу войти в приложение", POSITIVE, "problem"),
    ("Гениально: интернет работает, только когда я сплю", ANGRY, "problem"),
    # an ironic frame needs no evidence
    ("Спасибо за связь, которой нет", POSITIVE, "problem"),
])
def test_praise_words_are_ironic_only_beside_a_complaint(text: str, sentiment: dict[str, float], intent: str) -> None:
    assert classify_intent(text, sentiment) == intent
