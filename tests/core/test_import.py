"""``molva import``: JSON Lines and CSV through the crawlers' storage path (dedup, brands, official replies)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import create_engine, func, select

from molva.cli import main
from molva.db import upgrade
from molva.ingest import ShingleIndex, canonical_url, shingles
from molva.ingest.urls import _PLAIN
from molva.models import BrandMention, BrandRollup, Mention, OfficialReply, Source
from tests.waiting import wait_for

SBER_WALL = "-22522055"
TEXT = "Третий день не могу перевести деньги через приложение Сбербанка, поддержка не отвечает вообще"


def _rows() -> list[dict[str, object]]:
    return [
        {"source": "archive-vk", "kind": "vk", "external_id": "1_1", "url": "https://vk.com/wall1_1", "text": TEXT,
         "published_at": "2025-03-01T09:00:00+03:00", "author": "Иван", "author_id": "1", "likes": 3},
        {"source": "archive-vk", "kind": "vk", "external_id": "2_1", "url": "https://vk.com/wall2_1?utm_source=x",
         "text": "Репост: " + TEXT, "published_at": "2025-03-01T07:00:00Z", "author": "Пётр", "views": "12"},
        {"source": "archive-vk", "kind": "vk", "external_id": f"{SBER_WALL}_10_11", "url": "https://vk.com/x",
         "text": "МТС и Билайн подняли тарифы", "published_at": "2025-03-01T10:00:00", "author": "Оля"},
        {"source": "archive-vk", "kind": "vk", "external_id": f"{SBER_WALL}_10_12", "url": "https://vk.com/y",
         "text": "Напишите нам в личные сообщения", "published_at": "2025-03-01T11:00:00", "author": "Сбербанк",
         "author_id": SBER_WALL, "parent_external_id": f"{SBER_WALL}_10_11"},
        {"source": "archive-vk", "kind": "vk", "external_id": "3_1", "url": "https://vk.com/wall1_1",
         "text": "тот же пост по другой ссылке", "published_at": "2025-03-01T12:00:00", "author": "Иван"},
    ]


def _invoke(tmp_path: Path, path: Path) -> tuple[int, str, str]:
    env = {"MOLVA_DATABASE_URL": f"sqlite:///{tmp_path / 'import.db'}"}
    if not (tmp_path / "import.db").exists():  # commands other than `db upgrade` never create a database
        assert CliRunner().invoke(main, ["db", "upgrade"], env=env).exit_code == 0
    result = CliRunner().invoke(main, ["import", str(path), "--quiet"], env=env, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_import_jsonl_stores_like_a_crawl_and_reports_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "dump.jsonl"
    lines = [json.dumps(row, ensure_ascii=False) for row in _rows()]
    lines.insert(2, "{not json")
    lines.insert(3, json.dumps({"source": "archive-vk", "kind": "vk", "external_id": "9", "url": "u", "text": "x"}))
    lines.append(json.dumps({"source": "archive-vk", "kind": "fax", "external_id": "8", "url": "https://a/b",
                             "text": "x", "published_at": "2025-01-01"}))
    lines.append(json.dumps({"source": "archive-vk", "kind": "vk", "external_id": "7", "url": "https://a/c",
                             "text": "x", "published_at": "вчера"}))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out, err = _invoke(tmp_path, path)
    assert code == 0
    assert "Созданы источники: archive-vk" in out
    assert "Строк 9: новых 3, уже были 0, дублей по адресу 1, репостов 1, ответов брендов 1" in out
    assert "ошибок 4" in out
    assert "строка 3: не JSON" in err and "строка 4: нет обязательных полей: published_at" in err
    assert "строка 8: kind: 'fax'" in err and "строка 9: published_at: не дата ISO-8601" in err
    engine = create_engine(f"sqlite:///{tmp_path / 'import.db'}")
    with engine.connect() as conn:
        source = conn.execute(select(Source.name, Source.kind)).one()
        assert tuple(source) == ("archive-vk", "vk")
        mentions = {row.external_id: row for row in conn.execute(select(Mention))}
        assert set(mentions) == {"1_1", "2_1", f"{SBER_WALL}_10_11"}
        assert mentions["1_1"].near_duplicate_of_id is None  # 06:00 UTC: the original
        assert mentions["2_1"].near_duplicate_of_id == mentions["1_1"].id  # 07:00 UTC: its repost
        assert mentions["2_1"].views == 12 and mentions["2_1"].canonical_url == "https://vk.com/wall2_1"
        brands = set(conn.execute(select(BrandMention.brand)).scalars())
        assert brands == {"Сбербанк", "МТС", "Билайн"}
        reply = conn.execute(select(OfficialReply.brand, OfficialReply.mention_id)).one()
        assert tuple(reply) == ("Сбербанк", mentions[f"{SBER_WALL}_10_11"].id)
    code, out, _ = _invoke(tmp_path, path)  # the same file again adds nothing
    assert "новых 0, уже были 3" in out and "Созданы источники" not in out
    with engine.connect() as conn:
        assert conn.scalar(select(func.count(Mention.id))) == 3
        assert conn.scalar(select(func.count(OfficialReply.id))) == 1
    engine.dispose()


def test_import_csv(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text("source,kind,external_id,url,text,published_at,author,followers\n"
                    "rss-archive,rss,a1,https://news.example/a1,Тинькофф снизил ставки,2025-02-01T08:00:00Z,Редакция,10\n"
                    "rss-archive,rss,a2,https://news.example/a2,Про погоду,2025-02-01T09:00:00Z,Редакция,x\n",
                    encoding="utf-8")
    code, out, err = _invoke(tmp_path, path)
    assert code == 0 and "новых 1" in out and "ошибок 1" in out
    assert "строка 3: followers: нужно целое число" in err


def test_a_cp1251_csv_is_refused_in_one_line_and_read_with_its_encoding(tmp_path: Path) -> None:
    """A CSV saved by Excel in Windows-1251 (CRLF, a quoted field over two lines) is never stored as mojibake:
    the import stops at the first undecodable line (what came before in committed batches stays), and
    ``--encoding cp1251`` reads it whole; the lines stored the first time are found again, not doubled."""
    path = tmp_path / "excel.csv"
    rows = ["source,kind,external_id,url,text,published_at",
            "xl,rss,a1,https://news.example/a1,plain ascii,2025-02-01T08:00:00Z",
            'xl,rss,a2,https://news.example/a2,"Сбер опять\r\nне работает",2025-02-01T09:00:00Z']
    path.write_bytes("\r\n".join(rows).encode("cp1251") + b"\r\n")
    env = {"MOLVA_DATABASE_URL": f"sqlite:///{tmp_path / 'import.db'}"}
    assert CliRunner().invoke(main, ["db", "upgrade"], env=env).exit_code == 0
    result = CliRunner().invoke(main, ["import", str(path), "--quiet", "--batch", "1"], env=env)
    assert result.exit_code == 2 and "Traceback" not in result.output
    (line,) = [x for x in result.stderr.splitlines() if x.startswith("molva: error:")]
    assert f"{path}:3: not valid utf-8 text" in line and "--encoding cp1251" in line
    engine = create_engine(env["MOLVA_DATABASE_URL"])
    with engine.connect() as conn:
        assert list(conn.execute(select(Mention.external_id, Mention.text))) == [("a1", "plain ascii")]
    result = CliRunner().invoke(main, ["import", str(path), "--quiet", "--encoding", "cp1251"], env=env)
    assert result.exit_code == 0 and "новых 1, уже были 1" in result.stdout and "ошибок 0" in result.stdout
    with engine.connect() as conn:
        texts = {row.external_id: row.text for row in conn.execute(select(Mention.external_id, Mention.text))}
        assert texts == {"a1": "plain ascii", "a2": "Сбер опять\nне работает"}  # line ends settled as in a crawl
        assert set(conn.execute(select(BrandMention.brand)).scalars()) == {"Сбербанк"}
    engine.dispose()


def test_canonical_url_fast_path_agrees_with_w3lib() -> None:
    plain = ["https://vk.com/wall-1_2", "http://sim/orig/3", "https://example.com/a/b.html", "https://t.me/chan/5"]
    for url in plain:
        assert _PLAIN.fullmatch(url)
        assert canonical_url(url) == canonical_url(url + "?utm_source=z") == url  # the fast path, then w3lib's


def test_near_duplicate_index_is_bounded() -> None:
    index = ShingleIndex(window=100)
    base = "клиенты жалуются что приложение банка снова не открывается после обновления вариант"
    for i in range(1000):
        index.add(i, shingles(f"{base} {i} номер {i * 7} и ещё {i * 13}"))
    assert len(index) == 100
    assert index.nearest(shingles(f"Репост: {base} 950 номер {950 * 7} и ещё {950 * 13}")) == 950
    assert index.nearest(shingles(f"{base} 5 номер 35 и ещё 65")) is None  # evicted long ago


def _links(url: str) -> dict[str, str | None]:
    engine = create_engine(url)
    root = Mention.__table__.alias("root")
    with engine.connect() as conn:
        links = {external_id: other for external_id, other in conn.execute(
            select(Mention.external_id, root.c.external_id).outerjoin(root, root.c.id == Mention.near_duplicate_of_id))}
    engine.dispose()
    return links


def test_a_killed_import_keeps_its_batches_and_a_second_run_adds_the_rest(tmp_path: Path) -> None:
    count = 4000
    bodies = [f"{brand} опять {event} уже {i} день подряд, номер обращения {i * 7919}"
              for i, (brand, event) in enumerate((b, e) for b in ("Сбербанк", "МТС", "Билайн", "про погоду")
                                                 for e in ("не работает приложение", "списали деньги дважды"))]
    with (tmp_path / "big.jsonl").open("w", encoding="utf-8") as out:
        for i in range(count):
            text = bodies[i % len(bodies)] + f" и ещё {i}" if i % 10 else "Репост: " + bodies[(i // 10) % len(bodies)]
            out.write(json.dumps({"source": "archive-vk", "kind": "vk", "external_id": f"1_{i}",
                                  "url": f"https://vk.com/wall1_{i}", "text": text,
                                  "published_at": f"2025-03-01T{i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}Z",
                                  "author": "Иван"}, ensure_ascii=False) + "\n")
    (tmp_path / "molva.toml").write_text("")
    killed, clean = f"sqlite:///{tmp_path / 'killed.db'}", f"sqlite:///{tmp_path / 'clean.db'}"
    upgrade(killed)
    upgrade(clean)
    molva = [sys.executable, "-m", "molva", "import", str(tmp_path / "big.jsonl"), "--quiet", "--batch", "50"]

    def env(url: str) -> dict[str, str]:
        return {**os.environ, "MOLVA_DATABASE_URL": url, "MOLVA_CONFIG": str(tmp_path / "molva.toml")}

    def stored(url: str) -> int:
        engine = create_engine(url)
        with engine.connect() as conn:
            number = int(conn.scalar(select(func.count(Mention.id))) or 0)
        engine.dispose()
        return number

    process = subprocess.Popen(molva, env=env(killed), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: stored(killed) >= 100 or process.poll() is not None, every=0.01)
    finally:
        process.kill()
        process.wait()
    before = stored(killed)
    assert 0 < before < count  # killed in the middle, with whole batches stored
    again = subprocess.run(molva, env=env(killed), capture_output=True, text=True, check=True)
    assert f"новых {count - before}, уже были {before}" in again.stdout
    subprocess.run(molva, env=env(clean), capture_output=True, text=True, check=True)
    assert stored(killed) == count
    links = _links(killed)
    assert links == _links(clean)  # the same near-duplicate links as an import that was not killed
    assert sum(other is not None for other in links.values()) >= count // 10  # the reposts at least
    engine = create_engine(killed)
    with engine.connect() as conn:  # the rollups count each brand mention once
        rolled = conn.scalar(select(func.sum(BrandRollup.count)).where(BrandRollup.metric == "mentions"))
        assert rolled == conn.scalar(select(func.count(BrandMention.id))) > 0
    engine.dispose()
