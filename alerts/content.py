"""Russian topic titles and bodies, and texts of PR notifications."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from alerts.gist import gist, informativeness
from molva import fmt
from molva.aspects import aspect_name
from molva.board import TOPIC_TYPES, as_utc
from molva.escaping import markdown_inert, plain_title
from molva.models import BrandMention, Mention
from molva.reasons import REASON_NAMES

SOURCE_LABELS: dict[str, str] = {
    "telegram": "Telegram",
    "vk": "ВКонтакте",
    "rss": "RSS / блоги и СМИ",
    "reviews": "сайт отзывов",
    "mastodon": "Mastodon",
}
SENTIMENT_LABELS: dict[str, str] = {
    "negative": "негативная",
    "neutral": "нейтральная",
    "positive": "позитивная",
}
WHAT_HAPPENED: dict[str, str] = {
    "problem": "Клиент публично сообщает о проблеме",
    "question": "Клиент публично задаёт вопрос",
    "idea": "Клиент публично предлагает улучшение",
    "thanks": "Клиент публично благодарит",
}
TITLE_LIMIT = 120


def topic_type(intent: str | None, sentiment: str | None) -> str:
    """The board's topic type from the classifier's intent (unknown intents: problem if negative)."""
    aliases = {"complaint": "problem", "praise": "thanks", "gratitude": "thanks", "suggestion": "idea"}
    value = aliases.get(intent or "", intent or "")
    if value in TOPIC_TYPES:
        return value
    return "problem" if sentiment == "negative" else "question"


# The classifier's reason codes (classifier/urgency.py) as support staff read them: the shared names
# (molva.reasons, also used by the dashboard), then a few of our own.
REASON_LABELS: dict[str, str] = {
    "question": "вопрос",
    **REASON_NAMES,
}
INTENT_REASONS: dict[str, str] = {"problem": "жалоба", "question": "вопрос", "idea": "идея", "thanks": "благодарность"}
_CODE = re.compile(r"^[a-z0-9_]+$")


def snippet(text: str, limit: int) -> str:
    flat = re.sub(r"\s+", " ", re.sub(r"https?://\S+", "", text)).strip(" .,-—")
    first = re.split(r"(?<=[.!?…])\s", flat, maxsplit=1)[0]
    candidate = first if len(first) >= 20 else flat
    if len(candidate) <= limit:
        return candidate
    cut = candidate[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(" ,.;:-—") + "…"


@functools.lru_cache(maxsize=8)
def aspect_names(catalog_path: str | None = None) -> dict[str, str]:
    """Aspect code -> Russian name as configured (the shipped aspects with the catalog's overrides)."""
    from molva.aspects import load_aspects

    try:
        config = load_aspects(Path(catalog_path) if catalog_path else None)
    except Exception:  # a broken catalog is reported where it is loaded; names fall back to the defaults
        return {}
    return {d.code: d.name for defs in config.values() for d in defs if d.name}


def aspect_label(aspects: Sequence[object] | None, names: Mapping[str, str] | None = None) -> str | None:
    """The Russian name of the most relevant aspect, or None when the post has none."""
    for code in aspects or []:
        if str(code).strip():
            return (names or {}).get(str(code)) or aspect_name(str(code))
    return None


def post_gist(bm: BrandMention, mention: Mention, limit: int) -> str:
    """The gist of the post (a headline when it says something, else the text)."""
    names = (bm.brand, bm.alias)
    if mention.title:
        from_title = gist(mention.title, limit, names)
        if from_title and informativeness(from_title) >= 3:
            return from_title
    return gist(mention.text, limit, names) or gist(mention.title or "", limit, names)


def topic_title(bm: BrandMention, mention: Mention, type_: str, names: Mapping[str, str] | None = None) -> str:
    """``Билайн · Покрытие и качество связи · Нет связи и интернета в Казани с утра…``

    Brand · aspect (its Russian name; the topic type when the post has no aspect) · the gist of the post."""
    head = f"{bm.brand} · {aspect_label(bm.aspects, names) or TOPIC_TYPES[type_]} · "
    short = plain_title(post_gist(bm, mention, max(30, TITLE_LIMIT - len(head))))  # inert: no markup, bidi
    if len(short) < 8:
        author = plain_title(mention.author or "") or "пользователя"
        short = f"обращение от {author} ({SOURCE_LABELS.get(mention.kind, mention.kind)})"
    return head + short


def local_time(moment: datetime, timezone: str) -> str:
    return as_utc(moment).astimezone(ZoneInfo(timezone)).strftime("%d.%m.%Y %H:%M")


def _link(url: str) -> str:
    """The post's own address as a link when it is a plain http(s) URL, else as inert text."""
    clean = plain_title(url)
    if re.fullmatch(r"https?://[^\s<>()\[\]`]+", clean):
        return f"<{clean}>"
    return markdown_inert(url)


def zone_label(timezone: str) -> str:
    """How the time zone is named in texts: "по московскому времени", else "(Asia/Yekaterinburg)"."""
    return "по московскому времени" if timezone == "Europe/Moscow" else f"({timezone})"


def reason_text(bm: BrandMention, rule_reasons: Sequence[str] = ()) -> str:
    """Why the post was flagged, in Russian: "негатив; жалоба; нет связи или сервис не работает; срочность 0.92…"."""
    reasons: list[str] = []

    def add(value: str) -> None:
        if value and value not in reasons:
            reasons.append(value)

    codes = [str(r).strip() for r in (bm.urgency_reasons or []) if str(r).strip()]
    if bm.sentiment == "negative" or "negative" in codes:
        add(REASON_LABELS["negative"])
    add(INTENT_REASONS.get(bm.intent or "", ""))
    for code in codes:
        if code in REASON_LABELS:
            add(REASON_LABELS[code])
        elif not _CODE.match(code):  # already words (an older version's Russian reasons)
            add(code)
    for reason in rule_reasons:
        if not _CODE.match(reason):
            add(reason)
    return "; ".join(reasons) if reasons else "превышен порог срочности"


def topic_body(
    bm: BrandMention,
    mention: Mention,
    type_: str,
    rule_reasons: Sequence[str],
    timezone: str,
    *,
    owner: str | None = None,
    due_at: datetime | None = None,
    names: Mapping[str, str] | None = None,
) -> str:
    """Markdown (Discourse renders it; the built-in board shows it as text)."""
    source = SOURCE_LABELS.get(mention.kind, mention.kind)
    text = markdown_inert(mention.text.strip())  # the post renders as text: no HTML, links, images, @mentions
    quoted = "\n".join(f"> {line}" if line.strip() else ">" for line in text.splitlines())
    sentiment = SENTIMENT_LABELS.get(bm.sentiment or "", bm.sentiment or "не определена")
    score = bm.score_negative if bm.sentiment == "negative" else None
    sentiment_line = f"{sentiment} ({fmt.number(score, 2)})" if score is not None else sentiment
    urgency = fmt.number(bm.urgency, 2)
    zone = zone_label(timezone)
    aspects = ", ".join(aspect_label([a], names) or str(a) for a in (bm.aspects or [])) or "не определены"
    lines = [
        f"**Что случилось.** {WHAT_HAPPENED[type_]} бренду «{bm.brand}» ({source}, "
        f"{local_time(mention.published_at, timezone)} {zone}).",
        "",
        "**Текст публикации:**",
        "",
        quoted or "> (текст пуст)",
        "",
        f"- **Автор:** {markdown_inert(mention.author) if mention.author else 'не указан'}",
        f"- **Источник:** {_link(mention.url)}",
        f"- **Бренд:** {bm.brand}",
        f"- **Аспекты:** {aspects}",
        f"- **Тональность:** {sentiment_line}",
        f"- **Срочность:** {urgency}",
        f"- **Почему отмечено:** {reason_text(bm, rule_reasons)}",
    ]
    if owner:
        lines.append(f"- **Ответственный:** {owner}")
    if due_at is not None:
        lines.append(f"- **Ответить до:** {local_time(due_at, timezone)} {zone}")
    lines += [
        "",
        "Похожие обращения других пользователей будут привязаны к этой теме.",
        "_Тема создана автоматически системой мониторинга «Молва»._",
    ]
    return "\n".join(lines)


def _followers(count: int) -> str:
    return fmt.counted(count, "подписчик", "подписчика", "подписчиков")


def reply_body(bm: BrandMention, mention: Mention, timezone: str) -> str:
    """A similar complaint posted as a reply in its Discourse topic: the post's link and its first words."""
    source = SOURCE_LABELS.get(mention.kind, mention.kind)
    author = markdown_inert(mention.author) if mention.author else "автор не указан"
    gist = markdown_inert(snippet(mention.text, 300)) or "(текст пуст)"
    return "\n".join([
        f"**Похожее обращение** ({source}, {local_time(mention.published_at, timezone)} "
        f"{zone_label(timezone)}; {author}), источник: {_link(mention.url)}",
        "",
        f"> {gist}",
        "",
        "_Привязано автоматически системой мониторинга «Молва»._",
    ])


SPIKE_HEADLINES: dict[str, str] = {
    "start": "⚠️ Всплеск негатива: «{brand}»",
    "update": "⚠️ Всплеск негатива продолжается: «{brand}»",
    "end": "✅ Всплеск негатива закончился: «{brand}»",
    "past": "⚠️ Был всплеск негатива: «{brand}»",
}


def spike_text(payload: dict[str, Any]) -> str:
    """One notification about a negativity spike episode: what, when, how much, and why."""
    zone = str(payload.get("timezone") or "Europe/Moscow")
    event = str(payload.get("event") or "start")
    start = local_time(datetime.fromisoformat(payload["window_start"]), zone)
    end = local_time(datetime.fromisoformat(payload["window_end"]), zone)
    when = f"с {start} по {end}" if event in ("end", "past") else f"с {start}"
    lines = [
        SPIKE_HEADLINES.get(event, SPIKE_HEADLINES["start"]).format(brand=payload["brand"]),
        f"{when} {zone_label(zone)}: "
        f"{fmt.counted(payload['negative_count'], 'негативное упоминание', 'негативных упоминания', 'негативных упоминаний')} "
        f"(обычно около {fmt.number(payload['baseline'], 1)} за {payload['window_minutes']} мин).",
    ]
    if payload.get("peak_share") is not None and payload.get("usual_share") is not None:
        lines.append(f"Доля негатива: до {fmt.percent(payload['peak_share'], 0)} "
                     f"(обычно {fmt.percent(payload['usual_share'], 0)}).")
    aspects = payload.get("aspects") or []
    if aspects:
        lines.append("О чём: " + ", ".join(f"{a['name']} ({fmt.percent(a['share'], 0)})" for a in aspects))
    terms = ", ".join(str(t) for t in payload.get("terms") or [])
    if terms:
        lines.append(f"Слова, которых стало больше: {terms}")
    sources = payload.get("sources") or []
    if sources:
        lines.append("Где: " + ", ".join(f"{s['name']} — {s['count']}" for s in sources))
    posts = payload.get("posts") or []
    if posts:
        lines.append("Примеры:")
        lines += [f"• {p['url']} — {p.get('text') or p.get('snippet') or ''}" for p in posts[:3]]
    authors = payload.get("authors") or []
    if authors:
        lines.append(
            "Самые читаемые авторы: "
            + "; ".join(f"{a['author']} ({_followers(int(a['followers']))}) {a['url']}" for a in authors)
        )
    return "\n".join(lines)


def digest_text(payload: dict[str, Any]) -> str:
    """The daily digest for PR."""
    lines = [f"Сводка «Молвы» за {payload['day']}"]
    for row in payload.get("brands", []):
        lines.append(
            f"• {row['brand']}: {fmt.counted(row['mentions'], 'упоминание', 'упоминания', 'упоминаний')}, "
            f"негатив {fmt.percent(row['negative_share'], 0)}, новых тем: {row['topics']}, всплесков: {row['spikes']}"
        )
    if len(lines) == 1:
        lines.append("Упоминаний за день не было.")
    return "\n".join(lines)
