"""Navec news embeddings, loaded from the copy the ``natasha`` package ships (never committed here)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

NAVEC_FILE = "navec_news_v1_1B_250K_300d_100q.tar"


@dataclass(frozen=True)
class NavecTables:
    vocab: dict[str, int]
    unk: int
    pad: int
    centroids: np.ndarray  # (q, 256, dim/q) float32
    codes: np.ndarray  # (words, q) uint8


def navec_path() -> Path:
    """The navec tar: ``MOLVA_NAVEC_PATH`` if set, else the copy inside the installed ``natasha``."""
    env = os.environ.get("MOLVA_NAVEC_PATH")
    if env:
        return Path(env)
    import natasha

    return Path(natasha.__file__).parent / "data" / "emb" / NAVEC_FILE


@lru_cache(maxsize=1)
def load_navec() -> NavecTables:
    from navec import Navec

    nav = Navec.load(str(navec_path()))
    words = nav.vocab.words
    vocab = {w: i for i, w in enumerate(words)}
    return NavecTables(vocab, nav.vocab.unk_id, nav.vocab.pad_id,
                       np.asarray(nav.pq.codes, dtype=np.float32), np.asarray(nav.pq.indexes, dtype=np.uint8))
