"""Tiny SentiRuEval-format training corpora for the adaptation tests (``molva train --adapt``)."""

from __future__ import annotations

import json
from pathlib import Path

Rows = dict[str, list[tuple[str, str, str]]]  # domain -> (text, brand, label)


def write_corpora(data_dir: Path, rows: Rows) -> None:
    """``sentirueval2016_{domain}_train.jsonl`` files in ``data_dir``: each row three times, the third copy
    later in time (it falls in the validation split)."""
    data_dir.mkdir()
    for domain, items in rows.items():
        lines = []
        for n, (text, brand, label) in enumerate(items * 3):
            published = "2014-08-20T00:00:00+00:00" if n % 3 == 2 else "2014-01-01T00:00:00+00:00"
            lines.append(json.dumps({"id": n, "text": text, "brand": brand, "brand_id": brand, "label": label,
                                     "published": published, "domain": domain}, ensure_ascii=False))
        (data_dir / f"sentirueval2016_{domain}_train.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
