"""Who and where: authors and places per brand with reach; the explorer filtered to one of them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from molva.db import make_engine, upgrade
from molva.metrics import MetricsFilter, brand_stats
from molva.metrics.explorer import ExplorerQuery, search_mentions
from molva.metrics.reach import place_of, top_authors, top_places
from molva.models import BrandMention, Mention, Source


def test_place_of_a_link() -> None:
    assert place_of("https://t.me/s/sberbank/123").name == "t.me/sberbank"  # type: ignore[union-attr]
    assert place_of("https://t.me/bankchat/77").prefix == "https://t.me/bankchat/"  # type: ignore[union-attr]
    vk = place_of("https://vk.com/wall-123_456")
    assert vk is not None and (vk.name, vk.prefix) == ("vk.com/wall-123", "https://vk.com/wall-123_")
    assert place_of("https://www.banki.ru/services/responses/bank/response/1/").name == "banki.ru"  # type: ignore[union-attr]
    assert place_of("javascript:alert(1)") is None and place_of(None) is None


def _add(session: Session, source: Source, n: int, url: str, author: str, followers: int | None, views: int | None,
         sentiment: str | None, when: datetime) -> None:
    mention = Mention(source_id=source.id, kind=source.kind, external_id=f"{url}-{n}", url=url, canonical_url=url,
                      author=author, author_followers=followers, views=views, text="Сбербанк", published_at=when,
                      content_hash=f"{n:064d}")
    session.add(mention)
    session.flush()
    session.add(BrandMention(mention_id=mention.id, brand="Сбербанк", alias="Сбербанк", span_start=0, span_end=8,
                             published_at=when, sentiment=sentiment))


def test_top_authors_and_places_count_the_same_mentions(tmp_path: object) -> None:
    url = f"sqlite:///{tmp_path}/reach.db"
    upgrade(url)
    engine = make_engine(url)
    now = datetime.now(UTC)
    with Session(engine) as session, session.begin():
        source = Source(name="tg", kind="telegram")
        session.add(source)
        session.flush()
        _add(session, source, 1, "https://t.me/s/bankchat/1", "Анна", 1200, 300, "negative", now)
        _add(session, source, 2, "https://t.me/s/bankchat/2", "Анна", 1500, 200, "positive", now)
        _add(session, source, 3, "https://t.me/s/other/3", "Пётр", None, None, None, now)
    with Session(engine) as session:
        filters = MetricsFilter(since=now - timedelta(days=1), until=now + timedelta(days=1))
        authors = {r.key: r for r in top_authors(session, filters)}
        places = {r.key: r for r in top_places(session, filters)}
        total = sum(r.mentions for r in brand_stats(session, filters))
        assert sum(r.mentions for r in places.values()) == total == 3
        anna = authors["Анна"]
        assert (anna.mentions, anna.followers, anna.views, anna.negative_share) == (2, 1500, 500, 0.5)
        assert authors["Пётр"].negative_share is None
        chat = places["t.me/bankchat"]
        assert chat.mentions == 2
        found = search_mentions(session, ExplorerQuery(filters=filters, places=(chat.prefix or "",)))
        assert found.total == 2 and {r.author for r in found.rows} == {"Анна"}
        by_author = search_mentions(session, ExplorerQuery(filters=filters, authors=("Пётр",)))
        assert by_author.total == 1
    engine.dispose()


def test_reach_page_opens_the_explorer_filtered(dashboard_db: tuple[str, int],
                                                make_app: Callable[..., AppTest]) -> None:
    app = make_app(dashboard_db[0], "reach")
    assert not app.exception
    tables = [e.value for e in app.dataframe]
    assert len(tables) == 2 and all(len(t) > 0 for t in tables)
    author = str(tables[1].iloc[0]["key"])  # places first, then authors
    app.session_state["ex_authors"] = [author]
    app.session_state["ex_scope_label"] = f"автор {author}"
    app.session_state["ex_brand_scope"] = "Сбербанк"
    app.switch_page("pages/explorer.py").run()
    assert not app.exception
    shown = app.dataframe[0].value
    assert len(shown) > 0 and set(shown["author"]) == {author} and set(shown["brand"]) == {"Сбербанк"}
    assert any(author in i.value for i in app.info)
