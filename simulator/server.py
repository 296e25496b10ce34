"""The simulator's HTTP server (standard library ``ThreadingHTTPServer``), bound to 127.0.0.1.

    with SimServer(build_world(seed=1)) as sim:
        httpx.get(sim.base_url + "/s/bankinform")

Routes (real services' paths): ``/s/<channel>``, ``/method/<name>``, RSS/Atom feed paths, ``/news/...``,
``/services/responses/bank/<slug>/``, ``/services/responses/bank/response/<id>/``,
``/api/v1/timelines/tag/<tag>``, ``/api/v1/statuses/<id>[/context]``, ``/robots.txt``,
``/__sim__/truth.json``, ``/_truth.json``, ``/__sim__/health``, ``POST /__sim__/faults``.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections import deque
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from simulator import api, pages
from simulator.faults import Faults, change_markup
from simulator.model import FEEDS
from simulator.world import World

ROBOTS = "User-agent: *\nDisallow: /profile/\nDisallow: /search/\nAllow: /\n"
MAX_WORLD_WAIT = 5.0


class Response:
    def __init__(self, status: int, body: bytes | str, ctype: str, headers: dict[str, str] | None = None) -> None:
        self.status = status
        self.body = body.encode("utf-8") if isinstance(body, str) else body
        self.ctype = ctype
        self.headers = headers or {}


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(status, json.dumps(data, ensure_ascii=False), "application/json; charset=utf-8", headers)


HTML = "text/html; charset=utf-8"


class SimServer:
    """Serves a :class:`World` over HTTP in a background thread; a context manager for tests.

    ``faults``: a :class:`Faults` or a spec string (see ``simulator.faults``). ``vk_token``: the only
    accepted VK access token (``None``: any non-empty token). ``vk_rps``: VK requests per second per
    token before error 6 (0: no limit). ``live``: the clock runs from ``world.end`` in real time and the
    world publishes new posts (``world.live_interval``); otherwise the clock stays at ``world.end``.
    """

    def __init__(self, world: World, host: str = "127.0.0.1", port: int = 0, faults: Faults | str | None = None,
                 vk_token: str | None = None, vk_rps: float = 3.0, live: bool = False) -> None:
        self.world = world
        self.vk_token = vk_token
        self.vk_rps = vk_rps
        self.live = live
        self.set_faults(faults)
        self._vk_calls: dict[str, deque[float]] = {}
        self._vk_lock = threading.Lock()
        self._t0 = time.monotonic()
        self.httpd = ThreadingHTTPServer((host, port), _make_handler(self))
        self.httpd.daemon_threads = True
        self._thread: threading.Thread | None = None
        self.requests = 0

    # --- lifecycle ----------------------------------------------------------------------------------
    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    @property
    def base_url(self) -> str:
        host = self.httpd.server_address[0]
        return f"http://{host.decode() if isinstance(host, bytes) else host}:{self.port}"

    def start(self) -> SimServer:
        self._t0 = time.monotonic()
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="molva-sim", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._t0 = time.monotonic()
        self.httpd.serve_forever()

    def stop(self) -> None:
        if self._thread is not None:
            self.httpd.shutdown()
            self._thread.join(timeout=10)
            self._thread = None
        self.httpd.server_close()

    def __enter__(self) -> SimServer:
        return self.start()

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    # --- state --------------------------------------------------------------------------------------
    def set_faults(self, faults: Faults | str | None) -> None:
        """Replace the fault settings (``None``/``""``: no faults), also while serving."""
        if isinstance(faults, Faults):
            self.faults = faults if faults.seed else faults.with_seed(self.world.seed)
        else:
            self.faults = Faults.parse(faults, seed=self.world.seed)

    def now(self) -> datetime:
        if not self.live:
            return self.world.end
        return self.world.end + timedelta(seconds=time.monotonic() - self._t0)

    def truth(self) -> dict[str, Any]:
        return self.world.truth(self.base_url, self._advance())

    def _advance(self) -> datetime:
        now = self.now()
        self.world.advance(now)
        return now

    def _vk_limited(self, token: str) -> bool:
        if self.vk_rps <= 0:
            return False
        t = time.monotonic()
        with self._vk_lock:
            calls = self._vk_calls.setdefault(token, deque())
            while calls and t - calls[0] >= 1.0:
                calls.popleft()
            if len(calls) >= self.vk_rps:
                return True
            calls.append(t)
            return False

    # --- routing ------------------------------------------------------------------------------------
    def handle(self, method: str, raw_path: str, headers: dict[str, str], body: bytes) -> Response:
        parts = urlsplit(raw_path)
        path = unquote(parts.path)
        params = dict(parse_qsl(parts.query, keep_blank_values=True))
        if method == "POST" and path == "/__sim__/faults":
            return self._post_faults(body)
        if path == "/__sim__/health":
            return json_response({"status": "ok", "seed": self.world.seed, "live": self.live,
                                  "now": self.now().isoformat(), "posts": len(self.world.visible(self._advance())),
                                  "requests": self.requests, "faults": self.faults.rates})
        if path == "/__sim__/truth.json":
            return json_response(self.truth())
        if path == "/_truth.json":
            return json_response(self.world.issue_truth(self.base_url, self._advance()))
        if path == "/robots.txt":
            return Response(200, ROBOTS, "text/plain; charset=utf-8")
        now = self._advance()
        posts = self.world.visible(now)
        base = self.base_url
        if m := re.fullmatch(r"/s/([A-Za-z0-9_]+)/?", path):
            before = params.get("before", "")
            html = pages.telegram_page(self.world, posts, m.group(1), int(before) if before.isdigit() else None, base)
            return Response(200, html, HTML) if html is not None else Response(404, "<h1>Not found</h1>", HTML)
        if (m := re.fullmatch(r"/([A-Za-z0-9_]+)/(\d+)/?", path)) and params.get("embed") == "1":
            return Response(200, pages.telegram_embed(self.world, posts, m.group(1), int(m.group(2)), base), HTML)
        if m := re.fullmatch(r"/method/([A-Za-z]+\.[A-Za-z]+)", path):
            return self._vk(m.group(1), params, posts, now)
        if path in FEEDS:
            return self._feed(path, headers, posts, base)
        if m := re.fullmatch(r"/services/responses/bank/response/(\d+)/?", path):
            review = next((p for p in posts if p.sub == "review" and p.local_id == int(m.group(1))), None)
            if review is None:
                return self._cp1251(404, pages._review_head("Не найдено") + "<h1>Отзыв не найден</h1></div></body></html>")
            return self._cp1251(200, pages.review_page(self.world, review, now))
        if m := re.fullmatch(r"/services/responses/bank/([a-z0-9_\-]+)/?", path):
            page = params.get("page", "1")
            status, html = pages.reviews_list(self.world, posts, m.group(1), int(page) if page.isdigit() else 0, now)
            return self._cp1251(status, html)
        if path.rstrip("/") == "/services/questions-answers":
            question, page = params.get("questionId", ""), params.get("p", "1")
            status, html = pages.qa_page(self.world, posts, params.get("id", ""), int(page) if page.isdigit() else 0,
                                         now, int(question) if question.isdigit() else None)
            return self._cp1251(status, html)
        if m := re.fullmatch(r"/api/v1/timelines/tag/([^/]+)", path):
            statuses, link = api.tag_timeline(posts, m.group(1), params, base, now)
            return json_response(statuses, headers={"Link": link} if link else None)
        if m := re.fullmatch(r"/api/v1/statuses/(\d+)/context", path):
            ctx = api.context(posts, m.group(1), base, now)
            return json_response(ctx) if ctx is not None else json_response({"error": "Record not found"}, 404)
        if m := re.fullmatch(r"/api/v1/statuses/(\d+)", path):
            post, is_reply = api.find_status(posts, m.group(1), now)
            if post is None:
                return json_response({"error": "Record not found"}, 404)
            return json_response(api.reply_json(post, base) if is_reply else api.status_json(post, base, now))
        if m := re.fullmatch(r"/news/[a-z0-9\-]+/\d+/?", path):
            art = next((p for p in posts if p.kind == "rss" and p.meta["path"].rstrip("/") == path.rstrip("/")), None)
            if art is not None:
                return Response(200, pages.article_page(art), HTML)
        return self._plugin_kinds(path, params, now) or Response(404, "<h1>Not found</h1>", HTML)

    def _plugin_kinds(self, path: str, params: dict[str, str], now: datetime) -> Response | None:
        """Source kinds from plugins bring their simulator counterpart (``SourceKind.simulator``): a function
        ``(world, path, params, now, base_url) -> (status, body, content type) | None``."""
        from molva import sources

        for kind in sources.kinds().values():
            handler = kind.simulator_handler()
            answer = handler(self.world, path, params, now, self.base_url) if handler is not None else None
            if answer is not None:
                status, body, ctype = answer
                return Response(status, body, ctype)
        return None

    def _cp1251(self, status: int, html: str) -> Response:
        return Response(status, html.encode("cp1251", errors="xmlcharrefreplace"), "text/html; charset=windows-1251")

    def _vk(self, name: str, params: dict[str, str], posts: list[Any], now: datetime) -> Response:
        token = params.get("access_token", "")
        if not token:
            return json_response(api.vk_error(5, "User authorization failed: no access_token passed.", params, name))
        if self.vk_token is not None and token != self.vk_token:
            return json_response(api.vk_error(5, "User authorization failed: invalid access_token (4).", params, name))
        if not params.get("v"):
            return json_response(api.vk_error(8, "Invalid request: v (version) is required", params, name))
        if self._vk_limited(token):
            return json_response(api.vk_error(6, "Too many requests per second", params, name))
        return json_response(api.vk_method(self.world, posts, name, params, now))

    def _feed(self, path: str, headers: dict[str, str], posts: list[Any], base: str) -> Response:
        result = pages.feed(self.world, posts, path, base)
        assert result is not None
        body, ctype, updated = result
        etag = '"' + hashlib.sha1(body.encode("utf-8")).hexdigest()[:20] + '"'
        last_mod = format_datetime(updated.astimezone(UTC), usegmt=True)
        cache = {"ETag": etag, "Last-Modified": last_mod}
        inm = headers.get("if-none-match")
        if inm is not None:
            if etag in [t.strip() for t in inm.split(",")] or inm.strip() == "*":
                return Response(304, b"", ctype, cache)
        elif (ims := headers.get("if-modified-since")) is not None:
            try:
                since = parsedate_to_datetime(ims)
                if since.tzinfo is not None and updated.replace(microsecond=0) <= since:
                    return Response(304, b"", ctype, cache)
            except (TypeError, ValueError):
                pass
        return Response(200, body, ctype, cache)

    def _post_faults(self, body: bytes) -> Response:
        try:
            data = json.loads(body or b"{}")
            spec = data.get("faults") if isinstance(data, dict) else None
            self.set_faults(spec)
        except Exception as exc:  # the answer names the problem; the server keeps running
            return json_response({"error": str(exc)}, 400)
        return json_response({"faults": self.faults.rates})


def _make_handler(sim: SimServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "nginx"
        sys_version = ""

        def log_message(self, format: str, *args: Any) -> None:  # quiet by default
            return

        def date_time_string(self, timestamp: float | None = None) -> str:
            """The ``Date`` header tells the simulated clock (crawlers date what they first saw by it)."""
            return format_datetime(sim.now().astimezone(UTC), usegmt=True)

        def do_GET(self) -> None:
            self._serve("GET")

        def do_HEAD(self) -> None:
            self._serve("HEAD")

        def do_POST(self) -> None:
            self._serve("POST")

        def _serve(self, method: str) -> None:
            sim.requests += 1
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            hdrs = {k.lower(): v for k, v in self.headers.items()}
            try:
                resp = sim.handle(method, self.path, hdrs, body)
            except Exception as exc:  # a simulator bug must show, not hang the client
                resp = Response(500, f"simulator error: {exc!r}", "text/plain; charset=utf-8")
            fault = None if self.path.startswith(("/__sim__", "/_truth", "/robots.txt")) or method == "POST" \
                else sim.faults.draw(self.path)
            self._send(resp, fault, method)

        def _send(self, resp: Response, fault: str | None, method: str) -> None:
            body = resp.body
            if fault == "429":
                if self.path.startswith("/method/"):  # VK never answers 429: it sends error 6 in a 200
                    resp = json_response(api.vk_error(6, "Too many requests per second", {}, self.path[8:].split("?")[0]))
                else:
                    resp = Response(429, "Too Many Requests", "text/plain; charset=utf-8",
                                    {"Retry-After": str(sim.faults.retry_after)})
                body = resp.body
            elif fault == "5xx":
                status = 502 if len(self.path) % 2 else 503
                resp = Response(status, f"<html><body><h1>{status} Bad Gateway</h1></body></html>", HTML)
                body = resp.body
            elif fault == "timeout":
                time.sleep(sim.faults.slow_seconds)
            elif fault == "malformed" and resp.status == 200 and body:
                body = body[: max(1, len(body) // 2)]
            elif fault == "markup" and resp.status == 200 and resp.ctype.startswith("text/html"):
                charset = "cp1251" if "1251" in resp.ctype else "utf-8"
                body = change_markup(body.decode(charset)).encode(charset, errors="xmlcharrefreplace")
            self.send_response(resp.status)
            self.send_header("Content-Type", resp.ctype)
            self.send_header("Content-Length", str(len(resp.body if fault == "truncated" else body)))
            for k, v in resp.headers.items():
                self.send_header(k, v)
            self.send_header("Connection", "close")
            self.end_headers()
            if method == "HEAD" or resp.status == 304:
                return
            if fault == "truncated" and len(body) > 1:
                self.wfile.write(body[: len(body) // 3])
                self.wfile.flush()
                self.close_connection = True
                return
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

    return Handler
