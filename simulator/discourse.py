"""A fake Discourse that follows the documented API closely enough to test Molva's adapter.

    with FakeDiscourse(api_key="k", api_username="molva") as forum:
        ...  # point MOLVA_DISCOURSE_URL at forum.url

Routes: ``POST /posts.json`` (new topic with ``title``, ``raw``, ``category``, ``external_id``, or a reply
with ``topic_id``; JSON or form body), ``GET /t/external_id/{id}.json`` (301 to the topic),
``GET /t/{slug}/{id}.json``, ``GET /t/{id}.json`` (as Discourse: ``closed``, ``archived``, the first
``POST_CHUNK`` posts with their ``cooked`` HTML but no ``raw``, and every post id in ``post_stream.stream``),
``GET /t/{id}/posts.json?post_ids[]=…`` (the rest of the posts), ``GET /latest.json``. ``Api-Key`` / ``Api-Username``
headers are required (403 ``invalid_access`` otherwise). Validation errors are 422
``{"action": "create_post", "errors": [...]}`` (blank or short title, short body, title already used,
external id already taken). Rate limiting is 429 with ``Retry-After`` and ``extras.wait_seconds``.

Faults for tests: ``inject(503, 429, "timeout", "slow-create")`` queues outcomes for the next POSTs
(``"slow-create"`` creates the topic, then answers only after ``slow_seconds``: the client times out
although the topic exists); ``fail_rate`` answers that share of POSTs with 500 (seeded); ``delay`` slows
every answer; ``delay_after_create`` holds every successful POST's answer after the topic exists
(the window in which a killed client has created a topic it has not recorded). Runs on 127.0.0.1, port 0, in a background thread.
"""

from __future__ import annotations

import html
import json
import random
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

MIN_TITLE = 15
MIN_BODY = 20
POST_CHUNK = 20  # posts in a topic's JSON; Discourse loads the others by id


@dataclass
class FakeTopic:
    id: int
    title: str
    slug: str
    category_id: int | None
    external_id: str | None
    created_at: str
    posts: list[dict[str, Any]] = field(default_factory=list)
    closed: bool = False
    archived: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "fancy_title": self.title,
            "slug": self.slug,
            "posts_count": len(self.posts),
            "created_at": self.created_at,
            "category_id": self.category_id,
            "external_id": self.external_id,
            "archetype": "regular",
            "closed": self.closed,
            "archived": self.archived,
            "post_stream": {
                "posts": [_public(p) for p in self.posts[:POST_CHUNK]],
                "stream": [p["id"] for p in self.posts],
            },
        }


def _public(post: dict[str, Any]) -> dict[str, Any]:
    """A post as a topic's JSON shows it: ``cooked`` HTML, no ``raw``."""
    return {k: v for k, v in post.items() if k != "raw"}


def cook(raw: str) -> str:
    """Enough of Discourse's markdown for tests: HTML-escaped text, ``<url>`` autolinks as anchors."""
    out: list[str] = []
    position = 0
    for match in re.finditer(r"<(https?://[^\s<>]+)>", raw):
        out.append(html.escape(raw[position:match.start()], quote=False))
        url = html.escape(match.group(1))
        out.append(f'<a href="{url}">{url}</a>')
        position = match.end()
    out.append(html.escape(raw[position:], quote=False))
    return "<p>" + "".join(out) + "</p>"


def slugify(title: str) -> str:
    slug = re.sub(r"[^0-9a-z]+", "-", title.lower()).strip("-")
    return slug[:60] or "topic"


class FakeDiscourse:
    def __init__(
        self,
        api_key: str = "test-key",
        api_username: str = "molva",
        *,
        delay: float = 0.0,
        fail_rate: float = 0.0,
        seed: int = 0,
        slow_seconds: float = 3.0,
        rate_limit: int = 0,
        rate_window: float = 60.0,
        wait_seconds: int = 2,
        delay_after_create: float = 0.0,
    ) -> None:
        self.api_key = api_key
        self.api_username = api_username
        self.delay = delay
        self.fail_rate = fail_rate
        self.slow_seconds = slow_seconds
        self.rate_limit = rate_limit
        self.rate_window = rate_window
        self.wait_seconds = wait_seconds
        self.delay_after_create = delay_after_create
        self.topics: dict[int, FakeTopic] = {}
        self.requests: list[tuple[str, str]] = []  # (method, path) as received
        self._faults: deque[int | str] = deque()
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._next_post = 1
        self._posts_at: deque[float] = deque()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ----------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("FakeDiscourse is not running")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FakeDiscourse:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-discourse", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeDiscourse:
        return self.start()

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # --- test helpers -------------------------------------------------------------------------------
    def inject(self, *outcomes: int | str) -> None:
        """Queue outcomes for the next POSTs: an HTTP status (500, 503, 429...), ``"timeout"`` (answer
        after ``slow_seconds`` without creating) or ``"slow-create"`` (create, then answer late)."""
        with self._lock:
            self._faults.extend(outcomes)

    def by_external_id(self) -> dict[str, list[FakeTopic]]:
        out: dict[str, list[FakeTopic]] = {}
        for topic in self.topics.values():
            if topic.external_id:
                out.setdefault(topic.external_id, []).append(topic)
        return out

    def close(self, topic_id: int, *, archived: bool = False) -> None:
        """Close (or archive) a topic, as a moderator would."""
        with self._lock:
            topic = self.topics[topic_id]
            topic.closed = topic.closed or not archived
            topic.archived = topic.archived or archived

    def count(self, method: str, prefix: str) -> int:
        return sum(1 for m, p in list(self.requests) if m == method and p.startswith(prefix))

    # --- request handling ---------------------------------------------------------------------------
    def handle(
        self, method: str, raw_path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, Any, dict[str, str]]:
        if self.delay:
            time.sleep(self.delay)
        path = urlsplit(raw_path).path
        if headers.get("api-key") != self.api_key or headers.get("api-username") != self.api_username:
            return (
                403,
                {
                    "errors": [
                        "You are not permitted to view the requested resource. The API username or key is invalid."
                    ],
                    "error_type": "invalid_access",
                },
                {},
            )
        if method == "POST" and path == "/posts.json":
            return self._post(headers, body)
        if method == "GET":
            return self._get(path, urlsplit(raw_path).query)
        return 404, _not_found(), {}

    def _get(self, path: str, query: str = "") -> tuple[int, Any, dict[str, str]]:
        match = re.fullmatch(r"/t/(\d+)/posts(\.json)?", path)
        if match:
            wanted = {int(v) for k, v in parse_qsl(query) if k in ("post_ids[]", "post_ids") and v.isdigit()}
            with self._lock:
                topic = self.topics.get(int(match.group(1)))
                posts = [_public(p) for p in topic.posts if p["id"] in wanted] if topic else []
            if topic is None:
                return 404, _not_found(), {}
            return 200, {"post_stream": {"posts": posts}, "id": topic.id}, {}
        if path == "/latest.json":
            with self._lock:
                topics = [t.as_json() for t in self.topics.values()]
            return 200, {"topic_list": {"topics": topics}}, {}
        match = re.fullmatch(r"/t/external_id/(.+?)(\.json)?", path)
        if match:
            external_id = unquote(match.group(1))
            with self._lock:
                found = next((t for t in self.topics.values() if t.external_id == external_id), None)
            if found is None:
                return 404, _not_found(), {}
            return 301, {}, {"Location": f"/t/{found.slug}/{found.id}.json"}
        match = re.fullmatch(r"/t/(?:[^/]+/)?(\d+)(\.json)?", path)
        if match:
            with self._lock:
                topic = self.topics.get(int(match.group(1)))
            return (200, topic.as_json(), {}) if topic else (404, _not_found(), {})
        return 404, _not_found(), {}

    def _rate_limited(self) -> bool:
        if not self.rate_limit:
            return False
        now = time.monotonic()
        while self._posts_at and now - self._posts_at[0] > self.rate_window:
            self._posts_at.popleft()
        if len(self._posts_at) >= self.rate_limit:
            return True
        self._posts_at.append(now)
        return False

    def _post(self, headers: dict[str, str], body: bytes) -> tuple[int, Any, dict[str, str]]:
        data = _parse_body(headers.get("content-type", ""), body)
        with self._lock:
            fault = self._faults.popleft() if self._faults else None
            if fault is None and self.fail_rate and self._rng.random() < self.fail_rate:
                fault = 500
            if fault is None and self._rate_limited():
                fault = 429
        if fault == 429:
            wait = self.wait_seconds
            return (
                429,
                {
                    "errors": [
                        "You’ve performed this action too many times. Please wait a few seconds before trying again."
                    ],
                    "error_type": "rate_limit",
                    "extras": {"wait_seconds": wait, "time_left": f"{wait} seconds"},
                },
                {"Retry-After": str(wait)},
            )
        if fault == "timeout":
            time.sleep(self.slow_seconds)
            return 504, {"errors": ["gateway timeout"]}, {}
        if isinstance(fault, int):
            return fault, {"errors": [f"injected {fault}"]}, {}
        status, answer = self._create(data)
        if fault == "slow-create":
            time.sleep(self.slow_seconds)
        elif status == 200 and self.delay_after_create:
            time.sleep(self.delay_after_create)
        return status, answer, {}

    def _create(self, data: dict[str, Any]) -> tuple[int, Any]:
        raw = str(data.get("raw") or "")
        title = str(data.get("title") or "").strip()
        external_id = str(data["external_id"]) if data.get("external_id") else None
        with self._lock:
            if data.get("topic_id"):
                topic = self.topics.get(int(str(data["topic_id"])))
                if topic is None:
                    return 404, _not_found()
                if len(raw.strip()) < MIN_BODY:
                    return 422, _invalid([f"Body is too short (minimum is {MIN_BODY} characters)"])
                return 200, self._add_post(topic, raw)
            errors = []
            if not title:
                errors.append("Title can't be blank")
            elif len(title) < MIN_TITLE:
                errors.append(f"Title is too short (minimum is {MIN_TITLE} characters)")
            if len(raw.strip()) < MIN_BODY:
                errors.append(f"Body is too short (minimum is {MIN_BODY} characters)")
            if title and any(t.title.lower() == title.lower() for t in self.topics.values()):
                errors.append("Title has already been used")
            if external_id and any(t.external_id == external_id for t in self.topics.values()):
                errors.append("External ID has already been taken")
            if errors:
                return 422, _invalid(errors)
            topic_id = len(self.topics) + 1
            category = data.get("category")
            topic = FakeTopic(
                id=topic_id,
                title=title,
                slug=slugify(title) if re.search(r"[a-z0-9]", title.lower()) else f"topic-{topic_id}",
                category_id=int(str(category)) if str(category or "").isdigit() else None,
                external_id=external_id,
                created_at=_now(),
            )
            self.topics[topic_id] = topic
            return 200, self._add_post(topic, raw)

    def _add_post(self, topic: FakeTopic, raw: str) -> dict[str, Any]:
        post = {
            "id": self._next_post,
            "username": self.api_username,
            "created_at": _now(),
            "raw": raw,
            "cooked": cook(raw),
            "post_number": len(topic.posts) + 1,
            "post_type": 1,
            "topic_id": topic.id,
            "topic_slug": topic.slug,
            "yours": True,
        }
        self._next_post += 1
        topic.posts.append(post)
        return post


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def _not_found() -> dict[str, Any]:
    return {"errors": ["The requested URL or resource could not be found."], "error_type": "not_found"}


def _invalid(errors: list[str]) -> dict[str, Any]:
    return {"action": "create_post", "errors": errors}


def _parse_body(content_type: str, body: bytes) -> dict[str, Any]:
    text = body.decode("utf-8", errors="replace")
    if "json" in content_type:
        try:
            data = json.loads(text or "{}")
        except json.JSONDecodeError:
            return {}
        return data if isinstance(data, dict) else {}
    return dict(parse_qsl(text))


def _make_handler(forum: FakeDiscourse) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "nginx"
        sys_version = ""

        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def _serve(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            forum.requests.append((method, urlsplit(self.path).path))
            try:
                status, data, extra = forum.handle(method, self.path, headers, body)
            except Exception as exc:  # a bug in the fake must show, not hang the client
                status, data, extra = 500, {"errors": [repr(exc)]}, {}
            payload = json.dumps(data, ensure_ascii=False).encode("utf-8")
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                for key, value in extra.items():
                    self.send_header(key, value)
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout, killed)
                pass

    return Handler
