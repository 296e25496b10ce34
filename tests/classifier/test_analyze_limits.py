"""`molva analyze` input limits (issue 9 item 5): a line over the size limit gets an error row and is never
read whole; chunks give their memory back."""

from __future__ import annotations

import io
import json
from pathlib import Path

from click.testing import CliRunner

from classifier.analyze import LongLine, Stats, analyze_lines, read_lines
from molva.catalog import load_catalog
from molva.cli import main
from molva.memory import release_free_memory


class CountingStream(io.StringIO):
    """Records the largest single read, to show a huge line is consumed in bounded pieces."""

    largest = 0

    def readline(self, size: int | None = -1) -> str:  # type: ignore[override]
        line = super().readline(size)
        self.largest = max(self.largest, len(line))
        return line


def test_read_lines_skips_over_a_long_line_in_bounded_pieces() -> None:
    huge = json.dumps({"id": "big", "text": "МТС " * 250_000})  # ~1 MB
    stream = CountingStream("\n".join(['{"id": 1, "text": "a"}', huge, "", '{"id": 2, "text": "b"}']) + "\n")
    items = list(read_lines(stream, max_chars=1000, block=4096))
    assert items[0] == '{"id": 1, "text": "a"}\n'
    assert isinstance(items[1], LongLine) and items[1].length == len(huge)
    assert items[1].head.startswith('{"id": "big"') and len(items[1].head) <= 2000
    assert items[2:] == ["\n", '{"id": 2, "text": "b"}\n']
    assert stream.largest <= 4096


def test_read_lines_limit_is_inclusive() -> None:
    line = "x" * 10
    assert list(read_lines(io.StringIO(line + "\n" + line), max_chars=10)) == [line + "\n", line]
    got = list(read_lines(io.StringIO(line + "y\n" + line), max_chars=10))
    assert got == [LongLine(line + "y", 11), line]


def test_long_lines_get_error_rows_in_order(shipped_model) -> None:  # type: ignore[no-untyped-def]
    lines = [json.dumps({"id": 1, "text": "МТС молодец"}, ensure_ascii=False),
             json.dumps({"id": 2, "text": "Сбер " * 100}, ensure_ascii=False),
             LongLine('{"id": 3, "text": "Сбер', 5_000_000),
             json.dumps({"text": "x" * 3000, "id": 4}),  # its id lies past the kept head
             json.dumps({"id": 5, "text": "Билайн"}, ensure_ascii=False)]
    stats = Stats()
    rows = list(analyze_lines(lines, shipped_model, load_catalog(), stats, batch_size=2, max_line_chars=300))
    assert [r["id"] for r in rows] == [1, 2, 3, None, 5]
    assert [("error" in r) for r in rows] == [False, True, True, True, False]
    assert rows[1]["error"] == f"line too long: {len(lines[1])} characters (limit 300)"
    assert rows[2]["error"] == "line too long: 5000000 characters (limit 300)" and rows[2]["line"] == 3
    assert stats.rows == 5 and stats.skipped == 3


def test_cli_max_line_chars(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    long_text = "Ростелеком опять без интернета. " * 1_000  # 32,000 characters
    src.write_text("\n".join([json.dumps({"id": 1, "text": "МТС молодец"}, ensure_ascii=False),
                              json.dumps({"id": "long", "text": long_text}, ensure_ascii=False)]) + "\n",
                   encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(main, ["analyze", str(src), "-o", str(out)])
    assert result.exit_code == 1, result.output
    assert "line 2: line too long" in result.output and "(limit 20000)" in result.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert rows[0]["id"] == 1 and rows[0]["brands"][0]["brand"] == "МТС"
    assert rows[1]["id"] == "long" and rows[1]["line"] == 2 and "error" in rows[1]
    result = CliRunner().invoke(main, ["analyze", str(src), "-o", str(out), "--max-line-chars", "40000"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert rows[1]["brands"][0]["brand"] == "Ростелеком"


def test_a_megabyte_line_is_scored_when_allowed(shipped_model) -> None:  # type: ignore[no-untyped-def]
    text = "Сбербанк и МТС, Билайн и Открытие, альфа и ВТБ. " * 20_000  # ~1 MB, ~120,000 brand mentions
    rows = list(analyze_lines([json.dumps({"id": 1, "text": text}, ensure_ascii=False)], shipped_model,
                              load_catalog(), Stats(), max_line_chars=2_000_000))
    assert {b["brand"] for b in rows[0]["brands"]} == {"Сбербанк", "МТС", "Билайн", "Открытие", "ВТБ", "Альфа-Банк"}


def test_release_free_memory_is_safe_to_call() -> None:
    first = release_free_memory()
    assert release_free_memory() is first
