"""banki.ru page readers on fixtures written in the real markup (our own text): the Q&A service in windows-1251
with the bank's answers and paging, the reviews list with its embedded JSON."""

from __future__ import annotations

from datetime import UTC, datetime

from crawl_fixtures import FIXTURES, fixture_response
from scrapy.http import HtmlResponse, Request

from crawlers.spiders.reviews import ReviewsSpider
from molva.ingest import MentionData, ReplyData

BASE = "https://www.banki.ru"
QA_URL = f"{BASE}/services/questions-answers/?id=1234567&p=1"


def split(items: object) -> tuple[list[MentionData], list[ReplyData], list[Request]]:
    items = list(items)  # type: ignore[call-overload]
    return ([i for i in items if isinstance(i, MentionData)], [i for i in items if isinstance(i, ReplyData)],
            [i for i in items if isinstance(i, Request)])


def qa_response(headers: dict[str, str] | None = None, body: bytes | None = None) -> HtmlResponse:
    request = Request(QA_URL, meta={"target": "qa:1234567", "page": 1})
    body = body if body is not None else (FIXTURES / "banki_qa_page.html").read_bytes()
    return HtmlResponse(url=QA_URL, body=body, request=request, headers=headers or {})


def test_qa_page_questions_answers_and_paging() -> None:
    spider = ReviewsSpider(targets=["qa:1234567"], base_url=BASE)
    # No charset in the HTTP headers: the page's own <meta> (windows-1251) decides.
    mentions, replies, requests = split(spider.parse_list(qa_response()))
    assert [m.external_id for m in mentions] == ["qa-90000004", "qa-90000003", "qa-90000002", "qa-90000001"]
    first = mentions[0]
    assert first.url == f"{BASE}/services/questions-answers/?questionId=90000004"
    # <br /> gives line breaks, <br /><br /> a blank line, entities decoded, the zero-width space removed.
    assert first.text == "Здравствуйте. Не приходит код подтверждения «по СМС».\nПробовал дважды.\n\nСпасибо, Иван"
    assert first.published_at == datetime(2025, 2, 3, 6, 5, tzinfo=UTC)  # 09:05 Moscow time
    assert (first.author, first.author_id, first.addressed_accounts) == ("ivan_k", "501", ["testbank"])
    assert mentions[1].author == "maria.s 1985"
    assert mentions[1].published_at == datetime(2025, 2, 2, 20, 40, tzinfo=UTC)
    assert mentions[2].text == "Почему списали комиссию за обслуживание карты 😡?"
    # Three answers (the first question has none): official replies of the bank of the page.
    assert [r.parent_external_id for r in replies] == ["qa-90000003", "qa-90000002", "qa-90000001"]
    assert all(r.account == "testbank" for r in replies)
    assert replies[0].text == ("Здравствуйте!\nДа, вклад можно открыть в приложении: https://example.org/vklad\n"
                               "Минимальный срок — 3 месяца.")
    assert replies[1].text == "Здравствуйте.\n\nКомиссия списана по тарифу, подробности в тарифах."
    # The page shows no answer time: dated when first seen (never before the question).
    assert all(r.replied_at >= m.published_at for r, m in zip(replies, mentions[1:], strict=True))
    # Already answered at first sight: that time is only an upper bound, not an answer time.
    assert not any(r.replied_at_known for r in replies)
    # 47 questions, 15 a page: page 2 follows.
    assert [r.url for r in requests] == [f"{BASE}/services/questions-answers/?id=1234567&p=2"]
    assert spider.errors == []


def test_qa_page_decoded_by_the_declared_charset_or_as_saved() -> None:
    body = (FIXTURES / "banki_qa_page.html").read_bytes()
    declared = qa_response({"Content-Type": "text/html; charset=windows-1251"})
    resaved = qa_response(body=body.decode("cp1251").encode("utf-8"))  # saved again as UTF-8, meta unchanged
    for response in (declared, resaved):
        mentions, replies, _ = split(ReviewsSpider(targets=["qa:1234567"], base_url=BASE).parse_list(response))
        assert len(mentions) == 4 and len(replies) == 3
        assert mentions[3].text == "Спасибо за быструю помощь в отделении!"


def test_qa_incremental_known_questions_and_new_answers() -> None:
    known = ["qa-90000004", "qa-90000003", "qa-90000002", "qa-90000001"]
    spider = ReviewsSpider(targets=["qa:1234567"], base_url=BASE, known_ids=known, replied_ids=known[1:],
                           state={"targets": {"qa:1234567": {"complete": True}}})
    mentions, replies, requests = split(spider.parse_list(qa_response()))
    assert mentions == [] and replies == [] and requests == []  # nothing new: paging stops
    spider = ReviewsSpider(targets=["qa:1234567"], base_url=BASE, known_ids=known, replied_ids=known[2:],
                           state={"targets": {"qa:1234567": {"complete": True}}})
    mentions, replies, requests = split(spider.parse_list(qa_response()))
    assert mentions == [] and [r.parent_external_id for r in replies] == ["qa-90000003"] and requests
    # Stored unanswered by an earlier crawl, answered now: the answer came between the two crawls.
    assert replies[0].replied_at_known
    # Answers come late: the first pages are read again anyway (options.recheck_pages).
    spider = ReviewsSpider(targets=["qa:1234567"], base_url=BASE, known_ids=known, replied_ids=known[1:],
                           state={"targets": {"qa:1234567": {"complete": True}}}, options={"recheck_pages": 2})
    _, _, requests = split(spider.parse_list(qa_response()))
    assert [r.url for r in requests] == [f"{BASE}/services/questions-answers/?id=1234567&p=2"]


def test_qa_page_without_questions_is_changed_markup() -> None:
    body = (FIXTURES / "banki_qa_page.html").read_bytes().replace(b"questionId=", b"qid=")
    spider = ReviewsSpider(targets=["qa:1234567"], base_url=BASE)
    assert split(spider.parse_list(qa_response(body=body))) == ([], [], [])
    assert "changed markup" in spider.errors[0] and QA_URL in spider.errors[0]


def test_reviews_list_json_with_ratings_and_answers() -> None:
    url = f"{BASE}/services/responses/bank/testbank/?page=1"
    response = fixture_response("banki_reviews_list.html", url, {"target": "testbank", "page": 1},
                                headers={"Content-Type": "text/html; charset=utf-8"})
    spider = ReviewsSpider(targets=["testbank"], base_url=BASE, known_ids=["8000001"])
    mentions, replies, requests = split(spider.parse_list(response))
    assert [m.external_id for m in mentions] == ["8000003", "8000002"]  # 8000001 is known
    insurance, deposit = mentions
    assert insurance.url == f"{BASE}/services/responses/bank/response/8000003/"
    assert insurance.text == "Оформил кредит, а в договоре страховка.\nОтказаться не дали.\nПрошу вернуть деньги!"
    assert (insurance.title, insurance.rating, insurance.author) == ("Навязали страховку", 1, "sergey77")
    assert insurance.published_at == datetime(2025, 3, 2, 7, 15, tzinfo=UTC)
    assert insurance.addressed_accounts == ["testbank"]
    assert deposit.rating is None and deposit.text == "Вопрос по вкладу: когда придут проценты?"
    assert [r.parent_external_id for r in replies] == ["8000003", "8000002"]
    assert replies[0].replied_at == datetime(2025, 3, 2, 9, 45, tzinfo=UTC)
    assert replies[0].text == "Здравствуйте! Проверим договор и вернёмся с ответом."
    assert replies[1].replied_at >= deposit.published_at  # no answer time in the JSON: first seen
    assert replies[0].replied_at_known and not replies[1].replied_at_known
    assert [r.url for r in requests] == [f"{BASE}/services/responses/bank/testbank/?page=2"]
    assert any("malformed review" in e for e in spider.errors)  # the item without a numeric id


def test_reviews_list_json_end_of_list() -> None:
    body = (FIXTURES / "banki_reviews_list.html").read_bytes().replace(b"&quot;hasMorePages&quot;: true",
                                                                        b"&quot;hasMorePages&quot;: false")
    url = f"{BASE}/services/responses/bank/testbank/?page=3"
    response = HtmlResponse(url=url, body=body, encoding="utf-8",
                            request=Request(url, meta={"target": "testbank", "page": 3}))
    spider = ReviewsSpider(targets=["testbank"], base_url=BASE)
    _, _, requests = split(spider.parse_list(response))
    assert requests == []
    assert spider.state_updates["targets"]["testbank"]["complete"] is False  # one malformed item: walk again


def test_review_page_of_the_newer_layout() -> None:
    """Generated class names: the page is read by its h1, markdown block, grade attribute and Moscow date."""
    url = f"{BASE}/services/responses/bank/response/8000010/"
    response = fixture_response("banki_review_page_new.html", url, {"target": "testbank", "review_id": "8000010"},
                                headers={"Content-Type": "text/html; charset=utf-8"})
    spider = ReviewsSpider(targets=["testbank"], base_url=BASE)
    mentions, replies, _ = split(spider.parse_list(response))
    (review,) = mentions
    assert (review.external_id, review.url, review.title, review.rating) == ("8000010", url, "Не вернули комиссию", 2)
    assert review.text == "Списали комиссию за перевод,\nхотя обещали без неё.\nпервое обращение\nвторое обращение"
    assert review.published_at == datetime(2025, 2, 14, 13, 20, tzinfo=UTC)
    assert review.addressed_accounts == ["testbank"] and replies == [] and spider.errors == []
