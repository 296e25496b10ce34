"""``molva import``: a file imported in batches stores exactly what the same lines added one at a time store
(``Importer.add``), on SQLite and PostgreSQL: tables, counts, created sources and error lines."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from molva.catalog import load_catalog
from molva.db import make_sessionmaker, throwaway_database, upgrade
from molva.ingest.importer import Importer, ImportSummary, import_file, read_rows
from tests.pg import PG_ADMIN_URL, postgres_reachable

SBER_WALL = "-22522055"
BRANDS = ("Сбербанк", "МТС", "Билайн", "Тинькофф", "ВТБ", "")
EVENTS = ("снова не пускает в личный кабинет", "дважды сняли оплату за один заказ", "курьер привёз чужую карту",
          "тариф вырос без всякого письма", "в чате отвечает бот и ничего не решает")
# the tables and columns compared (fetched_at is the time of the import: left out)
TABLES = {
    "sources": "id, name, kind",
    "mentions": "id, source_id, kind, external_id, url, canonical_url, author, author_id, author_followers, title, "
                "text, language, published_at, likes, reposts, comments, views, rating, parent_id, parent_external_id, "
                "forwarded_from, content_hash, near_duplicate_of_id, official_brand, crawl_run_id",
    "brand_mentions": "id, mention_id, brand, alias, span_start, span_end, published_at, addressed, first_reply_at",
    "official_replies": "id, mention_id, brand, account, reply_external_id, replied_at, text, url",
    "brand_rollups": "*",
    "source_counts": "*",
}


def _lines() -> list[str]:
    """Two sources; reposts (some published before their original), Telegram-style forwards before and after
    their originals, exact copies, titles, brands' official replies (one before its parent), bad lines."""
    lines: list[str] = []
    for i in range(420):
        brand = BRANDS[i % len(BRANDS)]
        body = f"{brand + ', ' if brand else ''}{EVENTS[i % len(EVENTS)]}, пишу уже {i % 9 + 2} раз, заявка {i * 7919}"
        row: dict[str, Any] = {"source": "archive-vk" if i % 5 else "archive-tg", "kind": "vk" if i % 5 else "telegram",
                               "external_id": f"1_{i}", "url": f"https://vk.com/wall1_{i}?utm_source=feed" if i % 7 == 0
                               else f"https://vk.com/wall1_{i}", "text": body, "author": f"автор {i % 13}",
                               "published_at": f"2025-03-0{1 + i % 3}T{i % 24:02d}:{i % 60:02d}:00Z", "likes": i % 11}
        if i % 5 == 0:
            row["url"] = f"https://t.me/chan{i % 3}/{i}"
        if i % 6 == 1 and i > 12:  # a repost of an earlier text, sometimes published before it
            row["text"] = "Репост: " + lines_text[i - 12]
            row["published_at"] = f"2025-02-28T{i % 24:02d}:00:00Z" if i % 4 == 1 else row["published_at"]
        if i % 17 == 3 and i > 20:  # the very same text again
            row["text"] = lines_text[i - 20]
        if i % 5 == 0 and i % 3 == 0 and i > 30:  # a forward of a post stored earlier, or of one that comes later
            target = i - 25 if i % 2 else i + 25
            row["forwarded_from"] = f"https://t.me/chan{target % 3}/{target}"
        if i % 29 == 0:
            row["title"] = f"Обзор недели {i}: Альфа-Банк и Ростелеком"
        if i % 31 == 4:  # an official reply of Сбербанк to an earlier (or, once, a later) post
            row.update(author="Сбербанк", author_id=SBER_WALL, text="Напишите нам в личные сообщения, разберёмся",
                       parent_external_id=f"1_{i - 3 if i != 35 else 400}", source="archive-vk", kind="vk",
                       url=f"https://vk.com/wall1_{i}")
        lines_text.append(row["text"])
        lines.append(json.dumps(row, ensure_ascii=False))
        if i % 97 == 5:
            lines.append("{broken")
        if i % 89 == 7:
            lines.append(json.dumps({"source": "archive-vk", "kind": "fax", "external_id": "x", "url": "u",
                                     "text": "x", "published_at": "2025-01-01"}))
        if i == 50:
            lines.append(lines[-3])  # a line repeated: known
    return lines


lines_text: list[str] = []


def _dump(conn: Any) -> dict[str, list[tuple[Any, ...]]]:
    return {table: sorted((tuple(row) for row in conn.execute(text(f"SELECT {columns} FROM {table}"))), key=repr)
            for table, columns in TABLES.items()}


def _import(url: str, path: Path, *, per_row: bool = False) -> tuple[list[ImportSummary], dict[str, Any]]:
    """The first 60% of the file, then all of it (known lines, then new ones); the summaries of both and the
    tables."""
    upgrade(url)
    factory = make_sessionmaker(url)
    catalog = load_catalog()
    part = path.with_name(f"part-{per_row}.jsonl")
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    part.write_text("".join(lines[:len(lines) * 3 // 5]), encoding="utf-8")
    summaries = []
    for one in (part, path):
        if per_row:  # Importer.add: one line at a time, prepared by the ingestor
            job = Importer(factory, catalog, {}, batch=23)
            with one.open(encoding="utf-8") as stream:
                for number, row in read_rows(stream, "jsonl"):
                    job.add(number, row)
            summaries.append(job.finish())
        else:
            summaries.append(import_file(one, factory, catalog, {}, batch=23))
    engine = create_engine(url)
    with engine.connect() as conn:
        dump = _dump(conn)
    engine.dispose()
    factory.kw["bind"].dispose()
    return summaries, dump


@pytest.fixture
def dump_file(tmp_path: Path) -> Path:
    lines_text.clear()
    path = tmp_path / "dump.jsonl"
    path.write_text("\n".join(_lines()) + "\n\n", encoding="utf-8")
    return path


def _check_same(results: list[tuple[list[ImportSummary], dict[str, Any]]]) -> None:
    ([first, summary], dump), *others = results
    assert first.new > 200 and summary.new > 100 and summary.known >= first.new
    assert first.near_duplicate + summary.near_duplicate > 40 and first.replies + summary.replies > 5
    assert summary.errors >= 5 and summary.duplicate_url == 0
    assert len(dump["brand_mentions"]) > 250 and len(dump["brand_rollups"]) > 100
    assert 40 < sum(row[-3] is not None for row in dump["mentions"]) < len(dump["mentions"])  # linked, not all
    for other_summaries, other_dump in others:
        assert other_summaries == [first, summary]  # counts, created sources, error lines with their numbers
        for table in TABLES:
            assert other_dump[table] == dump[table], table


def test_a_file_stores_exactly_what_its_lines_one_by_one_store(tmp_path: Path, dump_file: Path) -> None:
    _check_same([_import(f"sqlite:///{tmp_path / f'{name}.db'}", dump_file, per_row=name == "rows")
                 for name in ("file", "rows")])


@contextmanager
def _postgres() -> Iterator[str]:
    reason = postgres_reachable()
    if reason:
        pytest.skip(reason)
    with throwaway_database(PG_ADMIN_URL, "molva_test_import_paths") as url:
        yield url


def test_a_file_stores_exactly_what_its_lines_one_by_one_store_on_postgres(dump_file: Path) -> None:
    results = []
    for per_row in (False, True):
        with _postgres() as url:
            results.append(_import(url, dump_file, per_row=per_row))
    _check_same(results)


def test_an_interrupted_import_keeps_its_committed_batches_and_a_second_run_adds_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "lines.jsonl"
    path.write_text("".join(json.dumps({"source": "archive-vk", "kind": "vk", "external_id": f"1_{i}",
                                        "url": f"https://vk.com/wall1_{i}", "text": f"МТС, {EVENTS[i % 5]}, заявка {i}",
                                        "published_at": "2025-03-01T10:00:00Z"}, ensure_ascii=False) + "\n"
                            for i in range(5000)), encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'molva.db'}"
    upgrade(url)
    factory = make_sessionmaker(url)
    catalog = load_catalog()
    calls = []

    def progress(_read: int) -> None:  # called every 1,000 lines read: stop at the second
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        import_file(path, factory, catalog, {}, batch=300, progress=progress)
    engine = create_engine(url)
    with engine.connect() as conn:
        # 2,000 lines read: six batches of 300 committed, the 200 lines after them not
        assert conn.scalar(text("SELECT count(*) FROM mentions")) == 1800
    summary = import_file(path, factory, catalog, {}, batch=300)
    assert (summary.new, summary.known) == (3200, 1800)
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM mentions")) == 5000
    engine.dispose()
    factory.kw["bind"].dispose()
