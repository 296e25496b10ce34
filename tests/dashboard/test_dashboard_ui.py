"""Safe rendering and exports of untrusted text."""

from __future__ import annotations

import io

import pandas as pd
from openpyxl import load_workbook

from dashboard.ui import escape_text, fmt_duration, highlight, to_csv, to_excel

XSS = "<script>alert(1)</script><img src=x onerror=alert(2)>"


def test_escape_leaves_no_markup() -> None:
    out = escape_text(XSS + " [x](javascript:alert(1)) ![i](http://t/p.png) $a$ :red[b] **c** &amp;\nnew")
    for raw in ("<", ">", "[", "]", "(", ")", "$", ":", "*", "&amp;"):
        assert raw not in out.replace("<br>", "").replace("&#", "").replace(";", "") or raw == "&amp;"
    assert "&#38;amp&#59;" not in out and "&#38;amp;" in out  # one pass: "&" escaped once
    assert out.endswith("<br>new")


def test_highlight_escapes_before_wrapping() -> None:
    text = f"{XSS} Сбербанк <b>и</b> ВТБ"
    start = text.index("Сбербанк")
    html = highlight(text, [(start, start + 8), (text.index("ВТБ"), text.index("ВТБ") + 3)])
    assert "<mark>Сбербанк</mark>" in html and "<mark>ВТБ</mark>" in html
    assert "<script" not in html and "<img" not in html and "<b>" not in html
    assert html.count("<mark>") == 2 and html.count("<") == 4
    # spans out of range or overlapping never duplicate or drop text
    assert highlight("abc", [(1, 2), (0, 3), (5, 9)]).replace("<mark>", "").replace("</mark>", "") == "abc"


def test_exports_neutralise_formulas() -> None:
    df = pd.DataFrame({"text": ["=HYPERLINK(\"http://evil\")", "+1", "обычный текст"], "n": [1, 2, 3],
                       "published_at": pd.to_datetime(["2026-01-01T10:00:00Z"] * 3)})
    csv_text = to_csv(df).decode("utf-8-sig")
    assert "'=HYPERLINK" in csv_text and "'+1" in csv_text and "обычный текст" in csv_text
    sheet = load_workbook(io.BytesIO(to_excel(df))).active
    assert sheet is not None
    values = [cell.value for cell in sheet["A"]]
    assert values[1].startswith("'=") and sheet["A2"].data_type == "s"


def test_durations_in_russian() -> None:
    assert [fmt_duration(v) for v in (None, 90, 5400, 3600, 200_000)] == ["—", "2 мин", "1 ч 30 мин", "1 ч",
                                                                          "2 дн 7 ч"]
