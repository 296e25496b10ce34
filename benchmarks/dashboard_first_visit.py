"""The dashboard's first visit after the server starts: ``streamlit run`` (imports on the first visit) against
``molva dashboard`` (imports when the server starts), on the same database, in the same run.

For each launcher: start the server on a free port and wait for ``/_stcore/health``; then open a session the way
the browser does (a WebSocket on ``/_stcore/stream`` speaking Streamlit's protobuf messages), ask for a page and
time until its script run finishes. Reported per page: wall seconds and the server's CPU seconds
(``/proc/<pid>/stat``); the first page is the first visit of all, the next ones are other pages' first visits
(imports done, their data still cold). Also the server's start: seconds until healthy and its CPU seconds.

    python benchmarks/dashboard_first_visit.py --db /tmp/bench1m.db
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGES = ("", "competitors", "explorer", "sources")  # "" is the default page (overview)
TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its waited-for children."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(fields[i]) for i in (11, 12, 13, 14)) / TICKS


def launch(kind: str, port: int, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    flags = ["--server.address", "127.0.0.1", "--server.port", str(port)]
    if kind == "streamlit run":
        argv = [sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboard" / "app.py"), *flags,
                "--server.headless", "true", "--browser.gatherUsageStats", "false"]
    else:
        argv = [sys.executable, "-m", "molva", "dashboard", "--host", "127.0.0.1", "--port", str(port)]
    return subprocess.Popen(argv, env=env, cwd=tempfile.gettempdir(), stdout=log.open("w"), stderr=subprocess.STDOUT)


def wait_healthy(url: str, process: subprocess.Popen[bytes], timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited ({process.returncode})")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError("the server did not become healthy")


async def visit(port: int, page: str, timeout: float = 300) -> float:
    """Seconds from asking for ``page`` until its script run finished successfully."""
    import websockets
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    async with websockets.connect(f"ws://127.0.0.1:{port}/_stcore/stream", subprotocols=["streamlit"],
                                  max_size=None, open_timeout=60) as ws:
        message = BackMsg()
        message.rerun_script.query_string = ""
        message.rerun_script.page_script_hash = ""
        message.rerun_script.page_name = page
        started = time.perf_counter()
        await ws.send(message.SerializeToString())
        while True:
            raw = await asyncio.wait_for(ws.recv(), timeout)
            forward = ForwardMsg()
            forward.ParseFromString(raw if isinstance(raw, bytes) else raw.encode())
            if forward.WhichOneof("type") == "script_finished":
                if forward.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY:
                    return time.perf_counter() - started
                if forward.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                    raise RuntimeError(f"page {page!r} failed to compile")


def measure(kind: str, url: str) -> dict[str, tuple[float, float]]:
    port = free_port()
    env = {**os.environ, "MOLVA_DATABASE_URL": url, "MOLVA_DASHBOARD__HOST": "127.0.0.1"}
    env.pop("MOLVA_CONFIG", None)
    log = Path(tempfile.gettempdir()) / f"molva-first-visit-{port}.log"
    started = time.perf_counter()
    process = launch(kind, port, env, log)
    try:
        wait_healthy(f"http://127.0.0.1:{port}", process)
        result = {"start": (time.perf_counter() - started, cpu_seconds(process.pid))}
        for page in PAGES:
            before = cpu_seconds(process.pid)
            wall = asyncio.run(visit(port, page))
            time.sleep(0.2)  # let the server finish sending
            result[page or "overview"] = (wall, cpu_seconds(process.pid) - before)
        return result
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=Path("/tmp/bench1m.db"))
    parser.add_argument("--url", default=None, help="a database URL instead of --db")
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    url = args.url or f"sqlite:///{args.db.resolve()}"
    print(f"load average before: {os.getloadavg()[0]:.1f}", flush=True)
    for repeat in range(args.repeats):
        for kind in ("streamlit run", "molva dashboard"):
            result = measure(kind, url)
            cells = ", ".join(f"{name} {wall:.2f} s wall / {cpu:.2f} CPU-s" for name, (wall, cpu) in result.items())
            print(f"[{repeat + 1}] {kind}: {cells}", flush=True)
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
