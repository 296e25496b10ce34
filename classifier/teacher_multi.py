"""The accurate model's multi-brand variant: top encoder layers and head adapted to posts that name
several brands (``molva train --adapt``), shipped as a small delta beside the weights
(``multi-*.npz``, with ``"multi"`` in ``teacher.json``).

At run time a request whose text names another brand (``others`` not empty) is scored by the variant,
every other request by the unchanged model, so single-brand scores stay exactly what they were.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

MULTI_PATTERN = "multi-{}.npz"  # not "teacher-*": the weights' own glob would take it


def has_multi(model_dir: Path) -> bool:
    return any(model_dir.glob(MULTI_PATTERN.format("*")))


def multi_state(net: Any, prefixes: Sequence[str]) -> dict[str, np.ndarray]:
    """The tensors of ``net`` under ``prefixes`` (the ones that trained): the delta to ship."""
    return {k: v.detach().float().cpu().numpy() for k, v in net.state_dict().items() if k.startswith(tuple(prefixes))}


def save_multi(net: Any, prefixes: Sequence[str], out_dir: Path) -> list[Path]:
    from classifier.teacher import save_shards

    return save_shards(multi_state(net, prefixes), out_dir, pattern=MULTI_PATTERN)


def load_multi(model_dir: Path, base: Any) -> Any | None:
    """``base`` (the fp32 network, before any quantization) with the delta loaded into a copy of the layers it
    changes; None without one."""
    import torch

    from classifier.teacher import load_shards

    if not has_multi(model_dir):
        return None
    delta = load_shards(model_dir, pattern=MULTI_PATTERN)
    known = set(base.state_dict())
    unknown = sorted(set(delta) - known)
    if unknown:
        raise ValueError(f"{model_dir}: multi-brand weights do not match the model ({unknown[:3]})")
    # the embeddings and the layers below the first trained one are shared with ``base``, not copied
    first = min((int(k.split(".")[3]) for k in delta if k.startswith("bert.encoder.layer.")),
                default=len(base.bert.encoder.layer))
    shared = [base.bert.embeddings, *base.bert.encoder.layer[:first]]
    net = copy.deepcopy(base, {id(m): m for m in shared})
    net.load_state_dict({k: torch.from_numpy(v) for k, v in delta.items()}, strict=False)
    return net.eval()


def split_multi(others: Sequence[Sequence[Any] | None] | None, first: Sequence[int]) -> tuple[list[int], list[int]]:
    """Positions in ``first`` (unique requests) scored by the unchanged model and by the multi-brand variant."""
    single: list[int] = []
    multi: list[int] = []
    for k, i in enumerate(first):
        (multi if others is not None and others[i] else single).append(k)
    return single, multi
