"""The sentiment network: navec (frozen, product-quantized) + trainable hashed word/char features,
a residual CNN encoder, target-aware pooling, a domain embedding and a fastText-like linear branch."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from classifier.text import CHAR_BUCKETS, DIST_BUCKETS, WORD_BUCKETS, Batch

LABELS = ("negative", "neutral", "positive")
DOMAINS = ("banks", "telecom", "tweets", "news", "generic")
BIGRAM_BUCKETS = 1 << 18


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


class SentimentNet(nn.Module):
    def __init__(self, cfg: ModelConfig, centroids: np.ndarray, codes: np.ndarray) -> None:
        super().__init__()
        self.cfg = cfg
        d = cfg.dim
        q, k, sub = centroids.shape
        self.register_buffer("centroids", torch.from_numpy(np.array(centroids, dtype=np.float32)), persistent=False)
        self.register_buffer("codes", torch.from_numpy(np.array(codes, dtype=np.uint8)), persistent=False)
        self.register_buffer("code_offsets", torch.arange(q, dtype=torch.int64) * k, persistent=False)
        self.nav_proj = nn.Parameter(torch.randn(q, sub, d) * (1.0 / (q * sub) ** 0.5))
        self.nav_bias = nn.Parameter(torch.zeros(d))
        self.word = nn.Embedding(WORD_BUCKETS, d)
        nn.init.normal_(self.word.weight, std=0.02)
        self.chars = nn.EmbeddingBag(CHAR_BUCKETS, d, mode="mean")
        nn.init.normal_(self.chars.weight, std=0.02)
        self.role = nn.Embedding(3, d)
        self.dist = nn.Embedding(DIST_BUCKETS, d)
        self.norm = nn.LayerNorm(d)
        self.convs = nn.ModuleList(
            nn.Conv1d(d, (2 if cfg.glu else 1) * d, cfg.kernel, padding=cfg.kernel // 2) for _ in range(cfg.layers)
        )
        self.attn = nn.Linear(d, 1)
        self.domain = nn.Embedding(len(DOMAINS), 32)
        self.head = nn.Sequential(
            nn.Linear(3 * d + 32, d), nn.GELU(), nn.Dropout(cfg.dropout), nn.Linear(d, len(LABELS))
        )
        self.drop = nn.Dropout(cfg.dropout)
        if cfg.linear_branch:
            self.lin_uni = nn.Embedding(WORD_BUCKETS, len(LABELS))
            self.lin_bi = nn.Embedding(BIGRAM_BUCKETS, len(LABELS))
            nn.init.zeros_(self.lin_uni.weight)
            nn.init.zeros_(self.lin_bi.weight)
        self._table: torch.Tensor | None = None

    def train(self, mode: bool = True) -> SentimentNet:
        self._table = None
        return super().train(mode)

    def nav_table(self) -> torch.Tensor:
        """(q*k, d) table: each navec sub-vector centroid already multiplied by the projection."""
        if self._table is not None:
            return self._table
        table = torch.einsum("qks,qsd->qkd", self.centroids, self.nav_proj).reshape(-1, self.cfg.dim)
        if not self.training:
            self._table = table.detach()
        return table

    def _conv(self, h: torch.Tensor, conv: nn.Conv1d) -> torch.Tensor:
        """Conv1d over (n, width, d) as one matrix product over shifted copies (faster on a CPU)."""
        k = self.cfg.kernel
        n, width, d = h.shape
        pad = k // 2
        z = h.new_zeros(n, pad, d)
        hp = torch.cat([z, h, z], dim=1)
        u = torch.cat([hp[:, i:i + width] for i in range(k)], dim=-1)  # (n, width, k*d)
        weight = conv.weight.permute(0, 2, 1).reshape(conv.out_channels, k * d)
        return F.linear(u, weight, conv.bias)

    def forward(self, b: Batch) -> torch.Tensor:
        n, width = b.nav.shape
        mask = b.mask
        codes: torch.Tensor = self.codes  # type: ignore[assignment]
        offsets: torch.Tensor = self.code_offsets  # type: ignore[assignment]
        idx = codes[b.nav.reshape(-1)].long() + offsets  # (n*width, q)
        x = F.embedding_bag(idx, self.nav_table(), mode="sum") + self.nav_bias
        x = x.view(n, width, -1)
        x = x + self.word(b.word) + self.role(b.role) + self.dist(b.dist)
        x = x + self.chars(b.chars, b.char_offsets).view(n, width, -1)
        x = self.drop(self.norm(x))
        fmask = mask.unsqueeze(-1).to(x.dtype)
        h = x
        for conv in self.convs:
            c = self._conv(self.drop(h) * fmask, conv)  # type: ignore[arg-type]
            h = h + (F.glu(c, dim=-1) if self.cfg.glu else F.gelu(c))
        h = h * fmask  # (n, width, d)
        scores = self.attn(h).squeeze(-1).masked_fill(~mask, -1e4)
        att = torch.softmax(scores, dim=-1).unsqueeze(-1)
        pooled_att = (att * h).sum(1)
        pooled_max = h.masked_fill(~mask.unsqueeze(-1), -1e4).max(1).values
        tmask = (b.role == 1).unsqueeze(-1).to(h.dtype)
        pooled_tgt = (h * tmask).sum(1) / tmask.sum(1).clamp(min=1.0)
        feats = torch.cat([pooled_att, pooled_max, pooled_tgt, self.domain(b.domain)], dim=-1)
        logits: torch.Tensor = self.head(feats)
        if self.cfg.linear_branch:
            lengths = fmask.sum(1).clamp(min=1.0)
            uni = (self.lin_uni(b.word) * fmask).sum(1)
            bi_ids = (b.word[:, :-1] * 1_000_003 + b.word[:, 1:]) % BIGRAM_BUCKETS
            bmask = (mask[:, :-1] & mask[:, 1:]).unsqueeze(-1).to(h.dtype)
            bi = (self.lin_bi(bi_ids) * bmask).sum(1)
            logits = logits + (uni + bi) / lengths.sqrt()
        return logits
