"""Seeded training of the default sentiment model (an ensemble of a few small networks).

    molva train --data ../shared/data/sentiment --out models/molva-sentiment --seed 13
"""

from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from classifier.data import Example, load_all
from classifier.embeddings import load_navec
from classifier.metrics import classification_report
from classifier.model import DOMAINS, LABELS, ModelConfig, SentimentNet
from classifier.text import Featurizer

WEIGHTS_PATTERN = "weights-{}.pt"
CONFIG_FILE = "config.json"
METRICS_FILE = "metrics.json"
FORMAT_VERSION = 1


@dataclass
class TrainConfig:
    epochs: int = 8
    batch_size: int = 64
    lr: float = 2e-3
    weight_decay: float = 0.01
    members: int = 3
    inference_members: int = 2  # members used at run time (speed); all are saved
    domain_dropout: float = 0.15
    tweets_weight: float = 0.5
    news_weight: float = 0.5
    label_smoothing: float = 0.05
    model: ModelConfig = field(default_factory=ModelConfig)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def class_weights(examples: Sequence[Example]) -> torch.Tensor:
    counts = np.bincount([e.label for e in examples if e.domain < 2], minlength=len(LABELS)).astype(np.float64)
    w = np.sqrt(counts.sum() / (len(LABELS) * np.maximum(counts, 1.0)))
    return torch.tensor(w / w.mean(), dtype=torch.float32)


def predict_examples(nets: Sequence[SentimentNet], feat: Featurizer, examples: Sequence[Example],
                     device: torch.device, batch_size: int = 512) -> np.ndarray:
    """Averaged class probabilities of the ensemble members."""
    out = []
    for net in nets:
        net.eval()
    with torch.inference_mode():
        for i in range(0, len(examples), batch_size):
            chunk = examples[i:i + batch_size]
            b = feat.batch([e.text for e in chunk], [e.target for e in chunk], [e.others for e in chunk],
                           [e.domain for e in chunk]).to(device)
            probs = sum(torch.softmax(net(b).float(), -1) for net in nets)
            assert isinstance(probs, torch.Tensor)
            out.append((probs / len(nets)).cpu().numpy())
    return np.concatenate(out) if out else np.zeros((0, len(LABELS)))


def evaluate(nets: Sequence[SentimentNet], feat: Featurizer, val: dict[str, list[Example]],
             device: torch.device) -> dict[str, dict[str, float]]:
    result = {}
    for domain, examples in val.items():
        probs = predict_examples(nets, feat, examples, device)
        pred = [LABELS[i] for i in probs.argmax(1)]
        result[domain] = classification_report([LABELS[e.label] for e in examples], pred)
    return result


def _score(metrics: dict[str, dict[str, float]]) -> float:
    return float(np.mean([m["macro_f1_pn"] for m in metrics.values()]))


def train_member(train: list[Example], val: dict[str, list[Example]], feat: Featurizer, cfg: TrainConfig,
                 seed: int, device: torch.device, log: Callable[[str], None]) -> tuple[SentimentNet, float]:
    seed_everything(seed)
    nav = load_navec()
    net = SentimentNet(cfg.model, nav.centroids, nav.codes).to(device)
    opt = torch.optim.AdamW(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    steps = cfg.epochs * math.ceil(len(train) / cfg.batch_size)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg.lr, total_steps=steps, pct_start=0.1)
    cw = class_weights(train).to(device)
    dom_w = torch.tensor([1.0, 1.0, cfg.tweets_weight, cfg.news_weight, 1.0], device=device)
    rng = random.Random(seed)
    best_score, best_state = -1.0, None
    for epoch in range(cfg.epochs):
        net.train()
        order = list(range(len(train)))
        rng.shuffle(order)
        t0 = time.perf_counter()
        for i in range(0, len(order), cfg.batch_size):
            chunk = [train[j] for j in order[i:i + cfg.batch_size]]
            domains = [e.domain if rng.random() >= cfg.domain_dropout else len(DOMAINS) - 1 for e in chunk]
            b = feat.batch([e.text for e in chunk], [e.target for e in chunk], [e.others for e in chunk],
                           domains).to(device)
            y = torch.tensor([e.label for e in chunk], device=device)
            loss_each = F.cross_entropy(net(b), y, weight=cw, reduction="none",
                                        label_smoothing=cfg.label_smoothing)
            w = dom_w[torch.tensor([e.domain for e in chunk], device=device)]
            loss = (loss_each * w).sum() / w.sum()
            opt.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]
            torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
            opt.step()
            sched.step()
        metrics = evaluate([net], feat, val, device)
        score = _score(metrics)
        log(f"seed {seed} epoch {epoch + 1}: {time.perf_counter() - t0:.0f}s "
            + " ".join(f"{d}={m['macro_f1_pn']:.3f}" for d, m in metrics.items()))
        if score > best_score:
            best_score = score
            best_state = {k: v.detach().clone() for k, v in net.state_dict().items()}
    assert best_state is not None
    net.load_state_dict(best_state)
    net.eval()
    return net, best_score


QUANT_MIN_NUMEL = 1 << 20


def pack_state(state: dict[str, torch.Tensor]) -> dict[str, object]:
    """fp16 for small float tensors; int8 with a per-row fp16 scale for the big embedding tables."""
    out: dict[str, object] = {}
    for k, v in state.items():
        v = v.detach().cpu()
        if v.is_floating_point() and v.dim() == 2 and v.numel() >= QUANT_MIN_NUMEL:
            scale = v.abs().amax(dim=1, keepdim=True).clamp(min=1e-8) / 127.0
            out[k] = {"q": torch.round(v / scale).to(torch.int8), "scale": scale.half()}
        elif v.is_floating_point():
            out[k] = v.half()
        else:
            out[k] = v
    return out


def unpack_state(packed: dict[str, object]) -> dict[str, torch.Tensor]:
    state: dict[str, torch.Tensor] = {}
    for k, v in packed.items():
        if isinstance(v, dict):
            state[k] = v["q"].float() * v["scale"].float()
        else:
            assert isinstance(v, torch.Tensor)
            state[k] = v.float() if v.is_floating_point() else v
    return state


def save_model(nets: Sequence[SentimentNet], cfg: TrainConfig, out_dir: Path, version: str) -> None:
    """One file per ensemble member (each well under 16 MB) plus ``config.json``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob("weights-*.pt"):
        old.unlink()
    for i, net in enumerate(nets):
        torch.save({"format": FORMAT_VERSION, "state": pack_state(net.state_dict())},
                   out_dir / WEIGHTS_PATTERN.format(i))
    conf = {"version": version, "labels": list(LABELS), "domains": list(DOMAINS),
            "model": cfg.model.to_dict(), "members": len(nets),
            "inference_members": min(cfg.inference_members, len(nets))}
    (out_dir / CONFIG_FILE).write_text(json.dumps(conf, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def load_members(model_dir: Path) -> list[SentimentNet]:
    """The ensemble saved in ``model_dir`` (eval mode, CPU)."""
    conf = json.loads((model_dir / CONFIG_FILE).read_text(encoding="utf-8"))
    nav = load_navec()
    nets = []
    for i in range(int(conf["members"])):
        packed = torch.load(model_dir / WEIGHTS_PATTERN.format(i), map_location="cpu", weights_only=True)
        net = SentimentNet(ModelConfig(**conf["model"]), nav.centroids, nav.codes)
        net.load_state_dict(unpack_state(packed["state"]))
        nets.append(net.eval())
    return nets


def train(data_dir: Path, out_dir: Path, seed: int = 13, cfg: TrainConfig | None = None,
          log: Callable[[str], None] = print, device: str | None = None) -> dict[str, object]:
    """Train the ensemble on the four corpora, select epochs on the fixed validation split, save it.

    Returns the metrics (also written to ``metrics.json``): per-domain validation reports of the
    ensemble, member scores, timing and the configuration."""
    cfg = cfg or TrainConfig()
    dev = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    t0 = time.perf_counter()
    train_set, val = load_all(data_dir)
    nav = load_navec()
    feat = Featurizer(nav.vocab, nav.unk, nav.pad)
    log(f"train {len(train_set)} examples, validation " + ", ".join(f"{d} {len(v)}" for d, v in val.items()))
    nets, member_scores = [], []
    for m in range(cfg.members):
        net, score = train_member(train_set, val, feat, cfg, seed + 1000 * m, dev, log)
        nets.append(net.cpu())
        member_scores.append(score)
    version = f"molva-sentiment-{time.strftime('%Y%m%d')}-s{seed}"
    save_model(nets, cfg, out_dir, version)
    nets = load_members(out_dir)  # validate what was saved (quantized), not the in-memory floats
    all_members = evaluate(nets, feat, val, torch.device("cpu"))
    ensemble = evaluate(nets[:cfg.inference_members], feat, val, torch.device("cpu"))
    metrics: dict[str, object] = {
        "version": version, "seed": seed, "validation": ensemble, "member_scores": member_scores,
        "validation_all_members": all_members,
        "train_examples": len(train_set), "seconds": round(time.perf_counter() - t0, 1), "device": str(dev),
        "train_config": {k: v for k, v in vars(cfg).items() if k != "model"}, "model": cfg.model.to_dict(),
    }
    (out_dir / METRICS_FILE).write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    log("ensemble: " + " ".join(f"{d} F1pn={m['macro_f1_pn']:.3f}" for d, m in ensemble.items()))
    return metrics
