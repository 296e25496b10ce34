"""MODEL_CARD.md of the default model, written by ``molva train`` from its metrics."""

from __future__ import annotations

from pathlib import Path
from typing import Any

CARD_FILE = "MODEL_CARD.md"

TEMPLATE = """# molva-sentiment ({version})

Targeted Russian sentiment (negative / neutral / positive toward a brand in a text; whole-text sentiment
when no brand is given), small enough for a 2-core CPU. Trained by `molva train --seed {seed}`.

## Architecture
{runtime}
Each network: per token, frozen navec news embeddings (`navec_news_v1_1B_250K_300d_100q`, loaded from the installed
`natasha` package, never stored here; the linear projection is applied to its product-quantization
centroids) + a trainable hashed word embedding + hashed char 3/4-gram embeddings (slang, misspellings) +
a role embedding (target brand / other brand / plain) and a distance-to-target bucket. The target brand's
mention is replaced by a `<target>` token and other brands' mentions by `<brand>`. {convs}
(kernel 3), attention + max + target pooling, a domain embedding (banks, telecom, tweets,
news, generic), an MLP, plus a fastText-like linear branch over hashed unigrams and bigrams.
Large embedding tables are stored int8 with a per-row scale. At run time per-token embeddings are cached per
distinct token, requests are bucketed by token count (no padding) and put back in order.

## Training data and label mapping
- SentiRuEval-2016 banks and telecom (tweets, sentiment toward a named company); brand mentions found with
  `classifier/brands.py` patterns.
- RuSentiTweet (whole-text): `speech` (greetings, congratulations) mapped to **positive**; `skip` dropped.
- RuSentNE-2023 (news, sentiment toward a marked entity; the entity span is the target).
Loss: class-weighted cross-entropy (sqrt inverse frequency over SentiRuEval), label smoothing 0.05,
RuSentiTweet and RuSentNE rows weighted 0.5; domain replaced by `generic` 15% of the time.
The training texts are not part of this repository.

## Validation (fixed time-based split)
The SentiRuEval-2016 tweets published at or after {cutoffs} are held out (about the last 15% of each
domain by time); epochs are selected on this split, so the numbers are slightly optimistic. Metric: macro-F1 over positive and
negative (SentiRuEval); the official held-out test sets are not available here. The model that runs:

| domain | n | macro-F1 pos/neg | macro-F1 | accuracy | F1 neg | F1 neu | F1 pos |
|---|---|---|---|---|---|---|---|
{rows}

{teacher} Choosing the run-time member by its validation score adds a little
more optimism (each member alone: `BENCHMARKS.md` ("Sentiment model")).

Reference (official 2016 test sets, not comparable one-to-one): best 2016 system 0.552 / 0.559,
fine-tuned RuBERT 0.695 / 0.664, TF-IDF + logistic regression about 0.53 / 0.52 (banks / telecom).

## Reproducing
`molva train --data ../shared/data/sentiment --out models/molva-sentiment --seed {seed}` (defaults
`--members 1 --dim 96 --layers 1 --epochs 8`) trains one network from the labels (seed {seed}, epochs selected
on the validation split) and writes `weights-0.pt` and its numpy export `weights-0.npz`. The shipped weights
were trained on one H100 GPU (`--device cuda`, about 2 minutes, with a navec vocabulary cut to the words of
the corpora minus 7,000 words seen once in training, which then read as `<unk>`: the full vocabulary did not
fit the transfer to the GPU machine); GPU and CPU kernels differ, so a rerun gives close, not bit-identical,
weights. On the 2-core CPU it was not timed (the 3-member 128-dim run took about 70 minutes).

`--members 3 --dim 128 --layers 2` trains the earlier ensemble (the previous default, 2026-11-23: its best
member ran, banks 0.589 / telecom 0.683, about 7.5x rubert-tiny2 end to end). Distillation (`--student`, or
`--student-only` to keep the networks in `--out`): one 64-dim network trained on their averaged probabilities
on the training texts (weight 0.7) plus the gold labels, 6 epochs, seeded; not the default (see
`BENCHMARKS.md`, "Sentiment model").

## Speed
See `BENCHMARKS.md` ("Sentiment model") (`python benchmarks/sentiment_speed.py`).

## Licences and citations of the training data
- SentiRuEval-2016: Loukachevitch N., Rubtsova Yu. "SentiRuEval-2016: overcoming time gap and data sparsity in
  tweet sentiment analysis", Dialogue 2016. No licence stated by the authors, who ask for citation.
- RuSentiTweet: Smetanin S. "RuSentiTweet: a sentiment analysis dataset of general domain tweets in Russian",
  PeerJ Computer Science 2022. No licence stated; cite the paper.
- RuSentNE-2023: Golubev A., Rusnachenko N., Loukachevitch N. "RuSentNE-2023: Evaluating Entity-Oriented
  Sentiment Analysis on Russian News Texts", Dialogue 2023. MIT licence.
- navec (embeddings, loaded at run time from `natasha`): Natasha project, MIT licence.
"""


def _runtime(metrics: dict[str, Any]) -> str:
    cfg = metrics.get("train_config", {})
    members = cfg.get("members", "?")
    student = metrics.get("student_model")
    inference = metrics.get("inference_members", [])
    if student:
        return (f"An ensemble of {members} networks ({metrics['model']['dim']} dims; the teacher, shipped as "
                f"`weights-0..{int(members) - 1}.pt`) is distilled into **one {student['dim']}-dim student** "
                f"(`weights-{inference[0]}.pt`), which is what runs: it is trained on the ensemble's averaged "
                f"probabilities on the training texts (weight {cfg.get('distill_alpha')}) plus the gold labels, "
                f"with the same features and losses as the teacher.")
    which = ", ".join(f"`weights-{i}.pt`" for i in inference)
    npz = ", ".join(f"`weights-{i}.npz`" for i in inference)
    if members == 1:
        model = metrics.get("model", {})
        return (f"One small network ({model.get('dim')} dims, {model.get('layers')} convolution layer(s)) is "
                f"trained from the labels and shipped ({which}); it runs by default without torch: the same "
                f"packed weights exported to {npz} and run with numpy (`classifier/fast.py`; "
                f"`MOLVA_RUNTIME=torch` runs the torch module, the reference).")
    return (f"An ensemble of {members} small networks is trained and shipped (`weights-*.pt`); for CPU speed only "
            f"the member(s) with the best validation score run at inference time ({which}), by default without "
            f"torch: the same packed weights exported to {npz} and run with numpy (`classifier/fast.py`; "
            f"`MOLVA_RUNTIME=torch` runs the torch module, the reference).")


def write_model_card(out_dir: Path, metrics: dict[str, Any]) -> Path:
    from classifier.data import VALIDATION_CUTOFF

    def row(domain: str, m: dict[str, float]) -> str:
        return (f"| {domain} | {int(m['n'])} | **{m['macro_f1_pn']:.3f}** | {m['macro_f1']:.3f} | "
                f"{m['accuracy']:.3f} | {m['f1_negative']:.3f} | {m['f1_neutral']:.3f} | {m['f1_positive']:.3f} |")

    rows = [row(domain, m) for domain, m in metrics["validation"].items()]
    teacher = metrics.get("validation_all_members") or {}
    teacher_line = ("All members together (not what runs): " + ", ".join(
        f"{d} {m['macro_f1_pn']:.3f}" for d, m in teacher.items()) + " macro-F1 pos/neg.") if teacher else ""
    layers = int(metrics.get("model", {}).get("layers", 2))
    convs = ("One residual GLU convolution" if layers == 1 else
             f"{'Two' if layers == 2 else layers} residual GLU convolutions")
    text = TEMPLATE.format(
        version=metrics["version"], seed=metrics["seed"], runtime=_runtime(metrics), teacher=teacher_line,
        convs=convs,
        cutoffs=", ".join(f"{d} {c}" for d, c in VALIDATION_CUTOFF.items()), rows="\n".join(rows),
    )
    path = out_dir / CARD_FILE
    path.write_text(text, encoding="utf-8")
    return path
