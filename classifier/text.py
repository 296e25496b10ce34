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
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
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


@dataclass
class TokenBatch:
    """Inference input: per position an index into the featurizer's token table (see ``Featurizer.encode``)."""

    tok: np.ndarray  # (B, L) int64 token-table indices (0 = <pad>)
    word: np.ndarray  # (B, L) int64 hashed word ids (for the linear bigram branch)
    role: np.ndarray  # (B, L) int64
    dist: np.ndarray  # (B, L) int64
    mask: np.ndarray  # (B, L) bool
    domain: np.ndarray  # (B,) int64


TABLE_LIMIT = 100_000  # distinct tokens kept in the token table before it is reset (constant memory)
_DIST_LUT = np.array([_dist_bucket(d) for d in range(MAX_TOKENS + 1)], dtype=np.int64)


def role_marks(target: Sequence[Span] | None, others: Sequence[Span] | None) -> list[tuple[int, int, int]]:
    """Spans to mark, sorted: the target brand's, then other brands' that do not overlap it."""
    marks = [(s, e, ROLE_TARGET) for s, e in target or ()]
    for s, e in others or ():
        if not any(s < te and ts < e for ts, te in target or ()):
            marks.append((s, e, ROLE_OTHER))
    return sorted(marks)


class Featurizer:
    """Turns (text, target spans, other spans) into token features; caches per token string.

    Inference interns every distinct token string into a table (``index`` / ``table``): the model then caches
    one vector per table row instead of recomputing navec + word + char n-gram embeddings per occurrence.
    ``generation`` changes whenever the table is reset, which invalidates such caches."""

    def __init__(self, navec_vocab: dict[str, int], navec_unk: int, navec_pad: int) -> None:
        self.vocab = navec_vocab
        self.unk = navec_unk
        self.pad = navec_pad
        self._cache: dict[str, TokenFeatures] = {}
        self._special = {
            name: TokenFeatures(navec_pad, i, ()) for i, name in enumerate(SPECIALS)
        }
        self.generation = 0
        self._reset_table()

    def _reset_table(self) -> None:
        self.index: dict[str, int] = {}
        self.table: list[TokenFeatures] = [self._special[name] for name in SPECIALS]
        self.table_word: list[int] = [f.word for f in self.table]
        self.generation += 1

    def token_id(self, raw: str) -> int:
        """The token table row of a raw token string (interned on first sight)."""
        i = self.index.get(raw)
        if i is None:
            i = len(self.table)
            feats = self.token(raw)
            self.table.append(feats)
            self.table_word.append(feats.word)
            self.index[raw] = i
        return i

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
        marks = role_marks(target, others)
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
        import torch

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


    def token_ids(self, text: str, target: Sequence[Span] | None, others: Sequence[Span] | None = None
                  ) -> tuple[list[int], list[int]]:
        """Like ``tokens`` but returns token-table indices (same tokenization, window and roles)."""
        if len(text) > MAX_CHARS:
            text, target, others = _clip(text, target, others)
        finditer = TOKEN_RE.finditer
        tid = self.token_id
        ids: list[int]
        if not target and not others:
            ids = [tid(m.group()) for m in finditer(text)]
            roles = [ROLE_PLAIN] * len(ids)
        else:
            marks: list[tuple[int, int, int]] = [(s, e, ROLE_TARGET) for s, e in target or ()]
            for s, e in others or ():
                if not any(s < te and ts < e for ts, te in target or ()):
                    marks.append((s, e, ROLE_OTHER))
            marks.sort()
            ids, roles = [], []
            pos = 0
            for s, e, role in marks:
                if s < pos:
                    continue
                seg = [tid(m.group()) for m in finditer(text, pos, s)]
                ids += seg
                roles += [ROLE_PLAIN] * len(seg)
                ids.append(_TARGET_ID if role == ROLE_TARGET else _BRAND_ID)
                roles.append(role)
                pos = e
            seg = [tid(m.group()) for m in finditer(text, pos, len(text))]
            ids += seg
            roles += [ROLE_PLAIN] * len(seg)
        if len(ids) > MAX_TOKENS:
            first = roles.index(ROLE_TARGET) if ROLE_TARGET in roles else 0
            start = max(0, min(first - MAX_TOKENS // 3, len(ids) - MAX_TOKENS))
            ids, roles = ids[start:start + MAX_TOKENS], roles[start:start + MAX_TOKENS]
        if not ids:
            ids, roles = [_BOS_ID], [ROLE_PLAIN]
        return ids, roles

    def encode(self, texts: Sequence[str], targets: Sequence[Sequence[Span] | None],
               others: Sequence[Sequence[Span] | None] | None) -> list[tuple[list[int], list[int]]]:
        """Token-table indices and roles of each text; resets the table first when it grew too large.

        A text that comes several times in a row (one request per brand it names) is tokenized once;
        the brand spans then replace whole tokens (``token_ids`` is used where a span cuts a token)."""
        if len(self.table) > TABLE_LIMIT:
            self._reset_table()
        out: list[tuple[list[int], list[int]]] = []
        last_text: str | None = None
        full: _FullTokens | None = None
        for i, text in enumerate(texts):
            tgt = targets[i]
            oth = others[i] if others is not None else None
            if len(text) > MAX_CHARS or i + 1 >= len(texts) or texts[i + 1] is not text and last_text is not text:
                out.append(self.token_ids(text, tgt, oth))  # a text seen once: the direct path
                continue
            if last_text is not text:
                last_text = text
                full = _FullTokens(text, self.token_id)
            assert full is not None
            row = full.with_spans(tgt, oth)
            out.append(row if row is not None else self.token_ids(text, tgt, oth))
        return out

    def pack(self, rows: Sequence[tuple[list[int], list[int]]], domains: Sequence[int]) -> TokenBatch:
        """Pad encoded rows into a ``TokenBatch`` (vectorized: no per-token Python work)."""
        n = len(rows)
        lengths = np.fromiter((len(ids) for ids, _ in rows), dtype=np.int64, count=n)
        width = int(lengths.max())
        mask = np.arange(width)[None, :] < lengths[:, None]
        tok = np.zeros((n, width), dtype=np.int64)
        tok[mask] = np.fromiter((i for ids, _ in rows for i in ids), dtype=np.int64, count=int(lengths.sum()))
        role = np.zeros((n, width), dtype=np.int64)
        if any(ROLE_TARGET in r or ROLE_OTHER in r for _, r in rows):
            role[mask] = np.fromiter((x for _, r in rows for x in r), dtype=np.int64, count=int(lengths.sum()))
        word = np.asarray(self.table_word, dtype=np.int64)[tok]
        return TokenBatch(tok, word, role, target_distances(role, mask), mask, np.asarray(domains, dtype=np.int64))


class _FullTokens:
    """A text tokenized once (token ids and character offsets), re-used for each brand span it names."""

    def __init__(self, text: str, token_id: Callable[[str], int]) -> None:
        matches = list(TOKEN_RE.finditer(text))
        self.starts = [m.start() for m in matches]
        self.ends = [m.end() for m in matches]
        self.ids = [token_id(m.group()) for m in matches]

    def _aligned(self, b: int) -> bool:
        i = bisect_right(self.starts, b) - 1
        return i < 0 or self.ends[i] <= b or self.starts[i] == b

    def with_spans(self, target: Sequence[Span] | None, others: Sequence[Span] | None
                   ) -> tuple[list[int], list[int]] | None:
        """Same result as ``Featurizer.token_ids``, or None when a span boundary falls inside a token."""
        marks = role_marks(target, others)
        ids: list[int] = []
        roles: list[int] = []
        pos = 0
        for s, e, role in marks:
            if s < pos:
                continue
            if not (self._aligned(s) and self._aligned(e)):
                return None
            lo, hi = bisect_left(self.starts, pos), bisect_right(self.ends, s)
            ids += self.ids[lo:hi]
            roles += [ROLE_PLAIN] * max(0, hi - lo)
            ids.append(_TARGET_ID if role == ROLE_TARGET else _BRAND_ID)
            roles.append(role)
            pos = e
        lo = bisect_left(self.starts, pos)
        ids += self.ids[lo:]
        roles += [ROLE_PLAIN] * (len(self.ids) - lo)
        if len(ids) > MAX_TOKENS:
            first = roles.index(ROLE_TARGET) if ROLE_TARGET in roles else 0
            start = max(0, min(first - MAX_TOKENS // 3, len(ids) - MAX_TOKENS))
            ids, roles = ids[start:start + MAX_TOKENS], roles[start:start + MAX_TOKENS]
        if not ids:
            ids, roles = [_BOS_ID], [ROLE_PLAIN]
        return ids, roles


def target_distances(role: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Bucketed distance of every position to the nearest target token (0 where a row has no target)."""
    n, width = role.shape
    dist = np.zeros((n, width), dtype=np.int64)
    is_t = role == ROLE_TARGET
    has = is_t.any(1)
    if not has.any():
        return dist
    pos = np.arange(width)
    big = 10 * width + MAX_TOKENS
    prev = np.maximum.accumulate(np.where(is_t, pos, -big), axis=1)
    nxt = np.minimum.accumulate(np.where(is_t, pos, big)[:, ::-1], axis=1)[:, ::-1]
    d = np.minimum(pos - prev, nxt - pos).clip(0, MAX_TOKENS)
    dist = np.where(has[:, None] & mask, _DIST_LUT[d], 0)
    return dist


_TARGET_ID = SPECIALS.index("<target>")
_BRAND_ID = SPECIALS.index("<brand>")
_BOS_ID = SPECIALS.index("<bos>")


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
