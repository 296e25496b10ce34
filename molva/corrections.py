"""Manual sentiment corrections: stored in ``sentiment_corrections``, exported as training data.

A correction replaces the label shown everywhere (``brand_mentions.sentiment``) and keeps the model's
label in ``old_label``; correcting again updates the same row, so each brand mention has at most one.
The export gives the text, the brand span and the corrected label, in JSONL or CSV, for the next
training run.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from molva.errors import MolvaError
from molva.escaping import spreadsheet_row
from molva.models import BrandMention, Mention, SentimentCorrection

LABELS = ("negative", "neutral", "positive")
EXPORT_FIELDS = (
    "text", "brand", "span_start", "span_end", "label", "old_label", "model_version",
    "brand_mention_id", "mention_id", "url", "corrected_by", "corrected_at",
)


class CorrectionError(MolvaError):
    """A correction that cannot be stored (unknown label or brand mention)."""


@dataclass(frozen=True)
class TrainingExample:
    text: str
    brand: str
    span_start: int
    span_end: int
    label: str
    old_label: str | None
    model_version: str | None
    brand_mention_id: int
    mention_id: int
    url: str
    corrected_by: str | None
    corrected_at: str


def correct_sentiment(
    session: Session, brand_mention_id: int, label: str, corrected_by: str | None = None
) -> SentimentCorrection:
    """Record that the sentiment of a brand mention is ``label`` (the caller commits)."""
    if label not in LABELS:
        raise CorrectionError(f"неизвестная тональность {label!r}: ожидается одна из {', '.join(LABELS)}")
    mention = session.get(BrandMention, brand_mention_id)
    if mention is None:
        raise CorrectionError(f"упоминание бренда #{brand_mention_id} не найдено")
    correction = session.scalar(
        select(SentimentCorrection).where(SentimentCorrection.brand_mention_id == brand_mention_id)
    )
    if correction is None:
        correction = SentimentCorrection(brand_mention_id=brand_mention_id, old_label=mention.sentiment)
        session.add(correction)
    correction.label = label
    correction.corrected_by = corrected_by
    correction.created_at = datetime.now(UTC)
    mention.sentiment = label
    session.flush()
    return correction


def training_examples(session: Session) -> Iterator[TrainingExample]:
    """Every correction with its text, oldest first."""
    query = (
        select(SentimentCorrection, BrandMention, Mention.text, Mention.url)
        .join(BrandMention, BrandMention.id == SentimentCorrection.brand_mention_id)
        .join(Mention, Mention.id == BrandMention.mention_id)
        .order_by(SentimentCorrection.created_at, SentimentCorrection.id)
    )
    for correction, bm, text, url in session.execute(query):
        created = correction.created_at
        created = created if created.tzinfo else created.replace(tzinfo=UTC)
        yield TrainingExample(
            text=text,
            brand=bm.brand,
            span_start=bm.span_start,
            span_end=bm.span_end,
            label=correction.label,
            old_label=correction.old_label,
            model_version=bm.model_version,
            brand_mention_id=bm.id,
            mention_id=bm.mention_id,
            url=url,
            corrected_by=correction.corrected_by,
            corrected_at=created.isoformat(),
        )


def export_jsonl(session: Session) -> str:
    """One JSON object per line (UTF-8 text, not ASCII-escaped)."""
    return "".join(json.dumps(asdict(e), ensure_ascii=False) + "\n" for e in training_examples(session))


def export_csv(session: Session) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(EXPORT_FIELDS))
    writer.writeheader()
    for example in training_examples(session):
        writer.writerow(spreadsheet_row(asdict(example)))  # no formulas from post text in a spreadsheet
    return buffer.getvalue()


def export_training_data(session: Session, fmt: str = "jsonl") -> str:
    if fmt == "jsonl":
        return export_jsonl(session)
    if fmt == "csv":
        return export_csv(session)
    raise CorrectionError(f"неизвестный формат выгрузки {fmt!r}: ожидается jsonl или csv")
