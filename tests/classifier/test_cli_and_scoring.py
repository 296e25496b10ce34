"""`molva analyze` / `molva evaluate` through click's CliRunner, and scoring of stored mentions."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy.orm import Session

from classifier.inference import SentimentModel
from molva.cli import main

ROWS = [
    {"id": 1, "text": "Сбер опять заблокировал карту, верните деньги!", "brand": "Сбербанк"},
    {"id": "b", "text": "Спасибо мтс за быструю помощь, и билайну тоже"},
    {"id": 3, "text": "Ничего не понятно", "brand": "Несуществующий банк"},
    {"id": 4, "text": "", "brand": "МТС"},
    {"id": 5, "text": "Hello world, plain English text"},
]


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_analyze_good_rows(tmp_path: Path) -> None:
    src = _write(tmp_path / "in.jsonl", [json.dumps(r, ensure_ascii=False) for r in ROWS])
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(main, ["analyze", str(src), "-o", str(out)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == [1, "b", 3, 4, 5]
    for r in rows:
        assert r["label"] in ("negative", "neutral", "positive")
        assert math.isclose(sum(r["scores"].values()), 1.0, abs_tol=1e-5)
    first = rows[0]
    assert first["label"] == "negative"
    assert [b["brand"] for b in first["brands"]] == ["Сбербанк"]
    assert first["brands"][0]["span"] == [0, 4]
    assert first["brands"][0]["scores"] == first["scores"]  # the target brand's own score
    assert {b["brand"] for b in rows[1]["brands"]} == {"МТС", "Билайн"}
    assert "warning" in rows[2] and rows[2]["brands"] == []
    assert rows[3]["brands"] == []


def test_a_text_about_one_brand_is_labelled_toward_it(tmp_path: Path) -> None:
    """Without a "brand" field, a text naming one brand takes that brand's reading (here ironic thanks, which
    the whole-text reading misses); a text naming two keeps the whole text's, beside each brand's own."""
    rows_in = [{"id": 1, "text": "Ну спасибо, Мегафон, за роуминг 🙃"},
               {"id": 2, "text": "МТС опять без связи, а у Билайна всё ловит"}]
    src = _write(tmp_path / "in.jsonl", [json.dumps(r, ensure_ascii=False) for r in rows_in])
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(main, ["analyze", str(src), "-o", str(out), "--model", "fast"])
    assert result.exit_code == 0, result.output
    one, two = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    (brand,) = one["brands"]
    assert brand["brand"] == "МегаФон" and brand["label"] == "negative"
    assert one["label"] == "negative" and one["scores"] == brand["scores"] and "warning" not in one
    assert one["intent"] == brand["intent"] and one["urgency"] == brand["urgency"]
    assert {b["brand"]: b["label"] for b in two["brands"]} == {"МТС": "negative", "Билайн": "positive"}
    assert all(two["scores"] != b["scores"] for b in two["brands"])  # the whole text's own reading


def test_analyze_bad_lines_are_reported_and_skipped(tmp_path: Path) -> None:
    lines = [json.dumps(ROWS[0], ensure_ascii=False), "{not json", json.dumps({"id": 9}), "[1, 2]",
             json.dumps({"id": 10, "text": "МТС " + "очень " * 10_000})]
    src = _write(tmp_path / "in.jsonl", lines)
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(main, ["analyze", str(src), "-o", str(out), "--batch-size", "2",
                                       "--max-line-chars", "1000000"])
    assert result.exit_code == 1
    assert "3 skipped" in result.output
    assert "line 2: malformed JSON" in result.output and "line 3: missing 'text'" in result.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 5
    assert rows[2] == {"id": 9, "line": 3, "error": "missing 'text'"}
    assert rows[4]["id"] == 10 and rows[4]["brands"][0]["brand"] == "МТС"


def test_analyze_with_transformers_checkpoint(tmp_path: Path, tiny_checkpoint: Path) -> None:
    src = _write(tmp_path / "in.jsonl", [json.dumps(r, ensure_ascii=False) for r in ROWS[:2]])
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(main, ["analyze", str(src), "-o", str(out), "--model", str(tiny_checkpoint)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 2 and all(math.isclose(sum(r["scores"].values()), 1.0, abs_tol=1e-5) for r in rows)


def test_analyze_unknown_model_is_a_clear_error(tmp_path: Path) -> None:
    src = _write(tmp_path / "in.jsonl", [json.dumps(ROWS[0], ensure_ascii=False)])
    bogus = tmp_path / "nothing-here"
    bogus.mkdir()
    result = CliRunner().invoke(main, ["analyze", str(src), "-o", str(tmp_path / "o.jsonl"), "--model", str(bogus)])
    assert result.exit_code != 0
    assert "cannot load" in result.output


def test_evaluate_prints_metrics(tmp_path: Path) -> None:
    rows = [
        {"id": 1, "text": "Сбербанк украл мои деньги, ужасный банк", "brand": "Сбербанк", "label": "negative"},
        {"id": 2, "text": "МТС лучший оператор, спасибо!", "brand": "МТС", "label": "positive"},
        {"id": 3, "text": "ВТБ открыл офис на Ленина", "brand": "ВТБ", "label": "neutral"},
    ]
    src = _write(tmp_path / "in.jsonl", [json.dumps(r, ensure_ascii=False) for r in rows])
    result = CliRunner().invoke(main, ["evaluate", str(src), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output[: result.output.rindex("}") + 1])
    assert report["n"] == 3 and 0.0 <= report["macro_f1_pn"] <= 1.0
    assert report["accuracy"] >= 2 / 3


def test_classify_pending_fills_brand_mentions(session: Session, shipped_model: SentimentModel) -> None:
    from classifier.scoring import classify_pending
    from molva.models import BrandMention, Mention, Source

    now = datetime(2025, 3, 1, 12, tzinfo=UTC)
    src = Source(name="test-classifier", kind="vk")
    session.add(src)
    session.flush()
    text = "Сбербанк заблокировал карту и списал деньги, а МТС молодцы"
    m = Mention(source_id=src.id, kind="vk", external_id="1_1", url="https://vk.com/wall1_1",
                canonical_url="https://vk.com/wall1_1", text=text, published_at=now, author_followers=5000,
                likes=40, reposts=3, comments=7, content_hash="test-classifier-1")
    session.add(m)
    session.flush()
    sber = BrandMention(mention_id=m.id, brand="Сбербанк", alias="Сбербанк", span_start=0, span_end=8,
                        published_at=now)
    mts = BrandMention(mention_id=m.id, brand="МТС", alias="МТС", span_start=text.index("МТС"),
                       span_end=text.index("МТС") + 3, published_at=now)
    session.add_all([sber, mts])
    session.flush()
    done = classify_pending(session, shipped_model, limit=10, now=now)
    assert {bm.id for bm in done} == {sber.id, mts.id}
    assert sber.sentiment == "negative" and sber.intent == "problem"
    assert sber.urgency is not None and sber.urgency >= 0.5
    assert sber.urgency_reasons is not None and "card_blocked" in sber.urgency_reasons
    assert sber.model_version == shipped_model.version and sber.classified_at == now
    assert math.isclose(sber.score_negative + sber.score_neutral + sber.score_positive, 1.0, abs_tol=1e-5)
    assert classify_pending(session, shipped_model, limit=10, now=now) == []
    assert session.in_transaction()


def test_a_model_version_longer_than_its_column_is_stored_fitted_and_distinct(
        session: Session, tiny_checkpoint: Path, tmp_path: Path) -> None:
    """``brand_mentions.model_version`` holds 100 characters (PostgreSQL enforces it): a longer version (a model
    loaded from a long path, a long mix suffix) is stored as its head plus 8 hex digits of the whole."""
    from classifier.inference import TransformersSentimentModel
    from classifier.scoring import classify_pending, stored_version
    from molva.models import BrandMention, Mention, Source

    assert stored_version("short") == "short"
    a, b = stored_version("m" * 120 + "a"), stored_version("m" * 120 + "b")
    assert len(a) == len(b) == 100 and a != b and a.startswith("m" * 91 + "~")
    deep = tmp_path / ("checkpoint-" + "x" * 60) / ("copy-" + "y" * 60)
    deep.parent.mkdir()
    deep.symlink_to(tiny_checkpoint, target_is_directory=True)
    model = TransformersSentimentModel(deep)
    assert len(model.version) > 100
    now = datetime(2025, 3, 1, 12, tzinfo=UTC)
    src = Source(name="test-long-version", kind="vk")
    session.add(src)
    session.flush()
    m = Mention(source_id=src.id, kind="vk", external_id="1_2", url="https://vk.com/wall1_2",
                canonical_url="https://vk.com/wall1_2", text="Сбербанк снова всё починил", published_at=now,
                content_hash="test-long-version-1")
    session.add(m)
    session.flush()
    bm = BrandMention(mention_id=m.id, brand="Сбербанк", alias="Сбербанк", span_start=0, span_end=8,
                      published_at=now)
    session.add(bm)
    session.flush()
    assert [row.id for row in classify_pending(session, model, limit=10, now=now)] == [bm.id]
    assert bm.model_version == stored_version(model.version) and len(bm.model_version) == 100


def test_classify_pending_uses_the_brand_group_and_keeps_corrections(
        session: Session, shipped_model: SentimentModel) -> None:
    from classifier.scoring import classify_pending
    from molva.catalog import load_catalog
    from molva.models import BrandMention, Mention, SentimentCorrection, Source

    catalog = load_catalog()
    assert catalog.get("Сбербанк").group == "banks" and catalog.get("МТС").group == "telecom"  # type: ignore[union-attr]
    now = datetime(2025, 3, 1, 12, tzinfo=UTC)
    src = Source(name="test-classifier-groups", kind="vk")
    session.add(src)
    session.flush()
    texts = ["МТС опять без связи весь день", "Сбербанк перевёл деньги за минуту, удобно"]
    mentions = []
    for i, text in enumerate(texts):
        m = Mention(source_id=src.id, kind="vk", external_id=f"2_{i}", url=f"https://vk.com/wall2_{i}",
                    canonical_url=f"https://vk.com/wall2_{i}", text=text, published_at=now,
                    content_hash=f"test-classifier-groups-{i}")
        session.add(m)
        mentions.append(m)
    session.flush()
    mts = BrandMention(mention_id=mentions[0].id, brand="МТС", alias="МТС", span_start=0, span_end=3,
                       published_at=now)
    sber = BrandMention(mention_id=mentions[1].id, brand="Сбербанк", alias="Сбербанк", span_start=0, span_end=8,
                        published_at=now)
    session.add_all([mts, sber])
    session.flush()
    # a person already said what the Sberbank mention is; the classifier must not touch it
    session.add(SentimentCorrection(brand_mention_id=sber.id, old_label=None, label="positive"))
    session.flush()
    done = classify_pending(session, shipped_model, limit=10, now=now, catalog=catalog)
    assert [bm.id for bm in done] == [mts.id]
    expected = shipped_model.predict([texts[0]], [[(0, 3)]], others=[[]], groups=["telecom"])[0]
    generic = shipped_model.predict([texts[0]], [[(0, 3)]], others=[[]])[0]
    assert expected != generic  # the domain matters, so the check below is not vacuous
    assert math.isclose(mts.score_negative or 0.0, expected["negative"], abs_tol=1e-6)
    assert sber.sentiment is None and sber.model_version is None and sber.classified_at is None
