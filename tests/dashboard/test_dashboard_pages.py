"""AppTest of every page, with data and on an empty database; hostile post text stays text everywhere."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import pytest
from dash_helpers import PAGES, XSS  # type: ignore[import-not-found]
from sqlalchemy import select
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from molva import fmt
from molva.db import make_engine
from molva.metrics import MetricsFilter, response_stats
from molva.models import SentimentCorrection, SupportTopic, TopicComment

TEXT_ELEMENTS = ("markdown", "caption", "title", "header", "subheader", "info", "warning", "error", "success",
                 "text", "html", "code", "json")


def texts(app: AppTest) -> Iterator[str]:
    """Every string a page shows through an element that could interpret markup."""
    for kind in TEXT_ELEMENTS:
        for element in app.get(kind):
            yield str(getattr(element, "value", "") or getattr(element, "body", "") or "")


def frames(app: AppTest) -> list[pd.DataFrame]:
    return [element.value for element in app.dataframe]


def assert_no_markup(app: AppTest) -> None:
    for value in texts(app):
        for raw in ("<script", "<img", "javascript:", "](", ":red["):
            assert raw not in value, f"untrusted markup reached the page: {value[:200]!r}"


def default_filters() -> MetricsFilter:
    """The sidebar's default: the last 30 whole days in the configured zone (Europe/Moscow)."""
    zone = fmt.timezone("Europe/Moscow")
    today = datetime.now(zone).date()
    since = datetime.combine(today - timedelta(days=29), datetime.min.time(), tzinfo=zone).astimezone(UTC)
    until = datetime.combine(today + timedelta(days=1), datetime.min.time(), tzinfo=zone).astimezone(UTC)
    return MetricsFilter(since=since, until=until)


@pytest.mark.parametrize("page", PAGES)
def test_page_with_data(page: str, dashboard_db: tuple[str, int], make_app: Callable[..., AppTest]) -> None:
    app = make_app(dashboard_db[0], page)
    assert not app.exception, [e.value for e in app.exception]
    assert not app.error, [e.value for e in app.error]
    assert app.title[0].value
    assert frames(app), "a page with data shows at least one table"
    assert_no_markup(app)
    if page != "competitors":  # the hostile post, spike term, topic or crawl error is shown, as plain data
        cells = [str(v) for f in frames(app) for v in f.astype(str).to_numpy().ravel()]
        assert any(XSS in cell for cell in cells), f"the hostile text is not shown as text on {page}"


@pytest.mark.parametrize("page", PAGES)
def test_page_on_empty_database(page: str, empty_db: str, make_app: Callable[..., AppTest]) -> None:
    app = make_app(empty_db, page)
    assert not app.exception, [e.value for e in app.exception]
    assert not app.error
    assert any("Нет данных" in i.value for i in app.info), "an empty database says so"


def test_hostile_text_is_escaped_on_cards(dashboard_db: tuple[str, int], make_app: Callable[..., AppTest]) -> None:
    app = make_app(dashboard_db[0], "explorer")
    app.text_input(key="ex_text").input("украл счет").run()
    shown = list(texts(app))
    highlighted = [v for v in shown if "<mark>Сбербанк</mark>" in v]
    assert highlighted, "the brand span is highlighted"
    assert "&#60;script&#62;alert&#40;1&#41;&#60;/script&#62;&#60;img src&#61;x onerror&#61;alert&#40;2&#41;&#62;" in (
        highlighted[0]
    )
    assert_no_markup(app)
    table = frames(app)[0]
    assert len(table) == 1 and table.loc[0, "text"].startswith(XSS), "the table shows the raw text as data"
    assert not table.loc[0, "url"], "a javascript: link is never offered"
    assert not app.get("link_button"), "no button opens a javascript: link"


def test_overview_numbers_and_spikes(dashboard_db: tuple[str, int], make_app: Callable[..., AppTest]) -> None:
    app = make_app(dashboard_db[0])
    metrics = {m.label: m.value for m in app.metric}
    assert set(metrics) >= {"Упоминания", "Доля негатива", "Индекс тональности"}
    assert int(metrics["Упоминания"].replace(" ", "").replace("\u202f", "")) > 100
    spikes = [f for f in frames(app) if "window_start" in f.columns]
    assert spikes and "Сбербанк" in set(spikes[0]["brand"])
    app.radio(key="ov_granularity").set_value("hour").run()
    assert not app.exception
    total = int(metrics["Упоминания"].replace(" ", "").replace("\u202f", ""))
    app.sidebar.multiselect(key="flt_sources").select("vk").run()
    only_vk = int(app.metric[0].value.replace(" ", "").replace("\u202f", ""))
    assert 0 < only_vk < total
    app.sidebar.multiselect(key="flt_sources").unselect("vk").run()
    app.sidebar.multiselect(key="flt_brands").select("ВТБ").run()
    brands = next(f for f in frames(app) if "sentiment_index" in f.columns)
    assert set(brands["brand"]) == {"ВТБ"}
    long_ago = datetime(2020, 1, 1).date()
    app.sidebar.date_input(key="flt_period").set_value((long_ago, long_ago + timedelta(days=6))).run()
    assert app.metric[0].value == "0" and any("Нет данных" in i.value for i in app.info)


def test_response_table_is_exactly_response_stats(
    dashboard_db: tuple[str, int], make_app: Callable[..., AppTest]
) -> None:
    url = dashboard_db[0]
    app = make_app(url, "competitors")
    app.selectbox(key="cmp_group").set_value("все бренды").run()
    table = next(f for f in frames(app) if "rank" in f.columns)
    engine = make_engine(url)
    with Session(engine) as session:
        truth = response_stats(session, default_filters())
    engine.dispose()
    assert set(table["brand"]) == set(truth)
    for row in table.itertuples():
        expected = truth[row.brand]
        assert (row.addressed, row.answered) == (expected.addressed, expected.answered)
        assert row.response_rate == expected.response_rate
        assert row.median_response_seconds == expected.median_response_seconds
        assert row.p90_response_seconds == expected.p90_response_seconds
        # ...shown the Russian way
        assert row.response_rate_ru == fmt.percent(expected.response_rate)
        assert row.addressed_ru == fmt.number(expected.addressed)
        assert row.median_human == fmt.duration(expected.median_response_seconds)
    assert list(table["rank"]) == list(range(1, len(table) + 1))
    rates = list(table["response_rate"])
    assert rates == sorted(rates, reverse=True)


def _row(session: Session, model: Any, **where: Any) -> Any:
    return session.scalars(select(model).filter_by(**where)).first()


def test_manual_correction_from_a_card(dashboard_db: tuple[str, int], make_app: Callable[..., AppTest]) -> None:
    url, bm_id = dashboard_db
    app = make_app(url, "explorer")
    app.text_input(key="ex_text").input("украл").run()
    app.selectbox(key=f"ex_label_{bm_id}").set_value("neutral").run()
    app.button(key=f"ex_fix_{bm_id}").click().run()
    assert any("исправлена" in s.value for s in app.success)
    engine = make_engine(url)
    with Session(engine) as session:
        correction = _row(session, SentimentCorrection, brand_mention_id=bm_id)
        assert correction is not None and (correction.old_label, correction.label) == ("negative", "neutral")
    engine.dispose()
    assert app.dataframe[0].value.loc[0, "corrected"]


def test_staff_change_status_and_comment(dashboard_db: tuple[str, int], make_app: Callable[..., AppTest]) -> None:
    url = dashboard_db[0]
    app = make_app(url, "support")
    engine = make_engine(url)
    with Session(engine) as session:
        topic = _row(session, SupportTopic, external_id="xss-topic")
    topic_id = topic.id
    app.selectbox(key="sq_topic").set_value(topic_id).run()
    app.selectbox(key=f"sq_status_{topic_id}").set_value("in_progress").run()
    app.text_input(key="sq_author").input("Оператор Анна").run()
    app.button(key=f"sq_set_{topic_id}").click().run()
    app.text_area(key=f"sq_comment_{topic_id}").input("Связались с клиентом").run()
    app.button(key=f"sq_add_{topic_id}").click().run()
    assert not app.exception and not app.error
    with Session(engine) as session:
        assert _row(session, SupportTopic, id=topic_id).status == "in_progress"
        authors = {(c.author, c.text) for c in session.scalars(select(TopicComment).filter_by(topic_id=topic_id))}
    engine.dispose()
    assert ("Оператор Анна", "Связались с клиентом") in authors
    assert_no_markup(app)


def test_explorer_exports(dashboard_db: tuple[str, int], make_app: Callable[..., AppTest]) -> None:
    app = make_app(dashboard_db[0], "explorer")
    labels = {b.label for b in app.get("download_button")}
    assert {"Скачать CSV", "Скачать Excel"} <= labels


def test_support_queue_is_a_work_list(dashboard_db: tuple[str, int], make_app: Callable[..., AppTest]) -> None:
    app = make_app(dashboard_db[0], "support")
    assert not app.exception
    labels = {m.label: m.value for m in app.metric}
    assert {"Открытых тем", "Просрочено"} <= set(labels)
    table = app.dataframe[0].value
    assert {"urgency", "due", "url", "source_url", "assignee"} <= set(table.columns)
    assert "None" not in set(table.astype(str).to_numpy().ravel())
    explorer = make_app(dashboard_db[0], "explorer").dataframe[0].value
    assert all(isinstance(u, str) for u in explorer["url"]), "a missing link is an empty cell, never None/NaN"
    urgencies = [float(u.replace(",", ".")) if u != "—" else -1 for u in table["urgency"]]
    assert len(urgencies) > 1 and urgencies == sorted(urgencies, reverse=True), "the most urgent first"
    app.multiselect(key="sq_brands").set_value(["Сбербанк"]).run()
    assert set(app.dataframe[0].value["brand"]) == {"Сбербанк"}
    app.radio(key="sq_sort").set_value("due").run()
    assert not app.exception
    first = int(app.dataframe[0].value.iloc[0]["id"])
    app.selectbox(key="sq_topic").set_value(first).run()
    body = [m.value for m in app.markdown if "white-space" in m.value]
    assert body and "**" not in body[0]


def test_topic_body_as_text() -> None:
    body = ("**Что случилось.** Клиент\n\n> строка поста\n- **Почему отмечено:** negative; complaint; no_service\n"
            "_Тема создана автоматически._")
    text = fmt.plain_text(body)
    assert "**" not in text and "_Тема" not in text
    assert "Почему отмечено: негативная тональность; жалоба; не работает услуга" in text
    assert "    строка поста" in text


def _chart_specs(app: AppTest) -> list[dict[str, Any]]:
    import json

    return [json.loads(element.proto.spec) for element in app.get("vega_lite_chart")]


def _encodings(spec: dict[str, Any]) -> list[dict[str, Any]]:
    layers = spec.get("layer") or [spec]
    return [layer.get("encoding", {}) for layer in layers]


def test_overview_charts_focus_rivals_and_others(dashboard_db: tuple[str, int],
                                                 make_app: Callable[..., AppTest]) -> None:
    app = make_app(dashboard_db[0])
    specs = _chart_specs(app)
    assert len(specs) == 2, "the trend and the sources bar"
    trend, sources = (_encodings(s)[0] for s in specs)
    assert trend["x"]["axis"]["tickCount"] == {"interval": "day", "step": 1}, "one tick per day: no date twice"
    for encoding in (trend, sources):
        domain = encoding["color"]["scale"]["domain"]
        colours = encoding["color"]["scale"]["range"]
        assert domain[0] == "Сбербанк", "the focus brand leads"
        assert len(domain) <= 7 and len(set(colours)) == len(colours), "a handful of distinct colours"
    trend_colours = dict(zip(trend["color"]["scale"]["domain"], trend["color"]["scale"]["range"], strict=True))
    source_colours = dict(zip(sources["color"]["scale"]["domain"], sources["color"]["scale"]["range"], strict=True))
    assert all(trend_colours[b] == c for b, c in source_colours.items() if b in trend_colours), "stable colours"


def test_previous_period_only_when_it_has_data(dashboard_db: tuple[str, int],
                                               make_app: Callable[..., AppTest]) -> None:
    app = make_app(dashboard_db[0])
    assert any(m.delta for m in app.metric), "the generated data covers the previous 30 days too"
    today = datetime.now(UTC).date()
    app.radio(key="ov_granularity").set_value("week").run()  # AppTest ignored a first-interaction date change here
    app.sidebar.date_input(key="flt_period").set_value((today - timedelta(days=120), today - timedelta(days=1))).run()
    assert not any(m.delta for m in app.metric), ("no comparison with an empty period", app.caption[0].value)
    assert any("данных нет" in c.value for c in app.caption)
