"""Navec news embeddings, loaded from the copy the ``natasha`` package ships (never committed here)."""

from __future__ import annotations

import gzip
import os
import tarfile
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
    """Read the navec tar directly: vocabulary and product-quantization tables only (``navec.Navec.load``
    also precomputes similarity tables that Molva never uses, which costs startup time)."""
    with tarfile.open(navec_path()) as tar:
        vocab_file = tar.extractfile("vocab.bin")
        pq_file = tar.extractfile("pq.bin")
        if vocab_file is None or pq_file is None:
            raise OSError(f"{navec_path()}: not a navec archive")
        with gzip.GzipFile(mode="rb", fileobj=vocab_file) as gz:
            (size,) = np.frombuffer(gz.read(4), np.uint32)
            gz.read(4 * int(size))  # word counts: unused
            words = gz.read().decode("utf-8").splitlines()
        vectors, _dim, qdim, centroids = (int(v) for v in np.frombuffer(pq_file.read(16), np.uint32))
        indexes = np.frombuffer(pq_file.read(vectors * qdim), np.uint8).reshape(vectors, qdim)
        codes = np.frombuffer(pq_file.read(), np.float32).reshape(qdim, centroids, -1)
    vocab = {w: i for i, w in enumerate(words)}
    return NavecTables(vocab, vocab["<unk>"], vocab["<pad>"], np.array(codes, dtype=np.float32), indexes)
