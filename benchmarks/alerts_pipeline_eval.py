"""Why urgent simulator posts do (not) become support topics, and how good intent/urgency are.

Two measurements, printed as one JSON object:

* ``checkset``: precision/recall of intent "problem" and of "urgent" on the hand-written check set
  ``tests/data/intent_urgency_set.jsonl``, per split (``old`` = rows without a split, ``holdout`` = rows
  written before the rules were tuned), at the classifier's own threshold and at the alert threshold.
* ``pipeline``: the chain of ``tests/alerts/test_sim_end_to_end.py::test_real_pipeline`` run once into a
  SQLite file (simulator world → ``molva crawl --all`` → ``molva.pipeline.classify_pending`` → builtin
  ``alerts.dispatcher.dispatch``), scored against the truth: recall of urgent posts → exactly one topic,
  share of topics linked only to positive/neutral truth posts, and for every missed urgent post the reason
  (not crawled / no brand mention / official / intent / urgency below the rule's threshold / not dispatched)
  with the model's sentiment, intent, urgency and its reasons. ``dispatch`` shows that the first dispatch
  drains the whole queue (``remaining`` 0) and a second one adds nothing; ``spikes`` replays the spike check
  every 15 minutes over the world's last day (model labels) and reports the episodes, how many minutes after
  the simulator's spike started it was first flagged, and any other brand flagged.

    .venv/bin/python benchmarks/alerts_pipeline_eval.py --days 2          # small world, iteration
    .venv/bin/python benchmarks/alerts_pipeline_eval.py                   # the seed-1 world of the test
    .venv/bin/python benchmarks/alerts_pipeline_eval.py --rescore         # reuse the crawl and the model
                     # scores of the last run; recompute intent + urgency with the current rules (fast)

The crawl is cached in ``--workdir`` (deterministic for a seed/days/posts-per-day); ``--rescore`` also
reuses the model's sentiment scores stored by the previous full run of the same world.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "alerts")]
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

END = datetime(2025, 3, 14, 12, 0, tzinfo=UTC)  # as in tests/alerts/test_sim_end_to_end.py
CHECK_SET = ROOT / "tests" / "data" / "intent_urgency_set.jsonl"


def _prf(pairs: list[tuple[bool, bool]]) -> dict[str, float | int]:
    tp = sum(1 for g, p in pairs if g and p)
    fp = sum(1 for g, p in pairs if not g and p)
    fn = sum(1 for g, p in pairs if g and not p)
    return {
        "precision": round(tp / (tp + fp), 3) if tp + fp else 0.0,
        "recall": round(tp / (tp + fn), 3) if tp + fn else 0.0,
        "tp": tp, "fp": fp, "fn": fn,
    }


def checkset(model: Any, alert_threshold: float, show_errors: bool) -> dict[str, Any]:
    from classifier.intent import classify_intent
    from classifier.urgency import URGENT_THRESHOLD, urgency_score

    rows = [json.loads(line) for line in CHECK_SET.read_text(encoding="utf-8").splitlines() if line.strip()]
    scores = model.predict([r["text"] for r in rows], [None] * len(rows))
    out: dict[str, Any] = {}
    for split in ("old", "holdout", "all"):
        part = [(r, s) for r, s in zip(rows, scores, strict=True) if split == "all" or r.get("split", "old") == split]
        problem, urgent, urgent_alert, alert, correct, errors = [], [], [], [], 0, []
        for row, sc in part:
            intent = classify_intent(row["text"], sc)
            value, reasons = urgency_score(row["text"], sc, intent)
            problem.append((row["intent"] == "problem", intent == "problem"))
            urgent.append((bool(row["urgent"]), value >= URGENT_THRESHOLD))
            urgent_alert.append((bool(row["urgent"]), value >= alert_threshold))
            alert.append((bool(row["urgent"]), value >= alert_threshold and intent in ("problem", "question")))
            correct += intent == row["intent"]
            if show_errors and (intent != row["intent"] or bool(row["urgent"]) != (value >= URGENT_THRESHOLD)):
                errors.append({"text": row["text"], "gold": [row["intent"], row["urgent"]],
                               "got": [intent, round(value, 2)], "neg": round(sc["negative"], 2),
                               "reasons": reasons})
        out[split] = {
            "rows": len(part),
            "intent_accuracy": round(correct / len(part), 3) if part else 0.0,
            "problem": _prf(problem),
            f"urgent@{URGENT_THRESHOLD}": _prf(urgent),
            f"urgent@{alert_threshold}": _prf(urgent_alert),
            "alert_rule": _prf(alert),
        }
        if show_errors and split != "all":
            out[split]["errors"] = errors
    return out


def crawl(workdir: Path, seed: int, days: float, posts_per_day: int) -> tuple[Path, Path, dict[str, Any]]:
    """The crawled SQLite file (cached), the Molva config pointing at it, and the simulator truth."""
    from molva.db import upgrade
    from simulator.config import render_config
    from simulator.server import SimServer
    from simulator.world import build_world

    tag = f"s{seed}-d{days:g}-p{posts_per_day}"
    db = workdir / f"crawl-{tag}.db"
    config = workdir / f"molva-{tag}.toml"
    truth_file = workdir / f"truth-{tag}.json"
    if db.exists() and truth_file.exists() and config.exists():
        return db, config, json.loads(truth_file.read_text(encoding="utf-8"))
    world = build_world(seed=seed, end=END, days=days, posts_per_day=posts_per_day)
    partial = workdir / f"crawl-{tag}.partial.db"
    partial.unlink(missing_ok=True)
    upgrade(f"sqlite:///{partial}")
    with SimServer(world) as sim:
        config.write_text(render_config(world, sim.base_url, 60, "simulator-token"), encoding="utf-8")
        env = {**os.environ, "MOLVA_DATABASE_URL": f"sqlite:///{partial}", "MOLVA_CRAWL__DOWNLOAD_DELAY": "0",
               "MOLVA_DATA_DIR": str(workdir / "data")}
        env = {k: v for k, v in env.items() if k != "MOLVA_CONFIG"}
        molva = str(Path(sys.executable).with_name("molva"))
        done = subprocess.run([molva, "--config", str(config), "crawl", "--all"], env=env,
                              capture_output=True, timeout=1200)
        if done.returncode != 0:
            raise SystemExit(done.stderr.decode()[-3000:])
        truth = world.truth(sim.base_url)
    truth_file.write_text(json.dumps(truth, ensure_ascii=False), encoding="utf-8")
    partial.rename(db)
    return db, config, truth


def rescore(db_url: str, now: datetime) -> None:
    """Recompute intent + urgency from the stored model scores; forget outbox and topics."""
    from sqlalchemy import delete, select
    from sqlalchemy.orm import selectinload

    from classifier.intent import classify_intent
    from classifier.scoring import _engagement
    from classifier.urgency import urgency_score
    from molva.db import make_sessionmaker
    from molva.models import AlertOutbox, BrandMention, SupportTopic, TopicComment, TopicMention

    factory = make_sessionmaker(db_url)
    with factory() as session, session.begin():
        for table in (TopicComment, TopicMention, AlertOutbox, SupportTopic):
            session.execute(delete(table))
        for bm in session.scalars(select(BrandMention).options(selectinload(BrandMention.mention))):
            if bm.sentiment is None:
                continue
            m = bm.mention
            sc = {"negative": bm.score_negative or 0.0, "neutral": bm.score_neutral or 0.0,
                  "positive": bm.score_positive or 0.0}
            text = m.text or ""
            span = (bm.span_start, bm.span_end) if 0 <= bm.span_start < bm.span_end <= len(text) else None
            bm.intent = classify_intent(text, sc, span)
            value, reasons = urgency_score(text, sc, bm.intent, m.author_followers,
                                           _engagement(m.likes, m.reposts, m.comments), m.published_at, now,
                                           target=span)
            bm.urgency, bm.urgency_reasons = round(value, 4), reasons
    factory.kw["bind"].dispose()


def enqueue_all(db_url: str, settings: Any, now: datetime) -> None:
    from sqlalchemy import select

    from alerts.rules import enqueue_alerts
    from molva.db import make_sessionmaker
    from molva.models import BrandMention

    factory = make_sessionmaker(db_url)
    with factory() as session, session.begin():
        enqueue_alerts(session, list(session.scalars(select(BrandMention))), settings.alerts, now)
    factory.kw["bind"].dispose()


def analyse(db_url: str, settings: Any, truth: dict[str, Any], max_misses: int) -> dict[str, Any]:
    from sim_rows import score_topics
    from sqlalchemy import select

    from alerts.dispatcher import dispatch
    from alerts.rules import matches, rule_for
    from molva.db import make_sessionmaker
    from molva.models import AlertOutbox, BrandMention, Mention, Source, TopicMention

    factory = make_sessionmaker(db_url)
    moment = datetime.fromisoformat(truth["generated_at"].replace("Z", "+00:00"))
    first = dispatch(factory, settings, now=moment)  # one dispatch must drain the whole queue
    second = dispatch(factory, settings, now=moment + timedelta(hours=1))  # and a second add nothing
    dispatches = {
        "first": {"processed": first.processed, "topics_created": first.topics_created, "linked": first.linked,
                  "failed": first.failed, "remaining": first.remaining, "waiting": first.waiting},
        "second": {"processed": second.processed, "topics_created": second.topics_created,
                   "linked": second.linked},
    }
    moment += timedelta(hours=1)
    for _ in range(10):  # only matters when the first left something behind (it should not)
        result = dispatch(factory, settings, now=moment)
        if result.processed == 0:
            break
        moment += timedelta(minutes=2)
    with factory() as session:
        by_key = {(m.kind, m.external_id): m.id for m in session.scalars(select(Mention))}
        score = score_topics(session, truth, by_key, "builtin")
        mentions = {m.id: m for m in session.scalars(select(Mention))}
        sources = {s.id: s.name for s in session.scalars(select(Source))}
        bms: dict[int, list[BrandMention]] = collections.defaultdict(list)
        for bm in session.scalars(select(BrandMention)):
            bms[bm.mention_id].append(bm)
        linked = collections.Counter(session.scalars(select(TopicMention.mention_id)))
        queued = set(session.scalars(select(AlertOutbox.brand_mention_id)))
        topic_posts: dict[int, list[int]] = collections.defaultdict(list)
        for tid, linked_mid in session.execute(select(TopicMention.topic_id, TopicMention.mention_id)):
            topic_posts[tid].append(linked_mid)

        causes: collections.Counter[str] = collections.Counter()
        misses: list[dict[str, Any]] = []
        model_vs_truth: collections.Counter[tuple[str, str]] = collections.Counter()
        urgent_model: collections.Counter[str] = collections.Counter()
        truth_by_mid: dict[int, dict[str, Any]] = {}
        for post in truth["posts"]:
            detail: dict[str, Any] = {}
            mid = by_key.get((post["kind"], post["external_id"]))
            if mid is None:
                continue
            truth_by_mid[mid] = post
            own = [b for b in bms.get(mid, []) if b.brand == post["brand"]]
            if own and own[0].sentiment is not None and not post["is_official"]:
                model_vs_truth[(post["sentiment"], own[0].sentiment)] += 1
                if post["urgent"]:
                    urgent_model[own[0].sentiment] += 1
            if not post["urgent"] or post["is_official"]:
                continue
            if linked.get(mid, 0) == 1:
                continue
            if mid not in mentions:
                cause = "not_crawled"
            elif linked.get(mid, 0) > 1:
                cause = "linked_more_than_once"
            elif not own:
                cause = "no_brand_mention_for_truth_brand"
                detail = {"found_brands": [b.brand for b in bms.get(mid, [])]}
            else:
                bm, m = own[0], mentions[mid]
                rule = rule_for(settings.alerts, bm.brand)
                if m.official_brand is not None:
                    cause = "stored_as_official"
                elif bm.urgency is not None and bm.urgency < rule.urgency_threshold:
                    cause = "urgency_below_threshold"
                elif rule.intents and (bm.intent or "") not in rule.intents:
                    cause = f"intent_{bm.intent}_not_in_rule"
                elif not matches(rule, bm, m, sources.get(m.source_id or 0)):
                    cause = "rule_other(sources/disabled)"
                elif bm.id not in queued:
                    cause = "matches_but_not_enqueued"
                else:
                    cause = "enqueued_not_linked"
                detail = {"sentiment": bm.sentiment,
                          "neg": round(bm.score_negative or 0, 2), "neu": round(bm.score_neutral or 0, 2),
                          "pos": round(bm.score_positive or 0, 2), "intent": bm.intent,
                          "urgency": bm.urgency, "reasons": bm.urgency_reasons}
            causes[cause] += 1
            if len(misses) < max_misses:
                misses.append({"cause": cause, "kind": post["kind"], "brand": post["brand"],
                               "truth": [post["sentiment"], post["intent"]],
                               "text": (post.get("text") or "")[:220], **detail})
        false_topics = []
        for mids in topic_posts.values():
            if all(truth_by_mid[m]["sentiment"] in ("positive", "neutral") for m in mids):
                m = mentions[mids[0]]
                own = [b for b in bms[mids[0]] if b.brand == truth_by_mid[mids[0]]["brand"]] or bms[mids[0]]
                bm = own[0]
                false_topics.append({"truth": [truth_by_mid[mids[0]]["sentiment"], truth_by_mid[mids[0]]["intent"]],
                                     "posts": len(mids), "sentiment": bm.sentiment, "intent": bm.intent,
                                     "urgency": bm.urgency, "reasons": bm.urgency_reasons, "text": m.text[:200]})
    factory.kw["bind"].dispose()
    return {
        "dispatch": dispatches,
        "urgent_posts": score.urgent_posts,
        "recall_exactly_one_topic": round(score.recall, 3),
        "linked_more_than_once": score.linked_more_than_once,
        "topics": score.topics,
        "false_topic_share": round(score.false_topic_share, 3),
        "topic_precision": round(score.topic_precision, 3),
        "post_precision": round(score.post_precision, 3),
        "miss_causes": dict(causes.most_common()),
        "model_sentiment_vs_truth": {f"{t}->{p}": n for (t, p), n in sorted(model_vs_truth.items())},
        "model_sentiment_of_urgent_posts": dict(urgent_model),
        "misses": misses,
        "false_topics": false_topics[:max_misses],
    }


def spikes(db_url: str, settings: Any, truth: dict[str, Any], step_minutes: int = 15) -> dict[str, Any]:
    """Replay the spike check every ``step_minutes`` over the last day of the classified world (model
    sentiment, not truth) and compare with the simulator's spike: first flag after its start, other brands."""
    from sqlalchemy import select

    from alerts.spikes import detect_spikes
    from molva.db import make_sessionmaker
    from molva.models import AlertOutbox, Spike

    factory = make_sessionmaker(db_url)
    end = datetime.fromisoformat(truth["generated_at"].replace("Z", "+00:00"))
    moment = end - timedelta(hours=24)
    flagged: list[tuple[datetime, str]] = []
    with factory() as session, session.begin():
        while moment <= end:
            flagged += [(moment, s.brand) for s in detect_spikes(session, settings.alerts, moment, digest=False)]
            moment += timedelta(minutes=step_minutes)
        episodes = [
            {"brand": s.brand, "start": s.window_start.isoformat(), "end": s.window_end.isoformat(),
             "status": s.status, "negatives": s.negative_count, "score": s.score, "words": s.terms,
             "aspects": [a["name"] for a in (s.details or {}).get("aspects", [])]}
            for s in session.scalars(select(Spike).order_by(Spike.window_start))
        ]
        events = [a.payload.get("event") for a in session.scalars(
            select(AlertOutbox).where(AlertOutbox.kind == "spike").order_by(AlertOutbox.id))]
    factory.kw["bind"].dispose()
    real = truth.get("spike") or {}
    out: dict[str, Any] = {"truth": real, "episodes": episodes, "notifications": events,
                           "check_every_minutes": step_minutes}
    if real:
        start = datetime.fromisoformat(real["start"].replace("Z", "+00:00"))
        hits = [at for at, brand in flagged if brand == real["brand"] and at > start]
        out["first_flag_minutes_after_start"] = round((hits[0] - start).total_seconds() / 60, 1) if hits else None
        out["other_brands_flagged"] = sorted({b for _, b in flagged if b != real["brand"]})
    return out


def pipeline(args: argparse.Namespace) -> dict[str, Any]:
    from molva.settings import load_settings

    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    db, config, truth = crawl(workdir, args.seed, args.days, args.posts_per_day)
    classified = db.with_name(db.name.replace("crawl-", "classified-"))
    run_db = db.with_name(db.name.replace("crawl-", "run-"))
    for key in [k for k in os.environ if k.startswith("MOLVA_")]:
        os.environ.pop(key)
    os.environ["MOLVA_DATA_DIR"] = str(workdir / "data")
    if args.rescore and classified.exists():
        shutil.copy(classified, run_db)
        os.environ["MOLVA_DATABASE_URL"] = f"sqlite:///{run_db}"
        settings = load_settings(config)
        rescore(settings.db_url, END)
        enqueue_all(settings.db_url, settings, END)
        mode = "rescore (stored model scores, current intent/urgency rules)"
    else:
        from molva.pipeline import classify_pending

        shutil.copy(db, run_db)
        os.environ["MOLVA_DATABASE_URL"] = f"sqlite:///{run_db}"
        settings = load_settings(config)
        classify_pending(settings, now=END)
        shutil.copy(run_db, classified)
        mode = "full (molva.pipeline.classify_pending)"
    out = {"world": {"seed": args.seed, "days": args.days, "posts_per_day": args.posts_per_day}, "mode": mode,
           "rule": {"urgency_threshold": settings.alerts.urgency_threshold, "intents": settings.alerts.intents}}
    out.update(analyse(settings.db_url, settings, truth, args.max_misses))
    out["spikes"] = spikes(settings.db_url, settings, truth)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--days", type=float, default=7)
    parser.add_argument("--posts-per-day", type=int, default=300)
    parser.add_argument("--workdir", default="/tmp/molva-alerts-eval")
    parser.add_argument("--rescore", action="store_true")
    parser.add_argument("--skip-checkset", action="store_true")
    parser.add_argument("--skip-pipeline", action="store_true")
    parser.add_argument("--errors", action="store_true", help="list the check set's misclassified rows")
    parser.add_argument("--max-misses", type=int, default=60)
    args = parser.parse_args()
    from molva.settings import AlertsSettings

    out: dict[str, Any] = {}
    if not args.skip_checkset:
        from classifier.inference import load_model

        out["checkset"] = checkset(load_model(None), AlertsSettings().urgency_threshold, args.errors)
    if not args.skip_pipeline:
        out["pipeline"] = pipeline(args)
    print(json.dumps(out, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
