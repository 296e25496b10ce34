"""The accurate sentiment model: multilingual-e5-small fine-tuned for *targeted* sentiment.

Input: the text, with the target brand's mention(s) wrapped in ``<t> ... </t>`` and every other brand's
in ``<o> ... </o>`` (four ids appended after the pruned vocabulary), at most ``max_len`` pieces (a window
around the first target mark when longer). Output: the [CLS] state, the state at the first ``<t>``
(the [CLS] again when the text has no target) and the masked mean, plus a domain embedding, into a
small head over negative/neutral/positive. A post naming two brands is scored once per brand, with the
marks moved, so each brand gets its own label.

Files of a model directory (``save_teacher``): ``teacher.json`` (config), ``tokenizer.json`` (the pruned
unigram tokenizer) and ``teacher-{k}.npz`` shards (2-D tensors int8 with an fp16 scale per row, the rest
fp16; each shard under 16 MB).
"""

from __future__ import annotations

import json
import logging
import math
import os
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from classifier.arch import DOMAINS, LABELS
from classifier.teacher_multi import MULTI_PATTERN, load_multi, split_multi

if TYPE_CHECKING:
    import torch
    from torch import nn

    from classifier.data import Example

Span = tuple[int, int]
N_MARKERS = 4  # <t> </t> <o> </o>
CONFIG_FILE = "teacher.json"
TOKENIZER_FILE = "tokenizer.json"
SHARD_PATTERN = "teacher-{}.npz"
SHARD_BYTES = 15 << 20
INT8_MIN_NUMEL = 1 << 16
MAX_CHARS = 2000  # longer texts are cut around the first target mention before tokenizing


@dataclass
class TeacherConfig:
    bert: dict[str, Any]
    vocab: int  # pruned vocabulary size; marker ids are vocab .. vocab + 3
    max_len: int = 128
    domain_dim: int = 32
    version: str = "molva-teacher"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _merge_spans(spans: Sequence[Span]) -> list[Span]:
    out: list[Span] = []
    for s, e in sorted((int(s), int(e)) for s, e in spans):
        if e <= s:
            continue
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


class TeacherTokenizer:
    """Text + target spans + other-brand spans -> piece ids with marks, and the position of the first
    ``<t>`` (0 when there is none: the [CLS] position)."""

    def __init__(self, tokenizer: Any, vocab: int, max_len: int = 128) -> None:
        self.tok = tokenizer
        self.vocab, self.max_len = vocab, max_len
        self.t_open, self.t_close, self.o_open, self.o_close = range(vocab, vocab + N_MARKERS)
        self.bos, self.eos, self.pad = 0, 2, 1

    @classmethod
    def from_file(cls, path: Path, vocab: int, max_len: int = 128) -> TeacherTokenizer:
        from tokenizers import Tokenizer

        return cls(Tokenizer.from_file(str(path)), vocab, max_len)

    def _segments(self, text: str, target: Sequence[Span] | None,
                  others: Sequence[Span] | None) -> list[tuple[str, int]]:
        """(substring, role) pieces in order; role 0 plain, 1 target, 2 other brand."""
        tgt = _merge_spans(target or [])
        oth = [s for s in _merge_spans(others or []) if not any(s[0] < e and b < s[1] for b, e in tgt)]
        marks = sorted([(s, e, 1) for s, e in tgt] + [(s, e, 2) for s, e in oth])
        segs: list[tuple[str, int]] = []
        pos = 0
        for s, e, role in marks:
            if s < pos:
                continue
            if s > pos:
                segs.append((text[pos:s], 0))
            segs.append((text[s:e], role))
            pos = e
        if pos < len(text) or not segs:
            segs.append((text[pos:], 0))
        return segs

    def encode_batch(self, texts: Sequence[str], targets: Sequence[Sequence[Span] | None],
                     others: Sequence[Sequence[Span] | None] | None = None) -> list[tuple[list[int], int]]:
        all_segs: list[list[tuple[str, int]]] = []
        flat: list[str] = []
        for i, text in enumerate(texts):
            tgt, oth = targets[i], others[i] if others is not None else None
            if len(text) > MAX_CHARS:
                text, tgt, oth = _clip(text, tgt, oth)
            segs = self._segments(text, tgt, oth)
            all_segs.append(segs)
            flat.extend(s for s, _ in segs)
        encs = self.tok.encode_batch(flat, add_special_tokens=False) if flat else []
        out: list[tuple[list[int], int]] = []
        k = 0
        for segs in all_segs:
            ids = [self.bos]
            tpos = 0
            for _, role in segs:
                piece_ids = encs[k].ids
                k += 1
                if role == 1:
                    if not tpos:
                        tpos = len(ids)
                    ids += [self.t_open, *piece_ids, self.t_close]
                elif role == 2:
                    ids += [self.o_open, *piece_ids, self.o_close]
                else:
                    ids += piece_ids
            ids.append(self.eos)
            out.append(self._window(ids, tpos))
        return out

    def _window(self, ids: list[int], tpos: int) -> tuple[list[int], int]:
        n = self.max_len
        if len(ids) <= n:
            return ids, tpos
        body = ids[1:-1]
        start = max(0, min(tpos - 1 - (n - 2) // 4, len(body) - (n - 2))) if tpos else 0
        new = [self.bos, *body[start:start + n - 2], self.eos]
        return new, (tpos - start if tpos else 0)


def _clip(text: str, target: Sequence[Span] | None, others: Sequence[Span] | None
          ) -> tuple[str, list[Span] | None, list[Span] | None]:
    first = min((s for s, _ in target), default=0) if target else 0
    a = max(0, first - MAX_CHARS // 4)
    b = a + MAX_CHARS

    def shift(spans: Sequence[Span] | None) -> list[Span] | None:
        if spans is None:
            return None
        return [(s - a, e - a) for s, e in spans if s >= a and e <= b]

    return text[a:b], shift(target), shift(others)


def build_net(cfg: TeacherConfig) -> nn.Module:
    import torch
    from torch import nn
    from transformers import BertConfig, BertModel

    class TeacherNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            bc = BertConfig(**{**cfg.bert, "vocab_size": cfg.vocab + N_MARKERS})
            self.bert = BertModel(bc, add_pooling_layer=False)
            h = bc.hidden_size
            self.domain = nn.Embedding(len(DOMAINS), cfg.domain_dim)
            self.head = nn.Sequential(nn.Dropout(0.1), nn.Linear(3 * h + cfg.domain_dim, h), nn.GELU(),
                                      nn.Dropout(0.1), nn.Linear(h, len(LABELS)))

        def forward(self, ids: torch.Tensor, mask: torch.Tensor, tpos: torch.Tensor,
                    domain: torch.Tensor) -> torch.Tensor:
            h = self.bert(input_ids=ids, attention_mask=mask).last_hidden_state
            rows = torch.arange(ids.shape[0], device=ids.device)
            fm = mask.unsqueeze(-1).to(h.dtype)
            mean = (h * fm).sum(1) / fm.sum(1).clamp(min=1.0)
            feats = torch.cat([h[:, 0], h[rows, tpos], mean, self.domain(domain).to(h.dtype)], -1)
            out: torch.Tensor = self.head(feats)
            return out

    return TeacherNet()


def pack_batch(rows: Sequence[tuple[list[int], int]], domains: Sequence[int], pad: int = 1
               ) -> tuple[Any, Any, Any, Any]:
    import torch
    width = max(len(r[0]) for r in rows)
    ids = np.full((len(rows), width), pad, np.int64)
    mask = np.zeros((len(rows), width), np.int64)
    for i, (r, _) in enumerate(rows):
        ids[i, :len(r)] = r
        mask[i, :len(r)] = 1
    return (torch.from_numpy(ids), torch.from_numpy(mask), torch.tensor([r[1] for r in rows]),
            torch.tensor(list(domains)))


# ---------------------------------------------------------------------------------------------- storage

def pack_tensor(v: np.ndarray, int8: bool | None = None) -> dict[str, np.ndarray]:
    if int8 if int8 is not None else (v.ndim == 2 and v.size >= INT8_MIN_NUMEL):
        scale = np.maximum(np.abs(v).max(1, keepdims=True), 1e-8) / 127.0
        return {"q": np.round(v / scale).astype(np.int8), "scale": scale.astype(np.float16)}
    return {"f": v.astype(np.float16)}


def save_shards(state: dict[str, np.ndarray], out_dir: Path, pattern: str = SHARD_PATTERN,
                shard_bytes: int = SHARD_BYTES) -> list[Path]:
    """Write a float state dict as npz shards (int8 + per-row scale for big 2-D tensors, fp16 else)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob(pattern.format("*")):
        old.unlink()
    shards: list[dict[str, np.ndarray]] = [{}]
    size = 0
    for name, v in state.items():
        v = np.asarray(v, np.float32)
        # a tensor bigger than a shard (the word embeddings) is stored in row blocks: name@0, name@1, ...
        parts = max(1, math.ceil(v.nbytes / 4 / shard_bytes)) if v.ndim == 2 else 1
        step = math.ceil(len(v) / parts) if parts > 1 else len(v)
        for j in range(parts):
            key = f"{name}@{j}" if parts > 1 else name
            packed = pack_tensor(v[j * step:(j + 1) * step] if parts > 1 else v,
                                 int8=v.ndim == 2 and v.size >= INT8_MIN_NUMEL)
            n = sum(a.nbytes for a in packed.values())
            if size and size + n > shard_bytes:
                shards.append({})
                size = 0
            for suffix, a in packed.items():
                shards[-1][f"{key}::{suffix}"] = a
            size += n
    paths = []
    for i, arrays in enumerate(shards):
        paths.append(out_dir / pattern.format(i))
        with paths[-1].open("wb") as fh:
            np.savez(fh, **arrays)  # type: ignore[arg-type]
    return paths


def load_shards(model_dir: Path, pattern: str = SHARD_PATTERN) -> dict[str, np.ndarray]:
    state: dict[str, np.ndarray] = {}
    paths = sorted(model_dir.glob(pattern.format("*")), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
    for path in paths:
        with np.load(path) as z:
            raw = {k: z[k] for k in z.files}
        for key, a in raw.items():
            name, suffix = key.rsplit("::", 1)
            if suffix == "q":
                state[name] = a.astype(np.float32) * raw[name + "::scale"].astype(np.float32)
            elif suffix == "f":
                state[name] = a.astype(np.float32)
    blocks = sorted((k for k in state if "@" in k), key=lambda k: (k.rsplit("@", 1)[0], int(k.rsplit("@", 1)[1])))
    for k in blocks:
        base = k.rsplit("@", 1)[0]
        if base not in state:
            state[base] = np.concatenate([state[b] for b in blocks if b.rsplit("@", 1)[0] == base])
    for k in blocks:
        del state[k]
    return state


def save_teacher(net: nn.Module, cfg: TeacherConfig, tokenizer_json: dict[str, Any] | Path, out_dir: Path,
                 extra: dict[str, Any] | None = None) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().float().cpu().numpy() for k, v in net.state_dict().items()
             if not k.endswith("position_ids")}
    save_shards(state, out_dir)
    conf = {**cfg.to_dict(), "labels": list(LABELS), "domains": list(DOMAINS), **(extra or {})}
    (out_dir / CONFIG_FILE).write_text(json.dumps(conf, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tj = tokenizer_json if isinstance(tokenizer_json, dict) else json.loads(tokenizer_json.read_text("utf-8"))
    (out_dir / TOKENIZER_FILE).write_text(json.dumps(tj, ensure_ascii=False), encoding="utf-8")


def read_config(model_dir: Path) -> TeacherConfig:
    conf = json.loads((model_dir / CONFIG_FILE).read_text(encoding="utf-8"))
    return TeacherConfig(bert=conf["bert"], vocab=int(conf["vocab"]), max_len=int(conf.get("max_len", 128)),
                         domain_dim=int(conf.get("domain_dim", 32)), version=str(conf.get("version", "teacher")))


def load_net(model_dir: Path) -> tuple[nn.Module, TeacherConfig]:
    import torch
    cfg = read_config(model_dir)
    net = build_net(cfg)
    state = {k: torch.from_numpy(v) for k, v in load_shards(model_dir).items()}
    missing, unexpected = net.load_state_dict(state, strict=False)
    missing = [k for k in missing if not k.endswith("position_ids")]
    if missing or unexpected:
        raise ValueError(f"{model_dir}: teacher weights do not match (missing {missing[:3]}, "
                         f"unexpected {unexpected[:3]})")
    return net.eval(), cfg


# --------------------------------------------------------------------------------------------- training

@dataclass
class TeacherTrainConfig:
    epochs: int = 4
    batch_size: int = 32
    lr: float = 6e-5
    head_lr: float = 1e-3
    weight_decay: float = 0.01
    warmup: float = 0.06
    domain_dropout: float = 0.1
    tweets_weight: float = 0.6
    news_weight: float = 0.6
    synth_weight: float = 1.0
    label_smoothing: float = 0.05
    freeze_word_embeddings: bool = True  # only the marker rows train (pieces unseen in training stay aligned)
    layers: int | None = None  # keep only the lower n encoder layers (a smaller, faster model)
    max_steps: int | None = None  # dry runs
    eval_batch: int = 256
    extra: dict[str, Any] = field(default_factory=dict)


def class_weights(labels: Sequence[int]) -> np.ndarray:
    counts = np.bincount(list(labels), minlength=len(LABELS)).astype(np.float64)
    w = np.sqrt(counts.sum() / (len(LABELS) * np.maximum(counts, 1.0)))
    out: np.ndarray = (w / w.mean()).astype(np.float32)
    return out


def length_batches(lengths: Sequence[int], batch_size: int, rng: random.Random) -> list[list[int]]:
    """Shuffled batches of similar length: sort within random pools of 50 batches, then shuffle batches."""
    order = list(range(len(lengths)))
    rng.shuffle(order)
    pool = batch_size * 50
    batches: list[list[int]] = []
    for s in range(0, len(order), pool):
        chunk = sorted(order[s:s + pool], key=lambda i: lengths[i])
        batches += [chunk[j:j + batch_size] for j in range(0, len(chunk), batch_size)]
    rng.shuffle(batches)
    return batches


def predict_rows(net: nn.Module, rows: Sequence[tuple[list[int], int]], domains: Sequence[int],
                 device: Any, batch_size: int = 256, autocast: bool = False) -> np.ndarray:
    """(n, 3) probabilities; rows sorted by length into batches, results in input order."""
    import torch
    out = np.zeros((len(rows), len(LABELS)), np.float32)
    order = sorted(range(len(rows)), key=lambda i: len(rows[i][0]))
    net.eval()
    with torch.inference_mode():
        for s in range(0, len(order), batch_size):
            idx = order[s:s + batch_size]
            ids, mask, tpos, dom = (t.to(device) for t in pack_batch([rows[i] for i in idx],
                                                                     [domains[i] for i in idx]))
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=autocast):
                logits = net(ids, mask, tpos, dom)
            out[idx] = torch.softmax(logits.float(), -1).cpu().numpy()
    return out


def evaluate_rows(net: nn.Module, val_rows: dict[str, tuple[list[tuple[list[int], int]], list[int], list[int]]],
                  device: Any, autocast: bool = False) -> dict[str, dict[str, float]]:
    from classifier.metrics import classification_report

    result = {}
    for name, (rows, domains, labels) in val_rows.items():
        probs = predict_rows(net, rows, domains, device, autocast=autocast)
        result[name] = classification_report([LABELS[y] for y in labels], [LABELS[i] for i in probs.argmax(1)])
    return result


def encode_examples(tok: TeacherTokenizer, examples: Sequence[Example]) -> list[tuple[list[int], int]]:
    out: list[tuple[list[int], int]] = []
    for s in range(0, len(examples), 4096):
        chunk = examples[s:s + 4096]
        out += tok.encode_batch([e.text for e in chunk], [e.target for e in chunk], [e.others for e in chunk])
    return out


def train_teacher(net: nn.Module, tok: TeacherTokenizer, train: Sequence[Example],
                  val: Mapping[str, Sequence[Example]], cfg: TeacherTrainConfig, device: Any, seed: int = 13,
                  log: Callable[[str], None] = print, synthetic: Sequence[bool] | None = None,
                  deadline: float | None = None) -> tuple[nn.Module, dict[str, Any]]:
    """Fine-tune every layer (word embeddings frozen but for the marks, by default); the epoch with the
    best mean validation macro-F1 (pos/neg) over the validation domains is kept. ``deadline``
    (``time.monotonic()``): stop early, keeping the best epoch so far, with a last evaluation."""
    import torch
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    net.to(device)
    rows = encode_examples(tok, train)
    lengths = [len(r[0]) for r in rows]
    labels = torch.tensor([e.label for e in train])
    dom_true = [e.domain for e in train]
    syn = list(synthetic) if synthetic is not None else [False] * len(train)
    val_rows = {name: (encode_examples(tok, ex), [e.domain for e in ex], [e.label for e in ex])
                for name, ex in val.items()}
    log(f"tokenized {len(rows)} training rows (mean {np.mean(lengths):.1f} pieces, max {max(lengths)})")
    cw = torch.tensor(class_weights([e.label for e in train if e.domain < 2]), device=device)
    dw = {DOMAINS.index("tweets"): cfg.tweets_weight, DOMAINS.index("news"): cfg.news_weight}
    weights = torch.tensor([cfg.synth_weight if syn[i] else dw.get(d, 1.0) for i, d in enumerate(dom_true)])
    bert: Any = net.bert
    word = bert.embeddings.word_embeddings.weight
    if cfg.freeze_word_embeddings:
        vocab = tok.vocab

        def _mask_grad(g: torch.Tensor) -> torch.Tensor:
            g = g.clone()
            g[:vocab] = 0
            return g

        word.register_hook(_mask_grad)
    head_params = [p for n, p in net.named_parameters() if not n.startswith("bert.")]
    no_decay = [p for n, p in net.named_parameters() if n.startswith("bert.") and
                (p.dim() < 2 or "embeddings" in n)]
    decay = [p for n, p in net.named_parameters() if n.startswith("bert.") and p.dim() >= 2
             and "embeddings" not in n]
    opt = torch.optim.AdamW([
        {"params": decay, "lr": cfg.lr, "weight_decay": cfg.weight_decay},
        {"params": no_decay, "lr": cfg.lr, "weight_decay": 0.0},
        {"params": head_params, "lr": cfg.head_lr, "weight_decay": cfg.weight_decay},
    ])
    rng = random.Random(seed)
    steps_per_epoch = math.ceil(len(rows) / cfg.batch_size)
    total = cfg.max_steps or cfg.epochs * steps_per_epoch
    warm = max(1, int(cfg.warmup * total))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warm, max(0.0, (total - s) / max(1, total - warm))))
    use_amp = device.type == "cuda"
    best, best_state, history = -1.0, None, []
    step = 0
    generic = DOMAINS.index("generic")
    for epoch in range(cfg.epochs):
        net.train()
        t0 = time.perf_counter()
        loss_sum, n_b = 0.0, 0
        for batch in length_batches(lengths, cfg.batch_size, rng):
            doms = [generic if rng.random() < cfg.domain_dropout else dom_true[i] for i in batch]
            ids, mask, tpos, dom = (t.to(device, non_blocking=True)
                                    for t in pack_batch([rows[i] for i in batch], doms))
            y = labels[batch].to(device)
            w = weights[batch].to(device)
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_amp):
                logits = net(ids, mask, tpos, dom)
            loss_each = torch.nn.functional.cross_entropy(logits.float(), y, weight=cw, reduction="none",
                                                          label_smoothing=cfg.label_smoothing)
            loss = (loss_each * w).sum() / w.sum()
            opt.zero_grad(set_to_none=True)
            loss.backward()  # type: ignore[no-untyped-call]
            torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
            opt.step()
            sched.step()
            loss_sum += float(loss.detach()) if n_b % 50 == 0 else 0.0
            n_b += 1
            step += 1
            if step >= total or (deadline is not None and time.monotonic() > deadline):
                break
        metrics = evaluate_rows(net, val_rows, device, autocast=use_amp)
        score = float(np.mean([m["macro_f1_pn"] for m in metrics.values()])) if metrics else 0.0
        history.append({"epoch": epoch + 1, "steps": step, "seconds": round(time.perf_counter() - t0, 1),
                        **{d: round(m["macro_f1_pn"], 4) for d, m in metrics.items()}})
        log(f"epoch {epoch + 1}: {time.perf_counter() - t0:.0f}s {n_b} steps "
            + " ".join(f"{d}={m['macro_f1_pn']:.3f}" for d, m in metrics.items()))
        if score > best:
            best = score
            best_state = {k: v.detach().clone() for k, v in net.state_dict().items()}
        if step >= total or (deadline is not None and time.monotonic() > deadline):
            break
    assert best_state is not None
    net.load_state_dict(best_state)
    net.eval()
    return net, {"best_mean_f1pn": best, "history": history, "steps": step}


def truncate_layers(net: nn.Module, cfg: TeacherConfig, layers: int) -> TeacherConfig:
    """Keep the lower ``layers`` encoder layers (in place); returns the matching config."""
    bert: Any = net.bert
    bert.encoder.layer = bert.encoder.layer[:layers]
    bert.config.num_hidden_layers = layers
    return TeacherConfig(bert={**cfg.bert, "num_hidden_layers": layers}, vocab=cfg.vocab, max_len=cfg.max_len,
                         domain_dim=cfg.domain_dim, version=cfg.version)


# -------------------------------------------------------------------------------------------- inference

class TeacherSentimentModel:
    """The shipped accurate model at run time (CPU): int8 dynamic quantization of every linear layer
    (``teacher.json`` ``"int8": true``), inputs sorted by length into batches, identical requests scored
    once. Implements ``classifier.inference.SentimentModel``; each (text, target) is scored separately,
    so two brands of one post get their own label.

    int8 activations are scaled per batch, so a text's scores move with its batch neighbours: about 1.5-2 % of
    labels, the near-ties, can flip (BENCHMARKS.md, session 12). fp32 (``int8=False`` or
    ``MOLVA_TEACHER_PRECISION=fp32``) gives scores that never depend on the batch, at about half the speed."""

    def __init__(self, model_dir: Path, batch_size: int = 64, int8: bool | None = None,
                 threads: int | None = None, runtime: str | None = None, mix: bool = True) -> None:
        """``int8``: None for ``MOLVA_TEACHER_PRECISION`` ("int8" or "fp32") when set, else the model's
        ``teacher.json``. ``runtime``: "onnxruntime" (an ONNX export made once from the weights and cached; int8
        about 2x faster than torch here), "torch", or "auto" / None (``MOLVA_TEACHER_RUNTIME``, default:
        onnxruntime when installed, else torch). ``mix``: apply the model directory's ``mix.json`` (see
        :func:`load_mix`) when it has one; False: the transformer alone."""
        import torch
        if threads:
            torch.set_num_threads(threads)
        conf = json.loads((model_dir / CONFIG_FILE).read_text(encoding="utf-8"))
        self.net, self.cfg = load_net(model_dir)
        self.multi_net = load_multi(model_dir, self.net)  # requests naming another brand (None: no variant)
        precision = os.environ.get("MOLVA_TEACHER_PRECISION", "").strip().lower()
        if precision not in ("", "int8", "fp32"):
            raise ValueError(f"MOLVA_TEACHER_PRECISION must be int8 or fp32, not {precision!r}")
        if int8 is None:
            int8 = precision == "int8" if precision else bool(conf.get("int8", True))
        self.int8 = int8
        wanted = runtime or os.environ.get("MOLVA_TEACHER_RUNTIME", "auto")
        if wanted not in ("auto", "onnxruntime", "torch"):
            raise ValueError(f"unknown runtime {wanted!r}")
        self.net, self.runtime = self._runtime(self.net, model_dir, wanted, "")
        if self.multi_net is not None:
            self.multi_net, _ = self._runtime(self.multi_net, model_dir, wanted, "multi")
        self.tok = TeacherTokenizer.from_file(model_dir / TOKENIZER_FILE, self.cfg.vocab, self.cfg.max_len)
        self.version: str = str(conf.get("version", self.cfg.version)) + ("-int8" if self.int8 else "")
        if self.multi_net is not None:
            self.version += "+" + str((conf.get("multi") or {}).get("version", "multi"))
        self.batch_size = batch_size
        self.device = torch.device("cpu")
        self.mix: FastMix | None = load_mix(model_dir) if mix else None
        if self.mix is not None:
            self.version += self.mix.suffix

    def _runtime(self, net: nn.Module, model_dir: Path, wanted: str, variant: str) -> tuple[nn.Module, str]:
        ort_net = onnx_export(net, self.cfg, model_dir, variant, int8=self.int8) \
            if wanted in ("auto", "onnxruntime") else None
        if ort_net is not None:
            return ort_net, "onnxruntime"
        if wanted == "onnxruntime":
            raise ValueError("onnxruntime runtime requested but onnxruntime/onnx are not installed")
        return (quantize_linears(net) if self.int8 else net), "torch"

    def predict(self, texts: Sequence[str], targets: Sequence[Sequence[Span] | None], *,
                others: Sequence[Sequence[Span] | None] | None = None,
                groups: Sequence[str | None] | None = None) -> list[dict[str, float]]:
        if len(texts) != len(targets):
            raise ValueError("texts and targets differ in length")
        domains = [_domain(targets[i], groups[i] if groups is not None else None) for i in range(len(texts))]
        probs = self.predict_domains(texts, targets, others, domains)
        return [dict(zip(LABELS, row, strict=True)) for row in probs.tolist()]

    def predict_domains(self, texts: Sequence[str], targets: Sequence[Sequence[Span] | None],
                        others: Sequence[Sequence[Span] | None] | None, domains: Sequence[int]) -> np.ndarray:
        if len(texts) == 0:
            return np.zeros((0, len(LABELS)))
        from classifier.inference import unique_requests

        first, inverse = unique_requests(texts, targets, others, domains)
        rows = self.tok.encode_batch([texts[i] for i in first], [targets[i] for i in first],
                                     [others[i] for i in first] if others is not None else None)
        doms = [domains[i] for i in first]
        single, multi = split_multi(others, first) if self.multi_net is not None else (list(range(len(first))), [])
        probs = np.zeros((len(first), len(LABELS)), np.float32)
        for net, part in ((self.net, single), (self.multi_net, multi)):
            if part and net is not None:
                probs[part] = predict_rows(net, [rows[k] for k in part], [doms[k] for k in part], self.device,
                                           self.batch_size)
        out: np.ndarray = probs.astype(np.float64)[inverse]
        if self.mix is not None:
            out = self.mix.apply(out, texts, targets, others, domains)
        return out


MIX_FILE = "mix.json"


def mix_probs(accurate: np.ndarray, fast: np.ndarray, weight: float | np.ndarray) -> np.ndarray:
    """Log-linear mix of two models' class probabilities: softmax((1 - w) log p_accurate + w log p_fast)
    (``weight`` a number or one per row)."""
    w = np.asarray(weight, dtype=np.float64).reshape(-1, 1) if np.ndim(weight) else float(weight)
    z = (1 - w) * np.log(np.clip(accurate, 1e-9, 1.0)) + w * np.log(np.clip(fast, 1e-9, 1.0))
    z -= z.max(1, keepdims=True)
    e = np.exp(z)
    out: np.ndarray = e / e.sum(1, keepdims=True)
    return out


class FastMix:
    """The fast model's probabilities mixed into the transformer's, with a weight per domain (``mix_probs``);
    only rows of a domain with a weight above 0 are scored by the fast model."""

    def __init__(self, fast: Any, weights: Mapping[int, float], multi_brand: bool = True,
                 multi_brand_weight: float = 0.0) -> None:
        """``multi_brand`` False: requests whose text names another brand keep the transformer's scores (the
        fast model reads such posts worse, and the weights were tuned on single-brand tweets).
        ``multi_brand_weight`` above 0: those requests, in every domain, are mixed at this weight instead (``fast``
        must then route them to its multi-brand variant: ``MolvaSentimentModel(..., multi=True)``)."""
        self.fast, self.weights = fast, {int(d): float(w) for d, w in weights.items() if float(w) > 0}
        self.multi_brand, self.multi_brand_weight = multi_brand, float(multi_brand_weight)
        self.suffix = "+fast(" + ",".join(f"{DOMAINS[d]}:{w:g}" for d, w in sorted(self.weights.items())) + \
            (f";multi:{self.multi_brand_weight:g}" if self.multi_brand_weight > 0
             else "" if multi_brand else ";single-brand") + ")"

    def _weight(self, names_another: bool, domain: int) -> float:
        if names_another and self.multi_brand_weight > 0:
            return self.multi_brand_weight
        if names_another and not self.multi_brand:
            return 0.0
        return self.weights.get(domain, 0.0)

    def apply(self, probs: np.ndarray, texts: Sequence[str], targets: Sequence[Sequence[Span] | None],
              others: Sequence[Sequence[Span] | None] | None, domains: Sequence[int]) -> np.ndarray:
        weight = [self._weight(others is not None and bool(others[i]), d) for i, d in enumerate(domains)]
        idx = [i for i, w in enumerate(weight) if w > 0]
        if not idx:
            return probs
        fast = self.fast.predict_domains([texts[i] for i in idx], [targets[i] for i in idx],
                                         [others[i] for i in idx] if others is not None else None,
                                         [domains[i] for i in idx])
        out = probs.copy()
        out[idx] = mix_probs(probs[idx], fast, np.array([weight[i] for i in idx]))
        return out


def load_mix(model_dir: Path) -> FastMix | None:
    """``mix.json`` of an accurate model directory: ``{"fast_model": "../molva-sentiment",
    "fast_weight": {"telecom": 0.5}, "multi_brand": false, "multi_brand_weight": 0.3}`` (the fast model's
    directory relative to ``model_dir``; weights per domain name, tuned on the earlier half of the validation
    split, see BENCHMARKS.md; ``multi_brand`` false: only requests naming no other brand are mixed at those
    weights; ``multi_brand_weight``: requests naming another brand are mixed with the fast model's multi-brand
    variant at this weight, whatever the domain). None without the file or when the fast model is not there."""
    path = model_dir / MIX_FILE
    if not path.exists():
        return None
    conf = json.loads(path.read_text(encoding="utf-8"))
    fast_dir = (model_dir / str(conf.get("fast_model", "../molva-sentiment"))).resolve()
    weights = {DOMAINS.index(str(d)): float(w) for d, w in dict(conf.get("fast_weight") or {}).items()}
    multi_brand_weight = float(conf.get("multi_brand_weight") or 0.0)
    if not any(w > 0 for w in [*weights.values(), multi_brand_weight]):
        return None
    if not (fast_dir / "config.json").exists():  # e.g. the accurate model copied without its sibling
        logging.getLogger(__name__).warning("%s names the fast model %s, which is not there: scoring without the mix",
                                            path, fast_dir)
        return None
    from classifier.inference import MolvaSentimentModel

    # the mix was tuned with the fast network alone, without its priors; its multi-brand variant scores the
    # requests that name another brand only when those are mixed at their own weight
    return FastMix(MolvaSentimentModel(fast_dir, priors=False, multi=multi_brand_weight > 0), weights,
                   multi_brand=bool(conf.get("multi_brand", True)), multi_brand_weight=multi_brand_weight)


def _cache_dir() -> Path:
    env = os.environ.get("MOLVA_CACHE_DIR")
    return Path(env) if env else Path.home() / ".cache" / "molva"


def _quantize(fp32: Path, out: Path) -> None:
    """int8 dynamic quantization of an ONNX file: per-channel weights, each layer's second feed-forward matrix
    kept fp32 (its input has a few huge channels, see ``quantize_linears``)."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    graph = onnx.load(str(fp32)).graph
    ffn2 = [n.name for n in graph.node if n.op_type == "MatMul" and "/output/dense" in n.name
            and "attention" not in n.name]
    logging.disable(logging.WARNING)  # onnxruntime's "consider pre-processing" note on the root logger
    try:
        quantize_dynamic(str(fp32), str(out), weight_type=QuantType.QInt8, per_channel=True, nodes_to_exclude=ffn2)
    finally:
        logging.disable(logging.NOTSET)


def onnx_export(net: nn.Module, cfg: TeacherConfig, model_dir: Path, variant: str = "", *,
                int8: bool = True) -> nn.Module | None:
    """The network as an onnxruntime session, int8 (:func:`_quantize`) or fp32 (``int8=False``), wrapped as a
    module with the same call. The ONNX file is exported once per model and precision (key: the weights' names,
    sizes and config) into ``MOLVA_CACHE_DIR`` (default ``~/.cache/molva``); ``variant`` "multi": the
    multi-brand variant (``classifier.teacher_multi``), keyed by its delta files too. None when onnxruntime or
    onnx is missing or the export fails (then the torch runtime is used)."""
    try:
        import onnx  # noqa: F401
        import onnxruntime as ort
        import onnxruntime.quantization
    except ImportError:
        return None
    import hashlib
    import tempfile
    import warnings

    import torch
    from torch import nn

    key = hashlib.sha256((model_dir / CONFIG_FILE).read_bytes())
    patterns = [SHARD_PATTERN] + ([MULTI_PATTERN] if variant else [])
    for p in sorted(f for pattern in patterns for f in model_dir.glob(pattern.format("*"))):
        key.update(f"{p.name}:{p.stat().st_size}:{p.stat().st_mtime_ns}".encode())
    precision = "int8" if int8 else "fp32"
    target = _cache_dir() / f"{cfg.version}{'-' + variant if variant else ''}-{key.hexdigest()[:12]}-{precision}.onnx"
    if not target.exists():
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
                fp32 = Path(tmp) / "fp32.onnx"
                ids, mask, tpos, dom = pack_batch([([0, 5, 6, 2], 1), ([0, 7, 2], 0)], [0, 1])
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    torch.onnx.export(net, (ids, mask, tpos, dom), str(fp32), input_names=["ids", "mask", "tpos", "dom"],
                                      output_names=["logits"], opset_version=17, dynamo=False,
                                      dynamic_axes={"ids": {0: "n", 1: "w"}, "mask": {0: "n", 1: "w"},
                                                    "tpos": {0: "n"}, "dom": {0: "n"}})
                if int8:
                    _quantize(fp32, Path(tmp) / "int8.onnx")
                (Path(tmp) / "int8.onnx" if int8 else fp32).replace(target)
        except Exception:
            return None
    so = ort.SessionOptions()
    so.intra_op_num_threads = torch.get_num_threads()
    so.inter_op_num_threads = 1
    try:
        session = ort.InferenceSession(str(target), so, providers=["CPUExecutionProvider"])
    except Exception:  # a damaged cache file: export again next time, torch now
        target.unlink(missing_ok=True)
        return None

    class OrtNet(nn.Module):
        def forward(self, ids: torch.Tensor, mask: torch.Tensor, tpos: torch.Tensor,
                    domain: torch.Tensor) -> torch.Tensor:
            feeds = {"ids": ids.numpy(), "mask": mask.numpy(), "tpos": tpos.numpy(), "dom": domain.numpy()}
            return torch.from_numpy(np.asarray(session.run(None, feeds)[0]))

    return OrtNet()


def quantize_linears(net: nn.Module) -> nn.Module:
    """int8 dynamic quantization (per-channel weights, activations per batch) of the encoder's linear
    layers, in place, except each layer's second feed-forward matrix: its input (the GELU output) has a
    few huge channels, and int8 there flipped 11% of the validation labels (kept fp32: 2%)."""
    import warnings

    import torch
    from torch import nn
    from torch.ao.quantization import quantize_dynamic

    for name, mod in list(net.named_modules()):
        if not isinstance(mod, nn.Linear) or not name.startswith("bert.encoder."):
            continue
        if name.endswith(".output.dense") and ".attention." not in name:
            continue
        parent, child = name.rsplit(".", 1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            q = quantize_dynamic(nn.Sequential(mod), {nn.Linear}, dtype=torch.qint8)  # type: ignore[no-untyped-call]
        setattr(net.get_submodule(parent), child, q[0])
    return net


def _domain(target: Sequence[Span] | None, group: str | None) -> int:
    if group in ("banks", "telecom"):
        return DOMAINS.index(group)
    return DOMAINS.index("generic" if target else "tweets")
