"""One malformed entry of an API answer (a VK post, profile or comment, a Mastodon status) is skipped with one
error line; the other entries of the page are kept and the target's paging goes on."""

from __future__ import annotations

from typing import Any

from crawl_fixtures import body_response
from scrapy.exceptions import CloseSpider
from scrapy.http import Request

from crawlers.middlewares import ParseErrorMiddleware
from crawlers.spiders import MastodonSpider, TelegramSpider, VkSpider
from molva.ingest import MentionData, ReplyData

BASE = "http://sim.test"


def split(output: Any) -> tuple[list[MentionData], list[ReplyData], list[Request]]:
    out = list(output or [])
    return ([o for o in out if isinstance(o, MentionData)], [o for o in out if isinstance(o, ReplyData)],
            [o for o in out if isinstance(o, Request)])


def vk_post(post_id: int, owner: int = -15, **extra: Any) -> dict[str, Any]:
    return {"id": post_id, "owner_id": owner, "from_id": owner, "date": 1740820000 + post_id,
            "text": f"Пост {post_id}", "comments": {"count": 0}, **extra}


def test_vk_wall_skips_each_malformed_post_and_profile_and_keeps_the_rest() -> None:
    spider = VkSpider(targets=["wall:-15"], base_url=BASE, token="T", max_pages=5)
    meta = {"target": "wall:-15", "owner": "-15", "page": 1, "offset": 0}
    body = {"response": {"count": 400, "items": [
        vk_post(1, from_id="club15"), vk_post(2), "x", 5, None, vk_post(3, signer_id=7001)],
        "profiles": [{"first_name": "A"}, {"id": 7001, "first_name": "Анна", "last_name": "Петрова"}],
        "groups": [{"id": 15, "name": "Клуб"}, {"name": "без id"}]}}
    mentions, _, requests = split(spider.parse_wall(body_response(body, f"{BASE}/method/wall.get", meta)))
    assert [m.external_id for m in mentions] == ["-15_2", "-15_3"]
    assert mentions[0].author == "Клуб" and mentions[1].author == "Анна Петрова"  # the good names are kept
    # one line per bad entry (the post with a text from_id, three non-objects, a profile and a group without id)
    assert len(spider.errors) == 6, spider.errors
    assert any("'club15'" in e and "wall:-15" in e for e in spider.errors)
    assert all("\n" not in e for e in spider.errors)
    assert len(requests) == 1 and "offset=6" in requests[0].url  # paging goes on past the bad entries


def test_vk_items_that_are_not_a_list_are_one_error() -> None:
    spider = VkSpider(targets=["wall:-15"], base_url=BASE, token="T")
    meta = {"target": "wall:-15", "owner": "-15", "page": 1, "offset": 0}
    body = {"response": {"count": 3, "items": "many", "profiles": {"id": 1}}}
    assert split(spider.parse_wall(body_response(body, f"{BASE}/method/wall.get", meta))) == ([], [], [])
    assert len(spider.errors) == 2 and any("expected a list, got 'many'" in e for e in spider.errors)


def test_vk_comments_and_search_skip_non_objects() -> None:
    spider = VkSpider(targets=["wall:-15", "search:банк"], base_url=BASE, official_accounts=["-15"])
    meta = {"target": "wall:-15", "owner": "-15", "post_id": 1, "offset": 0, "expected": 3}
    comments = {"response": {"count": 3, "items": [
        "x", {"id": 5, "from_id": 7, "date": 1740820000, "text": "где деньги", "thread": "bad"},
        {"id": 6, "from_id": "user7", "date": 1740820001, "text": "и у меня"}]}}
    mentions, _, _ = split(spider.parse_comments(body_response(comments, f"{BASE}/method/wall.getComments", meta)))
    assert [m.external_id for m in mentions] == ["-15_1_5", "-15_1_6"]
    assert len(spider.errors) == 2, spider.errors  # the non-object and the thread that is not an object
    search = {"response": {"items": [None, vk_post(9, owner=8001), {"post_type": "reply", "owner_id": "x"}]}}
    mentions, _, _ = split(spider.parse_search(body_response(search, f"{BASE}/method/newsfeed.search",
                                                             {"target": "search:банк", "page": 1})))
    assert [m.external_id for m in mentions] == ["8001_9"]
    assert len(spider.errors) == 4, spider.errors


def mastodon_status(i: int, **extra: Any) -> dict[str, Any]:
    return {"id": str(i), "created_at": "2026-11-30T10:00:00.000Z", "content": f"<p>МТС снова без связи {i}</p>",
            "url": f"http://x/{i}", "account": {"acct": f"u{i}", "username": f"u{i}"}, "replies_count": 0, **extra}


def test_mastodon_status_with_a_bad_mention_is_skipped_and_the_others_kept() -> None:
    spider = MastodonSpider(targets=["badmention"], base_url=BASE)
    statuses = [mastodon_status(1, mentions=["x"]), mastodon_status(2, account="nobody"), mastodon_status(3),
                mastodon_status(4, mentions=[{"acct": "mts"}])]
    response = body_response(statuses, f"{BASE}/api/v1/timelines/tag/badmention?limit=40",
                             {"target": "badmention", "page": 1})
    mentions, _, requests = split(spider.parse_timeline(response))
    assert [m.external_id for m in mentions] == ["3", "4"] and mentions[1].addressed_accounts == ["mts"]
    assert len(spider.errors) == 2 and all("#badmention" in e for e in spider.errors), spider.errors
    assert any("mentions" in e for e in spider.errors)
    assert len(requests) == 1 and "max_id=4" in requests[0].url


def test_mastodon_context_skips_a_reply_with_a_bad_account() -> None:
    spider = MastodonSpider(targets=["t"], base_url=BASE, official_accounts=["bank"])
    body = {"descendants": [
        {"id": "8", "in_reply_to_id": "1", "account": "bank", "created_at": "2026-11-30T11:00:00Z"},
        {"id": "9", "in_reply_to_id": "1", "account": {"acct": "bank"}, "created_at": "2026-11-30T11:00:00Z",
         "content": "<p>Поможем</p>"}]}
    response = body_response(body, f"{BASE}/api/v1/statuses/1/context", {"target": "t", "status_id": "1"})
    (reply,) = list(spider.parse_context(response))
    assert isinstance(reply, ReplyData) and reply.reply_external_id == "9"
    assert len(spider.errors) == 1


def test_an_unexpected_parse_failure_is_one_line_and_closespider_still_closes() -> None:
    spider = TelegramSpider(targets=["chan"], base_url=BASE)
    middleware = ParseErrorMiddleware()
    response = body_response(b"<html></html>", f"{BASE}/s/chan", {"target": "chan", "page": 1})
    assert middleware.process_spider_exception(response, KeyError("id"), spider) == []
    (error,) = spider.errors
    assert error.startswith(f"error parsing {BASE}/s/chan: KeyError") and "\n" not in error
    assert spider.state_updates["targets"]["chan"]["complete"] is False
    assert middleware.process_spider_exception(response, CloseSpider("vk_auth_failed"), spider) is None


# --- a page in another charset than it declares -------------------------------------------------------

def telegram_page(channel: str = "narod_kontrol") -> str:
    from crawl_fixtures import FIXTURES

    return (FIXTURES / "telegram_page.html").read_text(encoding="utf-8").replace("narod_kontrol", channel)


def test_a_telegram_page_in_windows_1251_sent_as_utf8_is_read_in_windows_1251() -> None:
    from scrapy.http import HtmlResponse

    spider = TelegramSpider(targets=["narod_kontrol"], base_url=BASE)
    body = telegram_page().encode("cp1251", errors="replace")
    response = body_response(body, f"{BASE}/s/narod_kontrol", {"target": "narod_kontrol", "page": 1},
                             headers={"Content-Type": "text/html; charset=utf-8"}, cls=HtmlResponse)
    assert "\ufffd" in response.text  # what Scrapy gives: the page is garbage in UTF-8
    mentions, _, _ = split(spider.parse_page(response))
    assert mentions and "Сбербанка" in mentions[0].text and all("\ufffd" not in m.text for m in mentions)


def test_an_undecodable_page_is_an_error_not_garbage() -> None:
    from scrapy.http import HtmlResponse

    spider = TelegramSpider(targets=["narod_kontrol"], base_url=BASE)
    # bytes that neither UTF-8 nor windows-1251 reads (0x98 is no character in windows-1251)
    body = telegram_page().encode("utf-8").replace("Сбербанка".encode(), b"\xff\x98" * 200)
    response = body_response(body, f"{BASE}/s/narod_kontrol", {"target": "narod_kontrol", "page": 1},
                             headers={"Content-Type": "text/html; charset=utf-8"}, cls=HtmlResponse)
    assert split(spider.parse_page(response)) == ([], [], [])
    (error,) = spider.errors
    assert "кодировк" in error and f"{BASE}/s/narod_kontrol" in error
    assert spider.state_updates["targets"]["narod_kontrol"]["complete"] is False
