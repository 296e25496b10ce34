"""Topics a support lead can work from: owner per aspect, answer-by time in the configured zone, a title that
says brand · aspect · gist, Russian reasons, no topic for a fixed problem, and a dispatch that drains the queue."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sim_rows import add_post
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from alerts.content import reason_text
from alerts.dispatcher import dispatch
from alerts.gist import gist
from alerts.rules import enqueue_alerts, reports_fixed
from molva import board
from molva.models import AlertOutbox, BrandMention, SupportTopic
from molva.settings import BrandAlertRule, Settings
from tests.alerts.clock import NOW

NAMES = ("Билайн", "Сбербанк", "МТС", "Т-Банк", "Тинькофф")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Третий день мучаюсь. Билайн не работает, нет связи в Казани", "Билайн не работает, нет связи в Казани"),
        ("Добрый день! Сбербанк списал 499 ₽ два раза за одну покупку.", "Сбербанк списал 499 ₽ два раза"),
        ("Помогите! Заблокировали карту на кассе, стою с продуктами", "Заблокировали карту на кассе"),
        ("Здравствуйте! Не приходит перевод по СБП уже третий час", "Не приходит перевод по СБП"),
        ("Люди, МТС лежит? Нет связи и интернета с утра", "Нет связи и интернета с утра"),
        ("Это вообще нормально? Доброе утро, называется. Приложение вылетает при входе",
         "Приложение вылетает при входе"),
        ("Ну всё, приехали. Пропали 15 000 ₽ после перевода", "Пропали 15 000 ₽ после перевода"),
        ("Ребят, кто сталкивался? Списали комиссию за обслуживание карты", "Списали комиссию за обслуживание"),
        ("Пишу уже от безысходности. Третью неделю не могу закрыть вклад", "Третью неделю не могу закрыть вклад"),
        ("Пишет подписчик: у Билайна сбой? Нет связи с 10:00, Москва 😡 #нетсвязи", "Нет связи с 10:00"),
        ("Доброго времени суток. Хочу оставить отзыв о ситуации. В отделении отказались принять платёж",
         "В отделении отказались принять платёж"),
        ("Уважаемые представители банка! Пишу по поводу обращения. Кредитку так и не закрыли",
         "Кредитку так и не закрыли"),
        ("Всем привет. Подскажите, как перевести деньги за границу?", "Как перевести деньги за границу"),
        ("Сбербанк, верните деньги! Сколько можно?", "Верните деньги"),
        ("Слушайте, опять не ловит сеть в метро. Ужас!!!", "Опять не ловит сеть в метро"),
        ("Привет! Второй день жду. Домашний интернет отключили без предупреждения",
         "Домашний интернет отключили без предупреждения"),
        ("Копирую с чужой стены: Двойное списание 4999 руб. в Райфе, поддержка молчит",
         "Двойное списание 4999 руб. в Райфе"),
        ("+1, у меня то же самое. Ну всё, приехали. Уралсиб опять заблокировал карту", "Уралсиб опять заблокировал"),
        ("Подписчик пишет: Слушайте, у Beeline глобальный сбой, ничего не работает", "У Beeline глобальный сбой"),
    ],
)
def test_gist_skips_filler_openers(text: str, expected: str) -> None:
    found = gist(text, 80, NAMES)
    assert found.startswith(expected), found
    assert not re.match(r"(?i)(третий день|добрый|помогите|здравствуйте|люди|это вообще|ну всё|ребят|пишу)", found)


def test_gist_is_short_and_empty_for_pure_filler() -> None:
    long = "Добрый день. " + "Не могу войти в приложение банка, пишет ошибку сервера и просит повторить позже " * 3
    short = gist(long, 60, NAMES)
    assert len(short) <= 60 and short.endswith("…") and short.startswith("Не могу войти в приложение")
    assert gist("Помогите! Ужас!!! Сколько можно?", 80) == ""
    assert gist("https://t.me/x/1 #мтс 😡", 80) == ""


@pytest.mark.parametrize(
    ("text", "fixed"),
    [
        ("Билайн: проблема устранена, связь восстановлена во всех районах", True),
        ("Спасибо, всё починили за час!", True),
        ("Приложение уже заработало, отбой", True),
        ("МТС сообщает: сбой устранён", True),
        ("Второй день не починили связь", False),
        ("Обещали, что всё починили, но опять нет связи", False),
        ("Не работает приложение третий час", False),
    ],
)
def test_reports_fixed(text: str, fixed: bool) -> None:
    assert reports_fixed(text) is fixed


def test_no_topic_for_a_post_that_reports_the_problem_fixed(session: Session, settings: Settings) -> None:
    by_code = add_post(session, "Билайн, связь вернулась, спасибо", "Билайн", NOW, reasons=["negative", "resolved"])
    by_text = add_post(session, "Сбербанк: проблема устранена, переводы проходят", "Сбербанк", NOW)
    broken = add_post(session, "МТС до сих пор не починили интернет в Туле", "МТС", NOW)
    assert enqueue_alerts(session, [by_code, by_text, broken], settings.alerts, NOW) == 1
    (row,) = session.scalars(select(AlertOutbox)).all()
    assert row.brand_mention_id == broken.id


def _with_aspects(bm: BrandMention, *aspects: str) -> BrandMention:
    bm.aspects = list(aspects)
    return bm


def test_owner_per_aspect_deadline_title_and_reasons(
    factory: sessionmaker[Session], settings: Settings
) -> None:
    settings.alerts.owners = {"coverage": "Ирина Волкова (сеть)", "cards": "Павел Ким (карты)"}
    settings.alerts.brands = {"Сбербанк": BrandAlertRule(owners={"cards": "Мария Лис (карты Сбера)"})}
    settings.alerts.timezone = "Asia/Yekaterinburg"
    friday_evening = datetime(2025, 3, 14, 14, 30, tzinfo=UTC)  # 19:30 in Yekaterinburg
    with factory() as session, session.begin():
        rows = [
            _with_aspects(
                add_post(session, "Третий день мучаюсь. Билайн не работает, нет связи в Перми", "Билайн",
                         friday_evening, reasons=["negative", "complaint", "no_service", "long_wait"]),
                "coverage", "support",
            ),
            _with_aspects(
                add_post(session, "Добрый день! Сбербанк заблокировал карту, а мне платить за квартиру",
                         "Сбербанк", friday_evening, reasons=["negative", "complaint", "card_blocked"]),
                "cards",
            ),
            _with_aspects(
                add_post(session, "Помогите! ВТБ списал комиссию за перевод самому себе", "ВТБ", friday_evening,
                         reasons=["negative", "complaint", "money_lost"]),
                "fees",
            ),
            add_post(session, "Т-Банк, как закрыть вклад досрочно без потери процентов?", "Т-Банк",
                     friday_evening, intent="question", sentiment="neutral", reasons=["deadline"]),
        ]
        enqueue_alerts(session, rows, settings.alerts, friday_evening)
    dispatch(factory, settings, now=friday_evening)
    with factory() as session:
        topics = {t.brand: t for t in session.scalars(select(SupportTopic))}
        beeline, sber, vtb, tbank = topics["Билайн"], topics["Сбербанк"], topics["ВТБ"], topics["Т-Банк"]
        assert beeline.assignee == "Ирина Волкова (сеть)"
        assert sber.assignee == "Мария Лис (карты Сбера)"  # the brand's own owner wins
        assert vtb.assignee == "Дежурная смена поддержки"  # no owner for "fees": the type's assignee
        assert tbank.assignee == "Линия консультаций"
        assert beeline.title == "Билайн · Покрытие и качество связи · Билайн не работает, нет связи в Перми"
        assert sber.title.startswith("Сбербанк · Карты · Сбербанк заблокировал карту")
        assert vtb.title.startswith("ВТБ · Комиссии и тарифы · ВТБ списал комиссию")
        assert tbank.title == "Т-Банк · Вопрос · Как закрыть вклад досрочно без потери процентов?"
        # Friday 19:30 local, after working hours: the clock starts Monday 09:00 -> Tuesday 09:00 local (04:00 UTC)
        assert board.as_utc(beeline.due_at) == datetime(2025, 3, 18, 4, 0, tzinfo=UTC)
        assert "Ответить до:** 18.03.2025 09:00 (Asia/Yekaterinburg)" in beeline.body
        assert "Ответственный:** Ирина Волкова (сеть)" in beeline.body
        why = next(line for line in beeline.body.splitlines() if "Почему отмечено" in line)
        assert "негативная тональность; жалоба; не работает сервис или связь; долгое ожидание" in why
        assert not re.search(r"\b[a-z_]{3,}\b", why), why  # no English codes


def test_reason_text_keeps_russian_reasons_and_drops_unknown_codes(session: Session) -> None:
    bm = add_post(session, "Сбербанк не работает", "Сбербанк", NOW, reasons=["some_new_code", "блокировка карты"])
    assert reason_text(bm) == "негативная тональность; жалоба; блокировка карты"


def test_dispatch_drains_every_batch_unless_limited(
    db_url: str, factory: sessionmaker[Session], settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.alerts.batch_size = 7
    cities = ["Казани", "Самаре", "Перми", "Уфе", "Омске", "Томске", "Туле", "Сочи", "Курске", "Твери"]
    problems = ["нет связи", "не работает приложение", "списали деньги дважды"]
    with factory() as session, session.begin():
        rows = [
            add_post(session, f"{brand}: {problem} в {city}", brand, NOW - timedelta(minutes=i))
            for i, (brand, problem, city) in enumerate(
                (b, p, c) for b in ("МТС", "Билайн") for p in problems for c in cities[:5]
            )
        ]
        assert enqueue_alerts(session, rows, settings.alerts, NOW) == 30
    limited = dispatch(factory, settings, now=NOW, limit=10)
    assert limited.processed == 10 and (limited.remaining, limited.waiting) == (20, 0)
    full = dispatch(factory, settings, now=NOW)
    assert full.processed == 20 and full.remaining == 0
    assert dispatch(factory, settings, now=NOW + timedelta(hours=1)).processed == 0
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(AlertOutbox).where(AlertOutbox.status == "sent")) == 30
    monkeypatch.setenv("MOLVA_DATABASE_URL", db_url)
    out = CliRunner().invoke(__import__("molva.cli", fromlist=["main"]).main, ["alerts", "dispatch"])
    assert out.exit_code == 0 and "Обработано: 0" in out.output and "Осталось в очереди: 0" in out.output


def test_title_uses_the_configured_aspect_name(
    factory: sessionmaker[Session], settings: Settings, tmp_path: Path
) -> None:
    catalog = tmp_path / "brands.toml"
    catalog.write_text(
        '[aspects.telecom.esim]\nname = "eSIM и цифровые сим-карты"\nkeywords = ["esim", "есим"]\n',
        encoding="utf-8",
    )
    settings.catalog_path = catalog
    with factory() as session, session.begin():
        bm = _with_aspects(add_post(session, "МТС: eSIM не активируется третий день", "МТС", NOW), "esim")
        enqueue_alerts(session, [bm], settings.alerts, NOW)
    dispatch(factory, settings, now=NOW)
    with factory() as session:
        (topic,) = session.scalars(select(SupportTopic)).all()
        assert topic.title == "МТС · eSIM и цифровые сим-карты · eSIM не активируется третий день"
