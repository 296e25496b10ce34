"""A small Chrome DevTools Protocol driver for Debian's headless chromium (no Selenium, no Playwright download).

It waits for real conditions in the live page (Streamlit draws over its websocket after the HTML has loaded,
so a page is "ready" when its own content is in the DOM and the app is no longer running), clicks with real
mouse events and saves PNG screenshots.
"""

from __future__ import annotations

import base64
import itertools
import json
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

from websockets.sync.client import connect


class BrowserError(RuntimeError):
    pass


class Browser:
    def __init__(self, binary: str, profile: Path, width: int = 1440, height: int = 2200) -> None:
        profile.mkdir(parents=True, exist_ok=True)
        self.width, self.height = width, height
        self.process = subprocess.Popen(
            [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
             "--remote-debugging-port=0", f"--user-data-dir={profile}", f"--window-size={width},{height}",
             "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        while not port_file.exists() or not port_file.read_text().strip():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise BrowserError("chromium did not open its DevTools port")
            time.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as response:
            targets = json.loads(response.read())
        page = next(t for t in targets if t.get("type") == "page")
        self.socket = connect(page["webSocketDebuggerUrl"], max_size=None, open_timeout=30).__enter__()
        self.ids = itertools.count(1)
        self.call("Page.enable")
        self.call("Runtime.enable")
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1,
                  mobile=False)

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        ident = next(self.ids)
        self.socket.send(json.dumps({"id": ident, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv(timeout=120))
            if message.get("id") == ident:
                if "error" in message:
                    raise BrowserError(f"{method}: {message['error']}")
                result: dict[str, Any] = message.get("result", {})
                return result

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise BrowserError(f"script failed: {result['exceptionDetails']}")
        return result.get("result", {}).get("value")

    def goto(self, url: str) -> None:
        self.call("Page.navigate", url=url)

    def wait_for(self, expression: str, what: str, timeout: float = 120.0) -> Any:
        """Poll ``expression`` until it is truthy (the machine is loaded: generous limits, no fixed sleeps)."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise BrowserError(f"timed out waiting for {what}; page text: {self.text()[:600]!r}")
            time.sleep(0.25)

    def text(self) -> str:
        return str(self.evaluate("document.body ? document.body.innerText : ''") or "")

    def settle(self, timeout: float = 120.0) -> None:
        """Until Streamlit has finished the run: no running indicator, no skeleton, text unchanged for 1 s."""
        idle = ("!document.querySelector('[data-testid=\"stStatusWidget\"]')"
                " && !document.querySelector('[data-testid=\"stSkeleton\"]')"
                " && !!document.querySelector('[data-testid=\"stMain\"] h1')")
        deadline = time.monotonic() + timeout
        previous, stable_since = None, time.monotonic()
        while True:
            ready = bool(self.evaluate(idle))
            current = self.text()
            if current != previous or not ready:
                previous, stable_since = current, time.monotonic()
            elif time.monotonic() - stable_since >= 1.0:
                return
            if time.monotonic() > deadline:
                raise BrowserError(f"the page did not settle; text: {current[:600]!r}")
            time.sleep(0.25)

    def rect(self, selector: str, index: int = 0) -> dict[str, float]:
        value = self.evaluate(
            f"(() => {{ const e = document.querySelectorAll({json.dumps(selector)})[{index}];"
            " if (!e) return null; e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect();"
            " return {x: r.left, y: r.top, width: r.width, height: r.height}; })()"
        )
        if not value:
            raise BrowserError(f"no element {selector!r} #{index}")
        return dict(value)

    def click_at(self, x: float, y: float) -> None:
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)

    def click(self, selector: str, index: int = 0) -> None:
        box = self.rect(selector, index)
        self.click_at(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)

    def click_text(self, selector: str, text: str) -> None:
        """Click the first ``selector`` element whose text contains ``text``."""
        index = self.evaluate(
            f"Array.from(document.querySelectorAll({json.dumps(selector)}))"
            f".findIndex(e => e.innerText.includes({json.dumps(text)}))"
        )
        if index is None or index < 0:
            raise BrowserError(f"no {selector!r} with text {text!r}")
        self.click(selector, int(index))

    def screenshot(self, path: Path) -> Path:
        data = self.call("Page.captureScreenshot", format="png")["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        return path

    def close(self) -> None:
        socket = getattr(self, "socket", None)
        if socket is not None:
            socket.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def print_pdf(browser: Browser, path: Path) -> Path:
    """The current page printed to PDF (A4, backgrounds), as a manager would from the browser."""
    data = browser.call("Page.printToPDF", printBackground=True, paperWidth=8.27, paperHeight=11.69)["data"]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(base64.b64decode(data))
    return path
