"""Loading and running sentiment models: the shipped default or any transformers checkpoint."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import torch

from classifier.model import DOMAINS, LABELS
from classifier.text import Span

DEFAULT_MODEL_DIR = Path(__file__).resolve().parent.parent / "models" / "molva-sentiment"
Targets = Sequence[Sequence[Span] | None]


class ModelLoadError(RuntimeError):
    """The model directory / hub id cannot be loaded (missing files, not a classifier, offline)."""


@runtime_checkable
class SentimentModel(Protocol):
    version: str

    def predict(self, texts: Sequence[str], targets: Targets, *, others: Targets | None = None,
                groups: Sequence[str | None] | None = None) -> list[dict[str, float]]:
        """Scores ``negative``/``neutral``/``positive`` (summing to 1) toward each text's target spans
        (None: the whole text). ``others``: spans of other brands; ``groups``: catalog group of the target."""
        ...


def _domain(target: Sequence[Span] | None, group: str | None) -> int:
    if group in ("banks", "telecom"):
        return DOMAINS.index(group)
    return DOMAINS.index("generic" if target else "tweets")


class MolvaSentimentModel:
    """The default model: an ensemble of small target-aware CNNs over navec + hashed char n-grams."""

    def __init__(self, model_dir: Path, batch_size: int = 256, members: int | None = None) -> None:
        from classifier.embeddings import load_navec
        from classifier.text import Featurizer
        from classifier.training import CONFIG_FILE, load_members

        conf = json.loads((model_dir / CONFIG_FILE).read_text(encoding="utf-8"))
        self.version: str = str(conf["version"])
        self.nets = load_members(model_dir)[:members or conf.get("inference_members")]
        nav = load_navec()
        self.featurizer = Featurizer(nav.vocab, nav.unk, nav.pad)
        self.batch_size = batch_size

    def predict(self, texts: Sequence[str], targets: Targets, *, others: Targets | None = None,
                groups: Sequence[str | None] | None = None) -> list[dict[str, float]]:
        if len(texts) != len(targets):
            raise ValueError("texts and targets differ in length")
        n = len(texts)
        order = sorted(range(n), key=lambda i: len(texts[i]))  # similar lengths share a batch: less padding
        out: list[dict[str, float]] = [{}] * n
        with torch.inference_mode():
            for s in range(0, n, self.batch_size):
                idx = order[s:s + self.batch_size]
                b = self.featurizer.batch(
                    [texts[i] for i in idx], [targets[i] for i in idx],
                    [others[i] for i in idx] if others is not None else None,
                    [_domain(targets[i], groups[i] if groups is not None else None) for i in idx],
                )
                probs = torch.stack([torch.softmax(net(b), -1) for net in self.nets]).mean(0)
                for i, row in zip(idx, probs.tolist(), strict=True):
                    total = sum(row)
                    out[i] = {label: p / total for label, p in zip(LABELS, row, strict=True)}
        return out


class TransformersSentimentModel:
    """Any local directory or hub id of a transformers sequence-classification checkpoint.

    Labels come from ``config.id2label`` (names containing neg/neu/pos, or LABEL_0..2 read as
    negative, neutral, positive). Targets are not used: transformers checkpoints score the whole text."""

    def __init__(self, path_or_hub_id: str | Path, batch_size: int = 32, max_length: int = 256) -> None:
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        try:
            self.tokenizer = AutoTokenizer.from_pretrained(str(path_or_hub_id))
            self.model = AutoModelForSequenceClassification.from_pretrained(str(path_or_hub_id)).eval()
        except (OSError, ValueError) as exc:
            raise ModelLoadError(f"cannot load transformers model {path_or_hub_id!s}: {exc}") from exc
        self.columns = _label_columns(dict(self.model.config.id2label))
        self.version = f"transformers:{path_or_hub_id!s}"
        self.batch_size = batch_size
        self.max_length = max_length

    def predict(self, texts: Sequence[str], targets: Targets, *, others: Targets | None = None,
                groups: Sequence[str | None] | None = None) -> list[dict[str, float]]:
        out: list[dict[str, float]] = []
        with torch.inference_mode():
            for s in range(0, len(texts), self.batch_size):
                enc = self.tokenizer(list(texts[s:s + self.batch_size]), padding=True, truncation=True,
                                     max_length=self.max_length, return_tensors="pt")
                probs = torch.softmax(self.model(**enc).logits.float(), -1)
                for row in probs.tolist():
                    scores = {label: sum(row[j] for j in cols) for label, cols in self.columns.items()}
                    total = sum(scores.values()) or 1.0
                    out.append({k: v / total for k, v in scores.items()})
        return out


def _label_columns(id2label: dict[int, str]) -> dict[str, list[int]]:
    """Map the checkpoint's output columns to negative/neutral/positive."""
    cols: dict[str, list[int]] = {label: [] for label in LABELS}
    for j, name in sorted(id2label.items()):
        low = str(name).lower()
        for label, keys in (("negative", ("neg",)), ("neutral", ("neu", "none", "skip")),
                            ("positive", ("pos",))):
            if any(k in low for k in keys):
                cols[label].append(int(j))
                break
    if not any(cols.values()) and len(id2label) == 3:
        return {label: [j] for j, label in enumerate(LABELS)}
    if not cols["negative"] or not cols["positive"]:
        raise ModelLoadError(f"cannot map labels {id2label} to negative/neutral/positive")
    return cols


def load_model(path_or_hub_id: str | Path | None = None) -> SentimentModel:
    """None: the shipped default; a Molva model directory; else a transformers checkpoint (dir or hub id)."""
    if path_or_hub_id is None or str(path_or_hub_id) == "":
        return MolvaSentimentModel(DEFAULT_MODEL_DIR)
    path = Path(path_or_hub_id)
    if path.is_dir() and (path / "weights-0.pt").exists():
        return MolvaSentimentModel(path)
    if path.exists() and not path.is_dir():
        raise ModelLoadError(f"{path}: not a model directory")
    return TransformersSentimentModel(path_or_hub_id)
