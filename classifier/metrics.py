"""Classification metrics, including the SentiRuEval one (macro-F1 over positive and negative)."""

from __future__ import annotations

from collections.abc import Sequence

from classifier.arch import LABELS


def f1_per_class(gold: Sequence[str], pred: Sequence[str]) -> dict[str, float]:
    out: dict[str, float] = {}
    for label in LABELS:
        tp = sum(1 for g, p in zip(gold, pred, strict=True) if g == label and p == label)
        fp = sum(1 for g, p in zip(gold, pred, strict=True) if g != label and p == label)
        fn = sum(1 for g, p in zip(gold, pred, strict=True) if g == label and p != label)
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        out[label] = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    return out


def classification_report(gold: Sequence[str], pred: Sequence[str]) -> dict[str, float]:
    """accuracy, macro_f1 (3 classes), macro_f1_pn (SentiRuEval: mean F1 of positive and negative), n."""
    if len(gold) != len(pred):
        raise ValueError("gold and pred differ in length")
    n = len(gold)
    f1 = f1_per_class(gold, pred)
    return {
        "n": float(n),
        "accuracy": sum(1 for g, p in zip(gold, pred, strict=True) if g == p) / n if n else 0.0,
        "macro_f1": sum(f1.values()) / len(f1),
        "macro_f1_pn": (f1["positive"] + f1["negative"]) / 2,
        **{f"f1_{k}": v for k, v in f1.items()},
    }
