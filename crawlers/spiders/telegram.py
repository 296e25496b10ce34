"""Telegram public channels through the web preview ``/s/<channel>`` (older pages: ``?before=<id>``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from parsel import Selector
from scrapy.http import Request, Response

from crawlers.spiders.base import MolvaSpider
from crawlers.text import parse_count, parse_datetime, selector_text
from molva.ingest import MentionData


class TelegramSpider(MolvaSpider):
    name = "telegram"
    kind = "telegram"

    async def start(self) -> AsyncIterator[Any]:
        for channel in self.targets:
            channel = channel.lstrip("@").strip("/")
            yield self.request(f"{self.base_url}/s/{channel}", self.parse_page, channel, page=1)

    def parse_page(self, response: Response) -> Iterator[MentionData | Request]:
        channel: str = response.meta["target"]
        page: int = response.meta["page"]
        if self.cut_html(response):
            retry = self.retry_or_error(response, f"page cut short at {response.url} (no </html>)")
            if retry is not None:
                yield retry
            return
        selector = self.page_selector(response)
        if selector is None:
            return  # not readable in any charset: an error, not garbage
        missing = self.missing_markup(selector)
        if missing:
            retry = self.changed_markup(response, missing)
            if retry is not None:
                yield retry
            return
        widgets = selector.css(".tgme_widget_message[data-post]")
        self.page_ok()
        ids: list[str] = []
        malformed = f"malformed message widget in /s/{channel}"
        for _, item in self.entries(widgets, lambda w: self.parse_message(w, channel), malformed, channel,
                                    objects=False):
            if not isinstance(item, MentionData):
                continue  # a service message
            ids.append(item.external_id)
            if item.external_id not in self.known_ids:
                yield item
        before = selector.css("[data-before]::attr(data-before)").get()
        if before and self.should_page_on(channel, ids, page):
            yield self.request(f"{self.base_url}/s/{channel}?before={before}", self.parse_page, channel, page=page + 1)
        else:
            self.finish_target(channel, "known" if before and page < self.max_pages else ("end" if not before else "limit"))

    @staticmethod
    def missing_markup(page: Selector | Response) -> str | None:
        """The element a message page lacks (changed markup), or ``None`` when it reads as t.me/s."""
        all_widgets = page.css(".tgme_widget_message")
        if not all_widgets:
            if page.css(".tgme_channel_info, .tgme_channel_info_header, .tgme_channel_history, .tgme_page,"
                            " .tme_no_messages_found"):
                return None  # a channel without messages
            return '".tgme_widget_message" (and no channel header)'
        if not page.css(".tgme_widget_message[data-post]"):
            return '".tgme_widget_message[data-post]"'
        if not all_widgets.css(".tgme_widget_message_date time[datetime]"):
            return '".tgme_widget_message_date time[datetime]"'
        if not all_widgets.css(".tgme_widget_message_text, .tgme_widget_message_poll_question"):
            return '".tgme_widget_message_text"'
        return None

    def parse_message(self, widget: Selector, channel: str = "") -> MentionData | bool:
        """One message widget's mention; ``False`` for a service message ("Channel photo updated", "… pinned …",
        a rename); ``ValueError`` for a malformed widget."""
        if "service_message" in widget.attrib.get("class", "").split():
            return False
        post = widget.attrib.get("data-post", "")
        post_channel, _, message_id = post.rpartition("/")
        published = parse_datetime(widget.css(".tgme_widget_message_date time::attr(datetime)").get())
        if not post_channel or not message_id.isdigit() or published is None:
            raise ValueError(f"data-post={post!r}")
        body = widget.xpath(  # the message's own text, not the quoted one of a reply
            ".//*[contains(concat(' ', normalize-space(@class), ' '), ' tgme_widget_message_text ')]"
            "[not(ancestor::*[contains(@class, 'tgme_widget_message_reply')])]")
        text = selector_text(body)
        poll = widget.css(".tgme_widget_message_poll")
        if poll:  # the question and the options (not the percentages or the poll type)
            text = "\n".join(t for t in (text, selector_text(poll)) if t)
        forwarded = widget.css(".tgme_widget_message_forwarded_from_name")
        forwarded_from = forwarded.attrib.get("href") or selector_text(forwarded) or None if forwarded else None
        # the signature of a signed post (in the footer), else the channel's name (emoji included)
        author = selector_text(widget.css(".tgme_widget_message_from_author")) or selector_text(
            widget.css(".tgme_widget_message_owner_name"))
        reply_href = widget.css("a.tgme_widget_message_reply::attr(href)").get()
        parent = None
        if reply_href:
            parent_id = reply_href.rstrip("/").rpartition("/")[2]
            parent = f"{post_channel}/{parent_id}" if parent_id.isdigit() else None
        return MentionData(
            kind="telegram",
            external_id=post,
            url=f"{self.base_url}/{post_channel}/{message_id}",
            text=text,
            published_at=published,
            author=(author or "").strip() or None,
            author_id=post_channel,
            views=parse_count(widget.css(".tgme_widget_message_views::text").get()),
            forwarded_from=forwarded_from,
            parent_external_id=parent,
        )
