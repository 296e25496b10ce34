"""Dispatching to the built-in board: Russian content, grouping of one outage, exactly once."""

from __future__ import annotations

import json
from datetime import timedelta

from click.testing import CliRunner
from sim_rows import add_post
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from alerts.dispatcher import dispatch
from alerts.rules import enqueue_alerts
from molva import board
from molva.models import AlertOutbox, BrandMention, SupportTopic, TopicMention
from molva.settings import Settings
from tests.alerts.clock import NOW

CITIES = ["Казани", "Самаре", "Перми", "Уфе", "Омске", "Томске", "Туле", "Сочи", "Курске", "Твери"]


def _outage_posts(session: Session, count: int) -> list:
    templates = [
        "МТС лежит? Нет связи и интернета в {city} уже час, не могу дозвониться до мамы",
        "У МТС сбой? В {city} нет связи, интернета тоже нет, что происходит",
        "#мтс не работает связь в {city}, ни звонков ни интернета, срочно почините",
    ]
    return [
        add_post(
            session,
            templates[i % 3].format(city=CITIES[i % len(CITIES)]),
            "МТС",
            NOW - timedelta(minutes=90 - i),
            author=f"Абонент {i}",
        )
        for i in range(count)
    ]


def test_outage_becomes_one_topic_and_other_complaints_their_own(
    factory: sessionmaker[Session], settings: Settings
) -> None:
    with factory() as session, session.begin():
        bms = _outage_posts(session, 50)
        bms.append(
            add_post(
                session,
                "МТС списали 499 ₽ за подписку, которую я не подключал! Верните деньги",
                "МТС",
                NOW - timedelta(minutes=20),
                author="Игорь Лебедев",
            )
        )
        bms.append(
            add_post(
                session,
                "Сбербанк заблокировал карту без объяснений, на ней вся зарплата",
                "Сбербанк",
                NOW - timedelta(minutes=10),
                author="Ольга Орлова",
                reasons=["блокировка карты", "деньги недоступны"],
            )
        )
        assert enqueue_alerts(session, bms, settings.alerts, NOW) == 52
    result = dispatch(factory, settings, now=NOW)
    assert (result.processed, result.topics_created, result.linked, result.failed) == (52, 3, 49, 0)
    again = dispatch(factory, settings, now=NOW + timedelta(hours=1))
    assert (again.processed, again.topics_created) == (0, 0)
    with factory() as session:
        topics = board.list_topics(session)
        assert len(topics) == 3
        by_size = sorted(topics, key=lambda t: -t.mention_count)
        assert [t.mention_count for t in by_size] == [50, 1, 1]
        assert session.scalar(select(func.count()).select_from(TopicMention)) == 52
        assert all(r.status == "sent" for r in session.scalars(select(AlertOutbox)))
        sber = next(t for t in topics if t.brand == "Сбербанк")
        detail = board.get_topic(session, sber.id)
        assert detail is not None
        assert sber.title.startswith("Сбербанк · Проблема · Сбербанк заблокировал карту")
        assert (sber.type, sber.status, sber.assignee) == ("problem", "new", "Дежурная смена поддержки")
        assert sber.due_at == NOW + timedelta(days=1)
        for expected in (
            "Что случилось",
            "Ольга Орлова",
            sber.mention_urls[0],
            "негативная",
            "Срочность",
            "блокировка карты",
            "вся зарплата",
        ):
            assert expected in detail.body


def test_question_gets_its_category_owner(factory: sessionmaker[Session], settings: Settings) -> None:
    with factory() as session, session.begin():
        bm = add_post(
            session,
            "Тинькофф, как срочно перевыпустить карту за границей? Улетаю завтра",
            "Т-Банк",
            NOW,
            intent="question",
            sentiment="neutral",
            urgency=0.8,
        )
        enqueue_alerts(session, [bm], settings.alerts, NOW)
    dispatch(factory, settings, now=NOW)
    with factory() as session:
        (topic,) = session.scalars(select(SupportTopic)).all()
        assert (topic.type, topic.assignee) == ("question", "Линия консультаций")
        assert topic.title.startswith("Т-Банк · Вопрос · Тинькофф, как срочно перевыпустить карту")


def test_cli_lists_topics_and_outbox(
    db_url: str, factory: sessionmaker[Session], settings: Settings, monkeypatch
) -> None:
    from molva.cli import main

    with factory() as session, session.begin():
        bm = add_post(
            session, "Билайн, второй день нет интернета в Перми, работаю из дома, помогите", "Билайн", NOW
        )
        enqueue_alerts(session, [bm], settings.alerts, NOW)
        url = bm.mention.url
    monkeypatch.setenv("MOLVA_DATABASE_URL", db_url)
    runner = CliRunner()
    listed = runner.invoke(main, ["alerts", "list", "--status", "pending"])
    assert listed.exit_code == 0 and "в очереди" in listed.output and "pending" not in listed.output
    done = runner.invoke(main, ["alerts", "dispatch"])
    assert done.exit_code == 0, done.output
    assert "новых тем: 1" in done.output and "Осталось в очереди: 0" in done.output
    out = runner.invoke(main, ["topics", "--json"])
    assert out.exit_code == 0, out.output
    (topic,) = json.loads(out.output)["topics"]
    assert topic["adapter"] == "builtin" and topic["brand"] == "Билайн" and topic["status"] == "new"
    assert topic["mention_urls"] == [url]
    bad = runner.invoke(main, ["alerts", "retry"])
    assert bad.exit_code == 1 and "--all-failed" in bad.output
    # a brand by any of its names; an unknown brand, status or adapter is a usage error, not "Тем нет."
    by_alias = runner.invoke(main, ["topics", "--brand", "beeline"])
    assert by_alias.exit_code == 0 and "Билайн" in by_alias.output and "Тем нет" not in by_alias.output
    assert f"пост: {url}" in by_alias.output  # the original post, to open it
    for args in (["--brand", "Пчёлка"], ["--status", "banana"], ["--adapter", "discource"], ["--limit", "0"]):
        wrong = runner.invoke(main, ["topics", *args])
        assert wrong.exit_code == 2, (args, wrong.output)
    assert "неизвестный бренд: Пчёлка" in runner.invoke(main, ["report", "--brand", "Пчёлка"]).output


def test_copies_of_one_post_share_a_topic_whichever_is_handled_first(
    factory: sessionmaker[Session], settings: Settings
) -> None:
    """A repost crawled before its original (hours apart, past the grouping window), and a second repost of the
    same original, join the first copy's topic."""
    text = "Промсвязьбанк, приложение сняло деньги дважды за одну покупку, верните 4 000 ₽"
    with factory() as session, session.begin():
        original = add_post(session, text, "Промсвязьбанк", NOW - timedelta(hours=19), author="Ирина")
        repost = add_post(session, "Репост: " + text, "Промсвязьбанк", NOW, author="Паблик жалоб",
                          near_duplicate_of=original.mention_id)
        enqueue_alerts(session, [repost], settings.alerts, NOW)
    assert dispatch(factory, settings, now=NOW).topics_created == 1
    with factory() as session, session.begin():
        second = add_post(session, "Ещё репост: " + text, "Промсвязьбанк", NOW + timedelta(hours=2),
                          author="Другой паблик", near_duplicate_of=original.mention_id)
        originals = session.scalars(select(BrandMention).where(
            BrandMention.id.in_([original.id, second.id]))).all()
        enqueue_alerts(session, list(originals), settings.alerts, NOW + timedelta(hours=2))
    later = dispatch(factory, settings, now=NOW + timedelta(hours=2))
    assert (later.topics_created, later.linked) == (0, 2)
    with factory() as session:
        (topic,) = board.list_topics(session)
        assert topic.mention_count == 3
