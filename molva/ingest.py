"""Repository functions of the crawlers: sources, crawl runs, mentions, brand mentions, official replies.

Everything takes a :class:`~sqlalchemy.orm.Session`; the caller owns the transaction (the Scrapy item
pipeline commits in small batches so that a killed crawl keeps what it stored).

Duplicates are handled in three layers:

* the same post again (same source and external id) is a no-op — that is what makes crawls incremental;
* the same post under another address (same *canonical URL*, e.g. with tracking parameters, or the same
  VK post found by a wall crawl and by a search) is skipped;
* a repost — the same or almost the same text under its own URL — is stored as its own mention and linked
  to the earliest copy through ``near_duplicate_of_id``: a Telegram forward through its "forwarded from"
  link; otherwise (not for brands' own posts, and only for texts of 8+ words) the same normalised-text hash,
  or word 3-shingles covering 85% of the shorter text with the same catalog brands (an in-memory inverted index of recent mentions).
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from molva.catalog import Catalog
from molva.models import BrandMention, CrawlRun, Mention, OfficialReply, Source, as_utc
from molva.settings import SourceConfig
from molva.textclean import clean_fields

log = logging.getLogger(__name__)

NEAR_DUPLICATE_CONTAINMENT = 0.85
MIN_SHINGLE_WORDS = 8
COMMON_SHINGLE = 200  # a shingle in more texts than this is boilerplate (see ShingleIndex)
PRELOAD_TEXTS = 20_000  # the latest mentions searched for near-duplicates of new ones
MAX_BACKOFF = timedelta(days=1)

_TRACKING_PARAMS = re.compile(r"^(utm_\w+|fbclid|gclid|yclid|_openstat|from|ref|ref_src|share|igshid)$", re.I)
_URL_RE = re.compile(r"https?://\S+")
_WORD_RE = re.compile(r"[^\W_]+")


# --- plain data handed over by the spiders -----------------------------------------------------------


@dataclass
class MentionData:
    """One collected post or comment, as the spiders produce it."""

    kind: str
    external_id: str
    url: str
    text: str
    published_at: datetime
    title: str | None = None
    author: str | None = None
    author_id: str | None = None  # the account in the source's own terms (channel, owner id, acct, slug)
    author_followers: int | None = None
    likes: int | None = None
    reposts: int | None = None
    comments: int | None = None
    views: int | None = None
    rating: int | None = None
    language: str | None = None
    parent_external_id: str | None = None
    thread_external_id: str | None = None
    forwarded_from: str | None = None
    addressed_accounts: list[str] = field(default_factory=list)  # official accounts the post is addressed to

    def __post_init__(self) -> None:
        clean_fields(self)  # NUL, control and zero-width characters out before storage and matching


@dataclass
class ReplyData:
    """An official account's reply to a collected mention."""

    kind: str
    parent_external_id: str
    account: str
    reply_external_id: str
    replied_at: datetime
    text: str | None = None
    url: str | None = None
    replied_at_known: bool = True  # False: ``replied_at`` is only when the reply was first seen (no date shown)

    def __post_init__(self) -> None:
        clean_fields(self)


@dataclass
class StoreResult:
    status: str  # new | known | duplicate_url
    mention: Mention | None = None
    near_duplicate_of: int | None = None


# --- normalisation and fingerprints -----------------------------------------------------------------


def canonical_url(url: str) -> str:
    """The URL without tracking parameters, fragment, default port or trailing slash; sorted query."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower() or "https"
    host = (parts.hostname or "").lower()
    if host.startswith("www."):
        host = host[4:]
    port = parts.port
    netloc = host if port is None or (scheme, port) in (("http", 80), ("https", 443)) else f"{host}:{port}"
    path = re.sub(r"/{2,}", "/", parts.path or "/")
    if host == "t.me" and path.startswith("/s/"):
        path = path[2:]
    if len(path) > 1:
        path = path.rstrip("/")
    query = sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING_PARAMS.match(k))
    return urlunsplit((scheme, netloc, path, urlencode(query), ""))


def _canonical_or_text(value: str | None) -> str | None:
    return canonical_url(value) if value and "://" in value else value


def normalize_text(text: str) -> str:
    """Lower case, ``ё`` → ``е``, no URLs, words only, single spaces."""
    text = _URL_RE.sub(" ", text.lower().replace("ё", "е"))
    return " ".join(_WORD_RE.findall(text))


def content_hash(text: str, title: str | None = None) -> str:
    return hashlib.sha256(normalize_text(f"{title or ''} {text}").encode("utf-8")).hexdigest()


def shingles(text: str) -> frozenset[int]:
    """Hashes of the word 3-shingles of the normalised text (empty for texts too short to compare)."""
    words = normalize_text(text).split()
    if len(words) < MIN_SHINGLE_WORDS:
        return frozenset()
    return frozenset(
        int.from_bytes(hashlib.blake2b(" ".join(words[i : i + 3]).encode("utf-8"), digest_size=8).digest(), "big")
        for i in range(len(words) - 2)
    )


class ShingleIndex:
    """An inverted index of word shingles: the stored mention that a new text copies, if any.

    Two texts are near-duplicates when the shingles they share cover at least ``NEAR_DUPLICATE_CONTAINMENT``
    of the shorter one (a repost with a prefix such as "Репост:" or a trailing remark still contains the
    whole original).
    """

    def __init__(self) -> None:
        self._postings: dict[int, list[int]] = {}
        self._common: dict[int, set[int]] = {}  # shingles found in more than COMMON_SHINGLE texts
        self._sizes: dict[int, int] = {}

    def add(self, mention_id: int, grams: frozenset[int]) -> None:
        if not grams:
            return
        self._sizes[mention_id] = len(grams)
        for gram in grams:
            common = self._common.get(gram)
            if common is not None:
                common.add(mention_id)
                continue
            posting = self._postings.setdefault(gram, [])
            posting.append(mention_id)
            if len(posting) > COMMON_SHINGLE:  # boilerplate: a set, only checked for candidates found otherwise
                self._common[gram] = set(self._postings.pop(gram))

    def nearest(self, grams: frozenset[int], exclude: int | None = None) -> int | None:
        """Candidates come from the shingles that are not boilerplate; their boilerplate shingles count too.

        (So a text made only of boilerplate shingles finds no near-duplicate here; its exact copies are still
        found by the content hash.)
        """
        if not grams:
            return None
        shared: dict[int, int] = {}
        common: list[set[int]] = []
        for gram in grams:
            if gram in self._common:
                common.append(self._common[gram])
                continue
            for mention_id in self._postings.get(gram, ()):
                shared[mention_id] = shared.get(mention_id, 0) + 1
        if common:
            for mention_id in shared:
                shared[mention_id] += sum(1 for ids in common if mention_id in ids)
        best: tuple[float, int] | None = None
        for mention_id, count in shared.items():
            if mention_id == exclude:
                continue
            score = count / min(len(grams), self._sizes[mention_id])
            if score >= NEAR_DUPLICATE_CONTAINMENT and (best is None or (-score, mention_id) < best):
                best = (-score, mention_id)
        return best[1] if best else None


# --- sources and crawl runs -------------------------------------------------------------------------


def _now() -> datetime:
    return datetime.now(UTC)


def get_or_create_source(session: Session, config: SourceConfig) -> Source:
    """The ``sources`` row of a configured source (kind and base URL kept in sync with the config)."""
    source = session.scalar(select(Source).where(Source.name == config.name))
    if source is None:
        source = Source(name=config.name, kind=config.kind, base_url=config.effective_base_url, enabled=True,
                        consecutive_failures=0, state={})
        try:
            with session.begin_nested():
                session.add(source)
        except IntegrityError:  # another crawl process (scale-out) created it just now
            source = session.scalars(select(Source).where(Source.name == config.name)).one()
        else:
            return source
    source.kind = config.kind
    source.base_url = config.effective_base_url
    return source


def unavailable_reason(source: Source, now: datetime | None = None) -> str | None:
    """Why a source should not be crawled now (disabled, backing off), or ``None``."""
    if not source.enabled:
        return f"disabled: {source.disabled_reason or 'disabled'}"
    if source.backoff_until is not None and as_utc(source.backoff_until) > (now or _now()):
        return f"backing off until {as_utc(source.backoff_until).isoformat(timespec='seconds')}"
    return None


def enable_source(source: Source) -> None:
    source.enabled = True
    source.disabled_reason = None
    source.backoff_until = None
    source.consecutive_failures = 0


def start_run(session: Session, source: Source, stale_after: timedelta | None = None) -> CrawlRun:
    """A new ``running`` crawl run; runs left ``running`` by a killed crawl are closed as failed.

    ``stale_after``: with several crawl processes (scale-out) the others' runs are running too: only runs
    started longer ago than that are closed.
    """
    stale = [CrawlRun.source_id == source.id, CrawlRun.status == "running"]
    if stale_after is not None:
        stale.append(CrawlRun.started_at < _now() - stale_after)
    session.execute(
        update(CrawlRun)
        .where(*stale)
        .values(status="failed", finished_at=_now(), error_message="interrupted (the crawl process stopped)")
    )
    run = CrawlRun(source_id=source.id, status="running", items_seen=0, items_new=0, errors=0, stats={})
    session.add(run)
    session.flush()
    return run


def finish_run(
    session: Session,
    source: Source,
    run: CrawlRun,
    *,
    errors: int,
    error_message: str | None,
    fatal: bool,
    pages_ok: int,
    interval: int,
    disable_after: int,
    stats: dict[str, Any] | None = None,
) -> str:
    """Close the run and update the source's health; returns the run status (ok | partial | failed).

    A failed run (a fatal error, or errors and not one page fetched) counts as a consecutive failure:
    the source backs off for ``interval * 2**(failures-1)`` (at most a day) and is disabled after
    ``disable_after`` failures in a row. Any successful run resets the count.
    """
    now = _now()
    if fatal or (errors and not pages_ok):
        status = "failed"
    elif errors:
        status = "partial"
    else:
        status = "ok"
    run.status = status
    run.finished_at = now
    run.errors = errors
    run.error_message = error_message
    run.stats = dict(stats or {})
    if status == "failed":
        source.consecutive_failures = (source.consecutive_failures or 0) + 1
        failures = source.consecutive_failures
        delay = min(timedelta(seconds=interval * 2 ** (failures - 1)), MAX_BACKOFF)
        source.backoff_until = now + delay
        if disable_after and failures >= disable_after:
            source.enabled = False
            source.disabled_reason = (
                f"{failures} неудачных обходов подряд; последняя ошибка: {error_message or 'нет данных'}"
            )
            log.error("source %s disabled after %d consecutive failures: %s", source.name, failures, error_message)
    else:
        source.consecutive_failures = 0
        source.backoff_until = None
    return status


def known_external_ids(session: Session, source_id: int) -> set[str]:
    return set(session.scalars(select(Mention.external_id).where(Mention.source_id == source_id)))


def replied_mentions(session: Session, source_id: int) -> set[str]:
    """External ids of this source's mentions that already have an official reply."""
    query = (
        select(Mention.external_id)
        .join(OfficialReply, OfficialReply.mention_id == Mention.id)
        .where(Mention.source_id == source_id)
    )
    return set(session.scalars(query))


def set_state(source: Source, updates: dict[str, Any]) -> None:
    """Merge ``updates`` into ``Source.state`` (a new dict so that the JSON column is written)."""
    state = dict(source.state or {})
    state.update(updates)
    source.state = state


# --- storing ----------------------------------------------------------------------------------------


class Ingestor:
    """Stores one source's items during a crawl run: mentions, their brands, official replies."""

    def __init__(self, session: Session, catalog: Catalog, source: Source, run: CrawlRun | None = None) -> None:
        self.session = session
        self.catalog = catalog
        self.source = source
        self.run = run
        self.index = ShingleIndex()
        self.counts: dict[str, int] = {"new": 0, "known": 0, "duplicate_url": 0, "near_duplicate": 0,
                                       "replies": 0, "ignored_replies": 0}
        self._forwards: dict[str, list[int]] = {}  # original's canonical URL -> forwards not linked yet
        self._fresh_brands: dict[int, frozenset[str]] = {}  # store_many: brands of mentions not linked yet
        self._batch_hashes: dict[str, list[tuple[datetime, int]]] | None = None  # store_many: content hashes
        self._batch_pending: set[int] = set()  # store_many: mentions of the batch not linked yet
        self._load_texts()

    def _load_texts(self) -> None:
        unlinked = select(Mention.id, Mention.forwarded_from).where(
            Mention.forwarded_from.like("%://%"), Mention.near_duplicate_of_id.is_(None)
        )
        for mention_id, forwarded_from in self.session.execute(unlinked):
            if forwarded_from:
                self._forwards.setdefault(forwarded_from, []).append(mention_id)
        query = (
            select(Mention.id, Mention.title, Mention.text)
            .where(Mention.official_brand.is_(None))
            .order_by(Mention.id.desc())
            .limit(PRELOAD_TEXTS)
        )
        for mention_id, title, text in self.session.execute(query):
            self.index.add(mention_id, shingles(f"{title or ''} {text}"))

    def store_mention(self, data: MentionData) -> StoreResult:
        existing = self.session.scalar(
            select(Mention).where(Mention.source_id == self.source.id, Mention.external_id == data.external_id)
        )
        if existing is not None:
            self.counts["known"] += 1
            self._update_counters(existing, data)
            return StoreResult("known", existing)
        canonical = canonical_url(data.url)
        if self.session.scalar(select(Mention.id).where(Mention.canonical_url == canonical).limit(1)) is not None:
            self.counts["duplicate_url"] += 1
            return StoreResult("duplicate_url")
        official = self.catalog.official_brand(data.kind, data.author_id) if data.author_id else None
        mention = self._new_mention(data, canonical, official.name if official else None)
        if data.parent_external_id:
            mention.parent_id = self.session.scalar(
                select(Mention.id).where(Mention.source_id == self.source.id,
                                         Mention.external_id == data.parent_external_id)
            )
        self.session.add(mention)
        self.session.flush()
        brands = self._add_brands(mention, data, official.name if official else None)
        original = self._link_duplicate(mention, brands)
        self.counts["new"] += 1
        return StoreResult("new", mention, original)

    def store_many(self, items: Sequence[MentionData]) -> list[StoreResult]:
        """Store a batch: the same results as :meth:`store_mention` item by item, with a few queries per batch
        (known ids, known URLs, parents) and one batched INSERT of the new mentions and of their brands.

        Near-duplicates are linked as one by one (the earliest copy is the root). When another process stores
        one of the rows meanwhile (scale-out) the batch falls back to storing item by item.
        """
        if not items:
            return []
        ids = list(dict.fromkeys(item.external_id for item in items))
        known: dict[str, Mention] = {}
        for start in range(0, len(ids), 500):
            for mention in self.session.scalars(select(Mention).where(
                Mention.source_id == self.source.id, Mention.external_id.in_(ids[start:start + 500])
            )):
                known[mention.external_id] = mention
        canonicals = {item.external_id: canonical_url(item.url) for item in items if item.external_id not in known}
        wanted = list(set(canonicals.values()))
        taken: set[str] = set()
        for start in range(0, len(wanted), 500):
            taken.update(self.session.scalars(
                select(Mention.canonical_url).where(Mention.canonical_url.in_(wanted[start:start + 500]))
            ))
        results: list[StoreResult | None] = []
        fresh: list[tuple[int, MentionData, Mention, str | None]] = []
        for item in items:
            stored = known.get(item.external_id)
            if stored is not None:
                self.counts["known"] += 1
                self._update_counters(stored, item)
                results.append(StoreResult("known", stored))
                continue
            canonical = canonicals[item.external_id]
            if canonical in taken:
                self.counts["duplicate_url"] += 1
                results.append(StoreResult("duplicate_url"))
                continue
            official = self.catalog.official_brand(item.kind, item.author_id) if item.author_id else None
            mention = self._new_mention(item, canonical, official.name if official else None)
            known[item.external_id] = mention
            taken.add(canonical)
            fresh.append((len(results), item, mention, official.name if official else None))
            results.append(None)
        if fresh:
            try:
                with self.session.begin_nested():
                    self._insert_fresh(fresh)
            except IntegrityError:
                return [self.store_mention(item) for item in items]
            self._batch_pending = {mention.id for _, _, mention, _ in fresh}
            self._batch_hashes = self._hash_copies({mention.content_hash for _, _, mention, _ in fresh})
            try:
                for index, _item, mention, _official in fresh:
                    original = self._link_duplicate(mention, self._fresh_brands.pop(mention.id))
                    self._batch_pending.discard(mention.id)
                    self.counts["new"] += 1
                    results[index] = StoreResult("new", mention, original)
            finally:
                self._batch_hashes = None
                self._batch_pending = set()
        return [r for r in results if r is not None]

    def _hash_copies(self, hashes: set[str]) -> dict[str, list[tuple[datetime, int]]]:
        """``(published_at, id)`` of the stored non-official mentions with these content hashes."""
        copies: dict[str, list[tuple[datetime, int]]] = {}
        wanted = list(hashes)
        for start in range(0, len(wanted), 500):
            query = select(Mention.content_hash, Mention.published_at, Mention.id).where(
                Mention.content_hash.in_(wanted[start:start + 500]), Mention.official_brand.is_(None)
            )
            for digest, published, mention_id in self.session.execute(query):
                copies.setdefault(digest, []).append((as_utc(published), mention_id))
        return copies

    def _new_mention(self, data: MentionData, canonical: str, official: str | None) -> Mention:
        return Mention(
            source_id=self.source.id, kind=data.kind, external_id=data.external_id, url=data.url,
            canonical_url=canonical, author=data.author, author_id=data.author_id,
            author_followers=data.author_followers, title=data.title, text=data.text, language=data.language,
            published_at=as_utc(data.published_at), likes=data.likes, reposts=data.reposts,
            comments=data.comments, views=data.views, rating=data.rating,
            parent_external_id=data.parent_external_id, thread_external_id=data.thread_external_id,
            forwarded_from=_canonical_or_text(data.forwarded_from), content_hash=content_hash(data.text, data.title),
            official_brand=official, crawl_run_id=self.run.id if self.run else None,
        )

    def _insert_fresh(self, fresh: list[tuple[int, MentionData, Mention, str | None]]) -> None:
        """One batched INSERT of the new mentions, their parents, one of their brand rows."""
        parents = list({item.parent_external_id for _, item, _, _ in fresh if item.parent_external_id})
        parent_ids: dict[str, int] = {}
        for start in range(0, len(parents), 500):
            for external_id, mention_id in self.session.execute(select(Mention.external_id, Mention.id).where(
                Mention.source_id == self.source.id, Mention.external_id.in_(parents[start:start + 500])
            )):
                parent_ids[external_id] = mention_id
        self.session.add_all([mention for _, _, mention, _ in fresh])
        self.session.flush()
        by_external = {mention.external_id: mention.id for _, _, mention, _ in fresh}
        for _, item, mention, official_name in fresh:
            if item.parent_external_id:
                mention.parent_id = parent_ids.get(item.parent_external_id) or by_external.get(item.parent_external_id)
            self._fresh_brands[mention.id] = self._add_brands(mention, item, official_name)
        self.session.flush()

    def _update_counters(self, mention: Mention, data: MentionData) -> None:
        for name in ("likes", "reposts", "comments", "views"):
            value = getattr(data, name)
            if value is not None and value != getattr(mention, name):
                setattr(mention, name, value)

    def _find_original(self, mention: Mention, grams: frozenset[int], brands: frozenset[str]) -> Mention | None:
        if mention.forwarded_from and "://" in mention.forwarded_from:
            forwarded = self.session.scalar(
                select(Mention).where(Mention.canonical_url == mention.forwarded_from).limit(1)
            )
            if forwarded is not None:
                return forwarded
            self._forwards.setdefault(mention.forwarded_from, []).append(mention.id)
        if mention.official_brand is not None or not grams:
            return None  # brands' own posts repeat their templates; they are not reposts
        if self._batch_hashes is not None:  # store_many: as if the batch's later mentions were not stored yet
            copies = [(published, other) for published, other in self._batch_hashes.get(mention.content_hash, ())
                      if other != mention.id and other not in self._batch_pending]
            other_id = min(copies)[1] if copies else None
        else:
            other_id = self.session.scalar(
                select(Mention.id)
                .where(Mention.content_hash == mention.content_hash, Mention.id != mention.id,
                       Mention.official_brand.is_(None))
                .order_by(Mention.published_at, Mention.id)
                .limit(1)
            )
        if other_id is None:
            other_id = self.index.nearest(grams, exclude=mention.id)
            if other_id is not None and self._brands_of(other_id) != brands:
                other_id = None  # the same template about another brand is another post
        return self.session.get(Mention, other_id) if other_id is not None else None

    def _brands_of(self, mention_id: int) -> frozenset[str]:
        return frozenset(self.session.scalars(select(BrandMention.brand).where(BrandMention.mention_id == mention_id)))

    def _link_duplicate(self, mention: Mention, brands: frozenset[str]) -> int | None:
        """Link a repost to the earliest copy (the new mention may itself be the earlier one)."""
        grams = shingles(f"{mention.title or ''} {mention.text}") if mention.official_brand is None else frozenset()
        other = self._find_original(mention, grams, brands)
        self.index.add(mention.id, grams)
        for forward_id in self._forwards.pop(mention.canonical_url, []):  # forwards stored before their original
            forward = self.session.get(Mention, forward_id)
            if forward is not None and forward.near_duplicate_of_id is None:
                forward.near_duplicate_of_id = mention.id
                self.counts["near_duplicate"] += 1
        if other is None:
            return None
        root = (self.session.get(Mention, other.near_duplicate_of_id) if other.near_duplicate_of_id else None) or other
        if root.id == mention.id:
            return None
        self.counts["near_duplicate"] += 1
        if as_utc(mention.published_at) < as_utc(root.published_at):
            self.session.execute(
                update(Mention).where(Mention.near_duplicate_of_id == root.id).values(near_duplicate_of_id=mention.id)
            )
            root.near_duplicate_of_id = mention.id
            return None
        mention.near_duplicate_of_id = root.id
        return root.id

    def _add_brands(self, mention: Mention, data: MentionData, official: str | None) -> frozenset[str]:
        found: dict[str, BrandMention] = {}
        for match in self.catalog.match(data.text):
            if match.brand not in found:
                found[match.brand] = BrandMention(
                    mention_id=mention.id, brand=match.brand, alias=match.alias[:200], span_start=match.start,
                    span_end=match.end, published_at=mention.published_at, addressed=False,
                )
        if data.title:
            for match in self.catalog.match(data.title):
                if match.brand not in found:
                    found[match.brand] = BrandMention(
                        mention_id=mention.id, brand=match.brand, alias=match.alias[:200], span_start=0,
                        span_end=0, published_at=mention.published_at, addressed=False,
                    )
        if official is None:
            for account in data.addressed_accounts:
                brand = self.catalog.official_brand(data.kind, account)
                if brand is None:
                    continue
                row = found.get(brand.name)
                if row is None:
                    row = found[brand.name] = BrandMention(
                        mention_id=mention.id, brand=brand.name, alias=account[:200], span_start=0, span_end=0,
                        published_at=mention.published_at,
                    )
                row.addressed = True
        self.session.add_all(found.values())
        return frozenset(found)

    def store_reply(self, data: ReplyData) -> bool:
        """Store an official reply; ``False`` when the parent is not stored or the account is not official."""
        brand = self.catalog.official_brand(data.kind, data.account)
        parent = self.session.scalar(
            select(Mention).where(Mention.source_id == self.source.id,
                                  Mention.external_id == data.parent_external_id)
        )
        if brand is None or parent is None:
            self.counts["ignored_replies"] += 1
            return False
        exists = self.session.scalar(
            select(OfficialReply.id).where(
                OfficialReply.mention_id == parent.id, OfficialReply.brand == brand.name,
                OfficialReply.reply_external_id == data.reply_external_id,
            )
        )
        if exists is not None:
            return False
        self.session.add(OfficialReply(
            mention_id=parent.id, brand=brand.name, account=data.account, reply_external_id=data.reply_external_id,
            replied_at=as_utc(data.replied_at), replied_at_known=data.replied_at_known, text=data.text, url=data.url,
        ))
        self.session.flush()
        self.counts["replies"] += 1
        return True


def store_all(ingestor: Ingestor, items: Iterable[MentionData | ReplyData]) -> list[StoreResult | bool]:
    """Store a sequence of items in order (a convenience for tests and scripts)."""
    results: list[StoreResult | bool] = []
    for item in items:
        results.append(ingestor.store_mention(item) if isinstance(item, MentionData) else ingestor.store_reply(item))
    return results


def brands_of(session: Session, mention_ids: Sequence[int]) -> dict[int, list[str]]:
    rows = session.execute(
        select(BrandMention.mention_id, BrandMention.brand).where(BrandMention.mention_id.in_(mention_ids))
    )
    out: dict[int, list[str]] = {}
    for mention_id, brand in rows:
        out.setdefault(mention_id, []).append(brand)
    return out
