"""Device run 2: distil the fast numpy model from the teacher's soft labels (navec carried along)."""
import argparse
import gzip
import os
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
os.environ["MOLVA_NAVEC_PATH"] = str(HERE / "navec.tar")
import classifier  # noqa: E402

classifier.__path__.insert(0, str(HERE / "src" / "classifier"))
from classifier.distill import distil_fast  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument("--out", default=os.environ.get("OUT", "/tmp/out"))
p.add_argument("--tiny", action="store_true")
p.add_argument("--epochs", type=int, default=6)
p.add_argument("--budget", type=float, default=170.0)
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
    distil_fast(data, [HERE / "soft" / "run1", HERE / "soft" / "run2"], out / "fast", epochs=a.epochs, alpha=float(os.environ.get("ALPHA", "0.7")),
                limit=300 if a.tiny else None, deadline=T0 + a.budget - 25, log=log)
except Exception:
    log("FAILED\n" + traceback.format_exc())
log("all done")
