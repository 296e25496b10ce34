"""MODEL_CARD.md of the default model, written by ``molva train`` from its metrics."""

from __future__ import annotations

from pathlib import Path
from typing import Any

CARD_FILE = "MODEL_CARD.md"

TEMPLATE = """# molva-sentiment ({version})

Targeted Russian sentiment (negative / neutral / positive toward a brand in a text; whole-text sentiment
when no brand is given), small enough for a 2-core CPU. Trained by `molva train --seed {seed}`.

## Architecture
Ensemble of {members} small networks (the first {inference_members} are used at run time, for speed; all are shipped).
Each: per token, frozen navec news embeddings (`navec_news_v1_1B_250K_300d_100q`, loaded from the installed
`natasha` package, never stored here; the linear projection is applied to its product-quantization
centroids) + a trainable hashed word embedding + hashed char 3/4-gram embeddings (slang, misspellings) +
a role embedding (target brand / other brand / plain) and a distance-to-target bucket. The target brand's
mention is replaced by a `<target>` token and other brands' mentions by `<brand>`. Two residual GLU
convolutions (kernel 3), attention + max + target pooling, a domain embedding (banks, telecom, tweets,
news, generic), an MLP, plus a fastText-like linear branch over hashed unigrams and bigrams.
Large embedding tables are stored int8 with a per-row scale.

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
negative (SentiRuEval); the official held-out test sets are not available here.

| domain | n | macro-F1 pos/neg | macro-F1 | accuracy | F1 neg | F1 neu | F1 pos |
|---|---|---|---|---|---|---|---|
{rows}

Reference (official 2016 test sets, not comparable one-to-one): best 2016 system 0.552 / 0.559,
fine-tuned RuBERT 0.695 / 0.664, TF-IDF + logistic regression about 0.53 / 0.52 (banks / telecom).

## Speed
See `docs/benchmarks-sentiment.md` (`python benchmarks/sentiment_speed.py`).

## Licences and citations of the training data
- SentiRuEval-2016: Loukachevitch N., Rubtsova Yu. "SentiRuEval-2016: overcoming time gap and data sparsity in
  tweet sentiment analysis", Dialogue 2016. No licence stated by the authors, who ask for citation.
- RuSentiTweet: Smetanin S. "RuSentiTweet: a sentiment analysis dataset of general domain tweets in Russian",
  PeerJ Computer Science 2022. No licence stated; cite the paper.
- RuSentNE-2023: Golubev A., Rusnachenko N., Loukachevitch N. "RuSentNE-2023: Evaluating Entity-Oriented
  Sentiment Analysis on Russian News Texts", Dialogue 2023. MIT licence.
- navec (embeddings, loaded at run time from `natasha`): Natasha project, MIT licence.
"""


def write_model_card(out_dir: Path, metrics: dict[str, Any]) -> Path:
    from classifier.data import VALIDATION_CUTOFF

    rows = []
    for domain, m in metrics["validation"].items():
        rows.append(f"| {domain} | {int(m['n'])} | **{m['macro_f1_pn']:.3f}** | {m['macro_f1']:.3f} | "
                    f"{m['accuracy']:.3f} | {m['f1_negative']:.3f} | {m['f1_neutral']:.3f} | {m['f1_positive']:.3f} |")
    cfg = metrics.get("train_config", {})
    text = TEMPLATE.format(
        version=metrics["version"], seed=metrics["seed"], members=cfg.get("members", "?"),
        inference_members=cfg.get("inference_members", "?"),
        cutoffs=", ".join(f"{d} {c}" for d, c in VALIDATION_CUTOFF.items()), rows="\n".join(rows),
    )
    path = out_dir / CARD_FILE
    path.write_text(text, encoding="utf-8")
    return path
