"""Torch-free inference of one trained ``SentimentNet`` with numpy (BLAS matrix products).

``weights-{i}.npz`` holds the member's packed state (int8 + fp16 row scales for the big embedding tables,
fp16 for the rest: the same values as ``weights-{i}.pt``). ``NumpyMember`` mirrors ``SentimentNet`` in
eval mode (``token_vectors`` + ``encode``); ``tests/classifier`` checks it against the torch module.
Importing numpy instead of torch saves about a second of start-up per process."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from classifier.arch import BIGRAM_BUCKETS, BIGRAM_MULT, LABELS, MASK_FILL, ModelConfig
from classifier.text import Featurizer, TokenBatch

NPZ_PATTERN = "weights-{}.npz"
_QUANT = "::q"  # key suffixes of an int8 table and its per-row scale
_SCALE = "::scale"


def save_packed(packed: dict[str, np.ndarray | dict[str, np.ndarray]], path: Path) -> None:
    """Write a packed state (``classifier.training.pack_state``, as numpy arrays) as an uncompressed npz."""
    arrays: dict[str, np.ndarray] = {}
    for k, v in packed.items():
        if isinstance(v, dict):
            arrays[k + _QUANT], arrays[k + _SCALE] = v["q"], v["scale"]
        else:
            arrays[k] = v
    with path.open("wb") as f:
        np.savez(f, **arrays)  # type: ignore[arg-type]


def load_state(path: Path) -> dict[str, np.ndarray]:
    """float32 state dict from ``save_packed``'s file (dequantized exactly as ``unpack_state`` does)."""
    with np.load(path) as z:
        raw = {k: z[k] for k in z.files}
    state: dict[str, np.ndarray] = {}
    for k, v in raw.items():
        if k.endswith(_SCALE):
            continue
        if k.endswith(_QUANT):
            name = k[:-len(_QUANT)]
            state[name] = v.astype(np.float32) * raw[name + _SCALE].astype(np.float32)
        else:
            state[k] = v.astype(np.float32) if v.dtype.kind == "f" else v
    return state


def _erf(x: np.ndarray) -> np.ndarray:
    """erf to within 1.5e-7 (Abramowitz & Stegun 7.1.26); numpy has none and scipy is not a dependency."""
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    y = 1.0 - poly * np.exp(-a * a)
    out: np.ndarray = np.copysign(y, x)
    return out


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(-1, keepdims=True))
    out: np.ndarray = e / e.sum(-1, keepdims=True)
    return out


class NumpyMember:
    """One network run with numpy, plus the cache of per-token input vectors (row-aligned with the
    featurizer's token table, like ``classifier.model.CachedTorchMember``)."""

    def __init__(self, cfg: ModelConfig, state: dict[str, np.ndarray], centroids: np.ndarray,
                 codes: np.ndarray, featurizer: Featurizer) -> None:
        self.cfg, self.featurizer = cfg, featurizer
        self.w = state
        q, k, _ = centroids.shape
        self.codes = codes
        self.code_offsets = np.arange(q, dtype=np.int64) * k
        # (q*k, d): every navec sub-vector centroid times its projection
        self.nav_table = np.matmul(centroids, state["nav_proj"]).reshape(-1, cfg.dim)
        self.taps = conv_taps(state, cfg)
        self.generation, self.filled = -1, 0
        self.vec = np.empty((0, cfg.dim), np.float32)
        self.uni = np.empty((0, len(LABELS)), np.float32)

    def token_vectors(self, nav: np.ndarray, word: np.ndarray, chars: list[tuple[int, ...]]) -> np.ndarray:
        """(T, d): navec (sum of projected sub-vectors) + bias + hashed word + mean of char n-gram rows."""
        w = self.w
        out = np.empty((len(nav), self.cfg.dim), np.float32)
        for s in range(0, len(nav), 1024):
            idx = self.codes[nav[s:s + 1024]].astype(np.int64) + self.code_offsets
            out[s:s + 1024] = self.nav_table[idx].sum(1)
        out += w["nav_bias"]
        out += w["word.weight"][word]
        lengths = np.fromiter((len(c) for c in chars), np.int64, len(chars))
        if lengths.any():
            flat = np.fromiter((g for c in chars for g in c), np.int64, int(lengths.sum()))
            starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
            full = lengths > 0
            sums = np.add.reduceat(w["chars.weight"][flat], starts[full], axis=0)
            out[full] += sums / lengths[full, None].astype(np.float32)
        return out

    def sync(self) -> None:
        """Embed the token-table rows added since the last call (all of them after a table reset)."""
        feat = self.featurizer
        if self.generation != feat.generation:
            self.generation, self.filled = feat.generation, 0
        total = len(feat.table)
        if total == self.filled:
            return
        new = feat.table[self.filled:total]
        nav = np.fromiter((f.nav for f in new), np.int64, len(new))
        word = np.fromiter((f.word for f in new), np.int64, len(new))
        vec = self.token_vectors(nav, word, [f.chars for f in new])
        uni = self.w["lin_uni.weight"][word] if self.cfg.linear_branch else np.zeros((len(new), 3), np.float32)
        self.vec, self.uni = _grow(self.vec, self.filled, vec), _grow(self.uni, self.filled, uni)
        self.filled = total

    def probs(self, b: TokenBatch) -> np.ndarray:
        return _softmax(self.encode(self.vec[b.tok], self.uni[b.tok], b))

    def encode(self, x: np.ndarray, uni: np.ndarray, b: TokenBatch) -> np.ndarray:
        return encode(self.w, self.cfg, self.taps, x, uni, b)


class NumpyVariant:
    """A second network that shares ``base``'s per-token input vectors (it was trained with the token
    tables frozen: ``classifier.fast_multi``) and has its own encoder and head: ``state`` is the base's
    state with the variant's tensors in place of the ones it changed."""

    def __init__(self, base: NumpyMember, state: dict[str, np.ndarray]) -> None:
        self.base, self.cfg, self.w = base, base.cfg, state
        self.taps = conv_taps(state, base.cfg)

    def sync(self) -> None:
        self.base.sync()

    def probs(self, b: TokenBatch) -> np.ndarray:
        return _softmax(encode(self.w, self.cfg, self.taps, self.base.vec[b.tok], self.base.uni[b.tok], b))


def conv_taps(state: dict[str, np.ndarray], cfg: ModelConfig) -> list[np.ndarray]:
    """Conv weights (out, in, k) tap-stacked as (in, k*out), as ``SentimentNet._conv`` stacks them."""
    return [np.ascontiguousarray(state[f"convs.{i}.weight"].transpose(2, 0, 1).reshape(-1, cfg.dim).T)
            for i in range(cfg.layers)]


def encode(w: dict[str, np.ndarray], cfg: ModelConfig, taps: list[np.ndarray], x: np.ndarray, uni: np.ndarray,
           b: TokenBatch) -> np.ndarray:
    """``SentimentNet.encode`` in eval mode: logits (n, 3) from token vectors x (n, width, d)."""
    d, k, pad = cfg.dim, cfg.kernel, cfg.kernel // 2
    x = x + w["role.weight"][b.role] + w["dist.weight"][b.dist]
    mu = x.mean(-1, keepdims=True)
    xc = x - mu
    h = xc / np.sqrt((xc * xc).mean(-1, keepdims=True) + 1e-5) * w["norm.weight"] + w["norm.bias"]
    mask = b.mask
    full = bool(mask.all())
    fmask = mask[..., None].astype(np.float32)
    n, width, _ = h.shape
    for i, tap in enumerate(taps):
        inp = h if full else h * fmask
        y = (inp.reshape(-1, d) @ tap).reshape(n, width, k, -1)
        c = np.add(y[:, :, pad], w[f"convs.{i}.bias"])
        for j in range(k):
            shift = j - pad
            if shift < 0 and width > -shift:
                c[:, -shift:] += y[:, :shift, j]
            elif shift > 0 and width > shift:
                c[:, :-shift] += y[:, shift:, j]
        if cfg.glu:  # a * sigmoid(b), in place: sigmoid(b) = 0.5 + 0.5 * tanh(b / 2)
            a, g = c[..., :d], c[..., d:]
            g *= 0.5
            np.tanh(g, out=g)
            g *= 0.5
            g += 0.5
            a *= g
            h = h + a
        else:
            h = h + _gelu(c)
    if not full:
        h = h * fmask
    scores = h @ w["attn.weight"][0] + w["attn.bias"][0]
    if not full:
        scores = np.where(mask, scores, np.float32(MASK_FILL))
    att = _softmax(scores)
    pooled_att = np.matmul(att[:, None, :], h)[:, 0]
    pooled_max = (h if full else np.where(mask[..., None], h, np.float32(MASK_FILL))).max(1)
    tmask = (b.role == 1)[..., None].astype(np.float32)
    pooled_tgt = (h * tmask).sum(1) / np.maximum(tmask.sum(1), 1.0)
    feats = np.concatenate([pooled_att, pooled_max, pooled_tgt, w["domain.weight"][b.domain]], axis=-1)
    hidden = _gelu(feats @ w["head.0.weight"].T + w["head.0.bias"])
    logits: np.ndarray = hidden @ w["head.3.weight"].T + w["head.3.bias"]
    if cfg.linear_branch:
        lengths = np.maximum(fmask.sum(1), 1.0)
        uni_sum = uni.sum(1) if full else (uni * fmask).sum(1)
        bi_vec = w["lin_bi.weight"][(b.word[:, :-1] * BIGRAM_MULT + b.word[:, 1:]) % BIGRAM_BUCKETS]
        if not full:
            bi_vec = bi_vec * (mask[:, :-1] & mask[:, 1:])[..., None].astype(np.float32)
        logits = logits + (uni_sum + bi_vec.sum(1)) / np.sqrt(lengths)
    return logits


def _gelu(x: np.ndarray) -> np.ndarray:
    out: np.ndarray = 0.5 * x * (1.0 + _erf(x * np.float32(0.7071067811865476)))
    return out


def _grow(buf: np.ndarray, filled: int, rows: np.ndarray) -> np.ndarray:
    """Append ``rows`` after the first ``filled`` rows of ``buf`` (capacity doubles, amortized O(1))."""
    need = filled + rows.shape[0]
    if need > buf.shape[0]:
        bigger = np.empty((max(need, 2 * buf.shape[0], 4096), buf.shape[1]), dtype=np.float32)
        bigger[:filled] = buf[:filled]
        buf = bigger
    buf[filled:need] = rows
    return buf
