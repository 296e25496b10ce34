"""What every Molva spider shares: its source, incremental state, error accounting."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from typing import Any, ClassVar, TypeVar

import scrapy
from parsel import Selector
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.http import Request, Response
from twisted.python.failure import Failure

from crawlers.text import MALFORMED_ENTRY, decode_page

log = logging.getLogger(__name__)

T = TypeVar("T")



def describe(value: Any, limit: int = 60) -> str:
    """A short, one-line ``repr`` of a value from a page (for error lines)."""
    text = " ".join(repr(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def default_base_url(kind: str) -> str:
    """The real service of a registered kind ("" for none, or an unknown kind)."""
    from molva import sources

    try:
        return sources.get(kind).default_base_url if kind else ""
    except KeyError:
        return ""


class MolvaSpider(scrapy.Spider):
    """Base spider: one configured source, its targets, what it already has and where it stopped.

    Incremental crawling: a target's pages are read newest first and paging stops at a page whose
    items are all already stored — but only when the previous crawl of that target got to the end
    (``state["targets"][target]["complete"]``); otherwise the whole history is walked again (up to
    ``max_pages``), so an interrupted crawl leaves nothing behind.
    """

    kind: ClassVar[str] = ""

    def __init__(
        self,
        source_name: str = "",
        targets: Iterable[str] = (),
        base_url: str = "",
        state: dict[str, Any] | None = None,
        known_ids: Iterable[str] = (),
        max_pages: int = 20,
        options: dict[str, Any] | None = None,
        official_accounts: Iterable[str] = (),
        source_id: int | None = None,
        run_id: int | None = None,
        interval: int = 900,
        replied_ids: Iterable[str] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(name=kwargs.pop("name", None) or self.kind or None, **kwargs)
        self.source_name = source_name or self.kind
        self.targets = list(targets)
        self.base_url = (base_url or default_base_url(self.kind)).rstrip("/")
        self.state: dict[str, Any] = dict(state or {})
        self.known_ids = set(known_ids)
        self.max_pages = max_pages
        self.options = dict(options or {})
        self.official_accounts = {a.lower().lstrip("@") for a in official_accounts}
        self.source_id = source_id
        self.run_id = run_id
        self.interval = interval
        self.replied_ids = set(replied_ids)  # mentions that already have an official reply
        self.errors: list[str] = []
        self.fatal: str | None = None
        self.pages_ok = 0
        self.state_updates: dict[str, Any] = {}
        self._target_errors: set[str] = set()
        self._requested: set[str] = set()  # targets with a request scheduled (or dropped)
        self._answered: set[str] = set()  # targets with an answer that is not a redirect nor an HTTP error
        self._read_checked = False

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> MolvaSpider:
        kwargs.setdefault("max_pages", crawler.settings.getint("MOLVA_MAX_PAGES", 20))
        spider = super().from_crawler(crawler, *args, **kwargs)
        assert isinstance(spider, MolvaSpider)
        crawler.signals.connect(spider.on_request_scheduled, signal=signals.request_scheduled)
        crawler.signals.connect(spider.on_response_received, signal=signals.response_received)
        crawler.signals.connect(spider.on_request_dropped, signal=signals.request_dropped)
        return spider

    # --- what each target got -------------------------------------------------------------------

    def on_request_scheduled(self, request: Request, spider: scrapy.Spider) -> None:
        if spider is self and request.meta.get("target") is not None:
            self._requested.add(request.meta["target"])

    def on_response_received(self, response: Response, request: Request, spider: scrapy.Spider) -> None:
        target = request.meta.get("target")
        if spider is self and target is not None and (response.status < 300 or response.status == 304):
            self._answered.add(target)

    def on_request_dropped(self, request: Request, spider: scrapy.Spider) -> None:
        """A request the scheduler dropped as already seen. A redirect back to an address of its own chain
        (a 302 loop) is an error of its target: the dupefilter drops it silently, with no errback."""
        target = request.meta.get("target")
        if spider is not self or target is None:
            return
        self._requested.add(target)
        chain = list(request.meta.get("redirect_urls") or [])
        if request.url in chain:
            self.record_error(f"слишком много перенаправлений / цикл: {' → '.join([*chain, request.url])}", target)
        else:  # the same address asked for twice (two targets of one feed, a page that pages to itself)
            self._answered.add(target)
            self.logger.debug("%s: %s already requested in this crawl", self.source_name, request.url)

    def check_targets_read(self, reason: str, shared: bool = False) -> None:
        """When the crawl finished: a target that was asked for and got no page at all, nor an error (its
        request dropped, say), is an error of that target — not an "ok" crawl with 0 pages. Skipped when
        processes share the crawl (another one may have read it) or it was interrupted."""
        if self._read_checked or reason != "finished" or shared:
            return
        self._read_checked = True
        for target in sorted(self._requested - self._answered - self._target_errors):
            self.record_error(f"{target}: ни одной страницы не получено (запрос отброшен: перенаправления?)", target)

    # --- errors ---------------------------------------------------------------------------------

    def record_error(self, message: str, target: str | None = None, fatal: bool = False) -> None:
        """Count an error of this source (recorded in its crawl run) and log it clearly."""
        self.errors.append(message)
        if target is not None:
            self.mark_incomplete(target)
        if fatal:
            self.fatal = message
        self.logger.error("%s: %s", self.source_name, message)

    def mark_incomplete(self, target: str) -> None:
        """The target had an error: the next crawl walks its whole history again (even if it finished now)."""
        self._target_errors.add(target)
        self.update_target(target, complete=False)

    def entries(self, values: Any, build: Callable[[Any], T | None], malformed: str, target: str | None,
                objects: bool = True) -> Iterator[tuple[Any, T]]:
        """``(entry, build(entry))`` for each entry of a page's list (posts, statuses, comments, profiles).

        An entry that cannot be read — not an object (with ``objects``), ``build`` gives ``None``, or fails on
        data of an unexpected shape (:data:`MALFORMED_ENTRY`) — is skipped with one error line, ``malformed``
        and the reason, counted as an error of ``target``; the other entries are kept. A ``values`` that is not
        a list is one error too (nothing to read)."""
        if values is None:
            return
        if not isinstance(values, list | tuple):
            self.record_error(f"{malformed}: expected a list, got {describe(values)}", target)
            return
        for value in values:
            if objects and not isinstance(value, dict):
                self.record_error(f"{malformed}: not an object: {describe(value)}", target)
                continue
            try:
                built = build(value)
            except MALFORMED_ENTRY as exc:
                reason = f"no {exc.args[0]!r}" if isinstance(exc, KeyError) and exc.args else (
                    " ".join(str(exc).split()) or type(exc).__name__)
                self.record_error(f"{malformed}: {reason[:200]}", target)
                continue
            if built is None:
                self.record_error(malformed, target)
                continue
            yield value, built

    def retry_request(self, response: Response, reason: str) -> Request | None:
        """A retry of a broken answer (a malformed or cut body, changed markup): Scrapy's retry with its
        ``RETRY_TIMES`` budget; ``None`` when spent (or outside a crawl)."""
        if getattr(self, "crawler", None) is None or response.request is None:
            return None
        return get_retry_request(response.request, spider=self, reason=reason)

    def retry_or_error(self, response: Response, message: str, target: str | None = None) -> Request | None:
        """Retry a broken answer; once the retries are spent, record ``message`` as an error of ``target``."""
        retry = self.retry_request(response, message)
        if retry is None:
            self.record_error(message, target if target is not None else response.meta.get("target"))
        else:
            self.logger.warning("%s: %s; retrying", self.source_name, message)
        return retry

    def changed_markup(self, response: Response, missing: str) -> Request | None:
        """A page without an element the spider needs: retried, then an error naming the URL and the element."""
        return self.retry_or_error(response, f"changed markup at {response.url}: no {missing} element")

    def page_text(self, response: Response) -> str | None:
        """The page's text in the charset it is really in (:func:`crawlers.text.decode_page`: a page in
        windows-1251 sent as UTF-8 is read in windows-1251); ``None``, with an error of its target, when no
        charset reads it (garbage is never stored: no brand could match it)."""
        text, problem = decode_page(response)
        if problem is not None:
            self.record_error(problem, response.meta.get("target") if response.request is not None else None)
            return None
        if text != getattr(response, "text", None):
            self.logger.info("%s: %s read in another charset than it declares", self.source_name, response.url)
        return text

    def page_selector(self, response: Response) -> Selector | None:
        """A selector over :meth:`page_text` (``response.selector`` when the declared charset is right)."""
        text = self.page_text(response)
        if text is None:
            return None
        if text == getattr(response, "text", None):
            return response.selector  # type: ignore[attr-defined, no-any-return]
        return Selector(text=text, type="html")

    @staticmethod
    def cut_html(response: Response) -> bool:
        """An HTML page that does not end with ``</html>``: cut short (a complete page always does)."""
        return b"</html>" not in response.body[-512:].lower()

    def errback(self, failure: Failure) -> None:
        request = getattr(failure, "request", None)
        target = request.meta.get("target") if request is not None else None
        url = request.url if request is not None else "?"
        response = getattr(failure.value, "response", None)
        if response is not None:
            message = f"HTTP {response.status} from {url} (after retries)"
        else:
            message = f"{failure.type.__name__ if failure.type else 'error'} fetching {url}: {failure.getErrorMessage()}"
        self.record_error(message, target)

    def request(self, url: str, callback: Callable[..., Any], target: str, **meta: Any) -> Request:
        meta["target"] = target
        return Request(url, callback=callback, errback=self.errback, meta=meta)

    # --- incremental state ------------------------------------------------------------------------

    def target_state(self, target: str) -> dict[str, Any]:
        targets = self.state.get("targets") or {}
        value = targets.get(target) or {}
        return dict(value) if isinstance(value, dict) else {}

    def was_complete(self, target: str) -> bool:
        return bool(self.target_state(target).get("complete"))

    def should_page_on(self, target: str, ids: Iterable[str], page: int) -> bool:
        """Go on to the next (older) page? Not past ``max_pages``, nor past a page of known items."""
        if page >= self.max_pages:
            return False
        ids = list(ids)
        if not ids:
            return False
        if self.was_complete(target) and all(i in self.known_ids for i in ids):
            return False
        return True

    def update_target(self, target: str, **values: Any) -> None:
        """Record a target's new state; only the targets this spider touched are merged into the source's
        state when it closes (the others stay as the pipeline left them at the start: incomplete)."""
        targets = self.state_updates.setdefault("targets", {})
        current = dict(targets.get(target) or self.target_state(target))
        current.update(values, run=self.run_id)
        targets[target] = current

    def finish_target(self, target: str, reason: str, **values: Any) -> None:
        """A target's paging ended: at the ``end`` of its history, at ``known`` items, or at the page ``limit``.

        It is complete (the next crawl may stop at known items) unless it hit the limit or had errors.
        """
        complete = reason in ("end", "known") and target not in self._target_errors
        self.update_target(target, complete=complete, **values)

    def page_ok(self) -> None:
        self.pages_ok += 1
