"""The fast model's multi-brand variant: a second copy of the fast network's encoder and head, adapted to
posts that name several brands (``molva train --adapt POSTS --model fast``, ``classifier.adapt_fast``),
shipped as a small delta beside the weights (``multi-0.npz``, with ``"multi"`` in ``config.json``).

The variant trains with the per-token tables frozen (``TOKEN_TABLES``: navec projection, hashed word and
char n-gram embeddings, the linear branch's unigrams), so at run time it reads the base network's cached
token vectors and only its encoder runs apart. As for the accurate model (``classifier.teacher_multi``), a
request whose text names another brand (``others`` not empty) is scored by the variant and every other
request by the unchanged network, so single-brand scores stay what they were.

Importable without torch (the numpy runtime); the torch helpers import it when called.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

MULTI_FILE = "multi-0.npz"  # not "weights-*": the members' own glob would take it
# the tensors the per-token cache is made of: the variant must leave them as they are
TOKEN_TABLES = ("nav_proj", "nav_bias", "word.weight", "chars.weight", "lin_uni.weight")


def multi_conf(conf: Mapping[str, Any]) -> dict[str, Any] | None:
    """The ``"multi"`` entry of a fast model's ``config.json`` (None: no variant)."""
    multi = conf.get("multi")
    return dict(multi) if isinstance(multi, Mapping) else None


def read_delta(model_dir: Path, conf: Mapping[str, Any], base_keys: Sequence[str]) -> dict[str, np.ndarray] | None:
    """The variant's tensors (float32), checked against the base network's keys; None without a variant."""
    from classifier.fast import load_state

    multi = multi_conf(conf)
    if multi is None:
        return None
    path = model_dir / str(multi.get("file", MULTI_FILE))
    if not path.exists():
        raise ValueError(f"{model_dir}: config.json names a multi-brand variant but {path.name} is missing")
    delta = load_state(path)
    unknown = sorted(set(delta) - set(base_keys))
    shared = sorted(k for k in delta if k in TOKEN_TABLES)
    if unknown or shared:
        raise ValueError(f"{path}: multi-brand weights do not fit the model ({(unknown or shared)[:3]})")
    return delta


def variant_prior(conf: Mapping[str, Any]) -> list[float] | None:
    """Class log-prior of the variant: its own when the config gives one (``null``: none), else the model's."""
    multi = multi_conf(conf) or {}
    prior = multi["class_log_prior"] if "class_log_prior" in multi else conf.get("class_log_prior")
    return [float(x) for x in prior] if prior else None


def trainable_names(net: Any, linear: bool = False) -> list[str]:
    """Parameters of a ``SentimentNet`` that the variant trains: all but the token tables (and, unless
    ``linear``, the linear branch's bigram table)."""
    frozen = set(TOKEN_TABLES) | (set() if linear else {"lin_bi.weight"})
    return [name for name, _ in net.named_parameters() if name not in frozen]


def save_delta(net: Any, names: Sequence[str], out_dir: Path) -> Path:
    """Write the tensors ``names`` of ``net`` as the variant's file (packed as the weights are: fp16)."""
    from classifier.fast import save_packed
    from classifier.training import _numpy_packed, pack_state

    state = {k: v for k, v in net.state_dict().items() if k in set(names)}
    path = out_dir / MULTI_FILE
    out_dir.mkdir(parents=True, exist_ok=True)
    save_packed(_numpy_packed(pack_state(state)), path)
    return path


def variant_net(base: Any, delta: Mapping[str, np.ndarray]) -> Any:
    """A copy of the torch ``SentimentNet`` ``base`` with the variant's tensors loaded (eval mode); the token
    tables, which the variant leaves as they are, are shared with ``base``, not copied."""
    import copy

    import torch

    net = copy.deepcopy(base, {id(p): p for name, p in base.named_parameters() if name in TOKEN_TABLES})
    net.load_state_dict({k: torch.from_numpy(np.asarray(v, np.float32)) for k, v in delta.items()}, strict=False)
    return net.eval()
