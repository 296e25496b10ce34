"""JSON APIs: VK (``/method/<name>``, v5.199) and Mastodon (``/api/v1/...``)."""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Any
from urllib.parse import quote

from molva.catalog import normalize
from simulator.model import Post
from simulator.world import World, iso

# --- VK ---------------------------------------------------------------------------------------------

VK_METHODS = ("wall.get", "wall.getById", "wall.getComments", "wall.getComment", "newsfeed.search")


def vk_error(code: int, msg: str, params: dict[str, str], method: str) -> dict[str, Any]:
    shown = [{"key": "oauth", "value": "1"}, {"key": "method", "value": method}]
    shown += [{"key": k, "value": v} for k, v in params.items() if k != "access_token"]
    return {"error": {"error_code": code, "error_msg": msg, "request_params": shown}}


def _int(params: dict[str, str], key: str, default: int, lo: int, hi: int) -> int:
    try:
        value = int(params.get(key, default))
    except ValueError:
        raise VkParamError(f"One of the parameters specified was missing or invalid: {key} not integer") from None
    return max(lo, min(hi, value))


class VkParamError(Exception):
    """VK error 100."""


def _vk_post(p: Post, posts_comments: dict[int, int], now: datetime) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": p.local_id, "from_id": -abs(int(p.target)) if p.is_official else p.author.id,
        "owner_id": int(p.target), "date": int(p.published.timestamp()), "marked_as_ads": 0,
        "post_type": "post", "text": p.text, "is_favorite": False,
        "comments": {"can_post": 1, "count": posts_comments.get(p.local_id, 0), "groups_can_post": True},
        "likes": {"can_like": 1, "count": (p.local_id * 7) % 97, "user_likes": 0, "can_publish": 1},
        "reposts": {"count": (p.local_id * 3) % 13, "user_reposted": 0},
        "views": {"count": 300 + (p.local_id * 131) % 40_000},
        "post_source": {"type": "vk" if not p.is_official else "api"},
    }
    return item


def vk_method(world: World, posts: list[Post], method: str, params: dict[str, str], now: datetime) -> dict[str, Any]:
    """Dispatch one VK API call (authorization and rate limits are checked by the server)."""
    try:
        if method == "wall.get":
            return _wall_get(world, posts, params, now)
        if method == "wall.getComments":
            return _wall_comments(posts, params, now)
        if method == "wall.getById":
            return _wall_get_by_id(world, posts, params, now)
        if method == "wall.getComment":
            return _wall_get_comment(world, posts, params, now)
        if method == "newsfeed.search":
            return _newsfeed_search(world, posts, params, now)
    except VkParamError as exc:
        return vk_error(100, str(exc), params, method)
    return vk_error(3, "Unknown method passed", params, method)


def _comment_counts(posts: list[Post], owner: str, now: datetime) -> dict[int, int]:
    counts: dict[int, int] = {}
    for p in posts:
        if p.sub == "vk_comment" and p.target == owner and p.parent is not None:
            n = 2 if p.answered_at(now) else 1
            counts[p.parent.local_id] = counts.get(p.parent.local_id, 0) + n
    return counts


def _wall_get(world: World, posts: list[Post], params: dict[str, str], now: datetime) -> dict[str, Any]:
    owner = params.get("owner_id", "")
    if not owner.lstrip("-").isdigit():
        raise VkParamError("One of the parameters specified was missing or invalid: owner_id is undefined")
    offset = _int(params, "offset", 0, 0, 10**9)
    count = _int(params, "count", 20, 0, 100)
    items = sorted((p for p in posts if p.kind == "vk" and p.parent is None and p.target == owner),
                   key=lambda p: -p.local_id)
    counts = _comment_counts(posts, owner, now)
    return {"response": {"count": len(items), "items": [_vk_post(p, counts, now) for p in items[offset:offset + count]]}}


def _vk_comment(p: Post, now: datetime, thread_items: int) -> dict[str, Any]:
    assert p.parent is not None
    item: dict[str, Any] = {
        "id": p.local_id, "from_id": p.author.id, "post_id": p.parent.local_id, "owner_id": int(p.target),
        "parents_stack": [], "date": int(p.published.timestamp()), "text": p.text,
        "likes": {"can_like": 1, "count": p.local_id % 5, "user_likes": 0},
    }
    replies = [_vk_reply(p)] if p.answered_at(now) else []
    item["thread"] = {"count": len(replies), "items": replies[:thread_items], "can_post": True,
                      "show_reply_button": True, "groups_can_post": True}
    return item


def _vk_reply(p: Post) -> dict[str, Any]:
    r = p.reply
    assert r is not None and p.parent is not None
    return {"id": r.local_id, "from_id": int(p.target), "post_id": p.parent.local_id, "owner_id": int(p.target),
            "parents_stack": [p.local_id], "date": int(r.published.timestamp()), "text": r.text,
            "reply_to_user": p.author.id, "reply_to_comment": p.local_id,
            "likes": {"can_like": 1, "count": 0, "user_likes": 0}}


def _wall_comments(posts: list[Post], params: dict[str, str], now: datetime) -> dict[str, Any]:
    owner, post_id = params.get("owner_id", ""), params.get("post_id", "")
    if not owner.lstrip("-").isdigit() or not post_id.isdigit():
        raise VkParamError("One of the parameters specified was missing or invalid: post_id is undefined")
    offset = _int(params, "offset", 0, 0, 10**9)
    count = _int(params, "count", 10, 0, 100)
    thread_items = _int(params, "thread_items_count", 0, 0, 10)
    comments = sorted((p for p in posts if p.sub == "vk_comment" and p.target == owner
                       and p.parent is not None and p.parent.local_id == int(post_id)), key=lambda p: p.local_id)
    if params.get("sort") == "desc":
        comments.reverse()
    base = {"can_post": True, "show_reply_button": True, "groups_can_post": True}
    if params.get("comment_id"):  # one thread: the replies under that comment
        cid = _int(params, "comment_id", 0, 0, 10**12)
        parent = next((c for c in comments if c.local_id == cid), None)
        replies = [_vk_reply(parent)] if parent is not None and parent.answered_at(now) else []
        return {"response": {"count": len(replies), "items": replies[offset:offset + count],
                             "current_level_count": len(replies), **base}}
    total = sum(2 if c.answered_at(now) else 1 for c in comments)
    items = [_vk_comment(c, now, thread_items) for c in comments[offset:offset + count]]
    return {"response": {"count": total, "items": items, "current_level_count": len(comments), **base}}


def _access_denied(world: World, owners: set[str], params: dict[str, str], method: str) -> dict[str, Any] | None:
    if owners & world.vk_closed:
        return vk_error(15, "Access denied: this wall is available only to community members", params, method)
    return None


def _wall_get_by_id(world: World, posts: list[Post], params: dict[str, str], now: datetime) -> dict[str, Any]:
    """``posts=<owner>_<id>,...`` (at most 100): the posts that exist, in the asked order; deleted or unknown
    ones are left out (as VK does)."""
    asked = [key.strip() for key in params.get("posts", "").split(",") if key.strip()]
    pairs = [tuple(key.split("_", 1)) for key in asked]
    if not pairs or len(pairs) > 100 or not all(len(p) == 2 and p[0].lstrip("-").isdigit() and p[1].isdigit()
                                                for p in pairs):
        raise VkParamError("One of the parameters specified was missing or invalid: posts is undefined")
    denied = _access_denied(world, {owner for owner, _ in pairs}, params, "wall.getById")
    if denied is not None:
        return denied
    walls = {(p.target, str(p.local_id)): p for p in posts if p.kind == "vk" and p.parent is None}
    items = []
    for owner, post_id in pairs:
        post = walls.get((owner, post_id))
        if post is not None:
            items.append(_vk_post(post, _comment_counts(posts, owner, now), now))
    body: dict[str, Any] = {"items": items}
    if params.get("extended") == "1":
        body.update(profiles=[], groups=[])
    return {"response": body}


def _wall_get_comment(world: World, posts: list[Post], params: dict[str, str], now: datetime) -> dict[str, Any]:
    """One comment by ``owner_id`` + ``comment_id``: a deleted one comes back flagged ``deleted: true`` without
    its text, an unknown id as no item."""
    owner, comment_id = params.get("owner_id", ""), params.get("comment_id", "")
    if not owner.lstrip("-").isdigit() or not comment_id.isdigit():
        raise VkParamError("One of the parameters specified was missing or invalid: comment_id is undefined")
    denied = _access_denied(world, {owner}, params, "wall.getComment")
    if denied is not None:
        return denied
    cid = int(comment_id)
    items: list[dict[str, Any]] = []
    for p in posts:
        if p.sub != "vk_comment" or p.target != owner or p.parent is None:
            continue
        if p.local_id == cid:
            items = [_vk_comment(p, now, 0)]
        elif p.reply is not None and p.reply.local_id == cid and p.answered_at(now):
            items = [_vk_reply(p)]
    gone = next((p for p in world.deleted if p.sub == "vk_comment" and p.target == owner and p.local_id == cid
                 and p.parent is not None), None)
    if not items and gone is not None and gone.parent is not None:
        items = [{"id": cid, "from_id": 0, "post_id": gone.parent.local_id, "owner_id": int(owner),
                  "date": int(gone.published.timestamp()), "text": "", "deleted": True}]
    return {"response": {"items": items, "can_post": True, "show_reply_button": True, "groups_can_post": True}}


def vk_search_matches(world: World, p: Post, query: str) -> bool:
    """newsfeed.search semantics here: the query (any case) occurs in the text, or names a brand of the post."""
    q = normalize(query.strip())
    if not q:
        return False
    if q in normalize(p.text):
        return True
    brand = next((b for b in world.brands if normalize(b.name) == q or q in (normalize(a) for a in b.aliases)), None)
    return brand is not None and brand.name in p.brands


def _vk_search_reply(p: Post) -> dict[str, Any]:
    assert p.parent is not None
    return {"inner_type": "wall_wallpost", "id": p.local_id, "owner_id": int(p.target), "from_id": p.author.id,
            "date": int(p.published.timestamp()), "post_type": "reply", "post_id": p.parent.local_id,
            "parents_stack": [], "text": p.text, "likes": {"can_like": 1, "count": p.local_id % 5, "user_likes": 0}}


def _newsfeed_search(world: World, posts: list[Post], params: dict[str, str], now: datetime) -> dict[str, Any]:
    query = params.get("q", "")
    count = _int(params, "count", 30, 0, 200)
    offset = _int(params, "start_from", 0, 0, 10**9) if params.get("start_from") else 0
    start_time = _int(params, "start_time", 0, 0, 2**40)
    end_time = _int(params, "end_time", 2**40, 0, 2**40)
    # Posts, and comments as items with ``post_type: "reply"`` (``post_id``: the post they sit under).
    found = [p for p in posts if p.kind == "vk" and (p.parent is None or p.sub == "vk_comment")
             and start_time <= p.published.timestamp() <= end_time and vk_search_matches(world, p, query)]
    found.sort(key=lambda p: p.published, reverse=True)
    page = found[offset:offset + count]
    counts: dict[int, int] = {}
    items = [_vk_post(p, counts, now) if p.parent is None else _vk_search_reply(p) for p in page]
    resp: dict[str, Any] = {"items": items, "count": len(page), "total_count": len(found)}
    if offset + count < len(found):
        resp["next_from"] = str(offset + count)
    return {"response": resp}


# --- Mastodon ---------------------------------------------------------------------------------------

def _account(acct: str, display: str, acc_id: int, followers: int, base: str) -> dict[str, Any]:
    username = acct.split("@")[0]
    return {
        "id": str(acc_id), "username": username, "acct": acct, "display_name": display, "locked": False,
        "bot": False, "discoverable": True, "group": False, "created_at": "2022-11-05T00:00:00.000Z",
        "note": "", "url": f"{base}/@{acct}", "avatar": f"{base}/avatars/original/missing.png",
        "avatar_static": f"{base}/avatars/original/missing.png", "header": f"{base}/headers/original/missing.png",
        "header_static": f"{base}/headers/original/missing.png", "followers_count": followers,
        "following_count": followers % 300, "statuses_count": 10 + acc_id % 900, "last_status_at": None,
        "emojis": [], "fields": [],
    }


def _official_account_id(acct: str) -> int:
    return 900_000 + sum(ord(c) * (i + 1) for i, c in enumerate(acct)) % 99_999


def _mention_html(acct: str, base: str) -> str:
    return (f'<span class="h-card" translate="no"><a href="{base}/@{acct}" class="u-url mention">'
            f"@<span>{escape(acct.split('@')[0])}</span></a></span>")


def _status_common(sid: int, created: datetime, url: str, content: str, account: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(sid), "created_at": iso(created).replace("Z", ".000Z"), "in_reply_to_id": None,
        "in_reply_to_account_id": None, "sensitive": False, "spoiler_text": "", "visibility": "public",
        "language": "ru", "uri": url.replace("/@", "/users/").replace(f"/{sid}", f"/statuses/{sid}"), "url": url,
        "replies_count": 0, "reblogs_count": 0, "favourites_count": 0, "edited_at": None, "favourited": False,
        "reblogged": False, "muted": False, "bookmarked": False, "content": content, "filtered": [],
        "reblog": None, "application": None, "account": account, "media_attachments": [], "mentions": [],
        "tags": [], "emojis": [], "card": None, "poll": None,
    }


def status_json(p: Post, base: str, now: datetime) -> dict[str, Any]:
    a = p.author
    account = _account(a.username, a.name, a.id, a.followers, base)
    mentions = p.meta.get("mentions", [])
    tags = p.meta.get("tags", [])
    html = " ".join(_mention_html(m, base) for m in mentions)
    html = f"<p>{html + ' ' if html else ''}{escape(p.text)}</p>"
    if tags:
        html += "<p>" + " ".join(f'<a href="{base}/tags/{t}" class="mention hashtag" rel="tag">#<span>{escape(t)}</span></a>'
                                 for t in tags) + "</p>"
    s = _status_common(p.local_id, p.published, p.url(base), html, account)
    s["replies_count"] = 1 if p.answered_at(now) else 0
    s["reblogs_count"] = p.local_id % 4
    s["favourites_count"] = p.local_id % 11
    s["mentions"] = [{"id": str(_official_account_id(m)), "username": m.split("@")[0], "url": f"{base}/@{m}", "acct": m}
                     for m in mentions]
    s["tags"] = [{"name": t, "url": f"{base}/tags/{t}"} for t in tags]
    return s


def reply_json(p: Post, base: str) -> dict[str, Any]:
    r = p.reply
    assert r is not None
    acct = r.account
    acc_id = _official_account_id(acct)
    account = _account(acct, r.brand, acc_id, 25_000, base)
    html = f"<p>{_mention_html(p.author.username, base)} {escape(r.text)}</p>"
    s = _status_common(r.local_id, r.published, f"{base}/@{acct}/{r.local_id}", html, account)
    s["in_reply_to_id"] = str(p.local_id)
    s["in_reply_to_account_id"] = str(p.author.id)
    s["mentions"] = [{"id": str(p.author.id), "username": p.author.username,
                      "url": f"{base}/@{p.author.username}", "acct": p.author.username}]
    return s


def tag_timeline(posts: list[Post], tag: str, params: dict[str, str], base: str, now: datetime
                 ) -> tuple[list[dict[str, Any]], str | None]:
    """Statuses with ``tag``, newest first; returns (statuses, Link header)."""
    t = normalize(tag)
    try:
        limit = max(1, min(40, int(params.get("limit", 20))))
        max_id = int(params["max_id"]) if params.get("max_id") else None
        since_id = int(params["since_id"]) if params.get("since_id") else None
        min_id = int(params["min_id"]) if params.get("min_id") else None
    except ValueError:
        return [], None
    found = [p for p in posts if p.kind == "mastodon" and t in (normalize(x) for x in p.meta.get("tags", []))]
    found.sort(key=lambda p: p.local_id, reverse=True)
    if max_id is not None:
        found = [p for p in found if p.local_id < max_id]
    if since_id is not None:
        found = [p for p in found if p.local_id > since_id]
    if min_id is not None:
        found = [p for p in found if p.local_id > min_id][-limit:]
    page = found[:limit]
    if not page:
        return [], None
    url = f"{base}/api/v1/timelines/tag/{quote(tag)}"
    link = (f'<{url}?limit={limit}&max_id={page[-1].local_id}>; rel="next", '
            f'<{url}?limit={limit}&min_id={page[0].local_id}>; rel="prev"')
    return [status_json(p, base, now) for p in page], link


def find_status(posts: list[Post], sid: str, now: datetime) -> tuple[Post | None, bool]:
    """(post, is_reply): a status by id, or the post an official reply answers."""
    if not sid.isdigit():
        return None, False
    n = int(sid)
    for p in posts:
        if p.kind != "mastodon":
            continue
        if p.local_id == n:
            return p, False
        if p.reply is not None and p.reply.local_id == n and p.answered_at(now):
            return p, True
    return None, False


def context(posts: list[Post], sid: str, base: str, now: datetime) -> dict[str, Any] | None:
    p, is_reply = find_status(posts, sid, now)
    if p is None:
        return None
    if is_reply:
        return {"ancestors": [status_json(p, base, now)], "descendants": []}
    desc = [reply_json(p, base)] if p.answered_at(now) else []
    return {"ancestors": [], "descendants": desc}
