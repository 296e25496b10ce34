"""Issue 14.8: personal data: erase one author, retention by the scheduler's job, posts deleted at the source,
pseudonymised exports."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.orm import Session

from molva import rollups
from molva.cli import main
from molva.corrections import correct_sentiment
from molva.db import make_engine
from molva.models import (
    AlertOutbox,
    BrandMention,
    Mention,
    OfficialReply,
    SentimentCorrection,
    Source,
    SupportTopic,
    TopicMention,
)
from molva.settings import load_settings

NOW = datetime.now(UTC)
SECRET_TEXT = "Иван Петров-Сидоров, паспорт 4510 123456: Сбербанк заблокировал карту"


def _dump(db_url: str) -> str:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return "\n".join(repr(tuple(r)) for t in inspect(conn).get_table_names()
                             for r in conn.execute(text(f'SELECT * FROM "{t}"')))
    finally:
        engine.dispose()


def _mention(session: Session, source: Source, ext: str, author: str, text_: str, published: datetime,
             kind: str = "vk", url: str | None = None) -> BrandMention:
    mention = Mention(source_id=source.id, kind=kind, external_id=ext, url=url or f"https://vk.com/wall{ext}",
                      canonical_url=url or f"vk.com/wall{ext}", author=author, author_id=f"id-{author}", text=text_,
                      published_at=published, content_hash=(ext * 64)[:64])
    session.add(mention)
    session.flush()
    bm = BrandMention(mention_id=mention.id, brand="Сбербанк", alias="Сбербанк", span_start=0, span_end=8,
                      published_at=published, sentiment="negative", intent="problem", urgency=0.9,
                      classified_at=published)
    session.add(bm)
    session.flush()
    return bm


def _world(db_url: str) -> tuple[int, int]:
    engine = make_engine(db_url)
    with Session(engine) as session, session.begin():
        source = Source(name="vk", kind="vk")
        session.add(source)
        session.flush()
        bm_a = _mention(session, source, "1_1", "Иван Петров-Сидоров", SECRET_TEXT, NOW - timedelta(hours=3))
        _mention(session, source, "1_2", "Иван Петров-Сидоров", "Сбербанк, ответьте! Иван П.", NOW - timedelta(hours=2))
        bm_b = _mention(session, source, "2_1", "Мария", "Сбербанк молодцы", NOW - timedelta(hours=1))
        correct_sentiment(session, bm_a.id, "neutral", corrected_by="оператор")
        session.add(OfficialReply(mention_id=bm_a.mention_id, brand="Сбербанк", account="sberbank",
                                  reply_external_id="r1", replied_at=NOW, text="Иван, напишите нам в личку"))
        topic = SupportTopic(adapter="builtin", external_id="t1", url="http://board/t/1", type="problem",
                             brand="Сбербанк", title=f"Проблема · Сбербанк: {SECRET_TEXT[:40]}",
                             body=f"> {SECRET_TEXT}\n- **Автор:** Иван Петров-Сидоров")
        session.add(topic)
        session.flush()
        session.add(TopicMention(topic_id=topic.id, mention_id=bm_a.mention_id, brand_mention_id=bm_a.id))
        session.add(AlertOutbox(kind="topic", adapter="builtin", brand="Сбербанк", idempotency_key="k1",
                                payload={"text": SECRET_TEXT, "author": "Иван Петров-Сидоров"}, status="pending",
                                brand_mention_id=bm_a.id, topic_id=topic.id))
        ids = (topic.id, bm_b.mention_id)
    engine.dispose()
    return ids


def test_erase_author_removes_every_trace_but_keeps_the_topic_link(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    topic_id, other_id = _world(db_url)
    assert "Петров-Сидоров" in _dump(db_url) and "4510 123456" in _dump(db_url)
    monkeypatch.setenv("MOLVA_DATABASE_URL", db_url)
    result = CliRunner().invoke(main, ["privacy", "erase-author", "vk", "Иван Петров-Сидоров"])
    assert result.exit_code == 0, result.output
    assert "упоминаний 2" in result.output and "исправлений 1" in result.output
    dump = _dump(db_url)
    assert "Петров-Сидоров" not in dump and "4510 123456" not in dump and "Иван П." not in dump
    engine = make_engine(db_url)
    with Session(engine) as session:
        assert [m.id for m in session.scalars(select(Mention))] == [other_id]  # the other author stays
        assert session.scalar(select(SentimentCorrection)) is None and session.scalar(select(OfficialReply)) is None
        topic = session.get(SupportTopic, topic_id)
        assert topic is not None and topic.url == "http://board/t/1" and topic.status == "new"
        assert "удал" in topic.body and "удал" in topic.title
        alert = session.scalar(select(AlertOutbox))
        assert alert is not None and alert.status == "skipped" and alert.payload.get("erased") is True
        assert len(session.scalars(select(BrandMention)).all()) == 1
        assert +rollups.stored(session) == +rollups.recount(session)  # the rollups forgot the erased rows
        assert sum(n for k, n in rollups.stored(session).items() if k[4] == "mentions") == 1
    engine.dispose()
    unknown = CliRunner().invoke(main, ["privacy", "erase-author", "nosuch", "x"])
    assert unknown.exit_code == 1 and "nosuch" in unknown.output and "Traceback" not in unknown.output


def test_retention_is_off_by_default_and_enforced_by_the_scheduler_job(db_url: str,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from molva.pipeline import privacy_upkeep
    from molva.scheduler import job_specs

    engine = make_engine(db_url)
    with Session(engine) as session, session.begin():
        source = Source(name="vk", kind="vk")
        session.add(source)
        session.flush()
        old = _mention(session, source, "9_1", "Старый", "Сбербанк давно", NOW - timedelta(days=40)).mention_id
        new = _mention(session, source, "9_2", "Новый", "Сбербанк сейчас", NOW - timedelta(days=2)).mention_id
    monkeypatch.setenv("MOLVA_DATABASE_URL", db_url)
    default = load_settings()
    assert default.privacy.retention_days is None and "privacy" not in [j for j, *_ in job_specs(default)]
    assert privacy_upkeep(default) == 0
    monkeypatch.setenv("MOLVA_PRIVACY__RETENTION_DAYS", "30")
    settings = load_settings()
    (spec,) = [s for s in job_specs(settings) if s[0] == "privacy"]
    assert spec[1] == "molva.scheduler:privacy_job"
    assert privacy_upkeep(settings) == 1
    with Session(engine) as session:
        assert [m.id for m in session.scalars(select(Mention))] == [new] and old != new
    engine.dispose()


def test_posts_deleted_at_the_source_are_erased(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("simulator.server")
    from molva.pipeline import privacy_upkeep
    from simulator.server import SimServer
    from simulator.world import build_world

    world = build_world(seed=2, days=1, posts_per_day=30)
    with SimServer(world, port=0) as sim:
        statuses = [p for p in sim.truth()["posts"] if p["kind"] == "mastodon" and not p.get("parent")][:3]
        assert len(statuses) == 3
        engine = make_engine(db_url)
        with Session(engine) as session, session.begin():
            source = Source(name="mastodon", kind="mastodon")
            rss = Source(name="rss", kind="rss")
            session.add_all([source, rss])
            session.flush()
            for post in statuses:
                _mention(session, source, post["external_id"], "кто-то", "Сбербанк", NOW - timedelta(hours=1),
                         kind="mastodon", url=f"{sim.base_url}/@x/{post['external_id']}")
            _mention(session, rss, "gone-article", "автор", "Сбербанк в новостях", NOW - timedelta(hours=1),
                     kind="rss", url=f"{sim.base_url}/news/no-such-article/1/")
        deleted = statuses[0]["external_id"]
        sim.world.posts[:] = [p for p in sim.world.posts
                              if not (p.kind == "mastodon" and str(p.local_id) == deleted)]  # deleted at the source
        config = Path(db_url.removeprefix("sqlite:///")).with_name("molva.toml")
        config.write_text(f'[[sources]]\nname = "mastodon"\nkind = "mastodon"\nbase_url = "{sim.base_url}"\n'
                          'targets = ["x"]\n[privacy]\nrecheck_days = 3\n', encoding="utf-8")
        monkeypatch.setenv("MOLVA_DATABASE_URL", db_url)
        assert privacy_upkeep(load_settings(config)) == 2
    with Session(engine) as session:
        left = sorted(m.external_id for m in session.scalars(select(Mention)))
    engine.dispose()
    assert left == sorted(p["external_id"] for p in statuses[1:])


def test_export_pseudonymises_authors_with_a_keyed_hash(db_url: str, monkeypatch: pytest.MonkeyPatch,
                                                       tmp_path: Path) -> None:
    _world(db_url)
    monkeypatch.setenv("MOLVA_DATABASE_URL", db_url)
    out = tmp_path / "m.csv"
    refused = CliRunner().invoke(main, ["privacy", "export", "--pseudonymise", "-o", str(out)])
    assert refused.exit_code == 2 and "pseudonym_key" in refused.output
    monkeypatch.setenv("MOLVA_PRIVACY__PSEUDONYM_KEY", "k-0123456789")
    result = CliRunner().invoke(main, ["privacy", "export", "--pseudonymise", "-o", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open(encoding="utf-8", newline="")))
    assert len(rows) == 3 and "Петров-Сидоров" not in out.read_text(encoding="utf-8").split("\n", 1)[1].replace(
        SECRET_TEXT, "")
    authors = [r["author"] for r in rows]
    assert authors[0] == authors[1] != authors[2] and all(a.startswith("anon-") for a in authors)
    jsonl = tmp_path / "m.jsonl"
    monkeypatch.setenv("MOLVA_PRIVACY__PSEUDONYM_KEY", "another-key")
    CliRunner().invoke(main, ["privacy", "export", "--pseudonymise", "--format", "jsonl", "-o", str(jsonl)])
    other = [json.loads(line)["author"] for line in jsonl.read_text(encoding="utf-8").splitlines()]
    assert other[0] != authors[0], "the pseudonym depends on the key"
    plain = CliRunner().invoke(main, ["privacy", "export", "-o", str(tmp_path / "p.csv")])
    assert plain.exit_code == 0 and "Иван Петров-Сидоров" in (tmp_path / "p.csv").read_text(encoding="utf-8")
