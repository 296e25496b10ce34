"""Fixtures for the classifier tests: the shipped models and catalog (loaded once), a tiny transformers checkpoint."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def catalog():  # type: ignore[no-untyped-def]
    """The shipped brand catalog (the per-brand rule tests find brands with it)."""
    from molva.catalog import load_catalog

    return load_catalog()


@pytest.fixture(scope="session")
def shipped_model():  # type: ignore[no-untyped-def]
    """The shipped fast model (``--model fast``; the default is the accurate one: ``accurate_model``)."""
    from classifier.inference import load_model

    return load_model("fast")


@pytest.fixture(scope="session")
def accurate_model():  # type: ignore[no-untyped-def]
    """The shipped accurate model, the default of ``analyze`` / ``classify``."""
    from classifier.inference import load_model

    return load_model(None)


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A randomly initialised 1-layer BERT classifier and its WordPiece tokenizer, built offline."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast

    out = tmp_path_factory.mktemp("tiny-bert")
    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "банк", "карта", "плохо", "хорошо", "мтс", "связь",
             "нет", "спасибо", "!", "?", ",", "."] + [chr(c) for c in range(ord("а"), ord("я") + 1)]
    (out / "vocab.txt").write_text("\n".join(words) + "\n", encoding="utf-8")
    tok = BertTokenizerFast(vocab_file=str(out / "vocab.txt"), do_lower_case=True)
    torch.manual_seed(0)
    cfg = BertConfig(vocab_size=len(words), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                     intermediate_size=32, max_position_embeddings=64, num_labels=3,
                     id2label={0: "NEGATIVE", 1: "NEUTRAL", 2: "POSITIVE"},
                     label2id={"NEGATIVE": 0, "NEUTRAL": 1, "POSITIVE": 2})
    BertForSequenceClassification(cfg).save_pretrained(out)
    tok.save_pretrained(out)
    return out


@pytest.fixture(scope="session")
def tiny_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny pruned-e5 base (``build/teacher-base`` in miniature): the file and its tokenizer."""
    import json

    from classifier.e5convert import write_e5s1
    from classifier.teacher_train import BASE_FILE
    from tests.classifier.tiny_e5 import tiny_e5_file, tiny_tokenizer_json

    out = tmp_path_factory.mktemp("e5base")
    write_e5s1(tiny_e5_file(), out / BASE_FILE)
    (out / "tokenizer.json").write_text(json.dumps(tiny_tokenizer_json()), encoding="utf-8")
    return out
