"""The spiders on real pages saved from the real services (``../shared/formats``, never committed: the test
skips where they are absent; ``SHARED_FORMATS_DIR`` points elsewhere). Only counts and structure are asserted."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from parsel import Selector
from scrapy.http import HtmlResponse, Request, TextResponse, XmlResponse

from crawlers.spiders import MastodonSpider, ReviewsSpider, RssSpider, TelegramSpider, VkSpider
from molva.ingest import MentionData, ReplyData


def _formats() -> Path:
    if os.environ.get("SHARED_FORMATS_DIR"):
        return Path(os.environ["SHARED_FORMATS_DIR"])
    for parent in Path(__file__).resolve().parents:  # ../shared/formats next to the checkout (or a worktree's)
        if (parent / "shared" / "formats").is_dir():
            return parent / "shared" / "formats"
    return Path("shared-formats-not-found")


FORMATS = _formats()


def sample(relative: str) -> bytes:
    path = FORMATS / relative
    if not path.exists():
        pytest.skip(f"real sample {relative} not available")
    return path.read_bytes()


def test_banki_questions_answers_page() -> None:
    body = sample("reviews/banki_ru_questions_answers_sber_2021-04-11.html")
    url = "https://www.banki.ru/services/questions-answers/?id=1771062&p=1"
    for headers in ({}, {"Content-Type": "text/html; charset=windows-1251"}):
        response = HtmlResponse(url=url, body=body, headers=headers,
                                request=Request(url, meta={"target": "qa:1771062", "page": 1}))
        spider = ReviewsSpider(targets=["qa:1771062"])
        items = list(spider.parse_list(response))
        mentions = [i for i in items if isinstance(i, MentionData)]
        replies = [i for i in items if isinstance(i, ReplyData)]
        assert (len(mentions), len(replies)) == (15, 14) and spider.errors == []
        assert all(m.addressed_accounts == ["sberbank"] and m.text and m.author for m in mentions)
        assert all("Ð" not in m.text and "Р°" not in m.text for m in mentions)  # decoded right, not mojibake
        assert all(r.account == "sberbank" and r.text for r in replies)
        assert [r.url for r in items if isinstance(r, Request)] == [url.replace("p=1", "p=2")]


def test_telegram_widgets() -> None:
    for name, poll in (("poll", True), ("text", False), ("media_forwarded_from", False)):
        body = sample(f"telegram/any2feed_fragment_message_{name}.html")
        page = Selector(text="<html><body>" + body.decode("utf-8") + "</body></html>")
        item = TelegramSpider().parse_message(page.css(".tgme_widget_message[data-post]")[0], "x")
        assert item is not None and item.text and item.views
        if poll:  # the question and its three options, one a line
            assert len(item.text.split("\n")) == 4
        assert "%" not in item.text and "Anonymous" not in item.text


def test_vk_wall_rss_and_mastodon() -> None:
    url = "https://api.vk.com/method/wall.get?owner_id=-109125816"
    response = TextResponse(url=url, body=sample("vk/wall_get_foodsharing_wrapped.json"), encoding="utf-8",
                            request=Request(url, meta={"target": "wall:-109125816", "owner": "-109125816",
                                                       "page": 1, "offset": 0}))
    spider = VkSpider(targets=["wall:-109125816"], token="t")
    assert len([i for i in spider.parse_wall(response) if isinstance(i, MentionData)]) == 10
    assert spider.errors == []

    url = "https://habr.com/ru/rss/best/weekly/"
    response = XmlResponse(url=url, body=sample("rss/habr_best_weekly_2021-06-13.xml"),
                           request=Request(url, meta={"target": url}))
    spider = RssSpider(targets=[url])
    entries = [i for i in spider.parse_feed(response) if isinstance(i, MentionData)]
    assert len(entries) == 20 and spider.errors == [] and all(e.text and e.title for e in entries)

    status = json.loads(sample("mastodon/docs_entity_status_example.json"))
    url = "https://mastodon.social/api/v1/timelines/tag/x"
    response = TextResponse(url=url, body=json.dumps([status]).encode(), encoding="utf-8",
                            request=Request(url, meta={"target": "x", "page": 1}))
    spider = MastodonSpider(targets=["x"])
    assert len([i for i in spider.parse_timeline(response) if isinstance(i, MentionData)]) == 1
