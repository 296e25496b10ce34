"""The sentiment network's labels, domains and shape settings: shared by the torch module
(``classifier.model``) and the torch-free runtime (``classifier.fast``), importable without torch."""

from __future__ import annotations

from dataclasses import asdict, dataclass

LABELS = ("negative", "neutral", "positive")
DOMAINS = ("banks", "telecom", "tweets", "news", "generic")
BIGRAM_BUCKETS = 1 << 18
BIGRAM_MULT = 1_000_003  # bigram id = (w1 * BIGRAM_MULT + w2) % BIGRAM_BUCKETS
MASK_FILL = -1e4  # attention score / max-pool value of padded positions


@dataclass
class ModelConfig:
    dim: int = 128
    layers: int = 2
    kernel: int = 3
    dropout: float = 0.3
    linear_branch: bool = True
    glu: bool = True

    def to_dict(self) -> dict[str, object]:
        return asdict(self)
