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


def test_check_set_floors(shipped_model: SentimentModel) -> None:
    rows = [json.loads(line) for line in SET.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(rows) >= 300
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
