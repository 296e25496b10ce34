"""Which board a topic goes to is decided by the configuration when it is sent (the brand's adapter, else
``alerts.adapter``), not by the adapter stored when the alert was queued nor by MOLVA_DISCOURSE_URL alone;
``molva alerts list`` shows the board actually used once sent."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from click.testing import CliRunner
from sim_rows import add_post
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alerts.dispatcher import dispatch
from alerts.rules import enqueue_alerts
from molva.models import AlertOutbox, SupportTopic
from molva.settings import BrandAlertRule, Settings, load_settings
from simulator.discourse import FakeDiscourse
from tests.alerts.clock import NOW

TEXT = "Билайн, второй день нет интернета в Перми, работаю из дома, помогите срочно"


@pytest.fixture
def forum(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeDiscourse]:
    with FakeDiscourse(api_key="k", api_username="molva") as fake:
        monkeypatch.setenv("MOLVA_DISCOURSE_URL", fake.url)
        monkeypatch.setenv("MOLVA_DISCOURSE_API_KEY", "k")
        monkeypatch.setenv("MOLVA_DISCOURSE_API_USERNAME", "molva")
        yield fake


def _enqueue(factory: sessionmaker[Session], settings: Settings, brand: str = "Билайн") -> None:
    with factory() as session, session.begin():
        bm = add_post(session, TEXT.replace("Билайн", brand), brand, NOW)
        enqueue_alerts(session, [bm], settings.alerts, NOW)


def _sent(factory: sessionmaker[Session]) -> tuple[str, str]:
    with factory() as session:
        row = session.scalars(select(AlertOutbox)).one()
        topic = session.scalars(select(SupportTopic)).one()
        assert row.status == "sent"
        return row.adapter, topic.adapter


def test_discourse_url_alone_does_not_override_builtin(
    factory: sessionmaker[Session], forum: FakeDiscourse
) -> None:
    settings = load_settings()
    assert settings.alerts.adapter == "builtin"
    _enqueue(factory, settings)
    assert dispatch(factory, settings, now=NOW).topics_created == 1
    assert _sent(factory) == ("builtin", "builtin") and forum.requests == []


def test_adapter_configured_at_dispatch_decides_and_is_listed(
    db_url: str, factory: sessionmaker[Session], forum: FakeDiscourse, monkeypatch: pytest.MonkeyPatch
) -> None:
    from molva.cli import main

    _enqueue(factory, load_settings())  # queued while the board was the built-in one
    with factory() as session:
        assert session.scalars(select(AlertOutbox.adapter)).one() == "builtin"
    monkeypatch.setenv("MOLVA_ALERTS__ADAPTER", "discourse")
    assert dispatch(factory, load_settings(), now=NOW).topics_created == 1
    assert _sent(factory) == ("discourse", "discourse") and len(forum.topics) == 1
    monkeypatch.setenv("MOLVA_DATABASE_URL", db_url)
    listed = CliRunner().invoke(main, ["alerts", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    (row,) = json.loads(listed.output)["alerts"]
    assert (row["adapter"], row["status"]) == ("discourse", "sent")


def test_brand_override_wins_over_the_global_adapter(
    factory: sessionmaker[Session], forum: FakeDiscourse, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MOLVA_ALERTS__ADAPTER", "discourse")
    settings = load_settings()
    settings.alerts.brands["Билайн"] = BrandAlertRule(adapter="builtin")
    _enqueue(factory, settings)
    assert dispatch(factory, settings, now=NOW).topics_created == 1
    assert _sent(factory) == ("builtin", "builtin") and forum.requests == []
