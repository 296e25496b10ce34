"""Alert rules: which classified mentions reach the outbox, once, and when."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sim_rows import add_post
from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.rules import enqueue_alerts, parse_quiet_hours, quiet_until, rule_for
from molva.models import AlertOutbox
from molva.settings import AlertsSettings, BrandAlertRule
from tests.alerts.clock import NOW

COMPLAINT = "Сбербанк, верните деньги! Списали 15 000 ₽ за страховку, которую я не оформляла. Иду в ЦБ."


def _outbox(session: Session) -> list[AlertOutbox]:
    return list(session.scalars(select(AlertOutbox).order_by(AlertOutbox.id)))


def test_urgent_complaint_is_enqueued_once(session: Session) -> None:
    bm = add_post(session, COMPLAINT, "Сбербанк", NOW - timedelta(minutes=5))
    calm = add_post(
        session,
        "Сбербанк, подскажите график работы отделения на Тверской",
        "Сбербанк",
        NOW,
        sentiment="neutral",
        intent="question",
        urgency=0.1,
    )
    settings = AlertsSettings()
    assert enqueue_alerts(session, [bm, calm], settings, NOW) == 1
    assert enqueue_alerts(session, [bm, calm], settings, NOW) == 0  # classified again: nothing new
    (row,) = _outbox(session)
    assert (row.kind, row.adapter, row.brand, row.status) == ("topic", "builtin", "Сбербанк", "pending")
    assert row.brand_mention_id == bm.id and row.idempotency_key == f"topic:bm:{bm.id}"
    assert row.next_attempt_at.replace(tzinfo=UTC) == NOW
    assert any("срочность" in r for r in row.payload["rule"])


def test_rules_filter_by_intent_source_official_and_brand(session: Session) -> None:
    idea = add_post(
        session, "МТС, сделайте уже нормальный тёмный режим, глаза болят", "МТС", NOW, intent="idea"
    )
    review = add_post(
        session, "Т-Банк заблокировал карту, зарплата зависла, срочно!", "Т-Банк", NOW, kind="reviews"
    )
    official = add_post(
        session,
        "Билайн: ведём работы на сети, связь восстановим к 18:00",
        "Билайн",
        NOW,
        official_brand="Билайн",
    )
    unclassified = add_post(session, "ВТБ опять не пускает в приложение, горит платёж", "ВТБ", NOW)
    unclassified.sentiment = None
    muted = add_post(session, "Альфа-Банк списал деньги дважды, верните немедленно", "Альфа-Банк", NOW)
    strict = add_post(
        session, "МегаФон, третий день нет интернета на даче, сколько можно", "МегаФон", NOW, urgency=0.7
    )
    settings = AlertsSettings(
        sources=["vk", "telegram"],
        brands={
            "Альфа-Банк": BrandAlertRule(enabled=False),
            "МегаФон": BrandAlertRule(urgency_threshold=0.8),
        },
    )
    assert enqueue_alerts(session, [idea, review, official, unclassified, muted, strict], settings, NOW) == 0
    relaxed = AlertsSettings(intents=["problem", "idea"])
    assert enqueue_alerts(session, [idea, review, strict], relaxed, NOW) == 3


def test_quiet_hours_delay_but_never_drop(session: Session) -> None:
    night = datetime(2025, 3, 12, 21, 30, tzinfo=UTC)  # 00:30 in Moscow
    bm = add_post(session, COMPLAINT, "Сбербанк", night)
    settings = AlertsSettings(quiet_hours="23:00-08:00")
    assert enqueue_alerts(session, [bm], settings, night) == 1
    (row,) = _outbox(session)
    assert row.next_attempt_at.replace(tzinfo=UTC) == datetime(2025, 3, 13, 5, 0, tzinfo=UTC)  # 08:00 MSK
    assert row.payload["delayed_by_quiet_hours"] is True


def test_quiet_hours_parsing() -> None:
    rule = rule_for(AlertsSettings(quiet_hours="09:00-18:00"), "МТС")
    assert parse_quiet_hours("23:00-08:00") is not None and parse_quiet_hours(None) is None
    assert quiet_until(rule, datetime(2025, 3, 12, 5, 59, tzinfo=UTC)) is None  # 08:59 MSK
    assert quiet_until(rule, datetime(2025, 3, 12, 6, 1, tzinfo=UTC)) == datetime(
        2025, 3, 12, 15, 0, tzinfo=UTC
    )
    assert quiet_until(rule, datetime(2025, 3, 12, 15, 0, tzinfo=UTC)) is None  # 18:00 MSK
