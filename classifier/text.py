"""Tokenization and features: navec word ids, hashed word ids, hashed char n-grams, target roles.

A text is split around the target brand's character spans (replaced by a ``<target>`` token) and the
other brands' spans (``<brand>``), so the model reads *who* the sentiment is about. Every token gets:

- a navec id (frozen pretrained news embeddings, shipped by ``natasha``);
- a hashed word id (trainable; learns slang, misspellings and task-specific deltas of frequent words);
- hashed character 3- and 4-grams (trainable; covers unseen word forms);
- a role (0 plain, 1 target, 2 other brand) and a bucketed distance to the nearest target token.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

Span = tuple[int, int]

MAX_TOKENS = 64
MAX_CHARS = 1500
WORD_BUCKETS = 1 << 15
CHAR_BUCKETS = 1 << 16
SPECIALS = ("<pad>", "<target>", "<brand>", "<url>", "<user>", "<num>", "<unk>", "<bos>")
N_SPECIALS = len(SPECIALS)
ROLE_PLAIN, ROLE_TARGET, ROLE_OTHER = 0, 1, 2
DIST_BUCKETS = 10  # 0 = no target in the text

TOKEN_RE = re.compile(
    r"https?://\S+|www\.\S+|@\w+|#?[^\W\d_]+(?:-[^\W\d_]+)*|\d+(?:[.,]\d+)?|[^\w\s]+",
    re.UNICODE,
)
REPEAT_RE = re.compile(r"(.)\1{2,}")
_DIST_EDGES = (1, 2, 3, 4, 6, 9, 13, 20)


def _dist_bucket(d: int) -> int:
    for i, edge in enumerate(_DIST_EDGES):
        if d < edge:
            return i + 1
    return DIST_BUCKETS - 1


def _hash(s: str, buckets: int) -> int:
    return zlib.crc32(s.encode("utf-8")) % buckets


@dataclass(frozen=True)
class TokenFeatures:
    nav: int
    word: int
    chars: tuple[int, ...]


@dataclass
class Batch:
    nav: torch.Tensor  # (B, L) navec ids
    word: torch.Tensor  # (B, L) hashed word ids
    role: torch.Tensor  # (B, L)
    dist: torch.Tensor  # (B, L)
    mask: torch.Tensor  # (B, L) bool
    chars: torch.Tensor  # (N,) flat char n-gram ids
    char_offsets: torch.Tensor  # (B*L,) bag offsets into ``chars``
    domain: torch.Tensor  # (B,)

    def to(self, device: torch.device | str) -> Batch:
        return Batch(*(t.to(device) for t in (self.nav, self.word, self.role, self.dist, self.mask,
                                               self.chars, self.char_offsets, self.domain)))


class Featurizer:
    """Turns (text, target spans, other spans) into token features; caches per token string."""

    def __init__(self, navec_vocab: dict[str, int], navec_unk: int, navec_pad: int) -> None:
        self.vocab = navec_vocab
        self.unk = navec_unk
        self.pad = navec_pad
        self._cache: dict[str, TokenFeatures] = {}
        self._special = {
            name: TokenFeatures(navec_pad, i, ()) for i, name in enumerate(SPECIALS)
        }

    def token(self, raw: str) -> TokenFeatures:
        feats = self._cache.get(raw)
        if feats is not None:
            return feats
        feats = self._compute(raw)
        if len(self._cache) > 400_000:
            self._cache.clear()
        self._cache[raw] = feats
        return feats

    def _compute(self, raw: str) -> TokenFeatures:
        low = raw.lower()
        if low.startswith(("http://", "https://", "www.")):
            return self._special["<url>"]
        if low.startswith("@"):
            return self._special["<user>"]
        if low[0].isdigit():
            return self._special["<num>"]
        if low.startswith("#") and len(low) > 1:
            low = low[1:]
        nav = self.vocab.get(low)
        if nav is None:
            alt = REPEAT_RE.sub(r"\1", low).replace("ё", "е")
            nav = self.vocab.get(alt, self.unk)
        word = N_SPECIALS + _hash(low, WORD_BUCKETS - N_SPECIALS)
        padded = f"<{low[:30]}>"
        grams = {padded[i:i + n] for n in (3, 4) for i in range(len(padded) - n + 1)}
        chars = tuple(sorted(_hash(g, CHAR_BUCKETS) for g in grams))
        return TokenFeatures(nav, word, chars)

    def tokens(self, text: str, target: Sequence[Span] | None, others: Sequence[Span] | None = None
               ) -> tuple[list[TokenFeatures], list[int]]:
        """Token features and roles of one text (truncated to a window around the first target)."""
        marks: list[tuple[int, int, int]] = []
        for s, e in target or ():
            marks.append((s, e, ROLE_TARGET))
        for s, e in others or ():
            if not any(s < te and ts < e for ts, te in target or ()):
                marks.append((s, e, ROLE_OTHER))
        marks.sort()
        feats: list[TokenFeatures] = []
        roles: list[int] = []
        pos = 0
        for s, e, role in marks:
            if s < pos:
                continue
            for m in TOKEN_RE.finditer(text, pos, s):
                feats.append(self.token(m.group()))
                roles.append(ROLE_PLAIN)
            feats.append(self._special["<target>" if role == ROLE_TARGET else "<brand>"])
            roles.append(role)
            pos = e
        for m in TOKEN_RE.finditer(text, pos, len(text)):
            feats.append(self.token(m.group()))
            roles.append(ROLE_PLAIN)
        if len(feats) > MAX_TOKENS:
            first = roles.index(ROLE_TARGET) if ROLE_TARGET in roles else 0
            start = max(0, min(first - MAX_TOKENS // 3, len(feats) - MAX_TOKENS))
            feats, roles = feats[start:start + MAX_TOKENS], roles[start:start + MAX_TOKENS]
        if not feats:
            feats, roles = [self._special["<bos>"]], [ROLE_PLAIN]
        return feats, roles

    def batch(self, texts: Sequence[str], targets: Sequence[Sequence[Span] | None],
              others: Sequence[Sequence[Span] | None] | None, domains: Sequence[int]) -> Batch:
        rows = []
        for i, text in enumerate(texts):
            tgt = targets[i]
            oth = others[i] if others is not None else None
            if len(text) > MAX_CHARS:
                text, tgt, oth = _clip(text, tgt, oth)
            rows.append(self.tokens(text, tgt, oth))
        width = max(len(f) for f, _ in rows)
        n = len(rows)
        nav = np.full((n, width), self.pad, dtype=np.int64)
        word = np.zeros((n, width), dtype=np.int64)
        role = np.zeros((n, width), dtype=np.int64)
        dist = np.zeros((n, width), dtype=np.int64)
        mask = np.zeros((n, width), dtype=np.bool_)
        chars: list[int] = []
        offsets = np.zeros(n * width, dtype=np.int64)
        for i, (feats, roles) in enumerate(rows):
            k = len(feats)
            nav[i, :k] = [f.nav for f in feats]
            word[i, :k] = [f.word for f in feats]
            role[i, :k] = roles
            mask[i, :k] = True
            tpos = [j for j, r in enumerate(roles) if r == ROLE_TARGET]
            if tpos:
                dist[i, :k] = [_dist_bucket(min(abs(j - t) for t in tpos)) for j in range(k)]
            base = i * width
            for j, f in enumerate(feats):
                offsets[base + j] = len(chars)
                chars.extend(f.chars)
            offsets[base + k:base + width] = len(chars)
        return Batch(
            torch.from_numpy(nav), torch.from_numpy(word), torch.from_numpy(role), torch.from_numpy(dist),
            torch.from_numpy(mask), torch.tensor(chars, dtype=torch.int64), torch.from_numpy(offsets),
            torch.tensor(list(domains), dtype=torch.int64),
        )


def _clip(text: str, target: Sequence[Span] | None, others: Sequence[Span] | None
          ) -> tuple[str, list[Span] | None, list[Span] | None]:
    """Cut a very long text to MAX_CHARS around the first target span, shifting the spans."""
    centre = min((s for s, _ in target), default=0) if target else 0
    start = max(0, min(centre - MAX_CHARS // 3, len(text) - MAX_CHARS))
    end = start + MAX_CHARS

    def shift(spans: Sequence[Span] | None) -> list[Span] | None:
        if spans is None:
            return None
        return [(s - start, e - start) for s, e in spans if s >= start and e <= end]

    return text[start:end], shift(target), shift(others)
