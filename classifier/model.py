"""The sentiment network: navec (frozen, product-quantized) + trainable hashed word/char features,
a residual CNN encoder, target-aware pooling, a domain embedding and a fastText-like linear branch."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from classifier.arch import BIGRAM_BUCKETS, BIGRAM_MULT, MASK_FILL
from classifier.arch import DOMAINS as DOMAINS
from classifier.arch import LABELS as LABELS
from classifier.arch import ModelConfig as ModelConfig
from classifier.text import CHAR_BUCKETS, DIST_BUCKETS, WORD_BUCKETS, Batch, Featurizer, TokenBatch


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
        self._int8_taps: list[nn.Module] | None = None

    def train(self, mode: bool = True) -> SentimentNet:
        self._table = None
        self._int8_taps = None
        return super().train(mode)

    def quantize_for_inference(self) -> None:
        """Run the convolutions' matrix products in int8 (dynamic quantization, per-channel weights).

        Inference only (``train()`` drops it). The tap-stacked weight becomes a dynamically quantized
        ``nn.Linear``; activations are quantized per batch on the fly."""
        import warnings

        from torch.ao.quantization import quantize_dynamic

        taps = []
        for conv in self.convs:
            assert isinstance(conv, nn.Conv1d)
            k, out_ch = conv.kernel_size[0], conv.out_channels
            lin = nn.Linear(conv.in_channels, k * out_ch, bias=False)
            with torch.no_grad():
                lin.weight.copy_(conv.weight.permute(2, 0, 1).reshape(k * out_ch, -1))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                quantized = quantize_dynamic(nn.Sequential(lin), {nn.Linear}, dtype=torch.qint8)  # type: ignore[no-untyped-call]
                taps.append(quantized[0])
        self._int8_taps = taps

    def nav_table(self) -> torch.Tensor:
        """(q*k, d) table: each navec sub-vector centroid already multiplied by the projection."""
        if self._table is not None:
            return self._table
        table = torch.einsum("qks,qsd->qkd", self.centroids, self.nav_proj).reshape(-1, self.cfg.dim)
        if not self.training:
            self._table = table.detach()
        return table

    def _conv(self, h: torch.Tensor, conv: nn.Conv1d, tap_linear: nn.Module | None = None) -> torch.Tensor:
        """Conv1d over (n, width, d) as one matrix product with the k taps stacked, then shifted adds
        (no im2col copy; faster on a CPU). Same result as ``conv`` with ``padding=k // 2``."""
        k = self.cfg.kernel
        n, width, _ = h.shape
        pad = k // 2
        out_ch = conv.out_channels
        if tap_linear is not None:
            y = tap_linear(h).view(n, width, k, out_ch)
        else:
            stacked = conv.weight.permute(2, 0, 1).reshape(k * out_ch, -1)  # tap-major (k*out, d)
            y = F.linear(h, stacked).view(n, width, k, out_ch)
        out = y[:, :, pad] + conv.bias
        for i in range(k):
            shift = i - pad  # output position t reads input t + shift through tap i
            if shift < 0 and width > -shift:
                out[:, -shift:] += y[:, :shift, i]
            elif shift > 0 and width > shift:
                out[:, :-shift] += y[:, shift:, i]
        result: torch.Tensor = out
        return result

    def token_vectors(self, nav: torch.Tensor, word: torch.Tensor, chars: torch.Tensor,
                      char_offsets: torch.Tensor) -> torch.Tensor:
        """(T, d) position-independent part of the input of T tokens: navec + hashed word + char n-grams."""
        codes: torch.Tensor = self.codes  # type: ignore[assignment]
        offsets: torch.Tensor = self.code_offsets  # type: ignore[assignment]
        idx = codes[nav].long() + offsets  # (T, q)
        x = F.embedding_bag(idx, self.nav_table(), mode="sum") + self.nav_bias
        vec: torch.Tensor = x + self.word(word) + self.chars(chars, char_offsets)
        return vec

    def forward(self, b: Batch) -> torch.Tensor:
        n, width = b.nav.shape
        x = self.token_vectors(b.nav.reshape(-1), b.word.reshape(-1), b.chars, b.char_offsets)
        uni = self.lin_uni(b.word) if self.cfg.linear_branch else None
        return self.encode(x.view(n, width, -1), uni, b.word, b.role, b.dist, b.mask, b.domain)

    def encode(self, x: torch.Tensor, uni: torch.Tensor | None, word: torch.Tensor, role: torch.Tensor,
               dist: torch.Tensor, mask: torch.Tensor, domain: torch.Tensor) -> torch.Tensor:
        """Logits from per-position token vectors ``x`` (n, width, d) and linear-branch unigram logits ``uni``."""
        x = x + self.role(role) + self.dist(dist)
        x = self.drop(self.norm(x))
        # rows bucketed by length at inference are often all full: then the masks are no-ops and skipped
        full = not self.training and bool(mask.all())
        fmask = mask.unsqueeze(-1).to(x.dtype)
        h = x
        taps = self._int8_taps if self._int8_taps is not None else [None] * len(self.convs)
        for conv, tap in zip(self.convs, taps, strict=True):
            inp = self.drop(h) if full else self.drop(h) * fmask
            c = self._conv(inp, conv, tap)  # type: ignore[arg-type]
            h = h + (F.glu(c, dim=-1) if self.cfg.glu else F.gelu(c))
        if not full:
            h = h * fmask  # (n, width, d)
        scores = self.attn(h).squeeze(-1)
        if not full:
            scores = scores.masked_fill(~mask, MASK_FILL)
        att = torch.softmax(scores, dim=-1).unsqueeze(-1)
        pooled_att = (att * h).sum(1)
        pooled_max = (h if full else h.masked_fill(~mask.unsqueeze(-1), MASK_FILL)).max(1).values
        tmask = (role == 1).unsqueeze(-1).to(h.dtype)
        pooled_tgt = (h * tmask).sum(1) / tmask.sum(1).clamp(min=1.0)
        feats = torch.cat([pooled_att, pooled_max, pooled_tgt, self.domain(domain)], dim=-1)
        logits: torch.Tensor = self.head(feats)
        if self.cfg.linear_branch and uni is not None:
            lengths = fmask.sum(1).clamp(min=1.0)
            uni_sum = uni.sum(1) if full else (uni * fmask).sum(1)
            bi_ids = (word[:, :-1] * BIGRAM_MULT + word[:, 1:]) % BIGRAM_BUCKETS
            bi_vec = self.lin_bi(bi_ids)
            if not full:
                bi_vec = bi_vec * (mask[:, :-1] & mask[:, 1:]).unsqueeze(-1).to(h.dtype)
            logits = logits + (uni_sum + bi_vec.sum(1)) / lengths.sqrt()
        return logits


class CachedTorchMember:
    """One network plus a cache of its per-token input vectors, row-aligned with the featurizer's token
    table (navec + word + char n-gram embeddings depend only on the token string). The reference runtime;
    ``classifier.fast.NumpyMember`` is the torch-free twin."""

    def __init__(self, net: SentimentNet, featurizer: Featurizer) -> None:
        self.net = net
        self.featurizer = featurizer
        self.generation = -1
        self.filled = 0
        self.vec = torch.empty(0)
        self.uni = torch.empty(0)

    @torch.inference_mode()
    def sync(self) -> None:
        """Compute vectors for the table rows added since the last call (all of them after a reset)."""
        feat = self.featurizer
        if self.generation != feat.generation:
            self.generation, self.filled = feat.generation, 0
            self.vec = torch.empty(0, self.net.cfg.dim)
            self.uni = torch.empty(0, len(LABELS))
        total = len(feat.table)
        if total == self.filled:
            return
        new = feat.table[self.filled:total]
        nav = torch.tensor([f.nav for f in new], dtype=torch.int64)
        word = torch.tensor([f.word for f in new], dtype=torch.int64)
        lengths = np.fromiter((len(f.chars) for f in new), dtype=np.int64, count=len(new))
        offsets = torch.from_numpy(np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64))
        chars = torch.tensor([c for f in new for c in f.chars], dtype=torch.int64)
        vec = self.net.token_vectors(nav, word, chars, offsets)
        uni = self.net.lin_uni(word) if self.net.cfg.linear_branch else torch.zeros(len(new), len(LABELS))
        self.vec = _grow(self.vec, self.filled, vec)
        self.uni = _grow(self.uni, self.filled, uni)
        self.filled = total

    def probs(self, b: TokenBatch) -> np.ndarray:
        return _probs(self.net, self.vec, self.uni, b)


class CachedTorchVariant:
    """The multi-brand variant (``classifier.fast_multi``) in the torch runtime: its own network, the base
    member's cached token vectors (the variant leaves the token tables as they are)."""

    def __init__(self, base: CachedTorchMember, net: SentimentNet) -> None:
        self.base, self.net = base, net

    def sync(self) -> None:
        self.base.sync()

    def probs(self, b: TokenBatch) -> np.ndarray:
        return _probs(self.net, self.base.vec, self.base.uni, b)


@torch.inference_mode()
def _probs(net: SentimentNet, vec: torch.Tensor, uni_table: torch.Tensor, b: TokenBatch) -> np.ndarray:
    tok = torch.from_numpy(b.tok)
    uni = uni_table[tok] if net.cfg.linear_branch else None
    logits = net.encode(vec[tok], uni, *(torch.from_numpy(a) for a in (b.word, b.role, b.dist, b.mask, b.domain)))
    out: np.ndarray = torch.softmax(logits, -1).numpy()
    return out


def _grow(buf: torch.Tensor, filled: int, rows: torch.Tensor) -> torch.Tensor:
    """Append ``rows`` after the first ``filled`` rows of ``buf`` (capacity doubles, amortized O(1))."""
    need = filled + rows.shape[0]
    if need > buf.shape[0]:
        bigger = torch.empty(max(need, 2 * buf.shape[0], 4096), buf.shape[1], dtype=rows.dtype)
        bigger[:filled] = buf[:filled]
        buf = bigger
    buf[filled:need] = rows
    return buf
