"""Storing one source's items: mentions, their catalog brands, official replies — bulk SQL, no ORM objects.

Everything runs on the caller's :class:`~sqlalchemy.orm.Session` (the caller owns the transaction: the Scrapy
item pipeline and ``molva import`` commit in small batches so that a killed process keeps what it stored).
A batch costs a handful of statements: one lookup of known ids, one of known URLs, one of parents, one
``INSERT … ON CONFLICT DO NOTHING … RETURNING`` of the new mentions, one multi-row INSERT of their brands,
one lookup of stored copies by content hash, one or two of the copies' roots and one ``executemany`` of the
near-duplicate links.

Duplicates are handled in three layers:

* the same post again (same source and external id) is a no-op — that is what makes crawls incremental;
* the same post under another address (same *canonical URL*, e.g. with tracking parameters, or the same
  VK post found by a wall crawl and by a search) is skipped;
* a repost — the same or almost the same text under its own URL — is stored as its own mention and linked
  to the earliest copy through ``near_duplicate_of_id``: a Telegram forward through its "forwarded from"
  link; otherwise (not for brands' own posts, and only for texts of 8+ words) the same normalised-text hash,
  or word 3-shingles covering 85% of the shorter text with the same catalog brands (MinHash LSH over the
  latest mentions, :mod:`molva.ingest.dedup`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from molva import rollups, source_counts
from molva.catalog import Catalog
from molva.ingest.bulk import copy_insert, driver_connection, is_postgres, one_of, sqlite_in, sqlite_insert
from molva.ingest.data import MentionData, ReplyData, StoreResult
from molva.ingest.dedup import ShingleIndex
from molva.ingest.prepare import Prepared, Preparer
from molva.ingest.urls import normalize_text
from molva.models import BrandMention, CrawlRun, Mention, OfficialReply, Source, as_utc, utcnow

PRELOAD_TEXTS = 20_000  # the latest stored mentions searched for near-duplicates of new ones
CHUNK = 500  # values in one IN (...) list

MENTIONS: Table = Mention.__table__  # type: ignore[assignment]
BRAND_MENTIONS: Table = BrandMention.__table__  # type: ignore[assignment]
REPLIES: Table = OfficialReply.__table__  # type: ignore[assignment]
COUNTERS = ("likes", "reposts", "comments", "views")
COLUMNS = ("source_id", "kind", "external_id", "url", "canonical_url", "author", "author_id", "author_followers",
           "title", "text", "language", "published_at", "fetched_at", "likes", "reposts", "comments", "views",
           "rating", "parent_id", "parent_external_id", "thread_external_id", "forwarded_from", "content_hash",
           "near_duplicate_of_id", "official_brand", "crawl_run_id")
BRAND_COLUMNS = ("mention_id", "brand", "alias", "span_start", "span_end", "published_at", "addressed",
                 "first_reply_at", "first_reply_known")
# places in a new mention's insert values (a list in COLUMNS order: no dict per row)
_PUBLISHED, _FETCHED, _PARENT = COLUMNS.index("published_at"), COLUMNS.index("fetched_at"), COLUMNS.index("parent_id")
_COUNTER_PLACES = tuple((name, COLUMNS.index(name)) for name in COUNTERS)


class _NewMentions:
    """A batch's new mentions in order, as parallel lists: their insert values (``COLUMNS`` order), items and
    prepared values; after the insert, their ids (``None``: stored meanwhile by another process and not found),
    UTC publication times and those times as written, and the mentions each one is a near-duplicate of."""

    __slots__ = ("ids", "items", "near", "preps", "published", "raced", "results", "values", "written")

    def __init__(self) -> None:
        self.values: list[list[Any]] = []
        self.items: list[MentionData] = []
        self.preps: list[Prepared] = []
        self.results: list[int] = []  # where each one's StoreResult is
        self.ids: list[int | None] = []
        self.published: list[datetime] = []
        self.written: list[Any] = []
        self.raced: set[int] = set()  # places of the rows another process stored first
        self.near: dict[int, int] = {}  # place -> the root it was linked to


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start:start + CHUNK]


def insert_ignoring_conflicts(session: Session, table: Table, index_elements: list[str]) -> Any:
    """``INSERT … ON CONFLICT (index_elements) DO NOTHING`` in the session's dialect."""
    dialect = session.get_bind().dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    return module.insert(table).on_conflict_do_nothing(index_elements=index_elements)


class Ingestor:
    """Stores one source's items during a crawl run (or an import): mentions, their brands, official replies."""

    def __init__(self, session: Session, catalog: Catalog, source: Source, run: CrawlRun | None = None) -> None:
        self.session = session
        self.catalog = catalog
        self.source = source
        self.source_id = source.id
        self.run = run
        self.run_id = run.id if run is not None else None
        self._postgres = is_postgres(session)
        dialect = session.get_bind().dialect
        # SQLite through the driver itself (same connection, same transaction): SQLAlchemy's per-row parameter
        # processing was most of the cost of a bulk insert. Datetimes are written as SQLAlchemy writes them.
        self._sqlite = dialect.driver == "pysqlite"
        when = MENTIONS.c.published_at.type.dialect_impl(dialect).bind_processor(dialect)
        self._datetime: Callable[[datetime], Any] = when if when is not None else (lambda value: value)
        self._brand_names = [brand.name for brand in catalog.brands]  # Catalog.spans gives their index
        self.index = ShingleIndex()
        self.preparer = Preparer(catalog, self.index)  # the per-post work of a batch's new mentions
        self.counts: dict[str, int] = {"new": 0, "known": 0, "duplicate_url": 0, "near_duplicate": 0,
                                       "replies": 0, "ignored_replies": 0}
        self._forwards: dict[str, list[int]] = {}  # original's canonical URL -> forwards not linked yet
        self._insert_mentions = insert_ignoring_conflicts(session, MENTIONS, ["source_id", "external_id"]).returning(
            MENTIONS.c.id, MENTIONS.c.external_id)
        self._insert_brands = insert_ignoring_conflicts(session, BRAND_MENTIONS, ["mention_id", "brand"])
        self._insert_reply = insert_ignoring_conflicts(
            session, REPLIES, ["mention_id", "brand", "reply_external_id"]).returning(REPLIES.c.id)
        self._repoint = update(MENTIONS).where(
            (MENTIONS.c.near_duplicate_of_id == bindparam("old")) | (MENTIONS.c.id == bindparam("old"))
        ).values(near_duplicate_of_id=bindparam("new"))
        self._link_to = update(MENTIONS).where(MENTIONS.c.id == bindparam("_id"))
        self._load_texts()

    def _load_texts(self) -> None:
        unlinked = select(MENTIONS.c.id, MENTIONS.c.forwarded_from).where(
            MENTIONS.c.forwarded_from.like("%://%"), MENTIONS.c.near_duplicate_of_id.is_(None)
        )
        for mention_id, forwarded_from in self.session.execute(unlinked):
            if forwarded_from:
                self._forwards.setdefault(forwarded_from, []).append(mention_id)
        query = (
            select(MENTIONS.c.id, MENTIONS.c.title, MENTIONS.c.text)
            .where(MENTIONS.c.official_brand.is_(None))
            .order_by(MENTIONS.c.id.desc())
            .limit(PRELOAD_TEXTS)
        )
        texts = list(self.session.execute(query).all())
        if not texts:
            return
        brands: dict[int, set[str]] = {}
        low = texts[-1][0]
        for mention_id, brand in self.session.execute(
            select(BRAND_MENTIONS.c.mention_id, BRAND_MENTIONS.c.brand).where(BRAND_MENTIONS.c.mention_id >= low)
        ):
            brands.setdefault(mention_id, set()).add(brand)
        texts.reverse()
        prepared = self.index.prepare([normalize_text(f"{title or ''} {text}") for _, title, text in texts])
        for (mention_id, _, _), (grams, keys) in zip(texts, prepared, strict=True):
            self.index.add(mention_id, grams, frozenset(brands.get(mention_id, ())), keys=keys)

    # --- mentions ---------------------------------------------------------------------------------------

    def store_mention(self, data: MentionData) -> StoreResult:
        return self.store_many([data])[0]

    def store_many(self, items: Sequence[MentionData]) -> list[StoreResult]:
        """Store a batch, with the same results as storing the items one by one in order.

        Near-duplicates are linked as one by one (the earliest copy is the root). A row that another process
        stores meanwhile (scale-out) is skipped by the INSERT and reported as known. Only the items not stored
        yet are prepared (:class:`~molva.ingest.prepare.Preparer`, in one pass), so a re-import prepares nothing.
        """
        if not items:
            return []
        session = self.session
        known = self._known(list(dict.fromkeys(item.external_id for item in items)))
        missing = [i for i, item in enumerate(items) if item.external_id not in known]
        prepared: list[Prepared | None] = [None] * len(items)
        for i, made in zip(missing, self.preparer.prepare([items[i] for i in missing]), strict=True):
            prepared[i] = made
        canonicals = {item.external_id: prep.canonical for item, prep in zip(items, prepared, strict=True)
                      if prep is not None and item.external_id not in known}
        taken = self._taken_urls(list(set(canonicals.values())))
        results: list[StoreResult] = []
        pending: dict[str, int] = {}  # external id -> its place among the new mentions
        new = _NewMentions()
        values, new_items, preps, places = new.values, new.items, new.preps, new.results
        changed: dict[int, dict[str, Any]] = {}
        now = utcnow()
        source_id, run_id = self.source_id, self.run_id
        for item, prep in zip(items, prepared, strict=True):
            external_id = item.external_id
            stored = known.get(external_id)
            if stored is not None:
                self.counts["known"] += 1
                if self._merge_counters(stored, item):
                    changed[stored["id"]] = stored
                results.append(StoreResult("known", stored["id"], session=session))
                continue
            place = pending.get(external_id)
            if place is not None:  # the same post twice in one batch
                self.counts["known"] += 1
                _merge_counters_into(values[place], item)
                results.append(StoreResult("known", None, session=session))
                continue
            canonical = canonicals[external_id]
            if canonical in taken:
                self.counts["duplicate_url"] += 1
                results.append(StoreResult("duplicate_url"))
                continue
            taken.add(canonical)
            assert prep is not None
            pending[external_id] = len(values)
            published = item.published_at
            values.append([  # COLUMNS
                source_id, item.kind, external_id, item.url, prep.canonical, item.author, item.author_id,
                item.author_followers, item.title, item.text, item.language,
                published if published.tzinfo is UTC else as_utc(published), now, item.likes, item.reposts,
                item.comments, item.views, item.rating, None, item.parent_external_id, item.thread_external_id,
                prep.forwarded, prep.content_hash, None, prep.official, run_id])
            new_items.append(item)
            preps.append(prep)
            places.append(len(results))
            results.append(StoreResult("new", None, session=session))
        if changed:
            session.execute(
                update(MENTIONS).where(MENTIONS.c.id == bindparam("_id")),
                [{"_id": row["id"], **{name: row[name] for name in COUNTERS}} for row in changed.values()],
            )
        if values:
            self._insert(new)
        near = new.near
        for place, (index, mention_id) in enumerate(zip(places, new.ids, strict=True)):
            result = results[index]
            result.mention_id = mention_id
            if place in new.raced:
                result.status = "known"
                self.counts["known"] += 1
            else:
                result.near_duplicate_of = near.get(place)
                self.counts["new"] += 1
        for result, item in zip(results, items, strict=True):  # repeats within the batch point at the new row
            if result.mention_id is None and result.status == "known":
                result.mention_id = new.ids[pending[item.external_id]]
        return results

    def _cursor(self) -> Any:
        return driver_connection(self.session).cursor()

    def _known(self, external_ids: list[str]) -> dict[str, dict[str, Any]]:
        known: dict[str, dict[str, Any]] = {}
        if self._sqlite:
            names = ("id", "external_id", *COUNTERS)
            for found in sqlite_in(self._cursor(), f"SELECT {', '.join(names)} FROM mentions "
                                   "WHERE source_id = ? AND external_id IN ({})", external_ids, (self.source_id,)):
                known[found[1]] = dict(zip(names, found, strict=True))
            return known
        columns = (MENTIONS.c.id, MENTIONS.c.external_id, *(MENTIONS.c[name] for name in COUNTERS))
        for chunk in _chunks(external_ids):
            query = select(*columns).where(MENTIONS.c.source_id == self.source_id, one_of(self.session, MENTIONS.c.external_id, chunk))
            for row in self.session.execute(query).mappings():
                known[row["external_id"]] = dict(row)
        return known

    def _taken_urls(self, urls: list[str]) -> set[str]:
        if self._sqlite:
            return {url for (url,) in sqlite_in(
                self._cursor(), "SELECT canonical_url FROM mentions WHERE canonical_url IN ({})", urls)}
        taken: set[str] = set()
        for chunk in _chunks(urls):
            taken.update(self.session.scalars(
                select(MENTIONS.c.canonical_url).where(one_of(self.session, MENTIONS.c.canonical_url, chunk))))
        return taken

    @staticmethod
    def _merge_counters(row: dict[str, Any], data: MentionData) -> bool:
        changed = False
        for name in COUNTERS:
            value = getattr(data, name)
            if value is not None and value != row[name]:
                row[name] = value
                changed = True
        return changed

    def _insert(self, new: _NewMentions) -> None:
        session = self.session
        values, items, preps = new.values, new.items, new.preps
        parents = list({item.parent_external_id for item in items if item.parent_external_id})
        if parents:
            parent_ids = self._ids_of(parents)
            for value, item in zip(values, items, strict=True):
                if item.parent_external_id:
                    value[_PARENT] = parent_ids.get(item.parent_external_id)
        new.published = published = [value[_PUBLISHED] for value in values]  # aware, UTC
        if self._postgres:  # COPY into a staging table, one INSERT … SELECT
            returned = copy_insert(session, MENTIONS, values, columns=COLUMNS,
                                   conflict="ON CONFLICT (source_id, external_id) DO NOTHING",
                                   returning=("id", "external_id"))
            written = published
        elif self._sqlite:
            process = self._datetime
            fetched = process(values[0][_FETCHED])
            written = []
            for value in values:
                # written once per row as SQLAlchemy writes it; the brand rows and copy keys reuse the text
                value[_PUBLISHED] = when = process(value[_PUBLISHED])
                value[_FETCHED] = fetched
                written.append(when)
            returned = sqlite_insert(self._cursor(), "mentions", COLUMNS, values,
                                     conflict="ON CONFLICT (source_id, external_id) DO NOTHING",
                                     returning="id, external_id")
        else:
            rows = [dict(zip(COLUMNS, value, strict=True)) for value in values]
            returned = [tuple(r) for r in session.execute(self._insert_mentions, rows)]
            written = published
        new.written = written
        inserted = {external_id: mention_id for mention_id, external_id in returned}
        new.ids = ids = [inserted.get(item.external_id) for item in items]
        stored = [place for place, mention_id in enumerate(ids) if mention_id is not None]
        late_parents = [{"_id": ids[place], "parent_id": inserted[item.parent_external_id]}
                        for place in stored for item in (items[place],)
                        if item.parent_external_id and values[place][_PARENT] is None
                        and item.parent_external_id in inserted]
        if late_parents:
            session.execute(update(MENTIONS).where(MENTIONS.c.id == bindparam("_id")), late_parents)
        if len(stored) < len(ids):  # another process stored these rows meanwhile: known
            new.raced = {place for place, mention_id in enumerate(ids) if mention_id is None}
            again = self._ids_of([items[place].external_id for place in sorted(new.raced)])
            for place in new.raced:
                ids[place] = again.get(items[place].external_id)
        source_counts.add(session, {self.source_id: len(stored)})  # the source health's count, same transaction
        brand_rows: list[tuple[Any, ...]] = []
        brands: list[frozenset[str]] = []  # of each stored row, in order
        # what each new brand mention counts for (rollups.contribution of an unclassified, unanswered one),
        # first per brand × hour × official × addressed, then as rollup keys
        found_by: Counter[tuple[str, datetime, bool, bool]] = Counter()
        hour_of = rollups.hour_of
        for place in stored:
            prep = preps[place]
            found = self._brand_rows(ids[place], written[place], items[place], prep)  # type: ignore[arg-type]
            brands.append(frozenset(found))
            if not found:
                continue
            brand_rows.extend(found.values())
            hour = hour_of(published[place])
            official = prep.official is not None
            for brand, found_row in found.items():
                found_by[(brand, hour, official, found_row[6])] += 1
        counts: Counter[rollups.Key] = Counter()
        for (brand, hour, official, addressed), number in found_by.items():
            base = (brand, hour, self.source_id, official)
            counts[(*base, "mentions", "")] += number
            counts[(*base, "sentiment", "")] += number
            if addressed:
                counts[(*base, "addressed", "")] += number
        if brand_rows:
            if self._postgres:  # fresh mention ids: no conflict possible
                copy_insert(session, BRAND_MENTIONS, brand_rows, columns=BRAND_COLUMNS)
            elif self._sqlite:
                self._cursor().executemany(  # published_at is SQLAlchemy's text already (_brand_rows)
                    f"INSERT INTO brand_mentions ({', '.join(BRAND_COLUMNS)}) VALUES ({', '.join('?' * 9)}) "
                    "ON CONFLICT (mention_id, brand) DO NOTHING", brand_rows)
            else:
                session.execute(self._insert_brands, [dict(zip(BRAND_COLUMNS, r, strict=True)) for r in brand_rows])
            rollups.apply(session, counts)
        self._link_batch(new, stored, brands)

    def _ids_of(self, external_ids: list[str]) -> dict[str, int]:
        ids: dict[str, int] = {}
        for chunk in _chunks(external_ids):
            query = select(MENTIONS.c.external_id, MENTIONS.c.id).where(
                MENTIONS.c.source_id == self.source_id, one_of(self.session, MENTIONS.c.external_id, chunk))
            ids.update((external_id, mention_id) for external_id, mention_id in self.session.execute(query))
        return ids

    def _brand_rows(self, mention_id: int, published: Any, data: MentionData,
                    prep: Prepared) -> dict[str, tuple[Any, ...]]:
        """The ``brand_mentions`` rows of a stored mention (tuples of ``BRAND_COLUMNS``; ``published`` as it is
        written), by brand: the first match of each brand in the text, else in the title, else the accounts it
        is addressed to."""
        found: dict[str, tuple[Any, ...]] = {}
        names = self._brand_names
        text = data.text
        for start, end, index in prep.spans:  # Catalog.match without its objects
            name = names[index]
            if name not in found:
                found[name] = (mention_id, name, text[start:end][:200], start, end, published, False, None, False)
        if data.title:
            title = data.title
            for start, end, index in prep.title_spans:
                name = names[index]
                if name not in found:
                    found[name] = (mention_id, name, title[start:end][:200], 0, 0, published, False, None, False)
        if prep.official is None:
            for account in data.addressed_accounts:
                brand = self.catalog.official_brand(data.kind, account)
                if brand is None:
                    continue
                old = found.get(brand.name)
                found[brand.name] = (*old[:6], True, None, False) if old is not None else (
                    mention_id, brand.name, account[:200], 0, 0, published, True, None, False)
        return found

    # --- near-duplicates --------------------------------------------------------------------------------

    def _link_batch(self, new: _NewMentions, stored: list[int], brands: list[frozenset[str]]) -> None:
        """Link the batch's reposts one by one, in order, as if its later mentions were not stored yet
        (``stored``: the places of the rows stored now; ``brands``: theirs)."""
        if not stored:
            return
        ids, preps, written = new.ids, new.preps, new.written
        batch: set[int] = {ids[place] for place in stored}  # type: ignore[misc]
        copies = self._hash_copies({preps[place].content_hash for place in stored if preps[place].official is None},
                                   batch)
        forwards = self._forward_targets(list({forwarded for place in stored
                                               if (forwarded := preps[place].forwarded) and "://" in forwarded}))
        earlier: dict[str, list[tuple[Any, int]]] = {}  # the batch's own copies, as they are linked in turn
        plan = [(place, *self._copy_of(ids[place], preps[place], written[place], found,  # type: ignore[arg-type]
                                       copies, earlier, forwards))
                for place, found in zip(stored, brands, strict=True)]
        self._link_all(new, plan)

    def _hash_copies(self, hashes: set[str], batch: set[int]) -> dict[str, list[tuple[Any, int]]]:
        """``(published_at, id)`` of the stored non-official mentions with these content hashes, but for the
        ``batch`` just inserted (usually none: a copy of an earlier post)."""
        found: dict[str, list[tuple[Any, int]]] = {}
        if self._sqlite:
            # this transaction has held the write lock since before the batch's INSERT: every other row has
            # a lower id
            for digest, published, mention_id in sqlite_in(
                    self._cursor(), "SELECT content_hash, published_at, id FROM mentions "
                    "WHERE id < ? AND content_hash IN ({}) AND official_brand IS NULL", list(hashes), (min(batch),)):
                # SQLAlchemy's fixed-width UTC text: sorts as the times do (compared with the batch's own in _link)
                found.setdefault(digest, []).append((published, mention_id))
            return found
        for chunk in _chunks(list(hashes)):
            query = select(MENTIONS.c.content_hash, MENTIONS.c.published_at, MENTIONS.c.id).where(
                one_of(self.session, MENTIONS.c.content_hash, chunk), MENTIONS.c.official_brand.is_(None))
            for digest, published, mention_id in self.session.execute(query):
                if mention_id not in batch:
                    found.setdefault(digest, []).append((as_utc(published), mention_id))
        return found

    def _forward_targets(self, urls: list[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        if self._sqlite:
            rows = sqlite_in(self._cursor(), "SELECT canonical_url, id FROM mentions WHERE canonical_url IN ({})", urls)
        else:
            rows = []
            for chunk in _chunks(urls):
                query = select(MENTIONS.c.canonical_url, MENTIONS.c.id).where(
                    one_of(self.session, MENTIONS.c.canonical_url, chunk))
                rows.extend(tuple(r) for r in self.session.execute(query))
        for url, mention_id in rows:
            found[url] = min(mention_id, found.get(url, mention_id))
        return found

    def _copy_of(self, mention_id: int, prep: Prepared, written: Any, brands: frozenset[str],
                 copies: dict[str, list[tuple[Any, int]]], earlier: dict[str, list[tuple[Any, int]]],
                 forwards: dict[str, int]) -> tuple[int | None, list[int]]:
        """The stored mention a new one copies, if any, and the forwards stored before it that it is the original
        of (no statement: :meth:`_link_all` writes the links); ``copies``: the stored ones with the same content
        hash before this batch, ``earlier``: those of this batch before this row."""
        other: int | None = None
        forwarded = prep.forwarded
        if forwarded and "://" in forwarded:
            other = forwards.get(forwarded)
            if other is None:
                self._forwards.setdefault(forwarded, []).append(mention_id)
        digest = prep.content_hash
        grams = prep.grams
        search = False
        if other is None and prep.official is None and grams:
            same = [*copies.get(digest, ()), *earlier.get(digest, ())]
            if same:
                other = min(same)[1]
            else:
                search = True  # the MinHash index, in the same pass that adds this text to it
        if prep.official is None:
            # the publication time as _hash_copies reads it: as written
            earlier.setdefault(digest, []).append((written, mention_id))
        found = self.index.add(mention_id, grams, brands, keys=prep.keys, search=search)
        if search:
            other = found
        return other, self._forwards.pop(prep.canonical, [])  # forwards stored before their original

    def _link_all(self, new: _NewMentions, plan: list[tuple[int, int | None, list[int]]]) -> None:
        """Link each new mention of ``plan`` (its place, the copy it found, the forwards waiting for it) in order, with
        the results of linking them one by one: each repost points at the earliest copy of its group (a new
        mention published before that root becomes the group's root). The roots of the copies found are read
        in one or two statements and followed in memory as the batch links them; the links are written in
        order, consecutive plain links in one ``executemany``."""
        ids, near = new.ids, new.near
        published = new.published  # aware, UTC
        batch: dict[int, datetime] = {ids[place]: published[place] for place, _, _ in plan}  # type: ignore[misc]
        # [published_at, root] of the mentions the links concern, the batch's made when first needed (most of
        # a batch links nothing); a batch mention has no root until this pass links it
        state: dict[int, list[Any]] = {}

        def entry(mention_id: int) -> list[Any] | None:
            found = state.get(mention_id)
            if found is None and mention_id in batch:
                found = state[mention_id] = [batch[mention_id], None]
            return found

        wanted = {other for _, other, _ in plan if other is not None}
        wanted.update(w for _, _, waiting in plan for w in waiting)
        self._read_links(state, wanted - batch.keys())
        self._read_links(state, {s[1] for s in state.values() if s[1] is not None} - batch.keys())  # their roots
        ops: list[tuple[str, Any, int]] = []  # ("link", id, root) | ("repoint", old root, new) | ("forwards", …)
        for place, other, waiting in plan:
            if other is None and not waiting:
                continue
            mention_id: int = ids[place]  # type: ignore[assignment]
            if waiting:
                for forward in waiting:
                    found = entry(forward)
                    if found is not None and found[1] is None:
                        found[1] = mention_id
                ops.append(("forwards", waiting, mention_id))
            found = entry(other) if other is not None else None
            if other is None or found is None:
                continue
            # its root (as the old LEFT JOIN on near_duplicate_of_id found it), else itself
            root = found[1]
            root_id: int = root if root is not None and (root in state or root in batch) else other
            if root_id == mention_id:
                continue
            self.counts["near_duplicate"] += 1
            mine, its = entry(mention_id), entry(root_id)
            assert mine is not None and its is not None
            if mine[0] < its[0]:  # the new mention is the earlier copy: it becomes the root
                for linked in state.values():
                    if linked[1] == root_id:
                        linked[1] = mention_id
                its[1] = mention_id
                ops.append(("repoint", root_id, mention_id))
                continue
            mine[1] = root_id
            near[place] = root_id
            ops.append(("link", mention_id, root_id))
        self._write_links(ops)

    def _read_links(self, state: dict[int, list[Any]], ids: set[int]) -> None:
        """Add ``[published_at, near_duplicate_of_id]`` of the stored mentions ``ids`` (those not in it) to
        ``state``."""
        ids -= state.keys()
        if not ids:
            return
        if self._sqlite:
            for mention_id, published, root in sqlite_in(
                    self._cursor(), "SELECT id, published_at, near_duplicate_of_id FROM mentions WHERE id IN ({})",
                    sorted(ids)):
                state[mention_id] = [_parse_sqlite_time(published), root]
            return
        for chunk in _chunks(sorted(ids)):
            query = select(MENTIONS.c.id, MENTIONS.c.published_at, MENTIONS.c.near_duplicate_of_id).where(
                one_of(self.session, MENTIONS.c.id, chunk))
            for mention_id, published, root in self.session.execute(query):
                state[mention_id] = [as_utc(published), root]

    def _write_links(self, ops: list[tuple[str, Any, int]]) -> None:
        """Write :meth:`_link_all`'s links in order: ``("link", id, root)``, ``("repoint", old root, new root)``,
        ``("forwards", ids, original)``."""
        cursor = self._cursor() if self._sqlite else None
        links: list[tuple[int, int]] = []  # (root, id) of consecutive plain links

        def flush() -> None:
            if not links:
                return
            if cursor is not None:
                cursor.executemany("UPDATE mentions SET near_duplicate_of_id = ? WHERE id = ?", links)
            else:
                self.session.execute(self._link_to, [{"_id": i, "near_duplicate_of_id": r} for r, i in links])
            links.clear()

        for kind, subject, target in ops:
            if kind == "link":
                links.append((target, subject))
                continue
            flush()
            if kind == "repoint":
                if cursor is not None:
                    cursor.execute("UPDATE mentions SET near_duplicate_of_id = ? WHERE near_duplicate_of_id = ? "
                                   "OR id = ?", (target, subject, subject))
                else:
                    self.session.execute(self._repoint, {"old": subject, "new": target})
                continue
            linked = self.session.execute(
                update(MENTIONS).where(MENTIONS.c.id.in_(subject), MENTIONS.c.near_duplicate_of_id.is_(None))
                .values(near_duplicate_of_id=target)
            )
            self.counts["near_duplicate"] += linked.rowcount  # type: ignore[attr-defined]
        flush()

    # --- official replies -------------------------------------------------------------------------------

    def store_reply(self, data: ReplyData) -> bool:
        """Store an official reply; ``False`` when the parent is not stored, the account is not official or
        the reply is stored already."""
        brand = self.catalog.official_brand(data.kind, data.account)
        parent = self.session.scalar(select(MENTIONS.c.id).where(
            MENTIONS.c.source_id == self.source_id, MENTIONS.c.external_id == data.parent_external_id))
        if brand is None or parent is None:
            self.counts["ignored_replies"] += 1
            return False
        stored = self.session.scalar(self._insert_reply, {
            "mention_id": parent, "brand": brand.name, "account": data.account,
            "reply_external_id": data.reply_external_id, "replied_at": as_utc(data.replied_at), "text": data.text,
            "url": data.url, "reply_mention_id": None, "replied_at_known": data.replied_at_known,
        })
        if stored is None:
            return False
        self.counts["replies"] += 1
        rollups.record_reply(self.session, parent, brand.name, data.replied_at, known=data.replied_at_known)
        return True


def _merge_counters_into(values: list[Any], data: MentionData) -> None:
    """:meth:`Ingestor._merge_counters` on a new mention's insert values."""
    for name, place in _COUNTER_PLACES:
        value = getattr(data, name)
        if value is not None and value != values[place]:
            values[place] = value


def _parse_sqlite_time(value: Any) -> datetime:
    """A datetime as SQLite hands it back through the driver (SQLAlchemy's text form), in UTC."""
    if isinstance(value, datetime):
        return as_utc(value)
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def store_all(ingestor: Ingestor, items: Iterable[MentionData | ReplyData]) -> list[StoreResult | bool]:
    """Store a sequence of items in order (a convenience for tests and scripts)."""
    results: list[StoreResult | bool] = []
    for item in items:
        results.append(ingestor.store_mention(item) if isinstance(item, MentionData) else ingestor.store_reply(item))
    return results


def brands_of(session: Session, mention_ids: Sequence[int]) -> dict[int, list[str]]:
    rows = session.execute(
        select(BRAND_MENTIONS.c.mention_id, BRAND_MENTIONS.c.brand).where(BRAND_MENTIONS.c.mention_id.in_(mention_ids))
    )
    out: dict[int, list[str]] = {}
    for mention_id, brand in rows:
        out.setdefault(mention_id, []).append(brand)
    return out
