"""Adapting the accurate model to written two-brand posts (``molva train --adapt``), on a tiny e5 built
offline: the split forward pass equals the whole network, the written posts are marked as analyze marks
them, only the top layers train, and the command writes a model that loads as the accurate one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from classifier.data import Example

TEXT = "МТС опять без связи, а у Билайн всё ловит"
MTS, BEE = (0, 3), (TEXT.index("Билайн"), TEXT.index("Билайн") + 6)


def _examples() -> list[Example]:
    return [Example(TEXT, (MTS,), (BEE,), 1, 0), Example(TEXT, (BEE,), (MTS,), 1, 2),
            Example("hello банк", None, (), 2, 1), Example("Сбер хорошо", ((0, 4),), (), 0, 2)]


def test_split_forward_equals_the_whole_network(tiny_base: Path) -> None:
    import torch

    from classifier.adapt import lower_states, predict_states
    from classifier.teacher import encode_examples, predict_rows
    from classifier.teacher_train import init_teacher

    net, _, tok = init_teacher(tiny_base, max_len=32)
    ex = _examples()
    rows = encode_examples(tok, ex)
    doms = [e.domain for e in ex]
    whole = predict_rows(net, rows, doms, torch.device("cpu"))
    for frozen in (0, 1, 2):
        states = lower_states(net, rows, doms, frozen, batch_size=3)
        assert [len(s) for s in states] == [len(r[0]) for r in rows]
        split = predict_states(net, states, [r[1] for r in rows], doms, frozen)
        np.testing.assert_allclose(split, whole, atol=2e-3)


def test_written_posts_give_one_marked_example_per_brand(catalog: Any) -> None:
    from classifier.adapt import written_examples
    from classifier.arch import DOMAINS, LABELS

    rows = [{"text": "мтс опять без связи, а у Билайна всё ловит, Сбер тут ни при чём",
             "labels": {"МТС": "negative", "Билайн": "positive", "Сбербанк": "neutral", "Yota": "positive"}}]
    ex = written_examples(rows, catalog)
    assert [(rows[0]["text"][e.target[0][0]:e.target[0][1]], LABELS[e.label], DOMAINS[e.domain])
            for e in ex if e.target] == [("мтс", "negative", "telecom"), ("Билайна", "positive", "telecom"),
                                         ("Сбер", "neutral", "banks")]  # Yota is not in the text: skipped
    assert all(len(e.others) == 2 and not set(e.others) & set(e.target or ()) for e in ex)


def test_adapt_trains_the_top_layers_only_and_caches_the_frozen_states(tiny_base: Path, tmp_path: Path) -> None:
    from classifier.adapt import AdaptConfig, adapt
    from classifier.teacher_train import init_teacher

    net, _, tok = init_teacher(tiny_base, max_len=32)
    before = {k: v.detach().clone() for k, v in net.state_dict().items()}
    written = _examples()[:2] * 6
    cfg = AdaptConfig(top=1, epochs=3, batch_size=4, lr=1e-3, head_lr=3e-3, max_val_drop=1.0)
    info = adapt(net, tok, written, _examples()[2:], {"telecom": _examples()[:2]}, _examples()[1:2], cfg,
                 log=lambda s: None, cache_dir=tmp_path / "cache", model_version="tiny")
    after = net.state_dict()
    changed = {k for k in before if not np.array_equal(before[k].numpy(), after[k].numpy())}
    assert changed and all(k.startswith(("bert.encoder.layer.1.", "head.", "domain.")) for k in changed), changed
    assert any(k.startswith("bert.encoder.layer.1.") for k in changed)
    assert [h["epoch"] for h in info["history"]] == [0, 1, 2, 3]
    assert info["chosen_epoch"] >= 1 and max(h["dev_accuracy"] for h in info["history"]) == 1.0
    cached = sorted((tmp_path / "cache").glob("states-*.npz"))
    assert len(cached) == 4  # written, replay, validation, dev
    net2, _, _ = init_teacher(tiny_base, max_len=32)
    again = adapt(net2, tok, written, _examples()[2:], {"telecom": _examples()[:2]}, _examples()[1:2], cfg,
                  log=lambda s: None, cache_dir=tmp_path / "cache", model_version="tiny")
    assert sorted((tmp_path / "cache").glob("states-*.npz")) == cached
    assert again["history"][-1]["dev_accuracy"] == info["history"][-1]["dev_accuracy"]


def _corpus(data_dir: Path) -> None:
    data_dir.mkdir()
    rows = {"banks": [("Сбер хорошо", "sberbank", "positive"), ("ВТБ плохо", "vtb", "negative")],
            "telecom": [("МТС плохо", "mts", "negative"), ("Билайн хорошо", "beeline", "positive")]}
    for domain, items in rows.items():
        lines = []
        for n, (text, brand, label) in enumerate(items * 3):
            published = "2014-08-20T00:00:00+00:00" if n % 3 == 2 else "2014-01-01T00:00:00+00:00"
            lines.append(json.dumps({"id": n, "text": text, "brand": brand, "brand_id": brand, "label": label,
                                     "published": published, "domain": domain}, ensure_ascii=False))
        (data_dir / f"sentirueval2016_{domain}_train.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_adapt_command_writes_a_model_that_loads_as_the_accurate_one(tiny_base: Path, tmp_path: Path) -> None:
    from classifier.inference import load_model
    from classifier.teacher import TeacherSentimentModel, save_teacher
    from classifier.teacher_train import init_teacher
    from molva.cli.teacher import adapt_command
    from molva.errors import MolvaError

    net, cfg, _ = init_teacher(tiny_base, max_len=32)
    start = tmp_path / "start"
    save_teacher(net, cfg, tiny_base / "tokenizer.json", start, extra={"int8": False, "version": "tiny-1"})
    (start / "mix.json").write_text(json.dumps({"fast_weight": {}}), encoding="utf-8")
    posts = tmp_path / "posts.jsonl"
    posts.write_text(json.dumps({"id": "p1", "text": TEXT, "labels": {"МТС": "negative", "Билайн": "positive"},
                                 "phenomenon": "contrast", "split": "train"}, ensure_ascii=False) + "\n",
                     encoding="utf-8")
    _corpus(tmp_path / "data")
    out = tmp_path / "out"
    info = adapt_command(data_dir=tmp_path / "data", posts=[posts], dev_posts=[posts], model_dir=start,
                         out_dir=out, cache_dir=tmp_path / "cache", epochs=1, top=1, replay=4, seed=1,
                         log=lambda s: None)
    assert info["written"] == 2 and info["replay"] == 4
    conf = json.loads((out / "teacher.json").read_text(encoding="utf-8"))
    assert conf["version"].startswith("tiny-1-a") and conf["metrics"]["adapt"]["written"] == 2
    assert (out / "mix.json").exists() and conf["int8"] is False
    model = load_model(out)
    assert isinstance(model, TeacherSentimentModel)
    assert len(model.predict([TEXT], [[MTS]], others=[[BEE]], groups=["telecom"])) == 1
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(MolvaError, match="no labelled brands"):
        adapt_command(data_dir=tmp_path / "data", posts=[empty], dev_posts=[posts], model_dir=start, out_dir=out,
                      cache_dir=None, epochs=1, top=1, replay=4, seed=1, log=lambda s: None)


def test_fast_model_adapts_and_keeps_its_config(tmp_path: Path) -> None:
    from classifier.adapt import AdaptConfig
    from classifier.adapt_fast import adapt_fast
    from classifier.inference import FAST_MODEL_DIR, MolvaSentimentModel, load_model

    written = _examples()[:2] * 4
    cfg = AdaptConfig(epochs=2, batch_size=4, lr=1e-3, max_val_drop=1.0)
    info = adapt_fast(FAST_MODEL_DIR, tmp_path / "fast", written, _examples()[2:], {"telecom": _examples()[:2]},
                      _examples()[:2], cfg, log=lambda s: None)
    assert [h["epoch"] for h in info["history"]] == [0, 1, 2] and info["written"] == 8
    shipped = json.loads((FAST_MODEL_DIR / "config.json").read_text(encoding="utf-8"))
    conf = json.loads((tmp_path / "fast" / "config.json").read_text(encoding="utf-8"))
    assert conf["class_log_prior"] == shipped["class_log_prior"] and conf["model"] == shipped["model"]
    assert conf["version"].startswith(shipped["version"] + "-a")
    assert json.loads((tmp_path / "fast" / "metrics.json").read_text(encoding="utf-8"))["adapt"]["written"] == 8
    model = load_model(tmp_path / "fast")
    assert isinstance(model, MolvaSentimentModel)
    s = model.predict([TEXT, TEXT], [[MTS], [BEE]], others=[[BEE], [MTS]], groups=["telecom", "telecom"])
    assert len(s) == 2 and all(abs(sum(x.values()) - 1) < 1e-6 for x in s)
