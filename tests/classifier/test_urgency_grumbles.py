"""A complaint is urgent when something is at stake, not because it is long, loud or waited on (issue 10).

Own sentences; the sentiment scores are fixed so that only the rules are tested."""

from __future__ import annotations

import pytest

from classifier.urgency import GRUMBLE_CAP, URGENT_THRESHOLD, urgency_score

ANGRY = {"negative": 0.97, "neutral": 0.02, "positive": 0.01}


def _score(text: str) -> tuple[float, list[str]]:
    return urgency_score(text, ANGRY, "problem")


@pytest.mark.parametrize("text", [
    "Оператор в колл-центре грубил и бросил трубку, звонил 6 раз, сколько можно?! Позор!",
    "Чат-бот отвечает одно и то же уже неделю, до сих пор никто не помог. Ужас!!",
    "Заявку на подключение тарифа приняли в понедельник, прошло пять дней, тишина. Звонил 4 раз.",
])
def test_waiting_and_anger_alone_are_not_urgent(text: str) -> None:
    value, reasons = _score(text)
    assert value <= GRUMBLE_CAP < URGENT_THRESHOLD
    assert "nothing_at_stake" in reasons


def test_demand_for_money_needs_an_amount_not_an_appeal_number() -> None:
    value, reasons = _score("Поддержка молчит, обращение №4455123, писал 5 раз, с 14:30 жду. Верните деньги!")
    assert "money_lost" not in reasons and value < URGENT_THRESHOLD
    value, reasons = _score("Сняли 2 300 ₽ за покупку, которой я не делал. Верните деньги!")
    assert "money_lost" in reasons and value >= URGENT_THRESHOLD


def test_hashtags_are_not_reports() -> None:
    value, reasons = _score("Приложение опять не открывается после обновления #сбой #позор")
    assert "app_only" in reasons and "intensity" not in reasons
    assert value < URGENT_THRESHOLD


def test_disputed_fee_is_billing_unless_money_is_gone() -> None:
    value, reasons = _score("Банк поднял цену на обслуживание карты, теперь списывают 990 руб. в месяц. Верните деньги!")
    assert "fee" in reasons and "money_lost" not in reasons and value < URGENT_THRESHOLD
    value, reasons = _score("Списали 1 500 руб. за подписку, которую я не подключал, на счёте ноль")
    assert "money_lost" in reasons and value >= URGENT_THRESHOLD


def test_duration_does_not_make_an_app_glitch_total_but_extent_does() -> None:
    value, reasons = _score("Третий день мучаюсь: приложение не открывается, вылетает на заставке")
    assert "app_only" in reasons and value < URGENT_THRESHOLD
    value, reasons = _score("Связи нет вообще, ни звонков, ни интернета, третий день")
    assert "no_service" in reasons and "partial_outage" not in reasons and value >= URGENT_THRESHOLD


def test_threat_to_leave_stays_urgent_without_other_signals() -> None:
    value, reasons = _score("Всё, надоело, ухожу к другому оператору")
    assert "threat_to_leave" in reasons and "nothing_at_stake" not in reasons
    assert value >= URGENT_THRESHOLD


def test_cached_signals_are_not_shared_between_callers() -> None:
    """``signals`` is cached per text (a post naming two brands is read once per brand); ``urgency_score`` edits
    the list it gets (a disputed fee drops "money_lost"), so each call must get its own list, and a second
    scoring of the same post must come out the same."""
    from classifier.urgency import signals

    text = "Списали 500 рублей за подписку, которую я не подключал! Верните деньги"
    first = signals(text)
    first.clear()
    assert signals(text) and signals(text) is not signals(text)
    once = urgency_score(text, {"negative": 0.9}, "problem")
    assert urgency_score(text, {"negative": 0.9}, "problem") == once
