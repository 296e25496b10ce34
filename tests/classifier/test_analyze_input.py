"""Issue 14.7: `molva analyze` input: --encoding, a clear error for undecodable input, finite ids only."""

from __future__ import annotations

import json
import math
from pathlib import Path

from click.testing import CliRunner

from molva.cli import main

ROW = {"id": 1, "text": "Сбербанк опять не работает, ужасный сервис", "brand": "Сбербанк"}


def _rows(path: Path) -> list[dict[str, object]]:
    text = path.read_text(encoding="utf-8")
    assert "Infinity" not in text and "NaN" not in text and "\ufffd" not in text
    return [json.loads(line, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
            for line in text.splitlines()]


def test_cp1251_input_is_an_error_naming_the_line_unless_the_encoding_is_given(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    other = {"id": 2, "text": "МТС всё хорошо"}
    src.write_bytes((json.dumps(other, ensure_ascii=False) + "\n" + json.dumps(ROW, ensure_ascii=False) + "\n")
                    .encode("cp1251"))
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(main, ["analyze", str(src), "-o", str(out)])
    assert result.exit_code == 2, result.output
    (line,) = [x for x in result.output.splitlines() if x.startswith("molva: error:")]
    assert f"{src}:1: not valid utf-8" in line and "--encoding cp1251" in line and "Traceback" not in result.output
    if out.exists():
        assert "\ufffd" not in out.read_text(encoding="utf-8")  # nothing decoded with replacement characters

    result = CliRunner().invoke(main, ["analyze", str(src), "-o", str(out), "--encoding", "cp1251"])
    assert result.exit_code == 0, result.output
    rows = _rows(out)
    assert [r["id"] for r in rows] == [2, 1] and rows[1]["brand"] == "Сбербанк"


def test_unknown_encoding_is_one_line_exit_2(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps(ROW) + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["analyze", str(src), "-o", str(tmp_path / "o"), "--encoding", "klingon"])
    assert result.exit_code == 2 and "unknown encoding 'klingon'" in result.output


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_bytes(b"\xef\xbb\xbf" + (json.dumps(ROW, ensure_ascii=False) + "\n").encode("utf-8"))
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(main, ["analyze", str(src), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert _rows(out)[0]["id"] == 1


def test_non_finite_ids_are_error_rows_not_infinity(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": 1e400, "text": "Сбербанк плохо"}\n{"id": -1e999, "text": "МТС"}\n'
                   '{"id": 3, "text": "ВТБ хорошо"}\n', encoding="utf-8")
    assert math.isinf(json.loads(src.read_text().splitlines()[0])["id"])  # what the input really means
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(main, ["analyze", str(src), "-o", str(out)])
    assert result.exit_code == 1, result.output  # rows skipped
    rows = _rows(out)
    assert len(rows) == 3 and rows[2]["id"] == 3 and "label" in rows[2]
    assert all(r["id"] is None and "finite" in str(r["error"]) for r in rows[:2])
    assert "2 skipped" in result.output
