"""Delivering a topic alert: link it to a similar open topic, or create a topic on the built-in board or
in Discourse, recording the result in the same transaction that marks the outbox row sent.

Built-in board: one transaction creates the topic, links the post and marks the row sent (exactly once).
Discourse: the row is first marked as "may exist remotely" (``payload.discourse_external_id``, committed),
then ``POST /posts.json`` with that ``external_id``, then a second transaction records the topic and marks
the row sent. A later attempt on a marked row asks ``GET /t/external_id/{id}.json`` first, so a crash
between the POST and the commit finds the topic instead of creating a second one.

The external id names the complaint, not a database row: a hash of the post's canonical address and the
brand (:func:`remote_external_id`), the same in every database, so a restored database or a second one
(staging) against the same forum never meets another complaint's topic. A topic found by external id is
taken only when its first post shows the post's link; rows marked before this scheme keep their old
row-based id (``molva-topic-bm-<id>``) and are still found by it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime

import httpx
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from alerts.content import aspect_names, reply_body, topic_body, topic_title, topic_type
from alerts.discourse import DiscourseClient, RemoteTopic, ValidationFailed
from alerts.errors import ConfigurationError, PermanentError, TransientError
from alerts.grouping import find_group, group_key, post_stems
from alerts.rules import owner_for, rule_for
from molva import board
from molva.escaping import plain_title
from molva.models import AlertOutbox, BrandMention, Mention, SupportTopic, TopicMention
from molva.settings import Settings

DISCOURSE = "discourse"
MAX_CLOSED_TOPICS = 5  # closed Discourse topics skipped for one complaint before it waits for a retry


class Conflict(Exception):
    """Another dispatcher handled the row first; this transaction is rolled back."""


@dataclass(frozen=True)
class DiscourseTarget:
    url: str
    api_key: str
    api_username: str
    category: int | str | None


@dataclass(frozen=True)
class Outcome:
    status: str  # created|linked|skipped
    topic_id: int | None = None


@dataclass(frozen=True)
class RemotePlan:
    """What to send to Discourse, prepared in the first transaction."""

    row_id: int
    external_id: str
    title: str
    raw: str
    category: int | str | None
    links: tuple[str, ...] = ()  # the post's link as the topic body shows it (see shows_post)


@dataclass(frozen=True)
class RemoteReply:
    """A complaint joining an open Discourse topic as a reply, prepared in the first transaction."""

    row_id: int
    topic_id: int  # the local support topic
    remote_id: int  # its Discourse topic id
    raw: str
    links: tuple[str, ...]


def effective_adapter(settings: Settings, brand: str | None) -> str:
    """The board a topic goes to, decided when it is sent: the brand's ``adapter`` override, else
    ``alerts.adapter``. The Discourse settings (MOLVA_DISCOURSE_URL ...) only say where Discourse is; the
    adapter stored when the alert was queued is not used."""
    override = settings.alerts.brands.get(brand or "")
    if override is not None and override.adapter:
        return override.adapter
    return settings.alerts.adapter


def discourse_target(settings: Settings, brand: str | None) -> DiscourseTarget:
    override = settings.alerts.brands.get(brand or "")
    url = (override.discourse_url if override else None) or settings.discourse_url
    key = (override.discourse_api_key if override else None) or settings.discourse_api_key
    user = (override.discourse_api_username if override else None) or settings.discourse_api_username
    category = (override.discourse_category if override else None) or settings.alerts.discourse_category
    if not url or key is None or not key.get_secret_value().strip() or not user:
        raise ConfigurationError(
            "Discourse не настроен: нужны MOLVA_DISCOURSE_URL, MOLVA_DISCOURSE_API_KEY и MOLVA_DISCOURSE_API_USERNAME"
        )
    return DiscourseTarget(url.rstrip("/"), key.get_secret_value(), user, category)


# The first scheme named the outbox row ("molva-" + "topic:bm:<id>"): not unique across databases.
LEGACY_EXTERNAL_ID = re.compile(r"^molva-topic-bm-\d+$")


def remote_external_id(bm: BrandMention, mention: Mention) -> str:
    """The complaint's Discourse ``external_id``: a hash of the post's canonical address and the brand
    (40 characters; Discourse allows 50), the same whichever database sends it."""
    address = mention.canonical_url or mention.url or f"{mention.kind}:{mention.external_id}"
    digest = hashlib.sha256(f"{address}\n{bm.brand}".encode()).hexdigest()[:32]
    return f"molva-c-{digest}"


def post_links(mention: Mention | None) -> tuple[str, ...]:
    """The post's link as a topic body or reply may show it (``plain_title`` changes "@" in a link)."""
    if mention is None or not mention.url:
        return ()
    return tuple(dict.fromkeys((mention.url, plain_title(mention.url))))


def shows_link(text: str, links: tuple[str, ...]) -> bool:
    """``text`` holds one of ``links`` whole (not as the start of a longer address)."""
    return any(re.search(re.escape(link) + r"(?![\w/?#&=%~+.-])", text) for link in links if link)


def shows_post(remote: RemoteTopic, links: tuple[str, ...]) -> bool:
    """The topic's first post links the complaint's post: the topic found by external id is this one's."""
    return bool(remote.posts) and shows_link(remote.posts[0], links)


def _not_ours(remote: RemoteTopic, external_id: str) -> PermanentError:
    return PermanentError(
        f"тема Discourse {remote.url} с external_id {external_id} не содержит ссылки на эту публикацию: "
        "проверьте тему вручную"
    )


def mark_sent(session: Session, row_id: int, moment: datetime, topic_id: int | None, adapter: str) -> None:
    result = session.execute(
        update(AlertOutbox)
        .where(AlertOutbox.id == row_id, AlertOutbox.status == "pending")
        .values(status="sent", sent_at=moment, topic_id=topic_id, last_error=None, adapter=adapter)
    )
    if getattr(result, "rowcount", 1) != 1:
        raise Conflict(row_id)


def _linked_topic(session: Session, row: AlertOutbox, bm: BrandMention, adapter: str) -> int | None:
    """A topic of this brand and adapter that already holds the post (e.g. linked as a repost)."""
    return session.scalar(
        select(SupportTopic.id)
        .join(TopicMention, TopicMention.topic_id == SupportTopic.id)
        .where(
            TopicMention.mention_id == bm.mention_id,
            SupportTopic.brand == bm.brand,
            SupportTopic.adapter == adapter,
        )
        .limit(1)
    )


@dataclass(frozen=True)
class NewTopic:
    type: str
    brand: str
    title: str
    body: str
    assignee: str | None
    due_at: datetime
    group_key: str

    def create(
        self,
        session: Session,
        adapter: str,
        external_id: str,
        moment: datetime,
        url: str | None = None,
        remote_id: str | None = None,
    ) -> SupportTopic:
        return board.create_topic(
            session,
            adapter=adapter,
            external_id=external_id,
            type=self.type,
            brand=self.brand,
            title=self.title,
            body=self.body,
            created_at=moment,
            url=url,
            remote_id=remote_id,
            assignee=self.assignee,
            due_at=self.due_at,
            group_key=self.group_key,
        )


def new_topic(
    settings: Settings, bm: BrandMention, mention: Mention, row: AlertOutbox, moment: datetime
) -> NewTopic:
    """The topic's fields: title, body, the owner of its aspect (else the type's assignee), the answer-by time."""
    rule = rule_for(settings.alerts, bm.brand)
    type_ = topic_type(bm.intent, bm.sentiment)
    reasons = [str(r) for r in (row.payload or {}).get("rule", [])]
    owner = owner_for(rule, bm.aspects, type_)
    names = aspect_names(str(settings.catalog_path) if settings.catalog_path else None)
    due_at = board.answer_deadline(moment, settings.alerts.answer_business_days, settings.alerts.timezone)
    return NewTopic(
        type=type_,
        brand=bm.brand,
        title=topic_title(bm, mention, type_, names),
        body=topic_body(
            bm, mention, type_, reasons, settings.alerts.timezone, owner=owner, due_at=due_at, names=names
        ),
        assignee=owner,
        due_at=due_at,
        group_key=group_key(post_stems(bm, mention)),
    )


def plan_topic(
    session: Session, row: AlertOutbox, settings: Settings, adapter: str, moment: datetime
) -> Outcome | RemotePlan | RemoteReply:
    """Inside the row's transaction: link to an open similar topic (on Discourse: mark the row and return
    the reply to post there), or create a built-in topic, or (Discourse) mark the row as about to be
    created remotely and return what to send."""
    bm = session.get(BrandMention, row.brand_mention_id) if row.brand_mention_id else None
    if bm is None:
        session.execute(
            update(AlertOutbox)
            .where(AlertOutbox.id == row.id, AlertOutbox.status == "pending")
            .values(status="skipped", last_error="упоминание удалено")
        )
        return Outcome("skipped")
    mention = bm.mention
    already = _linked_topic(session, row, bm, adapter)
    if already is not None:
        mark_sent(session, row.id, moment, already, adapter)
        return Outcome("linked", already)
    match = find_group(
        session, bm, mention, adapter, settings.alerts.group_window, settings.alerts.group_similarity
    )
    if match is not None and adapter == DISCOURSE and match.topic.remote_id:
        payload = dict(row.payload or {})
        payload["discourse_reply_topic"] = match.topic.id
        session.execute(
            update(AlertOutbox)
            .where(AlertOutbox.id == row.id, AlertOutbox.status == "pending")
            .values(payload=payload, adapter=DISCOURSE)
        )
        return RemoteReply(
            row.id,
            match.topic.id,
            int(match.topic.remote_id),
            reply_body(bm, mention, settings.alerts.timezone),
            post_links(mention),
        )
    if match is not None:
        board.link_mention(session, match.topic.id, mention.id, bm.id, moment)
        mark_sent(session, row.id, moment, match.topic.id, adapter)
        return Outcome("linked", match.topic.id)
    fields = new_topic(settings, bm, mention, row, moment)
    if adapter != DISCOURSE:
        topic = fields.create(session, board.BUILTIN, row.idempotency_key, moment)
        board.link_mention(session, topic.id, mention.id, bm.id, moment)
        mark_sent(session, row.id, moment, topic.id, board.BUILTIN)
        return Outcome("created", topic.id)
    target = discourse_target(settings, bm.brand)
    external_id = remote_external_id(bm, mention)
    payload = dict(row.payload or {})
    payload["discourse_external_id"] = external_id
    payload["discourse_title"] = fields.title
    session.execute(
        update(AlertOutbox)
        .where(AlertOutbox.id == row.id, AlertOutbox.status == "pending")
        .values(payload=payload, adapter=DISCOURSE)
    )
    return RemotePlan(
        row.id, external_id, fields.title, fields.body, target.category, post_links(mention)
    )


def _find(client: DiscourseClient, external_id: str, links: tuple[str, ...]) -> RemoteTopic | None:
    """The complaint's topic by external id; one that does not link the post is refused."""
    found = client.find_by_external_id(external_id)
    if found is not None and not shows_post(found, links):
        raise _not_ours(found, external_id)
    return found


def send_remote(client: DiscourseClient, plan: RemotePlan) -> RemoteTopic:
    """Create the Discourse topic (finding it first); a taken title gets the alert number appended."""
    found = _find(client, plan.external_id, plan.links)
    if found is not None:
        return found
    try:
        return client.create_topic(
            title=plan.title, raw=plan.raw, external_id=plan.external_id, category=plan.category
        )
    except ValidationFailed as exc:
        found = _find(client, plan.external_id, plan.links)
        if found is not None:
            return found
        if not exc.title_taken:
            raise
    return client.create_topic(
        title=f"{plan.title[:100]} (обращение №{plan.row_id})",
        raw=plan.raw,
        external_id=plan.external_id,
        category=plan.category,
    )


def send_reply(client: DiscourseClient, plan: RemoteReply) -> bool:
    """Post the complaint in its topic unless a post there already links it (a retry after a crash
    between the POST and the commit); False when the topic was closed, archived or deleted meanwhile."""
    topic = client.get_topic(plan.remote_id, all_posts=True)
    if topic is not None and any(shows_link(text, plan.links) for text in topic.posts):
        return True
    if topic is None or topic.closed:
        return False
    client.reply(plan.remote_id, plan.raw)
    return True


def record_reply(session: Session, row_id: int, topic_id: int, moment: datetime) -> Outcome:
    """Second transaction of a reply: link the post to the topic, mark the row sent."""
    row = session.get(AlertOutbox, row_id)
    if row is None or row.status != "pending":
        raise Conflict(row_id)
    bm = session.get(BrandMention, row.brand_mention_id) if row.brand_mention_id else None
    if bm is not None:
        board.link_mention(session, topic_id, bm.mention_id, bm.id, moment)
    mark_sent(session, row_id, moment, topic_id, DISCOURSE)
    return Outcome("linked", topic_id)


def close_local(session: Session, topic_id: int) -> None:
    """The Discourse topic was closed, archived or deleted: resolved here too, so no complaint joins it."""
    topic = session.get(SupportTopic, topic_id)
    if topic is not None and topic.status in board.OPEN_STATUSES:
        board.set_status(session, topic_id, "resolved", by="Discourse")


def record_remote(
    session: Session, row_id: int, remote: RemoteTopic, settings: Settings, moment: datetime
) -> Outcome:
    """Second transaction: store the Discourse topic, link the post, mark the row sent."""
    row = session.get(AlertOutbox, row_id)
    if row is None or row.status != "pending":
        raise Conflict(row_id)
    bm = session.get(BrandMention, row.brand_mention_id) if row.brand_mention_id else None
    external_id = str((row.payload or {}).get("discourse_external_id") or "")
    if not external_id:
        if bm is None:
            raise PermanentError(f"тема Discourse {remote.url} создана, но упоминание удалено")
        external_id = remote_external_id(bm, bm.mention)
    topic = session.scalar(
        select(SupportTopic).where(SupportTopic.adapter == DISCOURSE, SupportTopic.external_id == external_id)
    )
    if topic is None:
        if bm is None:
            raise PermanentError(f"тема Discourse {remote.url} создана, но упоминание удалено")
        fields = new_topic(settings, bm, bm.mention, row, moment)
        topic = fields.create(
            session, DISCOURSE, external_id, moment, url=remote.url, remote_id=str(remote.id)
        )
    if bm is not None:
        board.link_mention(session, topic.id, bm.mention_id, bm.id, moment)
    mark_sent(session, row_id, moment, topic.id, DISCOURSE)
    return Outcome("created", topic.id)


def deliver_topic(
    factory: sessionmaker[Session],
    row_id: int,
    settings: Settings,
    moment: datetime,
    client_for: DiscourseClientFactory,
) -> Outcome:
    """All steps for one topic row; raises DeliveryError subclasses on failure, Conflict on a race."""
    with factory() as session, session.begin():
        row = session.get(AlertOutbox, row_id)
        if row is None or row.status != "pending":
            return Outcome("skipped")
        adapter = effective_adapter(settings, row.brand)
        payload = (row.payload or {}) if adapter == DISCOURSE else {}
        pending = payload.get("discourse_external_id")
        replying = session.get(SupportTopic, int(payload["discourse_reply_topic"])) if (
            payload.get("discourse_reply_topic")
        ) else None
        reply_to = (replying.id, int(replying.remote_id)) if replying and replying.remote_id else None
        brand = row.brand
        bm = session.get(BrandMention, row.brand_mention_id) if row.brand_mention_id else None
        links = post_links(bm.mention if bm is not None else None)
    if reply_to is not None:  # a reply may have been posted before a crash: look for the post's link
        topic = client_for(discourse_target(settings, brand)).get_topic(reply_to[1], all_posts=True)
        if topic is not None and any(shows_link(text, links) for text in topic.posts):
            with factory() as session, session.begin():
                return record_reply(session, row_id, reply_to[0], moment)
    if pending:
        client = client_for(discourse_target(settings, brand))
        found = client.find_by_external_id(str(pending))
        if found is not None:
            if shows_post(found, links):
                with factory() as session, session.begin():
                    return record_remote(session, row_id, found, settings, moment)
            if not LEGACY_EXTERNAL_ID.match(str(pending)):
                raise _not_ours(found, str(pending))
            # An old row-based id that another database's complaint already holds: this complaint is
            # planned again below under its own id.
    for _ in range(MAX_CLOSED_TOPICS):
        with factory() as session, session.begin():
            row = session.get(AlertOutbox, row_id)
            if row is None or row.status != "pending":
                return Outcome("skipped")
            planned = plan_topic(session, row, settings, adapter, moment)
        if not isinstance(planned, RemoteReply):
            break
        if send_reply(client_for(discourse_target(settings, brand)), planned):
            with factory() as session, session.begin():
                return record_reply(session, row_id, planned.topic_id, moment)
        with factory() as session, session.begin():  # closed on the board: plan again without it
            close_local(session, planned.topic_id)
    else:
        raise TransientError("Discourse: похожие темы закрываются одна за другой, повтор позже")
    if isinstance(planned, Outcome):
        return planned
    client = client_for(discourse_target(settings, brand))
    remote = send_remote(client, planned)
    with factory() as session, session.begin():
        return record_remote(session, row_id, remote, settings, moment)


class DiscourseClientFactory:
    """One DiscourseClient per target, sharing the dispatcher's httpx client."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http
        self._clients: dict[DiscourseTarget, DiscourseClient] = {}

    def __call__(self, target: DiscourseTarget) -> DiscourseClient:
        if target not in self._clients:
            self._clients[target] = DiscourseClient(
                self.http, target.url, target.api_key, target.api_username
            )
        return self._clients[target]
