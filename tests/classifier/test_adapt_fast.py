"""The fast model's multi-brand variant (``molva train --adapt POSTS --model fast``) on a tiny network: only
the encoder and head train, the command writes a small delta that both runtimes load, requests naming
another brand are routed to it and every single-brand score stays exactly as it was."""

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


def _tiny_model(out: Path) -> None:
    """A random 32-dim network saved as the fast model is (weights-0.pt/.npz, config.json with a prior)."""
    import torch

    from classifier.arch import ModelConfig
    from classifier.embeddings import load_navec
    from classifier.model import SentimentNet
    from classifier.training import TrainConfig, save_model

    nav = load_navec()
    torch.manual_seed(0)
    cfg = ModelConfig(dim=32, layers=1, kernel=3)
    net = SentimentNet(cfg, nav.centroids, nav.codes).eval()
    with torch.no_grad():
        for p in net.parameters():
            p.add_(torch.randn_like(p) * 0.05)  # non-zero linear branch and biases
    save_model([net], TrainConfig(model=cfg), out, "tiny-fast", inference_members=[0])
    conf = json.loads((out / "config.json").read_text(encoding="utf-8"))
    conf["class_log_prior"] = [0.4, 0.0, 0.6]
    (out / "config.json").write_text(json.dumps(conf), encoding="utf-8")


def _corpus(data_dir: Path) -> None:
    write_corpora(data_dir, {
        "banks": [("Сбер хорошо", "sberbank", "positive"), ("ВТБ плохо, а Сбер норм", "vtb", "negative")],
        "telecom": [("МТС плохо", "mts", "negative"), ("Билайн хорошо, МТС хуже", "beeline", "positive")]})


@pytest.fixture(scope="module")
def adapted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, Any]]:
    """(the tiny fast model, its copy with the variant, what the command returned)."""
    from molva.cli.teacher import adapt_command

    tmp = tmp_path_factory.mktemp("fast-multi")
    start, out = tmp / "start", tmp / "out"
    _tiny_model(start)
    posts = tmp / "posts.jsonl"
    rows = [{"id": "p1", "text": TEXT, "labels": {"МТС": "negative", "Билайн": "positive"}},
            {"id": "p2", "text": "Сбер всё заблокировал, в ВТБ открыла за минуту",
             "labels": {"Сбербанк": "negative", "ВТБ": "positive"}}]
    posts.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    _corpus(tmp / "data")
    info = adapt_command(data_dir=tmp / "data", posts=[posts] * 8, dev_posts=[posts], model_dir=start, out_dir=out,
                         cache_dir=tmp / "cache", epochs=2, top=1, replay=6, seed=1, log=lambda s: None,
                         model="fast", teacher_weight=0.3, teacher_dir=tmp / "no-accurate-model")
    return start, out, info


def test_only_the_encoder_head_and_bigrams_train_and_ship(adapted: tuple[Path, Path, dict[str, Any]]) -> None:
    from classifier.fast import load_state
    from classifier.fast_multi import MULTI_FILE, TOKEN_TABLES

    start, out, info = adapted
    assert info["written"] == 32 and info["replay"] == 6 and info["teacher"] is None  # no accurate model there
    assert [h["epoch"] for h in info["history"]] == [0, 1, 2]
    assert {"val_mean", "dev_accuracy", "dev_raw", "banks", "telecom"} <= set(info["history"][0])
    assert not set(info["trained"]) & set(TOKEN_TABLES)  # the token cache stays the base network's
    assert {"convs.0.weight", "head.3.bias", "role.weight", "lin_bi.weight"} <= set(info["trained"])
    for f in ("weights-0.pt", "weights-0.npz"):  # the network itself is copied unchanged
        assert (out / f).read_bytes() == (start / f).read_bytes()
    delta = load_state(out / MULTI_FILE)
    assert sorted(delta) == sorted(info["trained"])
    conf = json.loads((out / "config.json").read_text(encoding="utf-8"))
    assert conf["version"] == "tiny-fast" and conf["multi"]["file"] == MULTI_FILE and conf["multi"]["member"] == 0
    assert conf["multi"]["version"].endswith("-" + hashlib.sha256((out / MULTI_FILE).read_bytes()).hexdigest()[:8])
    if info["chosen_epoch"]:
        base = load_state(start / "weights-0.npz")
        assert any(not np.array_equal(delta[k], base[k]) for k in delta)


def test_variant_is_routed_and_single_brand_scores_stay(adapted: tuple[Path, Path, dict[str, Any]],
                                                       tmp_path: Path) -> None:
    import shutil

    from classifier.fast import load_state, save_packed
    from classifier.fast_multi import MULTI_FILE
    from classifier.inference import MolvaSentimentModel, load_model

    start, shipped, _ = adapted
    out = tmp_path / "variant"  # the variant made surely different from the network (the tiny run may keep epoch 0)
    shutil.copytree(shipped, out)
    delta = load_state(out / MULTI_FILE)
    delta["head.3.bias"] = delta["head.3.bias"] + np.array([2.0, 0.0, -2.0], np.float32)
    save_packed({k: v.astype(np.float16) for k, v in delta.items()}, out / MULTI_FILE)
    base = MolvaSentimentModel(start)
    model = load_model(str(out))
    assert isinstance(model, MolvaSentimentModel) and model.runtime == "numpy" and model.multi_members
    assert model.version == base.version + "+" + json.loads((out / "config.json").read_text())["multi"]["version"]
    single = (["Сбер хорошо", "МТС плохо", TEXT], [[(0, 4)], [(0, 3)], [MTS]])
    assert model.predict(*single, others=[[], [], []]) == base.predict(*single, others=[[], [], []])
    assert model.predict(*single) == base.predict(*single)  # no other brands given
    texts = [TEXT, TEXT, "Сбер хорошо", "МТС плохо"]
    targets, others = [[MTS], [BEE], [(0, 4)], [(0, 3)]], [[BEE], [MTS], [], []]
    mixed = model.predict(texts, targets, others=others)
    want = base.predict(texts, targets, others=others)
    # single-brand requests of a mixed call: batched without the multi-brand ones, so their padding (and the
    # float rounding) changes, as it does with any other batch neighbours; the scores stay within 1e-6
    for got_one, want_one in zip(mixed[2:], want[2:], strict=True):
        assert all(abs(got_one[k] - want_one[k]) < 1e-6 for k in want_one)
    without = MolvaSentimentModel(out, multi=False)
    assert without.predict(texts, targets, others=others) == want and not without.multi_members
    assert all(m["negative"] > w["negative"] for m, w in zip(mixed[:2], want[:2], strict=True))
    # the torch runtime runs the same variant
    ref = MolvaSentimentModel(out, runtime="torch")
    assert ref.multi_members
    got = np.array([[s[k] for k in ("negative", "neutral", "positive")] for s in mixed])
    exp = np.array([[s[k] for k in ("negative", "neutral", "positive")]
                    for s in ref.predict(texts, targets, others=others)])
    assert float(np.abs(got - exp).max()) < 1e-5


def test_delta_that_touches_the_token_tables_is_refused(adapted: tuple[Path, Path, dict[str, Any]],
                                                       tmp_path: Path) -> None:
    import shutil

    from classifier.fast import load_state, save_packed
    from classifier.fast_multi import MULTI_FILE
    from classifier.inference import ModelLoadError, MolvaSentimentModel

    _, out, _ = adapted
    bad = tmp_path / "bad"
    shutil.copytree(out, bad)
    delta = load_state(out / MULTI_FILE)
    delta["word.weight"] = load_state(out / "weights-0.npz")["word.weight"].astype(np.float16)
    save_packed({k: v.astype(np.float16) for k, v in delta.items()}, bad / MULTI_FILE)
    with pytest.raises(ModelLoadError, match="do not fit"):
        MolvaSentimentModel(bad)
    (bad / MULTI_FILE).unlink()
    with pytest.raises(ModelLoadError, match="missing"):
        MolvaSentimentModel(bad)


def test_retraining_the_network_drops_its_variant(adapted: tuple[Path, Path, dict[str, Any]],
                                                  tmp_path: Path) -> None:
    import shutil

    from classifier.fast_multi import MULTI_FILE
    from classifier.inference import MolvaSentimentModel
    from classifier.training import TrainConfig, load_members, save_model

    _, out, _ = adapted
    again = tmp_path / "again"
    shutil.copytree(out, again)
    nets = load_members(again)
    save_model(nets, TrainConfig(model=nets[0].cfg), again, "retrained", inference_members=[0])
    assert not (again / MULTI_FILE).exists() and not MolvaSentimentModel(again).multi_members


def test_written_targets_mix_gold_and_teacher() -> None:
    from classifier.adapt import soft_targets

    teacher = np.array([[0.0, 0.0, 1.0]], np.float32)
    replay = np.array([[0.2, 0.5, 0.3]], np.float32)
    t = soft_targets([0], replay, 0.0, teacher, 0.3)
    np.testing.assert_allclose(t, [[0.7, 0.0, 0.3], [0.2, 0.5, 0.3]], atol=1e-6)
    np.testing.assert_allclose(soft_targets([0], replay, 0.0), [[1.0, 0.0, 0.0], [0.2, 0.5, 0.3]], atol=1e-6)


def test_routing_splits_on_other_brands() -> None:
    from classifier.teacher_multi import split_multi

    others: list[Any] = [[(1, 2)], [], None, [(0, 1)]]
    assert split_multi(others, range(4)) == ([1, 2], [0, 3])
    assert split_multi(None, range(2)) == ([0, 1], [])


def test_example_marks_are_what_analyze_asks(catalog: Any) -> None:
    """Written posts become one example per brand with the other brands marked, as the variant will be asked."""
    from classifier.adapt import written_examples

    ex = written_examples([{"text": TEXT, "labels": {"МТС": "negative", "Билайн": "positive"}}], catalog)
    assert [(e.target, e.others, e.label) for e in ex] == [((MTS,), (BEE,), 0), ((BEE,), (MTS,), 2)]
    assert all(isinstance(e, Example) for e in ex)
