"""SIGKILL the dispatcher at random moments while it creates Discourse topics; restart it.

``molva alerts dispatch`` runs in a subprocess against a real SQLite file and the fake Discourse served
from this process. The fake holds every successful answer for a while after the topic exists, so many
kills land between the HTTP call and the database commit. Afterwards: every alert sent, every post linked
to exactly one topic, and every Discourse topic recorded exactly once (no duplicate, none missing).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from sim_rows import add_post
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from alerts.rules import enqueue_alerts
from molva.models import AlertOutbox, SupportTopic, TopicMention
from molva.settings import load_settings
from simulator.discourse import FakeDiscourse
from tests.alerts.clock import NOW
from tests.waiting import GENEROUS

COMPLAINTS = [
    "заблокировали карту без объяснений, на ней вся зарплата",
    "списали {n} ₽ за подписку, которую я не подключал, верните деньги",
    "не проходит перевод по СБП уже {n} минут, оплатить аренду не могу",
    "приложение выкидывает при входе, код из смс не приходит",
    "в отделении на Ленина очередь {n} человек, работает одно окно",
    "нет интернета третий день, техподдержка обещает перезвонить и молчит",
]
BRANDS = ["Сбербанк", "ВТБ", "Т-Банк", "Альфа-Банк", "МТС", "Билайн"]
MOLVA = str(Path(sys.executable).with_name("molva"))


def _seed(factory: sessionmaker[Session]) -> int:
    rng = random.Random(5)
    settings = load_settings()
    with factory() as session, session.begin():
        bms = []
        for i in range(30):
            brand = BRANDS[i % len(BRANDS)]
            text = (
                f"{brand}, {COMPLAINTS[(i // len(BRANDS)) % len(COMPLAINTS)].format(n=rng.randint(3, 900))}"
            )
            bms.append(add_post(session, text, brand, NOW - timedelta(minutes=i), author=f"Клиент {i}"))
        return enqueue_alerts(session, bms, settings.alerts, NOW)


def _start(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [MOLVA, "alerts", "dispatch"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


def test_sigkill_at_random_moments_never_duplicates_or_loses(
    db_url: str, factory: sessionmaker[Session]
) -> None:
    alerts = _seed(factory)
    assert alerts == 30
    rng = random.Random(20250312)
    with FakeDiscourse(api_key="k", api_username="molva", delay=0.01, delay_after_create=0.12) as forum:
        env = {
            **os.environ,
            "MOLVA_DATABASE_URL": db_url,
            "MOLVA_DISCOURSE_URL": forum.url,
            "MOLVA_DISCOURSE_API_KEY": "k",
            "MOLVA_DISCOURSE_API_USERNAME": "molva",
            "MOLVA_ALERTS__ADAPTER": "discourse",
        }
        kills = unrecorded_at_kill = 0
        for _ in range(8):
            before = len(forum.requests)
            proc = _start(env)
            limit = time.monotonic() + GENEROUS  # wait for the first request, however slow the machine
            while len(forum.requests) == before and proc.poll() is None and time.monotonic() < limit:
                time.sleep(0.01)
            if proc.poll() is not None:  # nothing left to do
                break
            time.sleep(rng.uniform(0.0, 0.4))
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=GENEROUS)
            kills += 1
            with factory() as session:
                recorded = session.scalar(select(func.count()).select_from(SupportTopic)) or 0
            unrecorded_at_kill += int(len(forum.topics) > recorded)
        final = _start(env)
        _, err = final.communicate(timeout=GENEROUS)
        assert final.returncode == 0, err.decode()

        assert kills >= 5
        assert unrecorded_at_kill >= 1, (
            "no kill landed between the POST and the commit; the test proved nothing"
        )
        remote = forum.by_external_id()
        assert all(len(topics) == 1 for topics in remote.values()), "a topic was created twice in Discourse"
        assert len(remote) == len(forum.topics)
        with factory() as session:
            assert session.scalar(select(func.count()).where(AlertOutbox.status != "sent")) == 0
            local = {t.external_id: t for t in session.scalars(select(SupportTopic))}
            assert set(local) == set(remote), "Discourse and the database disagree"
            for external_id, topic in local.items():
                assert topic.remote_id == str(remote[external_id][0].id)
            per_mention = session.execute(
                select(TopicMention.mention_id, func.count(TopicMention.topic_id)).group_by(
                    TopicMention.mention_id
                )
            ).all()
            assert len(per_mention) == 30 and all(n == 1 for _, n in per_mention)
    print(f"kills={kills} unrecorded_at_kill={unrecorded_at_kill} topics={len(remote)}")
