"""Adapting the accurate model to written two-brand posts (``molva train --adapt``), on a tiny e5 built
offline: the split forward pass equals the whole network, the written posts are marked as analyze marks
them, only the top layers train, and the command writes a model that loads as the accurate one."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from classifier.data import Example
from tests.classifier.corpora import write_corpora

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
    import torch

    from classifier.adapt import AdaptConfig, adapt
    from classifier.teacher_train import init_teacher

    torch.manual_seed(0)  # the head starts random
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
    torch.manual_seed(0)
    net2, _, _ = init_teacher(tiny_base, max_len=32)
    again = adapt(net2, tok, written, _examples()[2:], {"telecom": _examples()[:2]}, _examples()[1:2], cfg,
                  log=lambda s: None, cache_dir=tmp_path / "cache", model_version="tiny")
    assert sorted((tmp_path / "cache").glob("states-*.npz")) == cached
    def scores(run: dict[str, Any]) -> list[dict[str, Any]]:
        return [{k: v for k, v in h.items() if k != "seconds"} for h in run["history"]]

    assert scores(again) == scores(info)  # the same run from the kept states


def _corpus(data_dir: Path) -> None:
    write_corpora(data_dir, {"banks": [("Сбер хорошо", "sberbank", "positive"), ("ВТБ плохо", "vtb", "negative")],
                           "telecom": [("МТС плохо", "mts", "negative"), ("Билайн хорошо", "beeline", "positive")]})


def test_adapt_command_ships_a_multi_brand_variant_that_leaves_single_brand_scores_alone(
        tiny_base: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOLVA_CACHE_DIR", str(tmp_path / "onnx"))  # ONNX exports (fp32 and int8) of both networks
    from classifier.inference import load_model
    from classifier.teacher import SHARD_PATTERN, TeacherSentimentModel, save_teacher
    from classifier.teacher_multi import MULTI_PATTERN
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
    assert info["trained"] == ["bert.encoder.layer.1.", "head.", "domain."]
    for shard in start.glob(SHARD_PATTERN.format("*")):  # the model itself is copied unchanged
        assert (out / shard.name).read_bytes() == shard.read_bytes()
    assert list(out.glob(MULTI_PATTERN.format("*"))) and (out / "mix.json").exists()
    conf = json.loads((out / "teacher.json").read_text(encoding="utf-8"))
    assert conf["version"] == "tiny-1" and conf["multi"]["adapt"]["written"] == 2
    # the variant's version names its weights, not only the day: two same-day runs differ
    stamp = hashlib.sha256(b"".join(f.read_bytes() for f in sorted(out.glob(MULTI_PATTERN.format("*"))))).hexdigest()
    assert conf["multi"]["version"].endswith("-" + stamp[:8])
    base, adapted = load_model(start), load_model(out)
    assert isinstance(adapted, TeacherSentimentModel) and adapted.multi_net is not None
    assert adapted.version.startswith("tiny-1+multi-a")
    single = ["Сбер хорошо"], [[(0, 4)]]
    assert adapted.predict(*single, others=[[]]) == base.predict(*single, others=[[]])
    two = [TEXT, TEXT], [[MTS], [BEE]]
    assert adapted.predict(*two, others=[[BEE], [MTS]]) != base.predict(*two, others=[[BEE], [MTS]])
    assert adapted.predict(*two, others=None) == base.predict(*two, others=None)  # no other brand marked
    q_base = TeacherSentimentModel(start, int8=True, runtime="onnxruntime")
    q = TeacherSentimentModel(out, int8=True, runtime="onnxruntime")
    assert q.runtime == "onnxruntime" and len(list((tmp_path / "onnx").glob("*-multi-*-int8.onnx"))) == 1
    assert np.allclose(q.predict_domains(*single, [[]], [0]), q_base.predict_domains(*single, [[]], [0]), atol=1e-6)
    assert not np.allclose(q.predict_domains(*two, [[BEE], [MTS]], [1, 1]),
                           q_base.predict_domains(*two, [[BEE], [MTS]], [1, 1]), atol=1e-6)
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(MolvaError, match="no labelled brands"):
        adapt_command(data_dir=tmp_path / "data", posts=[empty], dev_posts=[posts], model_dir=start, out_dir=out,
                      cache_dir=None, epochs=1, top=1, replay=4, seed=1, log=lambda s: None)



def test_replay_keeps_every_multi_brand_text_first() -> None:
    from classifier.adapt import replay_examples

    train = _examples() * 5  # 10 with another brand marked, 10 without
    picked = replay_examples(train, 14, seed=3)
    assert len(picked) == 14 and sum(1 for e in picked if e.others) == 10
    assert len(replay_examples(train, 4, seed=3)) == 4 and all(e.others for e in replay_examples(train, 4, seed=3))
