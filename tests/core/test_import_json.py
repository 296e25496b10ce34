"""``molva import`` reads JSON Lines with orjson; what orjson refuses goes to json, so every line reads as
json reads it and a broken line gets json's own message."""

from __future__ import annotations

import json

import pytest

from molva.ingest.importer import RowError, decode_line

LINES = [
    '{"source": "a", "text": "Сбер \\u0434", "likes": 3, "views": 1.5e3}\n',
    '{"a": NaN, "b": Infinity, "c": -Infinity}',  # json reads these; orjson does not
    '{"big": 123456789012345678901234567890}',  # past 64 bits
    '{"lone": "\\ud800"}',  # a lone surrogate
    '{"twice": 1, "twice": 2}',
    '  {"spaced": true}  \r\n',
]


@pytest.mark.parametrize("line", LINES)
def test_lines_read_as_json_reads_them(line: str) -> None:
    got = decode_line(line)
    want = json.loads(line)
    assert not isinstance(got, RowError)
    assert json.dumps(got, sort_keys=True) == json.dumps(want, sort_keys=True)
    assert [type(v) for v in got.values()] == [type(v) for v in want.values()]


@pytest.mark.parametrize("line", ['{"a": 1', "not json", '{"a": 1} {"b": 2}', "[1, 2]", '"text"'])
def test_broken_lines_keep_json_messages(line: str) -> None:
    got = decode_line(line)
    assert isinstance(got, RowError)
    try:
        value = json.loads(line)
    except json.JSONDecodeError as exc:
        assert str(got) == f"не JSON: {exc.msg}"
    else:
        assert not isinstance(value, dict) and str(got) == "нужен JSON-объект"


def test_nested_big_integers_read_as_json_reads_them() -> None:
    line = '{"text": [123456789012345678901234567890, {"x": 1.0}], "views": 2.5}'
    assert str(decode_line(line)) == str(json.loads(line))
