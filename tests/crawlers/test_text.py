"""Text from markup (parsel/lxml, no regular expressions over markup) and the cleaning of every item."""

from __future__ import annotations

from datetime import UTC, datetime

from parsel import Selector

from crawlers.cleaning import CleanTextPipeline
from crawlers.spiders.telegram import TelegramSpider
from crawlers.text import html_to_text, parse_ru_datetime, selector_text
from molva.ingest import MentionData
from molva.textclean import clean_text

POLL_ONE_LINE = (
    '<div class="tgme_widget_message js-widget_message" data-post="testchan/77"><div class="tgme_widget_message_bubble">'
    '<div class="tgme_widget_message_poll js-poll"><div class="tgme_widget_message_poll_question">Чем платите?</div>'
    '<div class="tgme_widget_message_poll_type">Anonymous Poll</div><a class="tgme_widget_message_poll_options" '
    'href="https://t.me/testchan/77"><div class="tgme_widget_message_poll_option"><div class="tgme_widget_message_poll_option_percent">'
    '60%</div><div class="tgme_widget_message_poll_option_value"><div class="tgme_widget_message_poll_option_text">'
    'Картой</div></div></div><div class="tgme_widget_message_poll_option"><div class="tgme_widget_message_poll_option_percent">'
    '40%</div><div class="tgme_widget_message_poll_option_value"><div class="tgme_widget_message_poll_option_text">'
    'Наличными</div></div></div></a></div><div class="tgme_widget_message_footer"><div class="tgme_widget_message_info">'
    '<span class="tgme_widget_message_voters">10</span><span class="tgme_widget_message_views">1.5K</span>'
    '<a class="tgme_widget_message_date" href="https://t.me/testchan/77"><time datetime="2025-01-05T10:00:00+00:00">'
    '13:00</time></a></div></div></div></div>'
)

REINDENTED = """
<div class="tgme_widget_message_text js-message_text"
     dir="auto">Банк
    снова <b>не работает</b>,<br/>
    пишу
    <a href="https://example.org/x"
       target="_blank">в поддержку</a> <i class="emoji" style="background-image:url('//x/e.png')"><b>😡</b></i>
    <img class="emoji" src="//x/y.png" alt="👍" width="20"><br><br>
    Итог: ждём.
</div>"""


def test_line_breaks_blocks_and_editor_whitespace() -> None:
    assert html_to_text("<p>Первый</p><p>второй<br>третий<br/><br/><br/>четвёртый</p>") == \
        "Первый\nвторой\nтретий\n\nчетвёртый"
    assert html_to_text("<ul><li>один</li><li>два</li></ul><div>  три \n   четыре </div>") == "один\nдва\nтри четыре"
    assert html_to_text("a &amp; b&nbsp;c") == "a & b c"
    assert html_to_text("Первая строка.\r\n\r\n\n\n  Вторая   строка ") == "Первая строка.\n\nВторая строка"  # plain text
    assert html_to_text("<script>var x = 1;</script><style>p{}</style>Текст") == "Текст"
    assert html_to_text("") == "" and html_to_text(None) == ""


def test_reindented_telegram_text_emoji_and_links() -> None:
    text = selector_text(Selector(text=REINDENTED).css(".tgme_widget_message_text"))
    assert text == "Банк снова не работает,\nпишу в поддержку 😡 👍\n\nИтог: ждём."


def test_poll_keeps_question_and_options() -> None:
    page = Selector(text=f"<html><body>{POLL_ONE_LINE}</body></html>")
    item = TelegramSpider(base_url="https://t.me").parse_message(page.css(".tgme_widget_message")[0], "testchan")
    assert item is not None and item.text == "Чем платите?\nКартой\nНаличными"
    assert item.views == 1500


def test_nul_and_zero_width_characters_removed() -> None:
    assert clean_text("С\u200bбер\u200dбанк\x00 и\u00ad всё\ufeff\r\nок") == "Сбербанк и всё\nок"
    assert html_to_text("<p>С&#8203;бербанк\x00</p>") == "Сбербанк"


def test_every_item_is_cleaned_before_storage() -> None:
    item = MentionData(kind="vk", external_id="1_2", url="https://vk.com/wall1_2", text="Т\u200bБанк\x00 плохо",
                       published_at=datetime(2025, 1, 1, tzinfo=UTC), author="Имя\x00", addressed_accounts=["-1\u200b"])
    cleaned = CleanTextPipeline().process_item(item)
    assert (cleaned.text, cleaned.author, cleaned.addressed_accounts) == ("ТБанк плохо", "Имя", ["-1"])


def test_moscow_dates() -> None:
    assert parse_ru_datetime(" 09.04.2025 15:41 ") == datetime(2025, 4, 9, 12, 41, tzinfo=UTC)
    assert parse_ru_datetime("нет даты") is None


def test_mentions_built_anywhere_are_clean() -> None:
    """Not only spiders: any MentionData (an import, a test) is cleaned when it is built."""
    item = MentionData(kind="rss", external_id="x", url="https://e.example/x", text="Сбер\u200bбанк\x00",
                       published_at=datetime(2025, 1, 1, tzinfo=UTC), title="\ufeffЗаголовок")
    assert (item.text, item.title) == ("Сбербанк", "Заголовок")
