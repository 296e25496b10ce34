"""Each spider against saved fixture pages in the real formats, including malformed ones."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from crawl_fixtures import body_response, fixture_response
from scrapy.exceptions import CloseSpider
from scrapy.http import Request, XmlResponse

from crawlers.spiders import MastodonSpider, ReviewsSpider, RssSpider, TelegramSpider, VkSpider
from molva.ingest import MentionData, ReplyData

BASE = "http://sim.test"


def split(output: Any) -> tuple[list[MentionData], list[ReplyData], list[Request]]:
    out = list(output or [])
    return ([o for o in out if isinstance(o, MentionData)], [o for o in out if isinstance(o, ReplyData)],
            [o for o in out if isinstance(o, Request)])


# --- Telegram ---------------------------------------------------------------------------------------

def test_telegram_page_items_forward_and_paging() -> None:
    spider = TelegramSpider(source_name="tg", targets=["narod_kontrol"], base_url=BASE)
    response = fixture_response("telegram_page.html", f"{BASE}/s/narod_kontrol", {"target": "narod_kontrol", "page": 1})
    mentions, _, requests = split(spider.parse_page(response))
    assert [m.external_id for m in mentions] == ["narod_kontrol/501", "narod_kontrol/502"]
    first, forward = mentions
    assert first.url == f"{BASE}/narod_kontrol/501"
    assert first.text == "Читатель пишет: третий день не могу войти в приложение Сбербанка,\nподдержка молчит."
    assert first.published_at == datetime(2025, 3, 1, 9, 15, tzinfo=UTC)
    assert first.views == 12500 and forward.views == 987
    assert forward.forwarded_from == "https://t.me/sovety_dnya/77"
    assert "&" in forward.text
    assert [r.url for r in requests] == [f"{BASE}/s/narod_kontrol?before=501"]
    assert len(spider.errors) == 1 and "malformed message widget" in spider.errors[0]  # the widget without a date


def test_telegram_signed_posts_channel_names_with_emoji_and_service_messages() -> None:
    spider = TelegramSpider(targets=["svyaz_bez_granic"], base_url=BASE)
    response = fixture_response("telegram_signed_service.html", f"{BASE}/s/svyaz_bez_granic",
                                {"target": "svyaz_bez_granic", "page": 1})
    mentions, _, _ = split(spider.parse_page(response))
    # "Channel photo updated" and "… pinned «…»" are service messages, not posts
    assert [m.external_id for m in mentions] == ["svyaz_bez_granic/4", "svyaz_bez_granic/5"]
    signed, unsigned = mentions
    assert signed.author == "Ирина Соколова" and signed.author_id == "svyaz_bez_granic"  # who signed the post
    assert unsigned.author == "Связь без границ 📶"  # the channel's name, its emoji kept
    assert signed.views == 1200 and spider.errors == []


def test_telegram_stops_at_known_items_when_the_last_crawl_was_complete() -> None:
    state = {"targets": {"narod_kontrol": {"complete": True}}}
    spider = TelegramSpider(targets=["narod_kontrol"], base_url=BASE, state=state,
                            known_ids=["narod_kontrol/501", "narod_kontrol/502"])
    response = fixture_response("telegram_page.html", f"{BASE}/s/narod_kontrol", {"target": "narod_kontrol", "page": 1})
    mentions, _, requests = split(spider.parse_page(response))
    assert mentions == [] and requests == []
    assert spider.state_updates["targets"]["narod_kontrol"]["complete"] is False  # the broken widget: an error
    incomplete = TelegramSpider(targets=["narod_kontrol"], base_url=BASE,
                                known_ids=["narod_kontrol/501", "narod_kontrol/502"])
    _, _, requests = split(incomplete.parse_page(response))
    assert len(requests) == 1  # an interrupted earlier crawl: walk on


def test_telegram_changed_markup_is_an_error() -> None:
    spider = TelegramSpider(targets=["narod_kontrol"], base_url=BASE)
    response = fixture_response("telegram_changed_markup.html", f"{BASE}/s/narod_kontrol",
                                {"target": "narod_kontrol", "page": 1})
    assert split(spider.parse_page(response)) == ([], [], [])
    assert spider.pages_ok == 0 and "changed markup at" in spider.errors[0] and "data-post" in spider.errors[0]


# --- VK ---------------------------------------------------------------------------------------------

def test_vk_wall_posts_and_comment_requests() -> None:
    spider = VkSpider(targets=["wall:-555001"], base_url=BASE, token="T", official_accounts=["-555001"])
    meta = {"target": "wall:-555001", "owner": "-555001", "page": 1, "offset": 0}
    response = fixture_response("vk_wall_get.json", f"{BASE}/method/wall.get?owner_id=-555001", meta)
    mentions, _, requests = split(spider.parse_wall(response))
    assert [m.external_id for m in mentions] == ["-555001_901", "-555001_900"]
    post = mentions[0]
    assert post.url == "https://vk.com/wall-555001_901" and post.author_id == "-555001"
    assert (post.likes, post.reposts, post.comments, post.views) == (40, 2, 3, 5120)
    assert post.addressed_accounts == []  # the brand's own post
    assert len(requests) == 1 and "wall.getComments" in requests[0].url and "post_id=901" in requests[0].url
    assert "access_token=T" in requests[0].url and "v=5.199" in requests[0].url
    assert any("malformed post" in e for e in spider.errors)


def test_vk_signed_community_post_shows_its_signer_and_stays_the_communitys() -> None:
    spider = VkSpider(targets=["wall:-555001"], base_url=BASE, token="T", official_accounts=["-555001"])
    url = f"{BASE}/method/wall.get?owner_id=-555001"
    body = {"response": {"count": 2, "items": [
        {"id": 910, "from_id": -555001, "owner_id": -555001, "signer_id": 7001, "date": 1740830000,
         "text": "Отвечаем на частый вопрос о комиссии за переводы."},
        {"id": 911, "from_id": -555001, "owner_id": -555001, "date": 1740831000, "text": "Новый тариф с 1 марта."}],
        "profiles": [{"id": 7001, "first_name": "Анна", "last_name": "Петрова"}],
        "groups": [{"id": 555001, "name": "Банк Пример"}]}}
    response = body_response(body, url, {"target": "wall:-555001", "owner": "-555001", "page": 1, "offset": 0})
    mentions, _, _ = split(spider.parse_wall(response))
    signed, unsigned = mentions
    assert signed.author == "Анна Петрова" and unsigned.author == "Банк Пример"
    # published by the community: its own post, not a post addressed to it
    assert signed.author_id == unsigned.author_id == "-555001" and signed.addressed_accounts == []


def test_vk_comments_are_addressed_and_brand_replies_are_replies() -> None:
    spider = VkSpider(targets=["wall:-555001"], base_url=BASE, official_accounts=["-555001"])
    meta = {"target": "wall:-555001", "owner": "-555001", "post_id": 901, "offset": 0, "expected": 3}
    response = fixture_response("vk_wall_get_comments.json", f"{BASE}/method/wall.getComments", meta)
    mentions, replies, requests = split(spider.parse_comments(response))
    assert [m.external_id for m in mentions] == ["-555001_901_905", "-555001_901_906"]
    assert mentions[0].url == "https://vk.com/wall-555001_901?reply=905"
    assert mentions[0].author == "Ольга Петрова" and mentions[0].addressed_accounts == ["-555001"]
    assert mentions[0].parent_external_id == "-555001_901"
    (reply,) = replies
    assert reply.parent_external_id == "-555001_901_905" and reply.account == "-555001"
    assert reply.reply_external_id == "-555001_901_907"
    assert reply.replied_at == datetime.fromtimestamp(1740824600, UTC)
    assert requests == [] and spider.state_updates["comment_counts"] == {"-555001_901": 3}


def test_vk_search_pages_with_next_from_and_reads_reposts() -> None:
    spider = VkSpider(targets=["search:Сбербанк"], base_url=BASE)
    response = fixture_response("vk_newsfeed_search.json", f"{BASE}/method/newsfeed.search",
                                {"target": "search:Сбербанк", "page": 1})
    mentions, _, requests = split(spider.parse_search(response))
    assert [m.external_id for m in mentions] == ["8001_12", "8002_3"]
    assert mentions[1].text == mentions[0].text and mentions[1].forwarded_from == "https://vk.com/wall8001_12"
    assert len(requests) == 1 and "start_from=2" in requests[0].url


def test_vk_auth_error_fails_the_source_clearly() -> None:
    spider = VkSpider(targets=["wall:-1"], base_url=BASE)
    response = fixture_response("vk_error5.json", f"{BASE}/method/wall.get", {"target": "wall:-1", "owner": "-1",
                                                                              "page": 1, "offset": 0})
    with pytest.raises(CloseSpider):
        list(spider.parse_wall(response))
    assert spider.fatal is not None and "authorization failed" in spider.fatal and "MOLVA_VK_TOKEN" in spider.fatal


def test_vk_other_errors_and_broken_json_are_counted() -> None:
    spider = VkSpider(targets=["wall:-1"], base_url=BASE)
    meta = {"target": "wall:-1", "owner": "-1", "page": 1, "offset": 0}
    assert list(spider.parse_wall(fixture_response("vk_error100.json", f"{BASE}/method/wall.get", meta))) == []
    assert list(spider.parse_wall(fixture_response("feed_broken.xml", f"{BASE}/method/wall.get", meta))) == []
    assert len(spider.errors) == 2 and "error 100" in spider.errors[0] and "not JSON" in spider.errors[1]
    assert spider.fatal is None


# --- RSS / Atom -------------------------------------------------------------------------------------

def test_rss_entries_and_conditional_get_state() -> None:
    spider = RssSpider(targets=["/feed.xml"], base_url=BASE)
    headers = {"Content-Type": "application/rss+xml; charset=utf-8", "ETag": '"abc"',
               "Last-Modified": "Sat, 01 Mar 2025 08:00:00 GMT"}
    response = fixture_response("feed_rss.xml", f"{BASE}/feed.xml", {"target": "/feed.xml"}, headers=headers)
    mentions, _, _ = split(spider.parse_feed(response))
    assert [m.external_id for m in mentions] == ["vestnik:101", "https://news.example/a/103"]
    assert mentions[0].title == "Билайн снизил цены на домашний интернет"
    assert mentions[0].text == "Оператор снизил цены на 10%."
    assert mentions[0].published_at == datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
    assert "feed.xml" in spider.errors[0]  # the entry without a date: skipped, ETag not kept
    assert "feeds" not in spider.state_updates


def test_rss_sends_validators_and_takes_304() -> None:
    url = f"{BASE}/feed.xml"
    state = {"feeds": {url: {"etag": '"abc"', "modified": "Sat, 01 Mar 2025 08:00:00 GMT"}}}
    spider = RssSpider(targets=["/feed.xml"], base_url=BASE, state=state)

    async def first() -> Request:
        async for request in spider.start():
            return request  # type: ignore[no-any-return]
        raise AssertionError("no request")

    import asyncio

    request = asyncio.run(first())
    assert request.headers.get("If-None-Match") == b'"abc"'
    assert request.headers.get("If-Modified-Since") == b"Sat, 01 Mar 2025 08:00:00 GMT"
    not_modified = fixture_response("feed_atom.xml", url, {"target": "/feed.xml"}, status=304)
    assert list(spider.parse_feed(not_modified)) == []
    assert spider.pages_ok == 1 and spider.errors == []


def test_atom_feed_and_malformed_feed() -> None:
    spider = RssSpider(targets=["/atom.xml", "/broken.xml"], base_url=BASE)
    atom = fixture_response("feed_atom.xml", f"{BASE}/atom.xml", {"target": "/atom.xml"},
                            headers={"Content-Type": "application/atom+xml", "ETag": '"e1"'})
    (entry,) = split(spider.parse_feed(atom))[0]
    assert (entry.external_id, entry.url, entry.author, entry.text) == ("urn:blog:1", "https://blog.example/p/1",
                                                                       "Марина", "Спасибо поддержке")
    assert spider.state_updates["feeds"][f"{BASE}/atom.xml"]["etag"] == '"e1"'
    broken = fixture_response("feed_broken.xml", f"{BASE}/broken.xml", {"target": "/broken.xml"},
                              headers={"Content-Type": "application/rss+xml"})
    assert list(spider.parse_feed(broken)) == []
    assert "malformed" in spider.errors[-1] and "broken.xml" in spider.errors[-1]


# --- Reviews ----------------------------------------------------------------------------------------

def test_reviews_list_requests_new_and_newly_answered_reviews() -> None:
    spider = ReviewsSpider(targets=["testbank"], base_url=BASE, known_ids=["7000", "7001"], replied_ids=[])
    response = fixture_response("reviews_list.html", f"{BASE}/services/responses/bank/testbank/?page=1",
                                {"target": "testbank", "page": 1})
    _, _, requests = split(spider.parse_list(response))
    urls = [r.url for r in requests]
    assert f"{BASE}/services/responses/bank/response/7001/" in urls  # known, but answered since
    assert f"{BASE}/services/responses/bank/response/7000/" not in urls
    assert f"{BASE}/services/responses/bank/testbank/?page=2" in urls  # the last crawl was not complete
    assert any("without an id" in e for e in spider.errors)


def test_review_page_with_rating_and_official_answer() -> None:
    spider = ReviewsSpider(targets=["testbank"], base_url=BASE)
    url = f"{BASE}/services/responses/bank/response/7001/"
    response = fixture_response("reviews_review.html", url, {"target": "testbank", "review_id": "7001"})
    mentions, replies, _ = split(spider.parse_review(response))
    (review,) = mentions
    assert (review.external_id, review.url, review.rating, review.title) == ("7001", url, 1, "Заблокировали карту")
    assert review.text.startswith("Заблокировали карту без объяснения причин,\nденьги")
    assert review.addressed_accounts == ["testbank"] and review.author == "ivan_k"
    (answer,) = replies
    assert answer.account == "testbank" and answer.parent_external_id == "7001"
    assert answer.replied_at == datetime(2025, 3, 1, 11, 30, tzinfo=UTC)
    assert answer.text == "Иван, здравствуйте! Карта разблокирована."


def test_review_page_with_changed_markup_is_an_error() -> None:
    spider = ReviewsSpider(targets=["testbank"], base_url=BASE)
    response = fixture_response("telegram_changed_markup.html", f"{BASE}/services/responses/bank/response/1/",
                                {"target": "testbank", "review_id": "1"})
    assert list(spider.parse_review(response)) == []
    assert "malformed review page" in spider.errors[0]


# --- Mastodon ---------------------------------------------------------------------------------------

def test_mastodon_timeline_statuses_context_and_paging() -> None:
    spider = MastodonSpider(targets=["testbank"], base_url=BASE, official_accounts=["testbank@social.example"])
    response = fixture_response("mastodon_timeline.json", f"{BASE}/api/v1/timelines/tag/testbank?limit=40",
                                {"target": "testbank", "page": 1})
    mentions, _, requests = split(spider.parse_timeline(response))
    (status,) = mentions  # the official reply is not a mention; the broken status is an error
    assert status.external_id == "1100000000000003"
    assert status.url == "https://social.example/@masha/1100000000000003"
    assert status.addressed_accounts == ["testbank@social.example"] and status.author_followers == 120
    assert status.text.startswith("@testbank почему не работает перевод по СБП?")
    urls = [r.url for r in requests]
    assert f"{BASE}/api/v1/statuses/1100000000000003/context" in urls
    assert any("max_id=" in u for u in urls)
    assert any("malformed status" in e for e in spider.errors)


def test_mastodon_context_keeps_only_official_replies() -> None:
    spider = MastodonSpider(targets=["testbank"], base_url=BASE, official_accounts=["testbank@social.example"])
    response = fixture_response("mastodon_context.json", f"{BASE}/api/v1/statuses/1100000000000003/context",
                                {"target": "testbank", "status_id": "1100000000000003"})
    (reply,) = list(spider.parse_context(response))
    assert isinstance(reply, ReplyData)
    assert reply.account == "testbank@social.example" and reply.reply_external_id == "1100000000000009"
    assert reply.replied_at == datetime(2025, 3, 1, 10, 45, tzinfo=UTC)


def test_vk_search_replies_are_comments_of_their_post() -> None:
    """newsfeed.search returns comments as ``post_type: "reply"`` items whose ``post_id`` is the parent post."""
    spider = VkSpider(targets=["search:Тестбанк"], base_url=BASE, token="t", official_accounts=["-57001"])
    response = fixture_response("vk_newsfeed_search_replies.json", f"{BASE}/method/newsfeed.search",
                                {"target": "search:Тестбанк", "page": 1})
    mentions, replies, requests = split(spider.parse_search(response))
    comment, elsewhere, post = mentions
    assert (comment.external_id, comment.url) == ("-57001_5120417_5120447", "https://vk.com/wall-57001_5120417?reply=5120447")
    assert (comment.parent_external_id, comment.thread_external_id) == ("-57001_5120417", "-57001_5120417")
    assert comment.text == "Тестбанк, верните деньги за двойное списание!\nЖду третий день"
    assert comment.author == "Олег Смирнов" and comment.addressed_accounts == ["-57001"] and comment.likes == 2
    assert (elsewhere.external_id, elsewhere.url) == ("9200_700_731", "https://vk.com/wall9200_700?reply=731")
    assert elsewhere.addressed_accounts == []  # not a brand's wall
    assert post.external_id == "9300_88" and post.parent_external_id is None
    (answer,) = replies  # the brand's answer under the comment: an official reply, not a mention
    assert (answer.parent_external_id, answer.account) == ("-57001_5120417_5120447", "-57001")
    assert answer.reply_external_id == "-57001_5120417_5120450"
    # The brand wall's thread is read once (its other comments and answers).
    (thread,) = [r for r in requests if "wall.getComments" in r.url]
    assert "owner_id=-57001" in thread.url and "post_id=5120417" in thread.url


# --- 2GIS (another review site where companies answer) ----------------------------------------------

def test_twogis_reviews_official_answers_and_paging() -> None:
    from crawlers.spiders.twogis import TwoGisSpider

    spider = TwoGisSpider(targets=["70000001000000001"], base_url=BASE, options={"key": "K"})
    url = f"{BASE}/2.0/branches/70000001000000001/reviews?limit=50&key=K"
    response = fixture_response("twogis_reviews.json", url, {"target": "70000001000000001", "page": 1})
    mentions, replies, requests = split(spider.parse_reviews(response))
    queue, thanks = mentions
    assert queue.external_id == "91000003" and queue.url == "https://2gis.ru/reviews/70000001000000001/review/91000003"
    assert queue.text == "Очередь в отделении Тестбанка на час, окно работает одно.\nУжас."  # NUL removed
    assert queue.published_at == datetime(2025, 3, 2, 11, 10, 0, 123456, tzinfo=UTC)  # +07:00
    assert (queue.rating, queue.author, queue.likes, queue.addressed_accounts) == (1, "Анна", 4, ["70000001000000001"])
    assert thanks.rating == 5 and thanks.author == "Игорь"
    (answer,) = replies
    assert (answer.parent_external_id, answer.account, answer.reply_external_id) == (
        "91000003", "70000001000000001", "a91000003")
    assert answer.replied_at == datetime(2025, 3, 3, 2, 0, tzinfo=UTC)
    (more,) = requests  # meta.next_link, with the key added back
    assert more.url.startswith("https://public-api.reviews.2gis.com/2.0/branches/70000001000000001/reviews?")
    assert "key=K" in more.url and "offset_date=" in more.url
    assert any("malformed review" in e for e in spider.errors)


def test_twogis_review_from_a_partner_site_keeps_its_own_link() -> None:
    from crawlers.spiders.twogis import TwoGisSpider

    spider = TwoGisSpider(targets=["70000001000000001"], base_url=BASE, options={"key": "K"})
    url = f"{BASE}/2.0/branches/70000001000000001/reviews?limit=50&key=K"
    review = {"date_created": "2025-03-02T18:10:00+07:00", "object": {"id": "70000001000000001", "type": "branch"},
              "text": "Обслужили быстро.", "rating": 5, "user": {"name": "Олег"}}
    body = {"meta": {"code": 200}, "reviews": [
        {**review, "id": "91000010", "provider": "flamp", "url": "https://flamp.ru/r/70000001000000001/123"},
        {**review, "id": "91000011", "provider": "2gis", "url": ""}]}
    response = body_response(body, url, {"target": "70000001000000001", "page": 1})
    mentions, _, _ = split(spider.parse_reviews(response))
    assert [m.url for m in mentions] == ["https://flamp.ru/r/70000001000000001/123",
                                         "https://2gis.ru/reviews/70000001000000001/review/91000011"]
    assert spider.errors == []


def test_rss_in_windows_1251_after_a_blank_line_with_a_linked_author_and_plain_text() -> None:
    feed = """
<?xml version="1.0" encoding="windows-1251"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>Вестник</title><language>ru</language>
<item><title>Банк снизил ставки по вкладам</title><guid>vestnik:201</guid><link>https://news.example/a/201</link>
<pubDate>Sat, 01 Mar 2025 11:00:00 +0300</pubDate>
<dc:creator>&lt;a href="https://news.example/authors/7"&gt;Мария Иванова&lt;/a&gt;</dc:creator>
<description>Ставки снизились на полпункта.

Клиенты недовольны.</description></item></channel></rss>"""
    url = f"{BASE}/feed-1251.xml"
    spider = RssSpider(targets=["/feed-1251.xml"], base_url=BASE)
    for content_type in ("application/rss+xml", ""):  # no charset in the header: the XML declaration decides
        response = body_response(feed.encode("cp1251"), url, {"target": "/feed-1251.xml"},
                                 headers={"Content-Type": content_type} if content_type else {}, cls=XmlResponse)
        (entry,) = split(spider.parse_feed(response))[0]
        assert entry.title == "Банк снизил ставки по вкладам"
        assert entry.author == "Мария Иванова"
        assert entry.text == "Ставки снизились на полпункта.\n\nКлиенты недовольны."
        assert entry.published_at == datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
    assert spider.errors == []

