"""Top-aspect accuracy of the keyword rules alone and with the navec back-off, in the same run.

Aspects do not depend on the sentiment model, so every labelled set is judged exactly as
``classifier.judge.judge_mention`` judges it (the brand's own part of the post, its group and brand) without
loading the model: fast enough to sweep the back-off's threshold on the dev halves. Heldout halves are reported
at the shipped threshold only and their mistakes are never printed.

    .venv/bin/python benchmarks/aspects_backoff_eval.py              # before / after per half, costs
    .venv/bin/python benchmarks/aspects_backoff_eval.py --sweep      # also dev-only accuracy per threshold
    .venv/bin/python benchmarks/aspects_backoff_eval.py --errors     # the dev halves' aspect mistakes
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DATA = ROOT / "tests" / "data"
# (name, file, split or None for the whole file); the dev halves are the only ones tuned on
SETS = (("frozen_dev", "support_posts_set.jsonl", "dev"), ("frozen_heldout", "support_posts_set.jsonl", "heldout"),
        ("dev_extra", "support_posts_dev_extra.jsonl", None),
        ("fresh_dev", "support_posts_fresh.jsonl", "dev"), ("fresh_heldout", "support_posts_fresh.jsonl", "heldout"),
        ("aspects_dev", "support_posts_aspects.jsonl", "dev"),
        ("aspects_heldout", "support_posts_aspects.jsonl", "heldout"),
        ("vague_dev", "support_posts_vague.jsonl", "dev"))  # no aspect fits: the share that gets one anyway


def cases(file: str, split: str | None) -> list[tuple[str, str, str, list[str]]]:
    """(own part of the post, group, brand, gold aspects) per labelled brand."""
    from classifier.judge import own_part
    from molva.catalog import load_catalog

    catalog = load_catalog()
    out = []
    for line in (DATA / file).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        if split is not None and row["split"] != split:
            continue
        spans: dict[str, list[tuple[int, int]]] = {}
        for m in catalog.match(row["text"]):
            spans.setdefault(m.brand, []).append((m.start, m.end))
        for label in row["labels"]:
            own = spans[label["brand"]]
            others = [s for b, ss in spans.items() if b != label["brand"] for s in ss]
            out.append((own_part(row["text"], own[0], others), label["group"], label["brand"], label["aspects"]))
    return out


def score(clf: Any, items: list[tuple[str, str, str, list[str]]]) -> dict[str, Any]:
    if not any(gold for *_, gold in items):  # posts labelled with no aspect: how many get one anyway
        given = sum(1 for t, g, b, _ in items if clf.classify(t, g, b))
        return {"labels": len(items), "given_an_aspect": round(given / len(items), 3)}
    preds = [clf.classify(t, g, b) for t, g, b, _ in items]
    top = sum(1 for p, (_, _, _, gold) in zip(preds, items, strict=True) if p and p[0] == gold[0])
    anywhere = sum(1 for p, (_, _, _, gold) in zip(preds, items, strict=True) if gold[0] in p)
    return {"labels": len(items), "top": round(top / len(items), 3), "gold_top_in_predicted":
            round(anywhere / len(items), 3), "none": sum(1 for p in preds if not p)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sweep", action="store_true", help="dev halves: accuracy per threshold")
    parser.add_argument("--errors", action="store_true", help="list the dev halves' aspect mistakes")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from classifier import aspect_vectors
    from classifier.aspect_vectors import AspectVectors, brand_words, word_vectors
    from classifier.aspects import AspectClassifier
    from molva.aspects import load_aspects
    from molva.catalog import load_catalog

    data = {name: cases(file, split) for name, file, split in SETS}
    config = load_aspects(None)
    rules = AspectClassifier(config, semantic=False)
    for items in data.values():  # warm the lemma caches, so the costs below are the back-off's
        score(rules, items)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    vectors = word_vectors()
    cpu1, wall1 = time.process_time(), time.perf_counter()
    names = [n for b in load_catalog().brands for n in (b.name, *b.aliases, *b.former_names)]
    back = AspectVectors(config, vectors, brand_words(names))
    cpu2, wall2 = time.process_time(), time.perf_counter()
    both = AspectClassifier(config, semantic=back)
    out: dict[str, Any] = {"costs": {
        "navec_load_cpu_s": round(cpu1 - cpu0, 3), "navec_load_wall_s": round(wall1 - wall0, 3),
        "aspect_vectors_cpu_s": round(cpu2 - cpu1, 3), "aspect_vectors_wall_s": round(wall2 - wall1, 3),
        "max_rss_growth_mib": round((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss0) / 1024, 1)},
        "threshold": aspect_vectors.SIMILARITY_THRESHOLD}
    for name, items in data.items():
        out[name] = {"rules": score(rules, items), "with_backoff": score(both, items)}
    texts = [(t, g) for items in data.values() for t, g, _, _ in items]
    back.similarities(texts[0][0], texts[0][1])
    cpu3 = time.process_time()
    for _ in range(3):
        for t, g in texts:
            back.similarities(t, g)
    out["costs"]["backoff_us_per_post_cpu_cached_lemmas"] = round((time.process_time() - cpu3) / (3 * len(texts))
                                                                  * 1e6, 1)
    if args.sweep:
        dev = [it for name in ("frozen_dev", "dev_extra", "fresh_dev", "aspects_dev") for it in data[name]]
        sweep = {}
        for th in [x / 100 for x in range(0, 62, 4)]:
            aspect_vectors.SIMILARITY_THRESHOLD = th
            sweep[th] = {n: score(both, data[n])["top"] for n in ("frozen_dev", "dev_extra", "fresh_dev",
                                                                  "aspects_dev")}
            sweep[th]["all_dev"] = score(both, dev)["top"]
            sweep[th]["vague_given"] = score(both, data["vague_dev"])["given_an_aspect"]
        out["dev_sweep"] = sweep
    if args.errors:
        errs = []
        for name in ("frozen_dev", "dev_extra", "fresh_dev", "aspects_dev"):
            for t, g, b, gold in data[name]:
                p = both.classify(t, g, b)
                if not p or p[0] != gold[0]:
                    sims = back.similarities(t, g)
                    errs.append({"set": name, "gold": gold, "rules": rules.classify(t, g, b), "got": p,
                                 "best_sim": round(max(sims.values()), 2) if sims else None, "text": t})
        out["errors_dev"] = errs
    print(json.dumps(out, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
