"""Every endpoint in its real shape, paging, conditional GET, VK errors, and a full walk against the truth."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import feedparser
import httpx
import pytest
from parsel import Selector

from simulator.config import sources_for
from simulator.server import SimServer
from simulator.world import World

VK = {"v": "5.199", "access_token": "test-token"}


@pytest.fixture()
def client(sim: SimServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sim.base_url, timeout=10) as c:
        yield c


def _ts(value: str | None) -> float:
    assert value is not None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def test_telegram_page_shape_and_paging(sim: SimServer, client: httpx.Client, world: World) -> None:
    r = client.get("/s/narodnye_zhaloby")
    assert r.status_code == 200
    page = Selector(r.text)
    msgs = page.css("div.tgme_widget_message")
    assert len(msgs) == 20
    ids = [int(m.attrib["data-post"].split("/")[1]) for m in msgs]
    assert ids == sorted(ids)  # newest last, as on t.me
    first = msgs[0]
    assert (first.css(".tgme_widget_message_text").xpath("string()").get() or "").strip()
    assert first.css("a.tgme_widget_message_date time::attr(datetime)").get()
    assert first.css(".tgme_widget_message_views::text").get()
    before = page.css("a.tme_messages_more::attr(data-before)").get()
    assert before == str(ids[0])
    seen = set(ids)
    while before:
        older = Selector(client.get(f"/s/narodnye_zhaloby?before={before}").text)
        more = [int(m.split("/")[1]) for m in older.css("div.tgme_widget_message::attr(data-post)").getall()]
        assert more and max(more) < int(before) and not seen & set(more)
        seen |= set(more)
        before = older.css("a.tme_messages_more::attr(data-before)").get()
    truth = {p["external_id"] for p in sim.truth()["posts"] if p["kind"] == "telegram"}
    assert {f"narodnye_zhaloby/{i}" for i in seen} == {t for t in truth if t.startswith("narodnye_zhaloby/")}
    assert client.get("/s/no_such_channel").status_code == 404


def test_telegram_forward_block(sim: SimServer, client: httpx.Client) -> None:
    fwd = next(p for p in sim.truth()["posts"] if p["kind"] == "telegram" and p["duplicate_of"])
    channel, mid = fwd["external_id"].split("/")
    page = Selector(client.get(f"/s/{channel}?before={int(mid) + 1}").text)
    msg = page.css(f'div.tgme_widget_message[data-post="{channel}/{mid}"]')
    href = msg.css("a.tgme_widget_message_forwarded_from_name::attr(href)").get()
    assert href is not None and href.endswith("/" + fwd["duplicate_of"])


def test_vk_errors(sim: SimServer, client: httpx.Client, world: World) -> None:
    owner = sorted(world.walls)[0]
    r = client.get("/method/wall.get", params={"owner_id": owner, "v": "5.199"})
    assert r.status_code == 200 and r.json()["error"]["error_code"] == 5
    assert {"key": "owner_id", "value": owner} in r.json()["error"]["request_params"]
    assert client.get("/method/wall.nope", params={**VK}).json()["error"]["error_code"] == 3
    with SimServer(world, vk_token="secret", vk_rps=3) as strict, httpx.Client(base_url=strict.base_url) as c:
        bad = c.get("/method/wall.get", params={"owner_id": owner, **VK}).json()
        assert bad["error"]["error_code"] == 5
        codes = [c.get("/method/wall.get", params={"owner_id": owner, "v": "5.199", "access_token": "secret"}).json()
                 for _ in range(6)]
        assert "response" in codes[0]
        assert any(x.get("error", {}).get("error_code") == 6 and x["error"]["error_msg"] == "Too many requests per second"
                   for x in codes)


def test_vk_wall_comments_and_official_replies(sim: SimServer, client: httpx.Client, world: World) -> None:
    truth = {p["external_id"]: p for p in sim.truth()["posts"] if p["kind"] == "vk"}
    answered = [p for p in truth.values() if p["answered"] and p["external_id"].count("_") == 2]
    assert answered
    for row in answered[:15]:
        owner, post_id, cid = row["external_id"].split("_")
        body = client.get("/method/wall.getComments", params={
            "owner_id": owner, "post_id": post_id, "count": 100, "thread_items_count": 10, **VK}).json()["response"]
        comment = next(c for c in body["items"] if c["id"] == int(cid))
        reply = comment["thread"]["items"][0]
        assert reply["from_id"] == int(owner) < 0 and reply["reply_to_comment"] == int(cid)
        assert reply["date"] - comment["date"] == row["reply_delay_seconds"]
        thread = client.get("/method/wall.getComments", params={
            "owner_id": owner, "post_id": post_id, "comment_id": cid, **VK}).json()["response"]
        assert thread["items"][0]["id"] == reply["id"]


def test_rss_and_atom_with_conditional_get(client: httpx.Client) -> None:
    for path in ("/rss/finance.xml", "/atom/consumer.xml"):
        r = client.get(path)
        parsed = feedparser.parse(r.content)
        assert not parsed.bozo and parsed.entries
        entry = parsed.entries[0]
        assert entry.id.startswith("molva-sim:") and entry.link.startswith("http://127.0.0.1")
        assert entry.title and (entry.get("summary") or entry.get("description"))
        assert client.get(path, headers={"If-None-Match": r.headers["ETag"]}).status_code == 304
        assert client.get(path, headers={"If-Modified-Since": r.headers["Last-Modified"]}).status_code == 304
        assert client.get(path, headers={"If-None-Match": '"stale"'}).status_code == 200
        assert client.get(entry.link).status_code == 200


def test_reviews_list_and_page(sim: SimServer, client: httpx.Client, world: World) -> None:
    slug = sorted(world.slugs)[0]
    r = client.get(f"/services/responses/bank/{slug}/", params={"page": 1})
    assert "windows-1251" in r.headers["content-type"]
    page = Selector(r.text)
    items = page.css("article.responses__item")
    assert 0 < len(items) <= 25
    pages = int(page.css("nav.ui-pagination::attr(data-pages)").get() or 0)
    assert client.get(f"/services/responses/bank/{slug}/", params={"page": pages + 1}).status_code == 404
    answered = next(p for p in sim.truth()["posts"] if p["kind"] == "reviews" and p["answered"])
    review = Selector(client.get(answered["url"]).text)
    assert 1 <= int(review.css("span.rating-grade::attr(data-grade)").get() or 0) <= 5
    assert review.css("h1.response-page__title::text").get()
    assert (review.css(".response-page__text").xpath("string()").get() or "").strip()
    posted = _ts(review.css("time.response-page__date::attr(datetime)").get())
    replied = _ts(review.css("time.bank-answer__date::attr(datetime)").get())
    assert replied - posted == answered["reply_delay_seconds"]
    robots = client.get("/robots.txt").text
    assert "User-agent: *" in robots and "Disallow: /services" not in robots


def test_mastodon_timeline_paging_and_context(sim: SimServer, client: httpx.Client, world: World) -> None:
    tag = "банки"
    r = client.get(f"/api/v1/timelines/tag/{tag}", params={"limit": 5})
    assert r.headers["Link"].startswith("<http://127.0.0.1")
    statuses = r.json()
    assert len(statuses) == 5
    s = statuses[0]
    for key in ("id", "created_at", "url", "content", "account", "in_reply_to_id", "mentions", "tags",
                "replies_count", "reblogs_count", "favourites_count", "language"):
        assert key in s
    assert {"id", "acct", "username", "display_name", "followers_count"} <= set(s["account"])
    assert [int(x["id"]) for x in statuses] == sorted((int(x["id"]) for x in statuses), reverse=True)
    found = re.search(r'<([^>]+)>; rel="next"', r.headers["Link"])
    assert found is not None
    nxt = found.group(1)
    older = client.get(nxt).json()
    assert older and int(older[0]["id"]) < int(statuses[-1]["id"])
    newer = client.get(f"/api/v1/timelines/tag/{tag}", params={"since_id": statuses[1]["id"]}).json()
    assert [x["id"] for x in newer] == [statuses[0]["id"]]
    answered = next(p for p in sim.truth()["posts"] if p["kind"] == "mastodon" and p["answered"])
    ctx = client.get(f"/api/v1/statuses/{answered['external_id']}/context").json()
    reply = ctx["descendants"][0]
    assert reply["in_reply_to_id"] == answered["external_id"]
    brand = world.brand(answered["brand"])
    assert brand is not None and reply["account"]["acct"] == brand.account("mastodon")
    assert _ts(reply["created_at"]) - _ts(answered["published"]) == answered["reply_delay_seconds"]
    assert client.get("/api/v1/statuses/1/context").status_code == 404


def _walk(client: httpx.Client, sources: list[dict[str, Any]]) -> tuple[list[tuple[str, str]], int]:
    """A minimal crawler over every configured target: (kind, external_id) found, official replies seen."""
    found: list[tuple[str, str]] = []
    replies = 0
    for src in sources:
        kind = src["kind"]
        for target in src["targets"]:
            if kind == "telegram":
                url: str | None = f"/s/{target}"
                while url:
                    page = Selector(client.get(url).text)
                    found += [(kind, x) for x in page.css("div.tgme_widget_message::attr(data-post)").getall()]
                    before = page.css("a.tme_messages_more::attr(data-before)").get()
                    url = f"/s/{target}?before={before}" if before else None
            elif kind == "vk" and target.startswith("wall:"):
                owner = target[5:]
                posts = client.get("/method/wall.get", params={"owner_id": owner, "count": 100, **VK}).json()
                for post in posts["response"]["items"]:
                    found.append((kind, f"{owner}_{post['id']}"))
                    offset = 0
                    while True:
                        body = client.get("/method/wall.getComments", params={
                            "owner_id": owner, "post_id": post["id"], "count": 100, "offset": offset,
                            "thread_items_count": 10, **VK}).json()["response"]
                        for c in body["items"]:
                            found.append((kind, f"{owner}_{post['id']}_{c['id']}"))
                            replies += len(c["thread"]["items"])
                        offset += 100
                        if offset >= body["current_level_count"]:
                            break
                assert posts["response"]["count"] <= 100
            elif kind == "vk":
                start_from: str | None = "0"
                while start_from is not None:
                    body = client.get("/method/newsfeed.search", params={
                        "q": target[7:], "count": 200, "start_from": start_from, **VK}).json()["response"]
                    found += [(kind, f"{p['owner_id']}_{p['post_id']}_{p['id']}" if p["post_type"] == "reply"
                               else f"{p['owner_id']}_{p['id']}") for p in body["items"]]
                    start_from = body.get("next_from")
            elif kind == "rss":
                found += [(kind, e.id) for e in feedparser.parse(client.get(target).content).entries]
            elif kind == "reviews" and target.startswith("qa:"):  # banki.ru Q&A: ?id=<id>&p=N
                n = 1
                while (r := client.get("/services/questions-answers/", params={"id": target[3:], "p": n})).status_code == 200:
                    page = Selector(r.content.decode("cp1251"))
                    found += [(kind, "qa-" + x.split("=")[-1]) for x in page.css("a[href*=questionId]::attr(href)").getall()]
                    if not page.css("table.qaBlock"):
                        break
                    n += 1
            elif kind == "reviews":
                n = 1
                while (r := client.get(f"/services/responses/bank/{target}/", params={"page": n})).status_code == 200:
                    found += [(kind, x) for x in Selector(r.text).css("article.responses__item::attr(data-id)").getall()]
                    n += 1
            elif kind == "mastodon":
                url = f"/api/v1/timelines/tag/{target}?limit=40"
                while url:
                    r = client.get(url)
                    found += [(kind, s["id"]) for s in r.json()]
                    m = re.search(r'<([^>]+)>; rel="next"', r.headers.get("Link", ""))
                    url = m.group(1) if m else None
    return found, replies


def test_full_walk_finds_exactly_the_truth(sim: SimServer, client: httpx.Client, world: World) -> None:
    truth = sim.truth()["posts"]
    found, replies = _walk(client, sources_for(world, sim.base_url))
    assert set(found) == {(p["kind"], p["external_id"]) for p in truth}
    vk_answered = sum(p["answered"] for p in truth if p["kind"] == "vk")
    assert replies == vk_answered > 0


def test_server_shuts_down_and_frees_the_port(world: World) -> None:
    with SimServer(world) as server:
        port = server.port
        assert httpx.get(server.base_url + "/__sim__/health").json()["status"] == "ok"
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass
    again = SimServer(world, port=port)  # the socket is closed: the port can be bound again
    again.stop()
