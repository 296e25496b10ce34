"""One prepared device run: fine-tune the e5 teacher (12 layers, then a 6-layer variant if time allows),
validate, and write the soft labels for distillation. Everything comes back under $OUT."""
import argparse
import gzip
import json
import os
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
import classifier  # noqa: E402  (the repository's package; the new modules come from .gpu/src)

classifier.__path__.insert(0, str(HERE / "src" / "classifier"))

from classifier.teacher import TeacherTrainConfig  # noqa: E402
from classifier.teacher_train import train_from_base  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument("--out", default=os.environ.get("OUT", "/tmp/out"))
p.add_argument("--tiny", action="store_true")
p.add_argument("--budget", type=float, default=420.0)
p.add_argument("--device", default=None)
a = p.parse_args()
T0 = time.monotonic()
out = Path(a.out)
out.mkdir(parents=True, exist_ok=True)
logf = (out / "log.txt").open("a", encoding="utf-8")


def log(msg):
    line = f"[{time.monotonic() - T0:6.1f}s] {msg}"
    print(line, flush=True)
    logf.write(line + "\n")
    logf.flush()


data = Path(tempfile.mkdtemp())
for gz in (HERE / "data").glob("*.jsonl.gz"):
    with gzip.open(gz, "rb") as src, (data / gz.name[:-3]).open("wb") as dst:
        shutil.copyfileobj(src, dst)
try:
    import torch
    log(f"torch {torch.__version__} cuda {torch.cuda.is_available()} "
        f"{torch.cuda.get_device_name(0) if torch.cuda.is_available() else ''}")
    torch.backends.cuda.matmul.allow_tf32 = True
except Exception as exc:  # pragma: no cover
    log(f"torch info failed: {exc}")

runs = json.loads(os.environ["RUNS"]) if os.environ.get("RUNS") else [("l12", dict(epochs=3, batch_size=32, lr=6e-5), 0.6),
        ("l6", dict(epochs=3, batch_size=32, lr=8e-5, layers=6), 0.97)]
for name, kw, frac in runs:
    left = a.budget - (time.monotonic() - T0)
    if not name.startswith("l12") and left < 0.3 * a.budget:
        log(f"skip {name}: {left:.0f}s left")
        continue
    try:
        cfg = TeacherTrainConfig(**kw)
        extra = {}
        if a.tiny:
            cfg.epochs, cfg.max_steps, cfg.batch_size = 1, 3, 8
            extra = dict(subset=200, synth_posts=40, swaps=40)
        deadline = T0 + frac * a.budget - 25
        res = train_from_base(HERE / "base", data, out / name, cfg, device=a.device, deadline=deadline, seed=int(os.environ.get("SEED", "13")),
                              log=log, save_word_embeddings=False, soft=name.startswith("l12"), **extra)
        log(f"{name} done: " + json.dumps({d: round(m["macro_f1_pn"], 4) for d, m in res["validation"].items()}))
    except Exception:
        log(f"{name} FAILED\n{traceback.format_exc()}")
log("all done")
