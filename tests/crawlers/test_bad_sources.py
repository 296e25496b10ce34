"""`molva crawl` against a local server that answers badly (malformed entries, a page that is not a feed, a
redirect loop, a page in the wrong charset): each problem is one line of its source, everything readable is
stored, no traceback."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sim_crawl import crawl_env, run_crawl, stored_ids
from sqlalchemy import select

from molva.db import make_sessionmaker
from molva.models import Mention, Source

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "crawl"


def vk_post(post_id: int, owner: int, **extra: Any) -> dict[str, Any]:
    return {"id": post_id, "owner_id": owner, "from_id": owner, "date": 1764496800 + post_id,
            "text": f"Пост {post_id} про банк", "comments": {"count": 0}, **extra}


def status(i: int, **extra: Any) -> dict[str, Any]:
    return {"id": str(i), "created_at": "2026-11-30T10:00:00.000Z", "content": f"<p>МТС снова без связи {i}</p>",
            "url": f"http://x/{i}", "account": {"acct": f"u{i}", "username": f"u{i}"}, "replies_count": 0, **extra}


FEED = ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
        '<item><title>Пост</title><link>http://x/{name}/1</link><guid>{name}-1</guid>'
        '<pubDate>Mon, 30 Nov 2026 10:00:00 GMT</pubDate><description>Сбербанк опять завис</description></item>'
        '</channel></rss>')


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def send(self, status: int, body: bytes | str | Any, content_type: str = "application/json",
             headers: tuple[tuple[str, str], ...] = ()) -> None:
        if not isinstance(body, bytes | str):
            body = json.dumps(body, ensure_ascii=False)
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        path = url.path
        if path == "/method/wall.get":
            owner = int(query["owner_id"])
            if query.get("offset", "0") != "0":
                return self.send(200, {"response": {"count": 6, "items": []}})
            items = [vk_post(1, owner, from_id="club15"), vk_post(2, owner), "x", 5, None, vk_post(3, owner)]
            return self.send(200, {"response": {"count": 6, "items": items, "profiles": [{"first_name": "A"}]}})
        if path == "/api/v1/timelines/tag/badmention":
            if "max_id" in query:
                return self.send(200, [])
            return self.send(200, [status(1, mentions=["x"]), status(2)])
        if path == "/feed/ok.xml":
            return self.send(200, FEED.format(name="ok"), "application/rss+xml")
        if path == "/feed/empty.xml":
            return self.send(200, b"", "application/rss+xml")
        if path == "/feed/html.xml":
            return self.send(200, "<html><body>Not a feed</body></html>", "text/html; charset=utf-8")
        if path in ("/feed/loop.xml", "/s/loop"):
            return self.send(302, b"", "text/html", headers=(("Location", path),))
        if path == "/s/okchan":
            return self.send(200, (FIXTURES / "telegram_page.html").read_bytes(), "text/html; charset=utf-8")
        if path == "/s/cp1251":  # a page in windows-1251 sent as UTF-8
            page = (FIXTURES / "telegram_page.html").read_text(encoding="utf-8").replace("narod_kontrol", "cp1251")
            return self.send(200, page.encode("cp1251", errors="replace"), "text/html; charset=utf-8")
        return self.send(404, b"{}")


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def config(tmp_path: Path, base: str, sources: str) -> Path:
    path = tmp_path / "molva.toml"
    path.write_text(f'vk_token = "t"\n[crawl]\nretry_times = 0\nobey_robots = false\n\n{sources.format(base=base)}',
                    encoding="utf-8")
    return path


def line_of(stdout: str, source: str) -> str:
    return next(line for line in stdout.splitlines() if line.startswith(f"{source}:"))


def target_states(db_url: str, source: str) -> dict[str, Any]:
    with make_sessionmaker(db_url)() as session:
        row = session.scalars(select(Source).where(Source.name == source)).one()
        return dict((row.state or {}).get("targets") or {})


@pytest.mark.timeout(300)
def test_malformed_vk_and_mastodon_entries_are_skipped_and_the_rest_stored(tmp_path: Path, db_url: str,
                                                                            server: str) -> None:
    path = config(tmp_path, server, '[[sources]]\nname = "vk"\nkind = "vk"\ntargets = ["wall:-15"]\n'
                                    'base_url = "{base}"\noptions = {{rps = 100}}\n\n'
                                    '[[sources]]\nname = "md"\nkind = "mastodon"\ntargets = ["badmention"]\n'
                                    'base_url = "{base}"\n')
    done = run_crawl(crawl_env(path, db_url), "vk", "md", timeout=240)
    assert "Traceback" not in done.stderr, done.stderr
    assert {ext for kind, ext in stored_ids(db_url) if kind == "vk"} == {"-15_2", "-15_3"}
    assert {ext for kind, ext in stored_ids(db_url) if kind == "mastodon"} == {"2"}
    vk, md = line_of(done.stdout, "vk"), line_of(done.stdout, "md")
    assert "ошибок 5" in vk, vk  # the text from_id, three non-objects, the profile without id
    assert "malformed post in wall:-15: from_id 'club15' is not a number" in done.stderr
    assert "ошибок 1" in md and "mentions" in md, md
    # paging went on to the end of the wall (the target is walked again next time: it had errors)
    assert "run" in target_states(db_url, "vk")["wall:-15"]


@pytest.mark.timeout(300)
def test_sources_that_give_nothing_usable_are_errors_not_ok(tmp_path: Path, db_url: str, server: str) -> None:
    path = config(tmp_path, server, '[[sources]]\nname = "rss"\nkind = "rss"\n'
                                    'targets = ["/feed/empty.xml", "/feed/html.xml", "/feed/loop.xml", "/feed/ok.xml"]\n'
                                    'base_url = "{base}"\n\n'
                                    '[[sources]]\nname = "tg"\nkind = "telegram"\ntargets = ["loop", "okchan"]\n'
                                    'base_url = "{base}"\n')
    done = run_crawl(crawl_env(path, db_url), "rss", "tg", timeout=240)
    assert "Traceback" not in done.stderr, done.stderr
    rss, tg = line_of(done.stdout, "rss"), line_of(done.stdout, "tg")
    assert "ошибок 3" in rss and not rss.startswith("rss: ok"), rss
    assert "не RSS/Atom" in done.stderr and "пустой ответ" in done.stderr and "Not a feed" in done.stderr
    assert "цикл" in tg and "/s/loop" in tg, tg
    assert any(kind == "rss" and ext.endswith("ok-1") for kind, ext in stored_ids(db_url))  # the good feed is read
    states = target_states(db_url, "rss")
    assert states["/feed/ok.xml"]["complete"] is True
    assert not any(states[t]["complete"] for t in ("/feed/empty.xml", "/feed/html.xml", "/feed/loop.xml"))
    assert target_states(db_url, "tg")["loop"]["complete"] is False


@pytest.mark.timeout(300)
def test_a_telegram_page_in_the_wrong_charset_is_stored_readable(tmp_path: Path, db_url: str, server: str) -> None:
    path = config(tmp_path, server, '[[sources]]\nname = "tg"\nkind = "telegram"\ntargets = ["cp1251"]\n'
                                    'base_url = "{base}"\n')
    done = run_crawl(crawl_env(path, db_url), "tg", timeout=240)
    assert "Traceback" not in done.stderr, done.stderr
    with make_sessionmaker(db_url)() as session:
        texts = list(session.scalars(select(Mention.text).where(Mention.kind == "telegram")))
    assert texts and not any("\ufffd" in t for t in texts) and any("Сбербанка" in t for t in texts), texts
