"""Intent and urgency rules against the hand-written check set tests/data/intent_urgency_set.jsonl."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from classifier.inference import SentimentModel
from classifier.intent import INTENTS, classify_intent
from classifier.urgency import URGENT_THRESHOLD, urgency_score

SET = Path(__file__).resolve().parents[1] / "data" / "intent_urgency_set.jsonl"


def _prf(pairs: list[tuple[bool, bool]]) -> tuple[float, float]:
    tp = sum(1 for g, p in pairs if g and p)
    fp = sum(1 for g, p in pairs if not g and p)
    fn = sum(1 for g, p in pairs if g and not p)
    return tp / (tp + fp), tp / (tp + fn)


def _rows(split: str | None = None) -> list[dict]:
    rows = [json.loads(line) for line in SET.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in rows if split is None or r.get("split", "old") == split]


def test_check_set_floors(shipped_model: SentimentModel) -> None:
    rows = _rows()
    assert len(rows) >= 400
    assert {r["intent"] for r in rows} == set(INTENTS)
    scores = shipped_model.predict([r["text"] for r in rows], [None] * len(rows))
    problem, urgent, correct = [], [], 0
    for row, sc in zip(rows, scores, strict=True):
        intent = classify_intent(row["text"], sc)
        assert intent in INTENTS
        value, reasons = urgency_score(row["text"], sc, intent)
        assert 0.0 <= value <= 1.0 and isinstance(reasons, list)
        problem.append((row["intent"] == "problem", intent == "problem"))
        urgent.append((bool(row["urgent"]), value >= URGENT_THRESHOLD))
        correct += intent == row["intent"]
    p_prec, p_rec = _prf(problem)
    u_prec, u_rec = _prf(urgent)
    assert p_prec >= 0.85 and p_rec >= 0.85, (p_prec, p_rec)
    assert u_prec >= 0.8 and u_rec >= 0.8, (u_prec, u_rec)
    assert correct / len(rows) >= 0.8


def test_reasons_and_modifiers() -> None:
    text = "Сбербанк заблокировал карту и списал деньги, это мошенничество, ухожу в другой банк"
    neg = {"negative": 0.9, "neutral": 0.05, "positive": 0.05}
    now = datetime(2025, 1, 10, tzinfo=UTC)
    fresh, reasons = urgency_score(text, neg, "problem", 50_000, 300, now - timedelta(hours=1), now)
    for code in ("card_blocked", "money_lost", "fraud", "threat_to_leave", "high_reach", "engagement"):
        assert code in reasons
    old, old_reasons = urgency_score(text, neg, "problem", 50_000, 300, now - timedelta(days=10), now)
    assert "old" in old_reasons and old < fresh
    calm, _ = urgency_score("Открыл вклад в ВТБ", {"negative": 0.02, "neutral": 0.9, "positive": 0.08}, "other")
    assert calm < URGENT_THRESHOLD


def test_intents_of_clear_cases() -> None:
    assert classify_intent("Подскажите, как поменять тариф в МТС?") == "question"
    assert classify_intent("Спасибо Билайн, быстро всё починили!") == "thanks"
    assert classify_intent("Было бы здорово, если бы ВТБ добавил тёмную тему") == "idea"
    assert classify_intent("Сбербанк списал деньги и не возвращает, верните!") == "problem"
    assert classify_intent("Сбербанк открыл офис в Казани") == "other"


def test_holdout_floors(shipped_model: SentimentModel) -> None:
    """The held-out rows (written before the rules were tuned) keep problem and urgent usable."""
    rows = _rows("holdout")
    assert len(rows) >= 100
    scores = shipped_model.predict([r["text"] for r in rows], [None] * len(rows))
    problem, urgent = [], []
    for row, sc in zip(rows, scores, strict=True):
        intent = classify_intent(row["text"], sc)
        value, _ = urgency_score(row["text"], sc, intent)
        problem.append((row["intent"] == "problem", intent == "problem"))
        urgent.append((bool(row["urgent"]), value >= URGENT_THRESHOLD))
    p_prec, p_rec = _prf(problem)
    u_prec, u_rec = _prf(urgent)
    assert p_prec >= 0.85 and p_rec >= 0.8, (p_prec, p_rec)
    assert u_prec >= 0.85 and u_rec >= 0.85, (u_prec, u_rec)


MILD = {"negative": 0.3, "neutral": 0.6, "positive": 0.1}


def test_strong_signal_is_urgent_with_moderate_negativity() -> None:
    for text in (
        "Со счёта в ВТБ ушло 12 тысяч, я ничего не подтверждал",
        "Звонили якобы из Сбербанка, увели 3000 рублей",
        "МТС заморозили сим-карту, доступ к банку пропал",
        "Ростелеком, ни связи ни интернета с утра",
    ):
        intent = classify_intent(text, MILD)
        value, reasons = urgency_score(text, MILD, intent)
        assert intent == "problem" and value >= URGENT_THRESHOLD, (text, intent, value, reasons)


def test_negation_and_hypotheticals_are_not_urgent() -> None:
    for text in (
        "Оплатил МегаФоном парковку, комиссию не списали, удобно",
        "Как защититься от мошенников, которые звонят от имени ВТБ?",
        "Боялась, что заблокируют карту, но в Альфе всё прошло спокойно",
        "Ставка ЦБ не изменилась, Райффайзенбанк держит условия",
        "Перешёл в Т-Банк полгода назад, пока всё устраивает",
    ):
        intent = classify_intent(text, MILD)
        value, reasons = urgency_score(text, MILD, intent)
        assert value < URGENT_THRESHOLD, (text, intent, value, reasons)


def test_brand_switched_to_is_not_the_complaint() -> None:
    text = "МегаФон третий день без связи, ухожу к МТС"
    neg = {"negative": 0.8, "neutral": 0.15, "positive": 0.05}
    left, to = (0, 7), (text.index("МТС"), text.index("МТС") + 3)
    value, _ = urgency_score(text, neg, classify_intent(text, neg, left), target=left)
    assert value >= URGENT_THRESHOLD
    assert classify_intent(text, neg, to) == "other"
    value, reasons = urgency_score(text, neg, "other", target=to)
    assert value < URGENT_THRESHOLD and "switch_target" in reasons
