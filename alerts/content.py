"""Russian topic titles and bodies, and texts of PR notifications."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from molva.board import TOPIC_TYPES, as_utc
from molva.escaping import markdown_inert, plain_title
from molva.models import BrandMention, Mention

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


def snippet(text: str, limit: int) -> str:
    flat = re.sub(r"\s+", " ", re.sub(r"https?://\S+", "", text)).strip(" .,-—")
    first = re.split(r"(?<=[.!?…])\s", flat, maxsplit=1)[0]
    candidate = first if len(first) >= 20 else flat
    if len(candidate) <= limit:
        return candidate
    cut = candidate[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(" ,.;:-—") + "…"


def topic_title(bm: BrandMention, mention: Mention, type_: str) -> str:
    """``Проблема · Сбербанк: не проходит перевод по СБП уже третий час…``"""
    head = f"{TOPIC_TYPES[type_]} · {bm.brand}: "
    short = snippet(plain_title(mention.title or mention.text), TITLE_LIMIT - len(head))
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


def _reasons(bm: BrandMention, rule_reasons: Sequence[str]) -> str:
    reasons = [str(r) for r in (bm.urgency_reasons or []) if str(r).strip()]
    reasons += [r for r in rule_reasons if r not in reasons]
    return "; ".join(reasons) if reasons else "превышен порог срочности"


def topic_body(
    bm: BrandMention, mention: Mention, type_: str, rule_reasons: Sequence[str], timezone: str
) -> str:
    """Markdown (Discourse renders it; the built-in board shows it as text)."""
    source = SOURCE_LABELS.get(mention.kind, mention.kind)
    text = markdown_inert(mention.text.strip())  # the post renders as text: no HTML, links, images, @mentions
    quoted = "\n".join(f"> {line}" if line.strip() else ">" for line in text.splitlines())
    sentiment = SENTIMENT_LABELS.get(bm.sentiment or "", bm.sentiment or "не определена")
    score = bm.score_negative if bm.sentiment == "negative" else None
    sentiment_line = f"{sentiment} ({score:.2f})" if score is not None else sentiment
    urgency = f"{bm.urgency:.2f}" if bm.urgency is not None else "—"
    lines = [
        f"**Что случилось.** {WHAT_HAPPENED[type_]} бренду «{bm.brand}» ({source}, "
        f"{local_time(mention.published_at, timezone)} по московскому времени).",
        "",
        "**Текст публикации:**",
        "",
        quoted or "> (текст пуст)",
        "",
        f"- **Автор:** {markdown_inert(mention.author) if mention.author else 'не указан'}",
        f"- **Источник:** {_link(mention.url)}",
        f"- **Бренд:** {bm.brand}",
        f"- **Тональность:** {sentiment_line}",
        f"- **Срочность:** {urgency}",
        f"- **Почему отмечено:** {_reasons(bm, rule_reasons)}",
        "",
        "Похожие обращения других пользователей будут привязаны к этой теме.",
        "_Тема создана автоматически системой мониторинга «Молва»._",
    ]
    return "\n".join(lines)


def spike_text(payload: dict[str, Any]) -> str:
    """One notification about a negativity spike."""
    terms = ", ".join(payload.get("terms") or []) or "—"
    lines = [
        f"⚠️ Всплеск негатива: «{payload['brand']}»",
        f"{payload['negative_count']} негативных упоминаний за {payload['window_minutes']} мин "
        f"(обычно {payload['baseline']:.1f}; z = {payload['score']:.1f}).",
        f"Ключевые слова: {terms}",
    ]
    posts = payload.get("posts") or []
    if posts:
        lines.append("Публикации:")
        lines += [f"• {p['url']} — {p['snippet']}" for p in posts[:5]]
    return "\n".join(lines)


def digest_text(payload: dict[str, Any]) -> str:
    """The daily digest for PR."""
    lines = [f"Сводка «Молвы» за {payload['day']}"]
    for row in payload.get("brands", []):
        lines.append(
            f"• {row['brand']}: {row['mentions']} упоминаний, негатив {row['negative_share']:.0%}, "
            f"новых тем {row['topics']}, всплесков {row['spikes']}"
        )
    if len(lines) == 1:
        lines.append("Упоминаний за день не было.")
    return "\n".join(lines)
