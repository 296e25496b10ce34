"""HTML and XML renderers: t.me/s channel pages, banki.ru-like reviews, RSS 2.0 / Atom feeds."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from html import escape

from simulator.model import FEEDS, Post
from simulator.world import World, iso

TG_PAGE = 20
REVIEWS_PAGE = 25
MSK = timezone(timedelta(hours=3))


def _views(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f}M"
    if n >= 1000:
        return f"{n / 1000:.1f}K"
    return str(n)


def _html_text(text: str) -> str:
    return escape(text).replace("\n", "<br/>")


# --- Telegram ---------------------------------------------------------------------------------------

def telegram_page(world: World, posts: list[Post], channel: str, before: int | None, base: str) -> str | None:
    """``/s/<channel>``: the newest 20 messages (or those older than ``before``), oldest first."""
    if channel not in world.channels:
        return None
    msgs = sorted((p for p in posts if p.kind == "telegram" and p.target == channel), key=lambda p: p.local_id)
    if before is not None:
        msgs = [p for p in msgs if p.local_id < before]
    page, older = msgs[-TG_PAGE:], len(msgs) > TG_PAGE
    title = escape(world.channels[channel] if world.channels[channel] else channel)
    parts = [
        '<!DOCTYPE html><html><head><meta charset="utf-8">',
        f'<title>{title} – Telegram</title><meta property="og:title" content="{title}">',
        f'<link rel="canonical" href="{base}/s/{channel}"></head>',
        '<body class="widget_frame_base tgme_widget body_widget_post emoji_image nogoogle">',
        '<main class="tgme_main"><div class="tgme_channel_info_header">',
        f'<div class="tgme_channel_info_header_title"><span dir="auto">{title}</span></div>',
        f'<div class="tgme_channel_info_header_username"><a href="{base}/{channel}">@{channel}</a></div>',
        '</div><section class="tgme_channel_history js-message_history">',
    ]
    if older and page:
        first = page[0].local_id
        parts.append('<div class="tgme_widget_message_centered js-messages_more_wrap">'
                     f'<a href="/s/{channel}?before={first}" class="tme_messages_more js-messages_more"'
                     f' data-before="{first}"></a></div>')
    parts += [_tg_message(world, p, base) for p in page]
    parts.append("</section></main></body></html>")
    return "".join(parts)


def telegram_embed(world: World, posts: list[Post], channel: str, message_id: int, base: str) -> str:
    """``/<channel>/<id>?embed=1``: the message's widget, or t.me's "Post not found" widget (HTTP 200 either way,
    as t.me answers; an unknown channel too)."""
    post = next((p for p in posts if p.kind == "telegram" and p.target == channel and p.local_id == message_id),
                None)
    body = (_tg_message(world, post, base) if post is not None
            else '<div class="tgme_widget_message_error">Post not found</div>')
    return ('<!DOCTYPE html><html><head><meta charset="utf-8"><title>Telegram Widget</title></head>'
            f'<body class="body_widget_post emoji_image nogoogle">{body}</body></html>')


def _tg_message(world: World, p: Post, base: str) -> str:
    ch = p.target
    owner = escape(world.channels.get(ch) or ch)
    fwd = ""
    if p.duplicate_of is not None:
        o = p.duplicate_of
        fwd = ('<div class="tgme_widget_message_forwarded_from accent_color">Forwarded from&nbsp;'
               f'<a class="tgme_widget_message_forwarded_from_name" href="{base}/{o.target}/{o.local_id}">'
               f'<span dir="auto">{escape(world.channels.get(o.target) or o.target)}</span></a></div>')
    t = p.published
    local = t.astimezone(MSK)
    return (
        '<div class="tgme_widget_message_wrap js-widget_message_wrap">'
        f'<div class="tgme_widget_message text_not_supported_wrap js-widget_message" data-post="{ch}/{p.local_id}">'
        f'<div class="tgme_widget_message_user"><a href="{base}/{ch}"><i class="tgme_widget_message_user_photo '
        f'bgcolor{p.local_id % 7}" data-content="{owner[:1]}"></i></a></div>'
        '<div class="tgme_widget_message_bubble"><div class="tgme_widget_message_author accent_color">'
        f'<a class="tgme_widget_message_owner_name" href="{base}/{ch}"><span dir="auto">{owner}</span></a></div>'
        f'{fwd}<div class="tgme_widget_message_text js-message_text" dir="auto">{_html_text(p.text)}</div>'
        '<div class="tgme_widget_message_footer compact js-message_footer">'
        '<div class="tgme_widget_message_info short js-message_info">'
        f'<span class="tgme_widget_message_views">{_views(int(p.meta.get("views", 0)))}</span>'
        '<span class="copyonly"> views</span><span class="tgme_widget_message_meta">'
        f'<a class="tgme_widget_message_date" href="{base}/{ch}/{p.local_id}">'
        f'<time datetime="{t.isoformat()}" class="time">{local:%H:%M}</time></a></span></div></div>'
        "</div></div></div>"
    )


# --- Reviews (banki.ru-like) ------------------------------------------------------------------------

def _date_ru(t: datetime) -> str:
    return f"{t.astimezone(MSK):%d.%m.%Y %H:%M}"


def _review_head(title: str) -> str:
    return ('<!DOCTYPE html><html lang="ru"><head>'
            '<meta http-equiv="Content-Type" content="text/html; charset=windows-1251">'
            f"<title>{escape(title)} | Банки.ру</title></head><body><div class=\"layout-wrapper\">")


def reviews_list(world: World, posts: list[Post], slug: str, page: int, now: datetime) -> tuple[int, str]:
    """``/services/responses/bank/<slug>/?page=N`` (25 per page, newest first). (status, html)."""
    if slug not in world.slugs:
        return 404, _review_head("Страница не найдена") + "<h1>Страница не найдена</h1></div></body></html>"
    items = sorted((p for p in posts if p.sub == "review" and p.target == slug), key=lambda p: -p.local_id)
    pages = max(1, -(-len(items) // REVIEWS_PAGE))
    if page < 1 or page > pages:
        return 404, _review_head("Страница не найдена") + "<h1>Страница не найдена</h1></div></body></html>"
    chunk = items[(page - 1) * REVIEWS_PAGE: page * REVIEWS_PAGE]
    bank = escape(world.slugs[slug])
    out = [_review_head(f"Отзывы о {bank}"), f'<h1 class="responses__header">Отзывы клиентов: {bank}</h1>',
           _reviews_payload(world, chunk, slug, page, pages, now),
           f'<div class="responses-list" data-bank="{slug}" data-total="{len(items)}">']
    for p in chunk:
        answered = p.answered_at(now) is not None
        preview = escape(p.text[:180] + ("…" if len(p.text) > 180 else ""))
        out.append(
            f'<article class="responses__item" data-id="{p.local_id}">'
            f'<h3 class="responses__item__title"><a href="/services/responses/bank/response/{p.local_id}/">'
            f"{escape(p.title)}</a></h3>"
            f'<div class="responses__item__rating"><span class="rating-grade" data-grade="{p.meta["rating"]}">'
            f'{p.meta["rating"]}</span></div>'
            f'<time class="responses__item__date" datetime="{iso(p.published)}">{_date_ru(p.published)}</time>'
            f'<div class="responses__item__message">{preview}</div>'
            f'<span class="responses__item__author">{escape(p.author.username)}</span> '
            f'<span class="responses__item__city">({escape(p.author.city)})</span>'
            + ('<span class="responses__item__answered">Есть ответ банка</span>' if answered else "")
            + "</article>"
        )
    out.append(f'</div><nav class="ui-pagination" data-pages="{pages}" data-page="{page}">')
    if page > 1:
        out.append(f'<a class="ui-pagination__prev" href="/services/responses/bank/{slug}/?page={page - 1}">Назад</a>')
    out.append(f'<span class="ui-pagination__item ui-pagination__item--active">{page}</span>')
    if page < pages:
        out.append(f'<a class="ui-pagination__next" href="/services/responses/bank/{slug}/?page={page + 1}">Вперёд</a>')
    out.append("</nav></div></body></html>")
    return 200, "".join(out)


def _msk(t: datetime) -> str:
    return f"{t.astimezone(MSK):%Y-%m-%d %H:%M:%S}"


def _reviews_payload(world: World, chunk: list[Post], slug: str, page: int, pages: int, now: datetime) -> str:
    """The list as banki.ru embeds it for its widget: JSON in ``data-module-options`` (entity-escaped, in
    single quotes), plus the JSON-LD block of the page."""
    data = []
    for p in chunk:
        replied = p.answered_at(now)
        data.append({
            "id": p.local_id, "title": p.title, "text": "<p>" + _html_text(p.text) + "</p>",
            "grade": p.meta.get("rating"), "dateCreate": _msk(p.published), "isCountable": True,
            "commentCount": 0, "userName": p.author.username,
            "agentAnswerText": ("<p>" + _html_text(p.reply.text) + "</p>") if p.reply and replied else None,
            "agentAnswerDate": _msk(replied) if replied else None,
            "agentName": p.reply.author_name if p.reply and replied else None,
        })
    options = {"responses": {"data": data, "hasMorePages": page < pages, "perPage": REVIEWS_PAGE,
                             "page": page, "bank": slug}}
    ld = {"@context": "https://schema.org", "@type": "Organization", "name": world.slugs[slug],
          "review": [{"@type": "Review", "name": p.title, "author": p.author.username,
                      "datePublished": p.published.astimezone(MSK).date().isoformat(),
                      "reviewRating": {"@type": "Rating", "ratingValue": p.meta.get("rating")}} for p in chunk]}
    return ('<script type="application/ld+json">' + json.dumps(ld, ensure_ascii=False).replace("</", "<\\/")
            + "</script><div data-module=\"ui.responses-list\" data-module-options='"
            + escape(json.dumps(options, ensure_ascii=False), quote=True) + "'></div>")


# --- banki.ru Q&A ("Вопрос — ответ") ----------------------------------------------------------------

QA_PAGE = 15


def qa_page(world: World, posts: list[Post], qa_id: str, page: int, now: datetime,
            question_id: int | None = None) -> tuple[int, str]:
    """``/services/questions-answers/?id=<qa_id>&p=N`` (15 a page, newest first) in the real page's markup;
    ``?questionId=N``: that one question. (status, html)."""
    not_found = _review_head("Страница не найдена") + "<h1>Страница не найдена</h1></div></body></html>"
    if question_id is not None:
        found = [p for p in posts if p.sub == "question" and p.local_id == question_id]
        if not found:
            return 404, not_found
        qa_id = next((q for q, s in world.qa_ids.items() if s == found[0].target), "")
        items, page, total = found, 1, 1
    else:
        slug = world.qa_ids.get(qa_id)
        if slug is None:
            return 404, not_found
        every = sorted((p for p in posts if p.sub == "question" and p.target == slug), key=lambda p: -p.local_id)
        total = len(every)
        if page < 1 or (page - 1) * QA_PAGE >= max(total, 1):
            return 404, not_found
        items = every[(page - 1) * QA_PAGE: page * QA_PAGE]
    slug = world.qa_ids[qa_id]
    bank = escape(world.slugs[slug])
    paging = ('<div class="margin-top-default margin-bottom-default" data-module="ui.pagination"\n     '
              f'data-options="currentPageNumber: {page}; itemsPerPage: {QA_PAGE}; totalItems: {total}; '
              'getParamName: p; title: Вопросы"></div>')
    out = [
        _review_head(f"Вопрос — ответ: {bank}: Горячая линия"),
        '<div class="layout-columns-wrapper"><main class="layout-column-center"><div class="widget"><table width="100%">',
        f'<tr><td colspan="2"><h2 class="header-h0">{bank}: Горячая линия</h2></td></tr><tr><td width="100%">',
        "<div><p>Раздел модерируется представителями банка.</p></div></td><td valign=\"top\">",
        f'<div class="b-info-link-banks"><a class="info" href="/banks/bank/{slug}/">'
        f'<nobr>информация о&nbsp;банке <span class="b-info-link-banks__name">&laquo;{bank}&raquo;</span></nobr>'
        "</a></div></td></tr></table></div>",
        paging,
    ]
    for p in items:
        out.append(_qa_block(p, now, first=p is items[0]))
    out += [paging, "</main></div></div></body></html>"]
    return 200, "\n".join(out)


def _qa_block(p: Post, now: datetime, first: bool) -> str:
    replied = p.answered_at(now)
    answer = ""
    if p.reply is not None and replied is not None:
        answer = (
            '\n            <tr class="answer">\n            <td>\n                <strong>Ответ:</strong>\n'
            "            </td>\n            <td>\n                <div>\n                    "
            f"<p>{_html_text(p.reply.text)}</p>                </div>\n"
            '                                    <div class="widget__info font-size-default">\n'
            f"                        <nobr>{escape(p.reply.author_name)}</nobr>\n                    </div>\n"
            "                            </td>\n        </tr>\n    "
        )
    extra = "qaBlockNew" if first else ""
    return (
        f'<table width="100%" class="qaBlock markup-inside markup-inside--bullet markup-inside--ordered {extra}">\n'
        '    <tr class="question">\n        <td><strong>Вопрос:</strong></td>\n        <td width="100%">\n'
        f"            <div>\n                <p>{_html_text(p.text)}</p>            </div>\n"
        '                                            <div class="widget__info font-size-default float-right">\n'
        f'                    <a rel="nofollow" href="/services/questions-answers/?questionId={p.local_id}">'
        "постоянный адрес</a>\n                </div>\n            \n"
        '                                            <div class="widget__info">\n'
        f'                                        <a title="посмотреть профайл в форуме" href="/profile/index.php?UID={p.author.id}">\n'
        f"                        {escape(p.author.username)}                    </a>\n"
        f"                                    ({escape(p.author.city)})                    <span class=\"ui-bull-sep\"></span>\n"
        f"                    {p.published.astimezone(MSK):%d.%m.%Y %H:%M}                </div>\n"
        "                    </td>\n    </tr>\n" + answer + "\n    </table>"
    )


def review_page(world: World, p: Post, now: datetime) -> str:
    """``/services/responses/bank/response/<id>/`` with the bank's official answer when given."""
    bank = escape(world.slugs.get(p.target, p.target))
    answer = ""
    replied = p.answered_at(now)
    if p.reply is not None and replied is not None:
        r = p.reply
        answer = (
            f'<div class="response-page__answer bank-answer" data-answer-id="{p.local_id}">'
            '<div class="bank-answer__header"><span class="bank-answer__label">Ответ банка</span> '
            f'<span class="bank-answer__author">{escape(r.author_name)}, представитель {bank}</span> '
            f'<time class="bank-answer__date" datetime="{iso(replied)}">{_date_ru(replied)}</time></div>'
            f'<div class="bank-answer__text"><p>{_html_text(r.text)}</p></div></div>'
        )
    return (
        _review_head(p.title)
        + f'<article class="response-page" data-id="{p.local_id}" itemscope itemtype="http://schema.org/Review">'
        f'<div class="response-page__bank"><a href="/services/responses/bank/{p.target}/">{bank}</a></div>'
        f'<h1 class="response-page__title" itemprop="name">{escape(p.title)}</h1>'
        f'<div class="response-page__rating"><span class="rating-grade" data-grade="{p.meta["rating"]}" '
        f'itemprop="reviewRating">{p.meta["rating"]}</span></div>'
        f'<time class="response-page__date" datetime="{iso(p.published)}" itemprop="datePublished">'
        f"{_date_ru(p.published)}</time>"
        f'<div class="response-page__author"><a class="response-page__author-name" href="/profile/?UID={p.author.id}">'
        f'{escape(p.author.username)}</a> <span class="response-page__city">({escape(p.author.city)})</span></div>'
        f'<div class="response-page__text markup-inside" itemprop="reviewBody"><p>{_html_text(p.text)}</p></div>'
        f"{answer}</article></div></body></html>"
    )


# --- Feeds ------------------------------------------------------------------------------------------

def feed(world: World, posts: list[Post], path: str, base: str) -> tuple[str, str, datetime] | None:
    """(body, content type, last modified) of an RSS 2.0 or Atom feed, newest entries first."""
    if path not in FEEDS:
        return None
    fmt, title, _ = FEEDS[path]
    items = sorted((p for p in posts if p.kind == "rss" and p.target == path), key=lambda p: p.published,
                   reverse=True)
    updated = items[0].published if items else world.start
    if fmt == "rss":
        return _rss(items, title, base, path, updated), "application/rss+xml; charset=utf-8", updated
    return _atom(items, title, base, path, updated), "application/atom+xml; charset=utf-8", updated


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _rss(items: list[Post], title: str, base: str, path: str, updated: datetime) -> str:
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">',
           f"<channel><title>{escape(title)}</title><link>{base}/</link>",
           f"<description>{_cdata(title)}</description><language>ru</language>",
           f"<pubDate>{format_datetime(updated, usegmt=True)}</pubDate><generator>molva-sim</generator>"]
    for p in items:
        cats = "".join(f"<category>{_cdata(c)}</category>" for c in p.meta.get("categories", []))
        out.append(
            f"<item><title>{_cdata(p.title)}</title>"
            f'<guid isPermaLink="false">{p.meta["guid"]}</guid><link>{base}{p.meta["path"]}</link>'
            f"<description>{_cdata('<p>' + escape(p.text) + '</p>')}</description>"
            f"<pubDate>{format_datetime(p.published, usegmt=True)}</pubDate>"
            f"<dc:creator>{escape(p.author.name)}</dc:creator>{cats}</item>"
        )
    out.append("</channel></rss>")
    return "\n".join(out)


def _atom(items: list[Post], title: str, base: str, path: str, updated: datetime) -> str:
    out = ['<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="ru">',
           f"<title>{escape(title)}</title><id>urn:molva-sim:feed:{path.strip('/')}</id>",
           f'<link rel="self" href="{base}{path}"/><link rel="alternate" href="{base}/"/>',
           f"<updated>{iso(updated)}</updated>"]
    for p in items:
        cats = "".join(f'<category term="{escape(c)}"/>' for c in p.meta.get("categories", []))
        out.append(
            f"<entry><id>{p.meta['guid']}</id><title>{escape(p.title)}</title>"
            f'<link rel="alternate" href="{base}{p.meta["path"]}"/>'
            f"<published>{iso(p.published)}</published><updated>{iso(p.published)}</updated>"
            f"<author><name>{escape(p.author.name)}</name></author>"
            f'<summary type="html">{escape("<p>" + escape(p.text) + "</p>")}</summary>{cats}</entry>'
        )
    out.append("</feed>")
    return "\n".join(out)


def article_page(p: Post) -> str:
    return ('<!DOCTYPE html><html lang="ru"><head><meta charset="utf-8">'
            f"<title>{escape(p.title)}</title></head><body><article class=\"news-article\">"
            f"<h1>{escape(p.title)}</h1><time datetime=\"{iso(p.published)}\">{_date_ru(p.published)}</time>"
            f"<div class=\"news-article__body\"><p>{_html_text(p.text)}</p></div></article></body></html>")
