"""The fast model adapted to written two-brand posts (``molva train --adapt POSTS --model fast``): the
small network is trained whole (it is cheap), on the written posts plus a replay of the original
training texts whose targets are its own starting probabilities, with the same loop and the same
choice of epoch as the accurate model (``classifier.adapt.fit``). Scores are judged as the product
computes them: with the model's ``class_log_prior``."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from classifier.adapt import AdaptConfig, fit, soft_targets
from classifier.arch import LABELS
from classifier.data import Example


def _product_labels(probs: np.ndarray, prior: np.ndarray) -> np.ndarray:
    out: np.ndarray = (np.log(np.maximum(probs, 1e-12)) + prior).argmax(1)
    return out


def adapt_fast(model_dir: Path, out_dir: Path, written: Sequence[Example], replay: Sequence[Example],
               val: Mapping[str, Sequence[Example]], dev: Sequence[Example], cfg: AdaptConfig,
               log: Callable[[str], None] = print) -> dict[str, Any]:
    """Train the fast model of ``model_dir`` and save it to ``out_dir`` (config fields such as
    ``class_log_prior`` and the model card kept; ``metrics.json`` gains ``adapt``)."""
    import shutil

    import torch

    from classifier.embeddings import load_navec
    from classifier.metrics import classification_report
    from classifier.model import ModelConfig
    from classifier.text import Featurizer
    from classifier.training import (
        CONFIG_FILE,
        METRICS_FILE,
        TrainConfig,
        load_members,
        predict_examples,
        save_model,
    )

    torch.manual_seed(cfg.seed)
    t0 = time.perf_counter()
    conf = json.loads((model_dir / CONFIG_FILE).read_text(encoding="utf-8"))
    member = int(conf.get("inference_members", [0])[0])
    net = load_members(model_dir, [member])[0]
    prior = np.asarray(conf.get("class_log_prior") or [0.0] * len(LABELS), np.float64)
    nav = load_navec()
    feat = Featurizer(nav.vocab, nav.unk, nav.pad)
    cpu = torch.device("cpu")
    examples = list(written) + list(replay)
    targets = soft_targets([e.label for e in written], predict_examples([net], feat, replay, cpu),
                           cfg.label_smoothing)

    def batch_logits(idx: list[int]) -> Any:
        chunk = [examples[i] for i in idx]
        b = feat.batch([e.text for e in chunk], [e.target for e in chunk], [e.others for e in chunk],
                       [e.domain for e in chunk])
        return net(b)

    def scores() -> dict[str, float]:
        out: dict[str, float] = {}
        for name, ex in val.items():
            pred = _product_labels(predict_examples([net], feat, ex, cpu), prior)
            out[name] = classification_report([LABELS[e.label] for e in ex], [LABELS[i] for i in pred])["macro_f1_pn"]
        out["val_mean"] = float(np.mean([out[n] for n in val]))
        pred = _product_labels(predict_examples([net], feat, dev, cpu), prior)
        out["dev_accuracy"] = float(np.mean(pred == np.array([e.label for e in dev])))
        return out

    history, chosen = fit(net, [{"params": list(net.parameters()), "lr": cfg.lr}], batch_logits, targets,
                          len(written), scores, cfg, log)
    info = {"config": asdict(cfg), "history": history, "chosen_epoch": chosen, "written": len(written),
            "replay": len(replay), "seconds": round(time.perf_counter() - t0, 1)}
    version = f"{conf['version']}-a{time.strftime('%Y%m%d')}"
    save_model([net], TrainConfig(model=ModelConfig(**conf["model"])), out_dir, version, inference_members=[0])
    saved = json.loads((out_dir / CONFIG_FILE).read_text(encoding="utf-8"))
    extra = {k: v for k, v in conf.items() if k not in saved}
    (out_dir / CONFIG_FILE).write_text(json.dumps({**saved, **extra}, indent=2, ensure_ascii=False) + "\n",
                                       encoding="utf-8")
    metrics_path = model_dir / METRICS_FILE
    metrics = json.loads(metrics_path.read_text(encoding="utf-8")) if metrics_path.exists() else {}
    (out_dir / METRICS_FILE).write_text(json.dumps({**metrics, "version": version, "adapt": info}, indent=2) + "\n",
                                        encoding="utf-8")
    if out_dir.resolve() != model_dir.resolve() and (model_dir / "MODEL_CARD.md").exists():
        shutil.copyfile(model_dir / "MODEL_CARD.md", out_dir / "MODEL_CARD.md")
    log(f"adapted fast model written to {out_dir} (epoch {chosen} kept)")
    return info
