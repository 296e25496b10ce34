"""`molva analyze --workers N`: the same rows in the same order as one process, bad lines numbered as in the file."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

TEXTS = ["Сбербанк опять не работает, ужасный сервис", "спасибо МТС за быстрый ответ в чате",
         "ушёл из Билайна в Tele2, пока доволен", "ВТБ заблокировал карту без причины, верните деньги!",
         "кто-нибудь знает, Тинькофф работает в праздники?", "МегаФон поднял тарифы, ну такое"]


def _lines() -> list[str]:
    lines = []
    for i in range(40):
        lines.append(json.dumps({"id": i, "text": TEXTS[i % len(TEXTS)] + f" #{i}"}, ensure_ascii=False))
        if i == 9:
            lines.append("{not json")
        if i == 20:
            lines.append("")  # blank: no row
    return lines


def _run(tmp_path: Path, name: str, *extra: str) -> tuple[int, list[dict[str, object]], str]:
    """`molva analyze` in its own process: spawned workers import the parent's ``__main__``, which in a test
    runner can be anything (a Streamlit AppTest script, for one), never what a user's ``molva`` runs."""
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(_lines()) + "\n", encoding="utf-8")
    out = tmp_path / name
    result = subprocess.run([sys.executable, "-m", "molva", "analyze", str(src), "-o", str(out), "--model", "fast",
                             "--batch-size", "7", *extra], capture_output=True, text=True, timeout=600,
                            env=dict(os.environ, HF_HUB_OFFLINE="1"))
    rows = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()] if out.exists() else []
    return result.returncode, rows, result.stderr


def _labels(rows: list[dict[str, object]]) -> list[object]:
    return [(r.get("id"), r.get("label"), r.get("intent"), r.get("urgent"), r.get("error"), r.get("line"),
             [(b["brand"], b["label"], b["intent"], b["aspects"]) for b in r.get("brands", [])])  # type: ignore[attr-defined]
            for r in rows]


def test_workers_give_the_rows_of_one_process_in_order(tmp_path: Path) -> None:
    code_one, one, _ = _run(tmp_path, "one.jsonl")
    code_two, two, output = _run(tmp_path, "two.jsonl", "--workers", "2")
    assert code_one == code_two == 1  # one malformed line: exit 1, as without workers
    assert len(two) == 41 and [r.get("id") for r in two if "error" not in r] == list(range(40))
    assert _labels(two) == _labels(one)  # scores agree to float32 precision: chunks fill the token cache otherwise
    (bad,) = [r for r in two if "error" in r]
    assert bad["line"] == 11 and "line 11: malformed JSON" in output and "41 rows, 1 skipped" in output


def test_a_model_that_cannot_load_is_one_line(tmp_path: Path) -> None:
    code, rows, output = _run(tmp_path, "bad.jsonl", "--workers", "2", "--model", str(tmp_path / "in.jsonl"))
    assert code != 0 and rows == [] and "Traceback" not in output
    assert "could not load" in output and "not a model directory" in output


def _workers_of(pid: int) -> list[int]:
    """The pool's worker processes among ``pid``'s children (not multiprocessing's resource tracker)."""
    out = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            for child in (task / "children").read_text().split():
                if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes():
                    out.append(int(child))
        except OSError:  # a thread or child that has just exited
            continue
    return out


@pytest.mark.skipif(not Path(f"/proc/self/task/{os.getpid()}/children").exists(),
                    reason="needs Linux /proc/PID/task/TID/children to find the worker processes")
def test_a_killed_worker_ends_the_run_with_one_line_and_complete_rows(tmp_path: Path) -> None:
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text("".join(json.dumps({"id": i, "text": TEXTS[i % len(TEXTS)] + f" #{i}"}, ensure_ascii=False) + "\n"
                           for i in range(60_000)), encoding="utf-8")
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    proc = subprocess.Popen([sys.executable, "-m", "molva", "analyze", str(src), "-o", str(out), "--model", "fast",
                             "--workers", "2", "--batch-size", "50"], stderr=subprocess.PIPE, text=True, env=env)
    try:
        workers: list[int] = []
        while proc.poll() is None and not (workers and out.exists() and out.stat().st_size > 20_000):
            workers = _workers_of(proc.pid)  # wait for a condition: both running, and rows written
            time.sleep(0.05)
        assert proc.poll() is None and workers, "the run ended before a worker could be killed"
        os.kill(workers[0], signal.SIGKILL)
        _, err = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 1 and "Traceback" not in err
    assert [x for x in err.splitlines() if x.startswith("molva: error:")] == [
        "molva: error: an analysis worker stopped (killed, out of memory, or the model failed to load); "
        "the rows written so far are complete"]
    rows = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert 0 < len(rows) < 60_000 and [r["id"] for r in rows] == list(range(len(rows)))  # complete rows, in order
