"""The shipped sentiment model: loads offline, scores sum to 1, reads targets, survives odd input."""

from __future__ import annotations

import math

from classifier.inference import MolvaSentimentModel, SentimentModel, TransformersSentimentModel, load_model
from classifier.metrics import classification_report


def _label(scores: dict[str, float]) -> str:
    return max(scores, key=lambda k: scores[k])


def test_shipped_model_scores_sum_to_one(shipped_model: SentimentModel) -> None:
    assert isinstance(shipped_model, MolvaSentimentModel)
    assert shipped_model.version.startswith("molva-sentiment-")
    texts = ["Сбербанк опять заблокировал карту, ужасный сервис, верните деньги",
             "Спасибо МТС, отличная связь и быстрая поддержка, очень доволен!",
             "", "x" * 50_000, "The bank is open on Sunday", "🙂🙂🙂"]
    scores = shipped_model.predict(texts, [[(0, 8)], [(7, 10)], None, None, None, None])
    assert len(scores) == len(texts)
    for s in scores:
        assert set(s) == {"negative", "neutral", "positive"}
        assert math.isclose(sum(s.values()), 1.0, abs_tol=1e-5)
        assert all(0.0 <= v <= 1.0 for v in s.values())
    assert _label(scores[0]) == "negative"
    assert _label(scores[1]) == "positive"


def test_target_spans_change_the_prediction(shipped_model: SentimentModel) -> None:
    text = "Ушёл из Сбербанка, там хамят и теряют деньги. В Тинькофф всё отлично, спасибо им!"
    sber = (text.index("Сбербанка"), text.index("Сбербанка") + len("Сбербанка"))
    tink = (text.index("Тинькофф"), text.index("Тинькофф") + len("Тинькофф"))
    s_sber, s_tink = shipped_model.predict([text, text], [[sber], [tink]], others=[[tink], [sber]])
    assert s_sber["negative"] > s_tink["negative"]
    assert s_tink["positive"] > s_sber["positive"]


def test_batch_order_does_not_change_scores(shipped_model: SentimentModel) -> None:
    texts = ["МТС не работает интернет", "Билайн норм", "ВТБ ставка по вкладу 15 процентов, неплохо"]
    one_by_one = [shipped_model.predict([t], [None])[0] for t in texts]
    together = shipped_model.predict(texts, [None] * 3)
    for a, b in zip(one_by_one, together, strict=True):
        assert all(math.isclose(a[k], b[k], abs_tol=1e-4) for k in a)


def test_transformers_checkpoint_loads_offline(tiny_checkpoint) -> None:  # type: ignore[no-untyped-def]
    model = load_model(tiny_checkpoint)
    assert isinstance(model, TransformersSentimentModel)
    assert model.version.startswith("transformers:")
    scores = model.predict(["банк плохо", "спасибо мтс, хорошо"], [None, [(8, 11)]])
    assert len(scores) == 2
    for s in scores:
        assert set(s) == {"negative", "neutral", "positive"}
        assert math.isclose(sum(s.values()), 1.0, abs_tol=1e-5)


def test_sentirueval_metric() -> None:
    gold = ["positive", "negative", "neutral", "neutral", "negative"]
    pred = ["positive", "neutral", "neutral", "negative", "negative"]
    r = classification_report(gold, pred)
    assert math.isclose(r["accuracy"], 0.6)
    # F1 positive = 1.0, F1 negative = 0.5 (P 0.5, R 0.5)
    assert math.isclose(r["macro_f1_pn"], 0.75)


def test_fast_path_matches_the_reference_forward(shipped_model: SentimentModel) -> None:
    """Token caching, length bucketing and shared tokenization give the scores of the plain forward pass (of
    the multi-brand variant for requests naming another brand)."""
    import json

    import torch

    from classifier.fast_multi import read_delta, variant_net
    from classifier.inference import DEFAULT_MODEL_DIR, _domain
    from classifier.training import load_members

    assert isinstance(shipped_model, MolvaSentimentModel)
    text = "Сбербанк и сбер-онлайн: ВТБ лучше!!! А МТСник говорит, что МТС норм"
    sber, vtb = (0, 8), (text.index("ВТБ"), text.index("ВТБ") + 3)
    cut = (text.index("МТСник"), text.index("МТСник") + 3)  # a span that ends inside a token
    texts = [text, text, text, text, "", "коротко", "очень " * 200 + "длинный текст про МТС"]
    targets = [None, [sber], [vtb], [cut], None, None, [(len(texts[-1]) - 3, len(texts[-1]))]]
    others = [[], [vtb, cut], [sber], [sber, vtb], [], [], []]
    groups = [None, "banks", "banks", "telecom", None, None, "telecom"]
    texts, targets, others, groups = texts + [text], targets + [[sber]], others + [[vtb, cut]], groups + ["banks"]
    fast = shipped_model.predict(texts, targets, others=others, groups=groups)  # the last one repeats the 2nd
    assert fast[-1] == fast[1]
    feat = shipped_model.featurizer
    rows = [feat.tokens(t, targets[i], others[i]) for i, t in enumerate(texts)]
    assert [feat.token_ids(t, targets[i], others[i])[1] for i, t in enumerate(texts[:4])] == [r[1] for r in rows[:4]]
    nets = shipped_model.nets or load_members(DEFAULT_MODEL_DIR, shipped_model.member_ids)  # numpy runtime: none
    with torch.inference_mode():
        b = feat.batch(texts, targets, others, [_domain(targets[i], groups[i]) for i in range(len(texts))])
        ref = torch.stack([torch.softmax(net(b), -1) for net in nets]).mean(0)
        if shipped_model.class_weight is not None:  # the config's class_log_prior
            ref = ref * torch.from_numpy(shipped_model.class_weight).float()
            ref = ref / ref.sum(-1, keepdim=True)
        if shipped_model.multi_members:  # requests naming another brand: the multi-brand variant's forward
            conf = json.loads((DEFAULT_MODEL_DIR / "config.json").read_text(encoding="utf-8"))
            delta = read_delta(DEFAULT_MODEL_DIR, conf, list(nets[0].state_dict()))
            assert delta is not None
            multi = torch.softmax(variant_net(nets[0], delta)(b), -1)
            if shipped_model.multi_weight is not None:
                multi = multi * torch.from_numpy(shipped_model.multi_weight).float()
                multi = multi / multi.sum(-1, keepdim=True)
            routed = torch.tensor([bool(o) for o in others]).unsqueeze(-1)
            assert 0 < int(routed.sum()) < len(texts)
            ref = torch.where(routed, multi, ref)
    for got, want in zip(fast, ref.tolist(), strict=True):
        assert all(math.isclose(got[k], w, abs_tol=1e-5) for k, w in zip(("negative", "neutral", "positive"), want,
                                                                           strict=True))


def _generated_requests(n: int, seed: int = 5) -> tuple[list[str], list[list[tuple[int, int]] | None], list[int]]:
    """Tweet-like generated texts (never training texts), half of them with a target brand span."""
    import random

    rng = random.Random(seed)
    words = ["опять", "списал", "деньги", "спасибо", "за", "быстрый", "ответ", "интернет", "не", "работает",
             "кредитку", "норм", "тарифы", "очередь", "огонь", "заблокировал", "карту", "!!!", "((", ")))",
             "http://t.co/x1", "@user", "2024", "кэшбэк", "приложение", "связь", "отвратительная", "вообщеее"]
    brands = ["Сбербанк", "МТС", "ВТБ", "Билайн", "мегафоне"]
    texts: list[str] = []
    targets: list[list[tuple[int, int]] | None] = []
    domains: list[int] = []
    for _ in range(n):
        before = " ".join(rng.choices(words, k=rng.randint(0, 25)))
        brand = rng.choice(brands)
        text = f"{before} {brand} " + " ".join(rng.choices(words, k=rng.randint(0, 40)))
        start = len(before) + 1
        targets.append([(start, start + len(brand))] if rng.random() < 0.5 else None)
        texts.append(text if rng.random() < 0.97 else "")
        if not texts[-1]:
            targets[-1] = None
        domains.append(rng.randrange(5))
    return texts, targets, domains


def test_numpy_runtime_matches_torch() -> None:
    """The torch-free runtime (classifier.fast, weights-*.npz) gives the torch module's scores within 1e-5."""
    import numpy as np

    from classifier.inference import DEFAULT_MODEL_DIR

    texts, targets, domains = _generated_requests(400)
    fast = MolvaSentimentModel(DEFAULT_MODEL_DIR, runtime="numpy", batch_size=64)
    ref = MolvaSentimentModel(DEFAULT_MODEL_DIR, runtime="torch", batch_size=64)
    assert fast.runtime == "numpy" and ref.runtime == "torch"
    got = fast.predict_domains(texts, targets, None, domains)
    want = ref.predict_domains(texts, targets, None, domains)
    assert got.shape == (400, 3)
    assert float(np.abs(got - want).max()) < 1e-5
    # one batch of mixed lengths (padding: the masked code path) agrees as well
    mixed = MolvaSentimentModel(DEFAULT_MODEL_DIR, runtime="numpy", batch_size=400)
    assert float(np.abs(mixed.predict_domains(texts, targets, None, domains) - want).max()) < 1e-5
    # batches (7 of 64) scored on two threads: the same numbers
    fast.threads = 2
    assert np.array_equal(fast.predict_domains(texts, targets, None, domains), got)


def test_fast_model_runs_without_torch() -> None:
    """The shipped fast model scores texts without importing torch (about a second of start-up)."""
    import subprocess
    import sys

    code = ("import sys; from classifier.inference import load_model; m = load_model('fast'); "
            "p = m.predict(['МТС опять без связи'], [[(0, 3)]]); "
            "assert m.runtime == 'numpy' and 'torch' not in sys.modules, sorted(sys.modules); print(p[0])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr[-2000:]


def test_saved_model_exports_the_numpy_runtime(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """``save_model`` writes ``weights-{i}.npz`` for the members that run; both runtimes agree on it."""
    import numpy as np
    import torch

    from classifier.arch import ModelConfig
    from classifier.embeddings import load_navec
    from classifier.model import SentimentNet
    from classifier.training import TrainConfig, save_model

    nav = load_navec()
    torch.manual_seed(0)
    cfg = ModelConfig(dim=32, layers=2, kernel=3)
    nets = [SentimentNet(cfg, nav.centroids, nav.codes).eval() for _ in range(2)]
    with torch.no_grad():
        for net in nets:
            for p in net.parameters():
                p.add_(torch.randn_like(p) * 0.05)  # non-zero linear branch and biases
    save_model(nets, TrainConfig(model=cfg), tmp_path, "tiny", inference_members=[1])
    assert sorted(p.name for p in tmp_path.glob("weights-*.npz")) == ["weights-1.npz"]
    texts, targets, domains = _generated_requests(60, seed=9)
    fast = MolvaSentimentModel(tmp_path, runtime=None)
    assert fast.runtime == "numpy"
    got = fast.predict_domains(texts, targets, None, domains)
    want = MolvaSentimentModel(tmp_path, runtime="torch").predict_domains(texts, targets, None, domains)
    assert float(np.abs(got - want).max()) < 1e-5



def test_train_defaults_reproduce_the_shipped_architecture() -> None:
    """`molva train` with no flags trains what ships: the same network shape and number of members."""
    import json

    from classifier.inference import DEFAULT_MODEL_DIR
    from classifier.training import TrainConfig
    from molva.cli.analyze import train

    conf = json.loads((DEFAULT_MODEL_DIR / "config.json").read_text(encoding="utf-8"))
    cfg = TrainConfig()
    assert conf["model"] == cfg.model.to_dict() and conf["members"] == cfg.members
    defaults = {p.name: p.default for p in train.params}
    assert (defaults["dim"], defaults["layers"], defaults["members"]) == (cfg.model.dim, cfg.model.layers,
                                                                          cfg.members)
    assert defaults["seed"] == json.loads((DEFAULT_MODEL_DIR / "metrics.json").read_text(encoding="utf-8"))["seed"]
