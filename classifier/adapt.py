"""Continued fine-tuning of the accurate model on hand-written two-brand posts (issue 9), cheap enough
for a CPU: ``molva train --adapt POSTS``.

The lower encoder layers stay frozen and run once per example; their output is kept, and only the top
``top`` layers and the head train on it. The written posts (one example per labelled brand, the brand
marked as the target and the others as other brands, exactly as ``molva analyze`` asks) are mixed with
a replay of the original training texts whose targets are the starting model's own probabilities, so
what it knew stays (learning without forgetting).

The result ships as the model's multi-brand variant (``classifier.teacher_multi``): it scores only
requests whose text names another brand, so every single-brand score stays as it was. The epoch kept is
the best on the two-brand dev posts among those whose SentiRuEval validation score, computed that way
(macro-F1 over positive and negative, mean of banks and telecom), is at most ``max_val_drop`` below the
start.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from classifier.arch import DOMAINS, LABELS
from classifier.data import Example
from classifier.text import Span


@dataclass
class AdaptConfig:
    # the shipped recipe (2026-11-30, BENCHMARKS.md "multi-brand variant"): the first tries changed the
    # model for every request and cost 0.02-0.05 of validation F1; scoring only multi-brand requests with
    # the variant (and replaying the multi-brand training texts) keeps single-brand scores as they were
    top: int = 2  # encoder layers that train (the rest are frozen and run once)
    epochs: int = 3
    batch_size: int = 32
    lr: float = 4e-5
    head_lr: float = 2e-4
    replay: int = 6000  # training texts kept as they are scored now: every multi-brand one, then others
    written_repeat: int = 2  # each written example is seen this many times an epoch
    label_smoothing: float = 0.05
    max_val_drop: float = 0.01
    seed: int = 13


def written_examples(rows: Sequence[dict[str, Any]], catalog: Any, domain: str | None = None) -> list[Example]:
    """One example per labelled brand of each post, marked as ``molva analyze`` marks it; in the brand's own
    domain (its catalog group), or in ``domain`` for all."""
    out: list[Example] = []
    for row in rows:
        text = str(row["text"])
        by_brand: dict[str, list[Span]] = {}
        for m in catalog.match(text):
            by_brand.setdefault(m.brand, []).append((m.start, m.end))
        for name, label in dict(row["labels"]).items():
            spans = by_brand.get(name)
            brand = catalog.get(name)
            if not spans or brand is None:
                continue
            others = tuple(s for other, ss in by_brand.items() if other != name for s in ss)
            group = domain or (brand.group if brand.group in DOMAINS else "generic")
            out.append(Example(text, tuple(spans), others, DOMAINS.index(group), LABELS.index(str(label))))
    return out


def read_posts(paths: Sequence[Path]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for path in paths:
        files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
        for f in files:
            rows += [json.loads(line) for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]
    return rows


def replay_examples(train: Sequence[Example], n: int, seed: int) -> list[Example]:
    """``n`` training texts to replay: every one that names another brand first (the variant scores only
    such requests, so those are what it must keep scoring as before), then others drawn at random."""
    rng = random.Random(seed)
    multi = [e for e in train if e.others]
    single = [e for e in train if not e.others]
    if n <= len(multi):
        return rng.sample(multi, n)
    return multi + rng.sample(single, min(n - len(multi), len(single)))


# ------------------------------------------------------------------------------ split forward pass

def _mask(net: Any, hidden: Any, mask: Any) -> Any:
    from transformers.masking_utils import create_bidirectional_mask

    return create_bidirectional_mask(config=net.bert.config, inputs_embeds=hidden, attention_mask=mask)


def lower_states(net: Any, rows: Sequence[tuple[list[int], int]], domains: Sequence[int], frozen: int,
                 batch_size: int = 64) -> list[np.ndarray]:
    """The output of the first ``frozen`` encoder layers for each row, unpadded (length x hidden, float16)."""
    import torch

    from classifier.teacher import pack_batch

    out: list[np.ndarray] = [np.zeros(0, np.float16)] * len(rows)
    order = sorted(range(len(rows)), key=lambda i: len(rows[i][0]))
    net.eval()
    with torch.inference_mode():
        for s in range(0, len(order), batch_size):
            idx = order[s:s + batch_size]
            ids, mask, _, _ = pack_batch([rows[i] for i in idx], [domains[i] for i in idx])
            h = net.bert.embeddings(input_ids=ids)
            am = _mask(net, h, mask)
            for layer in net.bert.encoder.layer[:frozen]:
                h = layer(h, am)
            for j, i in enumerate(idx):
                out[i] = h[j, :len(rows[i][0])].to(torch.float16).numpy()
    return out


def top_logits(net: Any, states: Sequence[np.ndarray], tpos: Sequence[int], domains: Sequence[int],
               frozen: int) -> Any:
    """The rest of ``TeacherNet.forward`` from the kept states: upper layers, pooling, head."""
    import torch

    width = max(len(s) for s in states)
    h = torch.zeros(len(states), width, states[0].shape[1])
    mask = torch.zeros(len(states), width, dtype=torch.long)
    for i, s in enumerate(states):
        h[i, :len(s)] = torch.from_numpy(s.astype(np.float32))
        mask[i, :len(s)] = 1
    am = _mask(net, h, mask)
    for layer in net.bert.encoder.layer[frozen:]:
        h = layer(h, am)
    rows = torch.arange(len(states))
    fm = mask.unsqueeze(-1).to(h.dtype)
    mean = (h * fm).sum(1) / fm.sum(1).clamp(min=1.0)
    feats = torch.cat([h[:, 0], h[rows, torch.tensor(list(tpos))], mean,
                       net.domain(torch.tensor(list(domains)))], -1)
    return net.head(feats)


def predict_states(net: Any, states: Sequence[np.ndarray], tpos: Sequence[int], domains: Sequence[int],
                   frozen: int, batch_size: int = 128) -> np.ndarray:
    import torch

    out = np.zeros((len(states), len(LABELS)), np.float32)
    order = sorted(range(len(states)), key=lambda i: len(states[i]))
    net.eval()
    with torch.inference_mode():
        for s in range(0, len(order), batch_size):
            idx = order[s:s + batch_size]
            logits = top_logits(net, [states[i] for i in idx], [tpos[i] for i in idx],
                                [domains[i] for i in idx], frozen)
            out[idx] = torch.softmax(logits.float(), -1).numpy()
    return out


# ------------------------------------------------------------------------------ training

@dataclass
class _Set:
    states: list[np.ndarray]
    tpos: list[int]
    domains: list[int]
    labels: list[int]
    multi: np.ndarray  # the requests the multi-brand variant scores (another brand in the text)
    start: np.ndarray | None = None  # the unchanged model's probabilities

    def probs(self, net: Any, frozen: int) -> np.ndarray:
        return predict_states(net, self.states, self.tpos, self.domains, frozen)

    def routed(self, net: Any, frozen: int) -> np.ndarray:
        """As the product scores them: the variant on multi-brand requests, the unchanged model elsewhere."""
        if self.start is None:
            self.start = self.probs(net, frozen)
        out = self.start.copy()
        if self.multi.any():
            idx = np.flatnonzero(self.multi)
            out[idx] = predict_states(net, [self.states[i] for i in idx], [self.tpos[i] for i in idx],
                                      [self.domains[i] for i in idx], frozen)
        return out


def _encode(net: Any, tok: Any, examples: Sequence[Example], frozen: int, cache_dir: Path | None,
            model_version: str) -> _Set:
    """Encode and run the frozen layers; with ``cache_dir`` the states are kept on disk under a key of the
    examples, the model version and ``frozen``, so a second run with other settings starts at once."""
    from classifier.teacher import encode_examples
    from classifier.teacher_train import fingerprint

    rows = encode_examples(tok, examples)
    domains = [e.domain for e in examples]
    tail = ([r[1] for r in rows], domains, [e.label for e in examples], np.array([bool(e.others) for e in examples]))
    path = None
    if cache_dir is not None:
        key = hashlib.sha256(f"{fingerprint(list(examples))}/{model_version}/{frozen}".encode()).hexdigest()[:20]
        path = cache_dir / f"states-{key}.npz"
        if path.exists():
            with np.load(path) as z:
                flat, ends = z["flat"], z["ends"]
            return _Set(np.split(flat, ends[:-1]), *tail)
    states = lower_states(net, rows, domains, frozen)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, flat=np.concatenate(states), ends=np.cumsum([len(s) for s in states]))
    return _Set(states, *tail)


def _scores(net: Any, val: dict[str, _Set], dev: _Set, frozen: int) -> dict[str, float]:
    from classifier.metrics import classification_report

    out = {}
    for name, s in val.items():
        pred = s.routed(net, frozen).argmax(1)
        out[name] = classification_report([LABELS[y] for y in s.labels], [LABELS[i] for i in pred])["macro_f1_pn"]
    out["val_mean"] = float(np.mean([out[n] for n in val]))
    out["dev_accuracy"] = float(np.mean(dev.routed(net, frozen).argmax(1) == np.array(dev.labels)))
    return out


def soft_targets(written_labels: Sequence[int], replay_probs: np.ndarray, smoothing: float,
                 written_teacher: np.ndarray | None = None, teacher_weight: float = 0.0) -> np.ndarray:
    """Training targets: the written labels (smoothed; with ``written_teacher``, a teacher's probabilities
    on them mixed in at ``teacher_weight``), then the replayed texts' starting probabilities."""
    onehot = np.full((len(written_labels), len(LABELS)), smoothing / len(LABELS), np.float32)
    onehot[np.arange(len(written_labels)), list(written_labels)] += 1.0 - smoothing
    if written_teacher is not None and teacher_weight > 0:
        onehot = (1.0 - teacher_weight) * onehot + teacher_weight * written_teacher.astype(np.float32)
    return np.concatenate([onehot, replay_probs.astype(np.float32)])


class LoopConfig(Protocol):
    """What ``fit`` reads of a configuration (``AdaptConfig``, ``classifier.adapt_fast.FastAdaptConfig``)."""

    epochs: int
    batch_size: int
    written_repeat: int
    max_val_drop: float
    seed: int


def fit(net: Any, groups: list[dict[str, Any]], batch_logits: Callable[[list[int]], Any], targets: np.ndarray,
        n_written: int, scores: Callable[[], dict[str, float]], cfg: LoopConfig,
        log: Callable[[str], None]) -> tuple[list[dict[str, Any]], int]:
    """The training loop: rows ``[0, n_written)`` of ``targets`` are written examples
    (seen ``cfg.written_repeat`` times an epoch), the rest replay; soft cross-entropy; after each epoch
    ``scores()`` (``val_mean``, ``dev_accuracy``) chooses the epoch kept (0: the start, unchanged)."""
    import torch

    rng = random.Random(cfg.seed)
    pool = [i for i in range(n_written) for _ in range(cfg.written_repeat)] + list(range(n_written, len(targets)))
    start = scores()
    log("start: " + " ".join(f"{k}={v:.4f}" for k, v in start.items()))
    params = [p for g in groups for p in g["params"]]
    opt = torch.optim.AdamW(groups, weight_decay=0.01)
    total = cfg.epochs * math.ceil(len(pool) / cfg.batch_size)
    warm = max(1, total // 20)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warm, max(0.0, (total - s) / max(1, total - warm))))
    history: list[dict[str, Any]] = [{"epoch": 0, **start}]
    best_state, best_dev, chosen = None, start["dev_accuracy"], 0
    for epoch in range(1, cfg.epochs + 1):
        net.train()
        rng.shuffle(pool)
        t1 = time.perf_counter()
        for s in range(0, len(pool), cfg.batch_size):
            idx = pool[s:s + cfg.batch_size]
            target = torch.from_numpy(targets[idx])
            loss = -(target * torch.log_softmax(batch_logits(idx).float(), -1)).sum(-1).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()  # type: ignore[no-untyped-call]
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            sched.step()
        now = scores()
        history.append({"epoch": epoch, "seconds": round(time.perf_counter() - t1, 1), **now})
        log(f"epoch {epoch}: {time.perf_counter() - t1:.0f}s " + " ".join(f"{k}={v:.4f}" for k, v in now.items()))
        if now["val_mean"] >= start["val_mean"] - cfg.max_val_drop and now["dev_accuracy"] > best_dev:
            best_dev, chosen = now["dev_accuracy"], epoch
            best_state = {k: v.detach().clone() for k, v in net.state_dict().items()}
    if best_state is not None:
        net.load_state_dict(best_state)
    net.eval()
    return history, chosen


def adapt(net: Any, tok: Any, written: Sequence[Example], replay: Sequence[Example],
          val: Mapping[str, Sequence[Example]], dev: Sequence[Example], cfg: AdaptConfig,
          log: Callable[[str], None] = print, cache_dir: Path | None = None, model_version: str = ""
          ) -> dict[str, Any]:
    """Train ``net`` (a ``TeacherNet``, in place) on the written posts plus the replay; returns the history
    and the chosen epoch (its weights are left in ``net``)."""
    import torch

    torch.manual_seed(cfg.seed)
    t0 = time.perf_counter()
    n_layers = len(net.bert.encoder.layer)
    frozen = n_layers - cfg.top
    for p in net.parameters():
        p.requires_grad_(False)
    trainable_top = [p for layer in net.bert.encoder.layer[frozen:] for p in layer.parameters()]
    head = list(net.head.parameters()) + list(net.domain.parameters())
    for p in trainable_top + head:
        p.requires_grad_(True)
    train_w = _encode(net, tok, written, frozen, cache_dir, model_version)
    train_r = _encode(net, tok, replay, frozen, cache_dir, model_version)
    val_sets = {name: _encode(net, tok, ex, frozen, cache_dir, model_version) for name, ex in val.items()}
    dev_set = _encode(net, tok, dev, frozen, cache_dir, model_version)
    log(f"kept the states of {frozen} frozen layers for {len(written)} written, {len(replay)} replay, "
        f"{sum(len(v) for v in val.values())} validation and {len(dev)} dev examples "
        f"in {time.perf_counter() - t0:.0f}s")
    for s in [*val_sets.values(), dev_set]:
        s.routed(net, frozen)  # keeps the unchanged model's probabilities
    targets = soft_targets(train_w.labels, train_r.probs(net, frozen), cfg.label_smoothing)
    states = train_w.states + train_r.states
    tpos, domains = train_w.tpos + train_r.tpos, train_w.domains + train_r.domains

    def batch_logits(idx: list[int]) -> Any:
        return top_logits(net, [states[i] for i in idx], [tpos[i] for i in idx], [domains[i] for i in idx], frozen)

    history, chosen = fit(net, [{"params": trainable_top, "lr": cfg.lr}, {"params": head, "lr": cfg.head_lr}],
                          batch_logits, targets, len(written), lambda: _scores(net, val_sets, dev_set, frozen),
                          cfg, log)
    for p in net.parameters():
        p.requires_grad_(True)
    trained = [f"bert.encoder.layer.{i}." for i in range(frozen, n_layers)] + ["head.", "domain."]
    return {"config": asdict(cfg), "history": history, "chosen_epoch": chosen, "written": len(written),
            "replay": len(replay), "trained": trained, "seconds": round(time.perf_counter() - t0, 1)}
