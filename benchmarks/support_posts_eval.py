"""Intent, urgency and aspects against the frozen labelled set tests/data/support_posts_set.jsonl.

Every (post, brand) label is judged the way ``molva classify`` / ``molva analyze`` judge a brand mention:
the shipped sentiment model scores the post toward the brand's span (in the brand's group), then
``classifier.judge.judge_mention`` gives intent, urgency, urgent and aspects. Printed per split (``dev``:
the rules were tuned on it; ``heldout``: never looked at while tuning):

* intent accuracy and macro-F1 over problem / question / idea / thanks / other, with the confusion matrix;
* urgent precision and recall at the configured alert threshold, and the precision at the highest
  threshold that still gives recall >= 0.90;
* top-aspect accuracy (the first predicted aspect is the gold top aspect), and whether
  posts reported fixed get the "resolved" reason.

    .venv/bin/python benchmarks/support_posts_eval.py                 # both splits
    .venv/bin/python benchmarks/support_posts_eval.py --errors dev    # list the dev half's mistakes
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

SET = ROOT / "tests" / "data" / "support_posts_set.jsonl"
# more dev posts written after the freeze (batches extra-a, -b, -c, -d; -b, -c and -d measured before the rules saw them)
EXTRA = ROOT / "tests" / "data" / "support_posts_dev_extra.jsonl"
# a fresh batch written 2026-11-30 in wording unlike the sets above, committed before the rules saw it; its
# dev half may be tuned on, its heldout half is reported only (its mistakes are never printed)
FRESH = ROOT / "tests" / "data" / "support_posts_fresh.jsonl"
# a batch written 2026-11-30 to name each aspect in words unlike the keyword lists (slang, synonyms, paraphrase),
# committed before the aspect back-off was tuned; dev half tuned on, heldout half reported only
ASPECTS = ROOT / "tests" / "data" / "support_posts_aspects.jsonl"
INTENTS = ("problem", "question", "idea", "thanks", "other")


def judged(rows: list[dict[str, Any]], model: Any, threshold: float) -> list[tuple[dict[str, Any], dict[str, Any],
                                                                                   Any, dict[str, float]]]:
    """(row, gold label, judgment, sentiment scores) for every brand label of ``rows``."""
    from classifier.judge import judge_mention
    from molva.catalog import load_catalog

    catalog = load_catalog()
    requests = []
    for row in rows:
        spans: dict[str, list[tuple[int, int]]] = {}
        for m in catalog.match(row["text"]):
            spans.setdefault(m.brand, []).append((m.start, m.end))
        for label in row["labels"]:
            own = spans[label["brand"]]
            others = [s for b, ss in spans.items() if b != label["brand"] for s in ss]
            requests.append((row, label, own, others))
    scores = model.predict([r[0]["text"] for r in requests], [r[2] for r in requests],
                           others=[r[3] for r in requests], groups=[r[1]["group"] for r in requests])
    out = []
    for (row, label, own, others), sc in zip(requests, scores, strict=True):
        j = judge_mention(row["text"], sc, target=own[0], others=others, group=label["group"], brand=label["brand"],
                          urgent_threshold=threshold)
        out.append((row, label, j, sc))
    return out


def _f1(gold: list[str], pred: list[str], label: str) -> float:
    tp = sum(1 for g, p in zip(gold, pred, strict=True) if g == p == label)
    fp = sum(1 for g, p in zip(gold, pred, strict=True) if p == label != g)
    fn = sum(1 for g, p in zip(gold, pred, strict=True) if g == label != p)
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def _pr(pairs: list[tuple[bool, bool]]) -> tuple[float, float]:
    tp = sum(1 for g, p in pairs if g and p)
    fp = sum(1 for g, p in pairs if p and not g)
    fn = sum(1 for g, p in pairs if g and not p)
    return (tp / (tp + fp) if tp + fp else 0.0, tp / (tp + fn) if tp + fn else 0.0)


def report(items: list[tuple[dict[str, Any], dict[str, Any], Any, dict[str, float]]], threshold: float
           ) -> dict[str, Any]:
    gold = [lb["intent"] for _, lb, _, _ in items]
    pred = [j.intent for _, _, j, _ in items]
    per = {k: round(_f1(gold, pred, k), 3) for k in INTENTS}
    confusion = collections.Counter(f"{g}->{p}" for g, p in zip(gold, pred, strict=True) if g != p)
    urgent = [(bool(lb["urgent"]), j.urgent) for _, lb, j, _ in items]
    p, r = _pr(urgent)
    # precision at recall >= 0.90: the highest threshold that keeps 90% of the urgent labels
    values = sorted(((j.urgency, bool(lb["urgent"])) for _, lb, j, _ in items), reverse=True)
    total_urgent = sum(1 for _, u in values if u)
    best = None
    tp = fp = 0
    for value, is_urgent in values:
        tp += is_urgent
        fp += not is_urgent
        if total_urgent and tp / total_urgent >= 0.90:
            best = {"threshold": round(value, 3), "precision": round(tp / (tp + fp), 3),
                    "recall": round(tp / total_urgent, 3)}
            break
    with_aspects = [(lb, j) for _, lb, j, _ in items if lb["aspects"]]
    top = sum(1 for lb, j in with_aspects if j.aspects and j.aspects[0] == lb["aspects"][0])
    anywhere = sum(1 for lb, j in with_aspects if lb["aspects"][0] in j.aspects)
    resolved = [(bool(lb.get("resolved")), "resolved" in j.reasons) for _, lb, j, _ in items]
    rp, rr = _pr(resolved)
    return {
        "labels": len(items),
        "intent_accuracy": round(sum(g == q for g, q in zip(gold, pred, strict=True)) / len(items), 3),
        "intent_macro_f1": round(sum(per.values()) / len(per), 3),
        "intent_f1": per,
        "intent_confusions": dict(confusion.most_common()),
        f"urgent@{threshold}": {"precision": round(p, 3), "recall": round(r, 3), "gold": total_urgent},
        "urgent_precision_at_recall_0.90": best,
        "aspect_top_accuracy": round(top / len(with_aspects), 3),
        "aspect_gold_top_in_predicted": round(anywhere / len(with_aspects), 3),
        "aspect_none_predicted": sum(1 for _, j in with_aspects if not j.aspects),
        "resolved_flag": {"precision": round(rp, 3), "recall": round(rr, 3)},
    }


def errors(items: list[tuple[dict[str, Any], dict[str, Any], Any, dict[str, float]]]) -> list[dict[str, Any]]:
    out = []
    for row, lb, j, sc in items:
        wrong = []
        if j.intent != lb["intent"]:
            wrong.append(f"intent {lb['intent']}->{j.intent}")
        if j.urgent != lb["urgent"]:
            wrong.append(f"urgent {lb['urgent']}->{j.urgent}")
        if lb["aspects"] and (not j.aspects or j.aspects[0] != lb["aspects"][0]):
            wrong.append(f"aspect {lb['aspects']}->{j.aspects}")
        if bool(lb.get("resolved")) != ("resolved" in j.reasons):
            wrong.append("resolved")
        if wrong:
            out.append({"id": row["id"], "brand": lb["brand"], "wrong": wrong, "urgency": round(j.urgency, 2),
                        "neg": round(sc["negative"], 2), "reasons": j.reasons, "text": row["text"]})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--errors", choices=("dev", "dev-extra", "dev-fresh", "dev-aspects"),
                        help="list the mistakes on a dev half (never heldout)")
    parser.add_argument("--threshold", type=float, default=None, help="urgent threshold (default: alerts')")
    parser.add_argument("--sim", action="store_true", help="also the simulator world (seed 1, 7 days)")
    parser.add_argument("--sim-only", action="store_true", help="only the simulator world")
    parser.add_argument("--rescore", action="store_true", help="simulator: reuse stored sentiment scores")
    parser.add_argument("--workdir", default="/tmp/molva-alerts-eval", help="simulator crawl cache")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--days", type=float, default=7)
    parser.add_argument("--posts-per-day", type=int, default=300)
    parser.add_argument("--show", type=int, default=0, help="simulator: list this many intent misses")
    args = parser.parse_args()
    if args.sim_only:
        print(json.dumps(simulator(Path(args.workdir), args.seed, args.days, args.posts_per_day, args.rescore,
                                   args.show), ensure_ascii=False, indent=1))
        return
    from classifier.inference import load_model
    from molva.settings import AlertsSettings

    threshold = args.threshold if args.threshold is not None else AlertsSettings().urgency_threshold
    rows = [json.loads(line) for line in SET.read_text(encoding="utf-8").splitlines() if line.strip()]
    model = load_model(None)
    items = judged(rows, model, threshold)
    out: dict[str, Any] = {"set": SET.name, "posts": len(rows), "threshold": threshold}
    for split in ("dev", "heldout"):
        out[split] = report([it for it in items if it[0]["split"] == split], threshold)
    extra = [json.loads(line) for line in EXTRA.read_text(encoding="utf-8").splitlines() if line.strip()]
    extra_items = judged(extra, model, threshold)
    out["dev_extra"] = report(extra_items, threshold)
    fresh = [json.loads(line) for line in FRESH.read_text(encoding="utf-8").splitlines() if line.strip()]
    fresh_items = judged(fresh, model, threshold)
    for split in ("dev", "heldout"):
        out[f"fresh_{split}"] = report([it for it in fresh_items if it[0]["split"] == split], threshold)
    aspect_rows = [json.loads(line) for line in ASPECTS.read_text(encoding="utf-8").splitlines() if line.strip()]
    aspect_items = judged(aspect_rows, model, threshold)
    for split in ("dev", "heldout"):
        out[f"aspects_{split}"] = report([it for it in aspect_items if it[0]["split"] == split], threshold)
    if args.errors == "dev":
        out["errors_dev"] = errors([it for it in items if it[0]["split"] == "dev"])
    elif args.errors == "dev-extra":
        out["errors_dev_extra"] = errors(extra_items)
    elif args.errors == "dev-fresh":  # the fresh heldout half's mistakes are never printed
        out["errors_fresh_dev"] = errors([it for it in fresh_items if it[0]["split"] == "dev"])
    elif args.errors == "dev-aspects":  # likewise never the aspects batch's heldout half
        out["errors_aspects_dev"] = errors([it for it in aspect_items if it[0]["split"] == "dev"])
    if args.sim:
        out["simulator"] = simulator(Path(args.workdir), args.seed, args.days, args.posts_per_day, args.rescore,
                                     args.show)
    print(json.dumps(out, ensure_ascii=False, indent=1))



def simulator(workdir: Path, seed: int, days: float, posts_per_day: int, rescore: bool,
              show: int) -> dict[str, Any]:
    """Intent of every non-official simulator post (its truth brand's mention) against the world's truth.

    Full mode: the crawl of ``benchmarks/alerts_pipeline_eval.py`` (cached in ``workdir``), then
    ``molva.pipeline.classify_pending`` with the shipped model, exactly as ``molva classify``. ``rescore``:
    reuse the sentiment scores that mode stored and judge again with the current rules (fast)."""
    import shutil

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from alerts_pipeline_eval import END, crawl
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from classifier.judge import judge_mention
    from molva.catalog import load_catalog
    from molva.db import make_sessionmaker
    from molva.models import BrandMention, Mention
    from molva.settings import load_settings

    db, config, truth = crawl(workdir, seed, days, posts_per_day)
    classified = db.with_name(db.name.replace("crawl-", "i10-classified-"))
    if not (rescore and classified.exists()):
        from molva.pipeline import classify_pending

        run = db.with_name(db.name.replace("crawl-", "i10-run-"))
        shutil.copy(db, run)
        for key in [k for k in os.environ if k.startswith("MOLVA_")]:
            os.environ.pop(key)
        os.environ["MOLVA_DATABASE_URL"] = f"sqlite:///{run}"
        os.environ["MOLVA_DATA_DIR"] = str(workdir / "data")
        classify_pending(load_settings(config), now=END)
        run.rename(classified)
    catalog = load_catalog()
    factory = make_sessionmaker(f"sqlite:///{classified}")
    gold: list[str] = []
    pred: list[str] = []
    urgent: list[tuple[bool, bool]] = []
    misses: list[dict[str, Any]] = []
    with factory() as session:
        by_key = {(m.kind, m.external_id): m for m in session.scalars(
            select(Mention).options(selectinload(Mention.brand_mentions)))}
        for post in truth["posts"]:
            m = by_key.get((post["kind"], post["external_id"]))
            if post["is_official"] or m is None:
                continue
            own = [b for b in m.brand_mentions if b.brand == post["brand"]]
            if not own or own[0].sentiment is None:
                continue
            bm: BrandMention = own[0]
            if rescore:
                sc = {"negative": bm.score_negative or 0.0, "neutral": bm.score_neutral or 0.0,
                      "positive": bm.score_positive or 0.0}
                own_span = (bm.span_start, bm.span_end)
                j = judge_mention(m.text or "", sc, target=own_span,
                                  others=[(b.span_start, b.span_end) for b in m.brand_mentions if b is not bm],
                                  group=getattr(catalog.get(bm.brand), "group", None), brand=bm.brand)
                intent, is_urgent = j.intent, j.urgent
            else:
                intent, is_urgent = bm.intent or "other", (bm.urgency or 0.0) >= 0.6
            gold.append(post["intent"])
            pred.append(intent)
            urgent.append((bool(post["urgent"]), is_urgent))
            if intent != post["intent"] and len(misses) < show:
                misses.append({"truth": post["intent"], "got": intent, "text": (m.text or "")[:200]})
    factory.kw["bind"].dispose()
    per = {k: round(_f1(gold, pred, k), 3) for k in INTENTS}
    p, r = _pr(urgent)
    out: dict[str, Any] = {
        "world": {"seed": seed, "days": days, "posts_per_day": posts_per_day},
        "mode": "rescore (stored model scores)" if rescore else "full (molva.pipeline.classify_pending)",
        "posts": len(gold), "intent_macro_f1": round(sum(per.values()) / len(per), 3), "intent_f1": per,
        "intent_confusions": dict(collections.Counter(
            f"{g}->{q}" for g, q in zip(gold, pred, strict=True) if g != q).most_common()),
        "questions_as_thanks": sum(1 for g, q in zip(gold, pred, strict=True) if g == "question" and q == "thanks"),
        "urgent@0.6_vs_truth": {"precision": round(p, 3), "recall": round(r, 3)},
    }
    if show:
        out["misses"] = misses
    return out


if __name__ == "__main__":
    main()
