"""Loading and running sentiment models: the shipped default or any transformers checkpoint."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from classifier.arch import DOMAINS, LABELS, ModelConfig
from classifier.fast import NPZ_PATTERN
from classifier.teacher_multi import split_multi
from classifier.text import Featurizer, Span, TokenBatch

if TYPE_CHECKING:
    from classifier.model import SentimentNet

MODELS = Path(__file__).resolve().parent.parent / "models"
# the fast model (numpy network; `molva train` writes it; `--model fast`)
DEFAULT_MODEL_DIR = MODELS / "molva-sentiment"
FAST_MODEL_DIR = DEFAULT_MODEL_DIR
# the accurate model, the default of `analyze` / `classify`: fine-tuned e5 (classifier.teacher)
ACCURATE_MODEL_DIR = MODELS / "molva-sentiment-accurate"
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


class _Member(Protocol):
    """One network of the ensemble in some runtime (``CachedTorchMember`` or ``fast.NumpyMember``)."""

    def sync(self) -> None: ...

    def probs(self, b: TokenBatch) -> np.ndarray: ...


def _domain(target: Sequence[Span] | None, group: str | None) -> int:
    if group in ("banks", "telecom"):
        return DOMAINS.index(group)
    return DOMAINS.index("generic" if target else "tweets")


def _spans_key(spans: Sequence[Span] | None) -> tuple[Span, ...] | None:
    return None if spans is None else tuple((int(s), int(e)) for s, e in spans)


def unique_requests(texts: Sequence[str], targets: Sequence[Sequence[Span] | None],
                    others: Sequence[Sequence[Span] | None] | None,
                    domains: Sequence[int]) -> tuple[list[int], np.ndarray]:
    """Identical requests (reposts, retweets, the same text twice in a chunk) are scored once: the index of each
    distinct request's first occurrence, and for every request the position of its distinct one."""
    keys: dict[tuple[object, ...], int] = {}
    inverse = np.empty(len(texts), dtype=np.int64)
    first: list[int] = []
    for i, text in enumerate(texts):
        key = (text, _spans_key(targets[i]), _spans_key(others[i]) if others is not None else None, domains[i])
        j = keys.setdefault(key, len(first))
        if j == len(first):
            first.append(i)
        inverse[i] = j
    return first, inverse


class MolvaSentimentModel:
    """The default model: small target-aware CNNs over navec + hashed char n-grams (see MODEL_CARD.md).

    Fast path: texts are tokenized once into token-table ids, per-token embeddings are cached, requests
    are sorted by token count and batched (almost no padding), and the results are put back in order."""

    # In a post naming several brands, this small network's reading of the whole post mixes the brands up;
    # scored alone, each brand's own part decides its positive/negative split better (classifier.structure;
    # two-brand sets, BENCHMARKS.md). The accurate model reads the whole post better than its parts.
    own_part_split = True

    def __init__(self, model_dir: Path, batch_size: int = 256, members: int | Sequence[int] | None = None,
                 int8: bool | None = None, runtime: str | None = None, priors: bool = True,
                 multi: bool = True) -> None:
        """``runtime``: "numpy" (torch-free, needs ``weights-{i}.npz``), "torch", or None: ``MOLVA_RUNTIME``
        if set, else numpy when every chosen member has its npz export and int8 is off. ``priors``: apply
        the config's ``class_log_prior`` (log-offsets per class added to the network's log-probabilities,
        tuned on the earlier half of the validation split; see BENCHMARKS.md) when it has one. ``multi``:
        score requests that name another brand with the multi-brand variant when the model has one
        (``classifier.fast_multi``; one network runs, not an ensemble)."""
        from classifier.fast_multi import multi_conf, variant_prior

        conf = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
        bias = conf.get("class_log_prior") if priors else None
        self.class_weight = _weight(bias)
        self.version: str = str(conf["version"]) + ("-prior" if bias else "")
        chosen: Any = members if members is not None else conf.get("inference_members", conf["members"])
        self.member_ids = [int(i) for i in chosen] if isinstance(chosen, (list, tuple)) else list(range(int(chosen)))
        variant = multi_conf(conf) if multi else None
        if variant is not None and self.member_ids != [int(variant.get("member", 0))]:
            variant = None  # the variant was made from one member: it runs only with that member alone
        self.multi_members: list[_Member] = []
        self.multi_weight = _weight(variant_prior(conf) if priors else None)
        if variant is not None:
            self.version += "+" + str(variant.get("version", "multi"))
        self.int8 = bool(conf.get("int8", False)) if int8 is None else int8
        npz = [model_dir / NPZ_PATTERN.format(i) for i in self.member_ids]
        runtime = runtime or os.environ.get("MOLVA_RUNTIME") or (
            "numpy" if not self.int8 and all(p.exists() for p in npz) else "torch")
        if runtime not in ("numpy", "torch"):
            raise ModelLoadError(f"unknown runtime {runtime!r} (numpy or torch)")
        self.runtime = runtime
        self.threads = 1  # numpy runtime: batches scored in parallel (``molva analyze`` sets MOLVA_THREADS)
        self.nets: list[SentimentNet] = []
        if runtime == "numpy":
            from classifier.embeddings import load_navec
            from classifier.fast import NumpyMember, NumpyVariant, load_state

            nav = load_navec()
            self.featurizer = Featurizer(nav.vocab, nav.unk, nav.pad)
            cfgs = conf.get("member_models") or [conf["model"]] * int(conf["members"])
            states = [load_state(p) for p in npz]
            self.members: list[_Member] = [
                NumpyMember(ModelConfig(**cfgs[i]), st, nav.centroids, nav.codes, self.featurizer)
                for i, st in zip(self.member_ids, states, strict=True)]
            self.batch_size = batch_size
            delta = self._delta(model_dir, conf, states[0]) if variant is not None else None
            if delta is not None:
                base = self.members[0]
                assert isinstance(base, NumpyMember)
                self.multi_members = [NumpyVariant(base, {**states[0], **delta})]
            return
        from classifier.training import load_members

        self.nets = load_members(model_dir, self.member_ids)
        delta = self._delta(model_dir, conf, self.nets[0].state_dict()) if variant is not None else None
        multi_net = None
        if delta is not None:
            from classifier.fast_multi import variant_net

            multi_net = variant_net(self.nets[0], delta)
        if self.int8:
            for net in self.nets + ([multi_net] if multi_net is not None else []):
                net.quantize_for_inference()
        self._setup(batch_size, multi_net)

    @staticmethod
    def _delta(model_dir: Path, conf: dict[str, Any], base: Any) -> dict[str, np.ndarray] | None:
        from classifier.fast_multi import read_delta

        try:
            return read_delta(model_dir, conf, list(base))
        except (OSError, ValueError) as exc:
            raise ModelLoadError(str(exc)) from exc

    def _setup(self, batch_size: int, multi_net: SentimentNet | None = None) -> None:
        from classifier.embeddings import load_navec
        from classifier.model import CachedTorchMember, CachedTorchVariant

        nav = load_navec()
        self.runtime, self.threads = "torch", 1
        self.featurizer = Featurizer(nav.vocab, nav.unk, nav.pad)
        members = [CachedTorchMember(net, self.featurizer) for net in self.nets]
        self.members = list(members)
        self.multi_members = [CachedTorchVariant(members[0], multi_net)] if multi_net is not None else []
        self.batch_size = batch_size

    @classmethod
    def from_nets(cls, nets: list[SentimentNet], version: str, int8: bool = False, batch_size: int = 256,
                  multi_net: SentimentNet | None = None,
                  class_log_prior: Sequence[float] | None = None) -> MolvaSentimentModel:
        """Wrap in-memory networks (eval mode), e.g. the teacher ensemble while distilling; ``multi_net``: a
        multi-brand variant of ``nets[0]`` (its token tables unchanged), ``class_log_prior`` for both."""
        self = cls.__new__(cls)
        self.version, self.member_ids, self.nets, self.int8 = version, list(range(len(nets))), nets, int8
        self.class_weight = self.multi_weight = _weight(class_log_prior)
        if int8:
            for net in nets:
                net.quantize_for_inference()
        self._setup(batch_size, multi_net)
        return self

    def predict(self, texts: Sequence[str], targets: Targets, *, others: Targets | None = None,
                groups: Sequence[str | None] | None = None) -> list[dict[str, float]]:
        if len(texts) != len(targets):
            raise ValueError("texts and targets differ in length")
        domains = [_domain(targets[i], groups[i] if groups is not None else None) for i in range(len(texts))]
        probs = self.predict_domains(texts, targets, others, domains)
        return [dict(zip(LABELS, row, strict=True)) for row in probs.tolist()]

    def predict_domains(self, texts: Sequence[str], targets: Targets, others: Targets | None,
                        domains: Sequence[int]) -> np.ndarray:
        """(n, 3) probabilities, rows summing to 1; ``domains`` are indices into ``DOMAINS``."""
        if len(texts) == 0:
            return np.zeros((0, len(LABELS)))
        first, inverse = unique_requests(texts, targets, others, domains)
        if len(first) < len(texts):
            texts, targets = [texts[i] for i in first], [targets[i] for i in first]
            others = [others[i] for i in first] if others is not None else None
            domains = [domains[i] for i in first]
        n = len(texts)
        rows = self.featurizer.encode(texts, targets, others)
        probs = np.empty((n, len(LABELS)), dtype=np.float64)
        for m in self.members:
            m.sync()
        # requests naming another brand go to the multi-brand variant when there is one (single-brand ones
        # are batched among themselves, exactly as without it)
        single, multi = split_multi(others, range(n)) if self.multi_members else (list(range(n)), [])
        self._score(rows, domains, single, self.members, self.class_weight, probs)
        self._score(rows, domains, multi, self.multi_members, self.multi_weight, probs)
        return probs[inverse] if n < len(inverse) else probs

    def _score(self, rows: list[tuple[list[int], list[int]]], domains: Sequence[int], part: list[int],
               members: Sequence[_Member], weight: np.ndarray | None, probs: np.ndarray) -> None:
        """Fill ``probs[part]``: the members' mean probabilities (times ``weight``, renormalized)."""
        if not part:
            return
        order = sorted(part, key=lambda i: len(rows[i][0]))  # equal token counts share a batch: no padding

        def run(s: int) -> None:
            idx = order[s:s + self.batch_size]
            b = self.featurizer.pack([rows[i] for i in idx], [domains[i] for i in idx])
            p = members[0].probs(b).astype(np.float64)
            for m in members[1:]:
                p += m.probs(b)
            probs[idx] = p

        starts = range(0, len(order), self.batch_size)
        if self.threads > 1 and self.runtime == "numpy" and len(starts) > 1:
            # numpy kernels release the GIL: batches run on ``threads`` threads (single-threaded BLAS each;
            # OpenBLAS's own threads spin while idle and lose badly on a busy machine)
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(self.threads, thread_name_prefix="molva-batch") as pool:
                list(pool.map(run, starts))
        else:
            for s in starts:
                run(s)
        p = probs[part]
        p /= p.sum(1, keepdims=True)
        if weight is not None:
            p *= weight
            p /= p.sum(1, keepdims=True)
        probs[part] = p


def _weight(class_log_prior: Sequence[float] | None) -> np.ndarray | None:
    return None if not class_log_prior else np.exp(np.asarray(class_log_prior, dtype=np.float64))


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
        import torch

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
    """None (or "accurate"): the shipped default, the accurate transformer (the fast model when its files
    are missing); "fast": the fast numpy model; a Molva model directory (accurate: ``teacher.json``; fast:
    ``weights-0.pt``); else a transformers checkpoint (directory or hub id)."""
    from classifier.teacher import CONFIG_FILE as TEACHER_CONFIG

    name = "" if path_or_hub_id is None else str(path_or_hub_id)
    if name in ("", "accurate"):
        if (ACCURATE_MODEL_DIR / TEACHER_CONFIG).exists():
            return _load_teacher(ACCURATE_MODEL_DIR)
        if name == "accurate":
            raise ModelLoadError(f"{ACCURATE_MODEL_DIR}: the accurate model is not installed")
        return MolvaSentimentModel(FAST_MODEL_DIR)
    if name == "fast":
        return MolvaSentimentModel(FAST_MODEL_DIR)
    path = Path(name)
    if path.is_dir() and (path / TEACHER_CONFIG).exists():
        return _load_teacher(path)
    if path.is_dir() and (path / "weights-0.pt").exists():
        return MolvaSentimentModel(path)
    if path.exists() and not path.is_dir():
        raise ModelLoadError(f"{path}: not a model directory")
    return TransformersSentimentModel(path_or_hub_id)  # type: ignore[arg-type]


def _load_teacher(model_dir: Path) -> SentimentModel:
    from classifier.teacher import TeacherSentimentModel

    try:
        return TeacherSentimentModel(model_dir)
    except (OSError, ValueError, KeyError) as exc:
        raise ModelLoadError(f"cannot load {model_dir}: {exc}") from exc
