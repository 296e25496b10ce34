"""The fast model's multi-brand variant, trained from the shipped fast network on hand-written two-brand
posts: ``molva train --adapt POSTS --model fast``.

The recipe is the accurate model's (``classifier.adapt``, whose data, replay and training loop this reuses):
the written posts (one example per labelled brand, marked as ``molva analyze`` marks it; targets the gold
labels, optionally mixed with the accurate model's scores) plus a replay of the original training texts,
every multi-brand one first, whose targets are the starting network's own probabilities (learning without
forgetting). The token tables stay frozen (``classifier.fast_multi.TOKEN_TABLES``): the variant is the
encoder, pooling and head only, a few hundred kilobytes, and it shares the base network's token cache.

The epoch kept is the best by brand labels right on the dev posts through the product path (brand
matching, the model with the variant routed, the per-brand rules: what ``molva analyze`` writes) among
those whose SentiRuEval validation macro-F1 (positive/negative, mean of banks and telecom, the model with
the variant routed, as ``benchmarks/structure_validation.py`` scores it) is at most ``max_val_drop`` below
the start.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from classifier.arch import LABELS
from classifier.data import Example


@dataclass
class FastAdaptConfig:
    # the shipped recipe (2026-11-30, BENCHMARKS.md "multi-brand variant of the fast model"): lr 5e-4 left
    # the variant under-fitted (0.64 of the written brand labels after 3 epochs); 2e-3 to 5e-3 and the
    # bigram table gave the best dev posts
    epochs: int = 4
    batch_size: int = 32
    lr: float = 3e-3
    replay: int = 6000  # training texts kept as the network scores them now: every multi-brand one first
    written_repeat: int = 2  # each written example is seen this many times an epoch
    label_smoothing: float = 0.05
    teacher_weight: float = 0.3  # share of the accurate model's scores in the written posts' targets
    linear: bool = True  # also train the linear branch's bigram table (1.5 MB more to ship)
    max_val_drop: float = 0.01
    seed: int = 13


def product_accuracy(model: Any, posts: Sequence[Mapping[str, Any]], catalog: Any) -> float:
    """Brand labels right on ``posts`` ({"text", "labels": {brand: label}}) through ``molva analyze``'s
    path (a brand that analyze did not find counts as wrong), as ``benchmarks/two_brand_eval.py`` scores."""
    from classifier.analyze import Stats, analyze_lines

    lines = [json.dumps({"id": i, "text": p["text"]}, ensure_ascii=False) for i, p in enumerate(posts)]
    right = total = 0
    for out in analyze_lines(lines, model, catalog, Stats()):
        got = {b["brand"]: b["label"] for b in out.get("brands", [])}
        for brand, gold in dict(posts[int(out["id"])]["labels"]).items():
            total += 1
            right += int(got.get(brand) == gold)
    return right / max(total, 1)


def routed_model(base: Any, variant: Any | None, prior: Sequence[float] | None) -> Any:
    """The product's fast model from in-memory networks: ``variant`` on multi-brand requests."""
    from classifier.inference import MolvaSentimentModel

    return MolvaSentimentModel.from_nets([base], "adapting", multi_net=variant, class_log_prior=prior)


def scores(base: Any, variant: Any, val: Mapping[str, Sequence[Example]], dev: Sequence[Example],
           dev_posts: Sequence[Mapping[str, Any]], catalog: Any, prior: Sequence[float] | None) -> dict[str, float]:
    """``val_mean`` (routed validation macro-F1 pos/neg, per domain too), ``dev_accuracy`` (product path) and
    ``dev_raw`` (the routed model alone on the dev brands)."""
    from classifier.metrics import classification_report

    variant.eval()
    model = routed_model(base, variant, prior)
    out: dict[str, float] = {}
    for name, ex in val.items():
        pred = _predict(model, ex).argmax(1)
        out[name] = classification_report([LABELS[e.label] for e in ex], [LABELS[i] for i in pred])["macro_f1_pn"]
    out["val_mean"] = float(np.mean([out[n] for n in val]))
    out["dev_accuracy"] = product_accuracy(model, dev_posts, catalog)
    out["dev_raw"] = float(np.mean(_predict(model, dev).argmax(1) == np.array([e.label for e in dev])))
    return out


def _predict(model: Any, ex: Sequence[Example]) -> np.ndarray:
    out: np.ndarray = model.predict_domains([e.text for e in ex], [e.target for e in ex], [e.others for e in ex],
                                            [e.domain for e in ex])
    return out


def adapt_fast(net: Any, written: Sequence[Example], replay: Sequence[Example],
               val: Mapping[str, Sequence[Example]], dev: Sequence[Example], dev_posts: Sequence[Mapping[str, Any]],
               catalog: Any, cfg: FastAdaptConfig, prior: Sequence[float] | None = None,
               written_teacher: np.ndarray | None = None, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Train ``net`` (the fast ``SentimentNet``, in place) into the multi-brand variant; returns the history,
    the chosen epoch (its weights are left in ``net``) and the names of the tensors that trained."""
    import torch

    from classifier.adapt import fit, soft_targets
    from classifier.embeddings import load_navec
    from classifier.fast_multi import trainable_names
    from classifier.text import Featurizer
    from classifier.training import predict_examples, seed_everything

    seed_everything(cfg.seed)
    t0 = time.perf_counter()
    base = copy.deepcopy(net).eval()  # the unchanged network: single-brand requests, replay targets
    for p in base.parameters():
        p.requires_grad_(False)
    names = trainable_names(net, cfg.linear)
    for name, p in net.named_parameters():
        p.requires_grad_(name in names)
    nav = load_navec()
    feat = Featurizer(nav.vocab, nav.unk, nav.pad)
    replay_probs = predict_examples([base], feat, list(replay), torch.device("cpu"))
    targets = soft_targets([e.label for e in written], replay_probs, cfg.label_smoothing, written_teacher,
                           cfg.teacher_weight)
    examples = [*written, *replay]
    log(f"fast variant: {len(written)} written, {len(replay)} replayed, {len(names)} tensors train "
        f"({sum(p.numel() for n, p in net.named_parameters() if n in names):,} weights)")

    def batch_logits(idx: list[int]) -> Any:
        chunk = [examples[i] for i in idx]
        return net(feat.batch([e.text for e in chunk], [e.target for e in chunk], [e.others for e in chunk],
                              [e.domain for e in chunk]))

    params = [p for n, p in net.named_parameters() if n in names]
    history, chosen = fit(net, [{"params": params, "lr": cfg.lr}], batch_logits, targets, len(written),
                          lambda: scores(base, net, val, dev, dev_posts, catalog, prior), cfg, log)
    for p in net.parameters():
        p.requires_grad_(True)
    return {"config": asdict(cfg), "history": history, "chosen_epoch": chosen, "written": len(written),
            "replay": len(replay), "trained": names, "seconds": round(time.perf_counter() - t0, 1)}
