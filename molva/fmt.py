"""Russian presentation of numbers, shares, dates and durations (the dashboard, ``molva report``, the CLI).

One module so that every screen writes a number the same way: ``1 093`` (narrow no-break space between
thousands), ``83,6 %``, ``29 ноября, 14:05`` in the configured time zone, ``2 ч 15 мин``; a missing value is
always ``—``, never ``None`` or ``nan``.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DASH = "—"
THIN = "\u202f"  # narrow no-break space: the thousands separator
NBSP = "\u00a0"  # no-break space: between a number and its unit
DEFAULT_TIMEZONE = "Europe/Moscow"

MONTHS_GENITIVE = (
    "января", "февраля", "марта", "апреля", "мая", "июня",
    "июля", "августа", "сентября", "октября", "ноября", "декабря",
)
GROUP_NAMES = {
    "banks": "Банки",
    "telecom": "Телеком",
    "retail": "Ритейл",
    "insurance": "Страхование",
}
SENTIMENT_NAMES = {"negative": "негатив", "neutral": "нейтрально", "positive": "позитив"}
INTENT_NAMES = {
    "problem": "проблема",
    "question": "вопрос",
    "idea": "идея",
    "thanks": "благодарность",
    "complaint": "жалоба",
    "other": "другое",
}


def _missing(value: object) -> bool:
    if value is None:
        return True
    try:
        return isinstance(value, float) and math.isnan(value) or str(value) in ("NaT", "nan", "<NA>")
    except (TypeError, ValueError):
        return False


def text(value: object) -> str:
    """Any value as text; ``None``/NaN/empty become ``—``."""
    if _missing(value):
        return DASH
    out = str(value).strip()
    return out or DASH


def number(value: float | int | None, digits: int = 0) -> str:
    """``1093`` -> ``1 093``; ``0.5, 2`` -> ``0,50``; negative numbers get a real minus sign."""
    if _missing(value):
        return DASH
    assert value is not None
    signed_value = float(value)
    out = f"{abs(signed_value):,.{digits}f}".replace(",", THIN).replace(".", ",")
    if signed_value < 0 and out.strip("0,\u202f"):
        out = "−" + out
    return out


def plural(count: int, one: str, few: str, many: str) -> str:
    """The form of a word that agrees with ``count``: 1 упоминание, 3 упоминания, 5 (11, 12, 14) упоминаний."""
    n = abs(int(count))
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def counted(count: int, one: str, few: str, many: str) -> str:
    """``count`` with the agreeing form: ``counted(1093, "подписчик", "подписчика", "подписчиков")`` ->
    ``1 093 подписчика``."""
    return f"{number(count)}{NBSP}{plural(count, one, few, many)}"


def signed(value: float | None, digits: int = 2) -> str:
    """``0.12`` -> ``+0,12``; ``-0.3`` -> ``−0,30`` (an index or a change)."""
    if _missing(value):
        return DASH
    assert value is not None
    body = number(abs(value), digits)
    if body.strip("0,") == "":
        return body
    return ("+" if value > 0 else "−") + body


def percent(share: float | None, digits: int = 1) -> str:
    """A 0..1 share: ``0.8357`` -> ``83,6 %``."""
    if _missing(share):
        return DASH
    assert share is not None
    return f"{number(share * 100, digits)}{NBSP}%"


def points(change: float | None, digits: int = 1) -> str:
    """A change of a 0..1 share in percentage points: ``0.012`` -> ``+1,2 п.п.``."""
    if _missing(change):
        return DASH
    assert change is not None
    return f"{signed(change * 100, digits)}{NBSP}п.п."


def timezone(name: str | None = None) -> tzinfo:
    try:
        return ZoneInfo(name or DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def local(moment: datetime, zone: str | tzinfo | None = None) -> datetime:
    """``moment`` (naive = UTC, as stored) in the configured zone."""
    tz = zone if isinstance(zone, tzinfo) else timezone(zone)
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(tz)


def date_time(moment: datetime | None, zone: str | tzinfo | None = None, year: bool | None = None) -> str:
    """``29 ноября, 14:05`` in the configured zone (the year is added when it is not the current one)."""
    if _missing(moment):
        return DASH
    assert moment is not None
    here = local(moment, zone)
    if year is None:
        year = here.year != datetime.now(here.tzinfo).year
    day = f"{here.day} {MONTHS_GENITIVE[here.month - 1]}" + (f" {here.year}" if year else "")
    return f"{day}, {here:%H:%M}"


def day(moment: datetime | None, zone: str | tzinfo | None = None) -> str:
    """``29 ноября`` (a date without a time)."""
    if _missing(moment):
        return DASH
    assert moment is not None
    here = local(moment, zone) if isinstance(moment, datetime) else moment
    return f"{here.day} {MONTHS_GENITIVE[here.month - 1]}"


def duration(seconds: float | None) -> str:
    """``8100`` -> ``2 ч 15 мин``; ``90000`` -> ``1 дн 1 ч``; under a minute -> ``< 1 мин``."""
    if _missing(seconds):
        return DASH
    assert seconds is not None
    if seconds < 30:
        return "< 1 мин"
    minutes = int(round(float(seconds) / 60))
    if minutes < 60:
        return f"{minutes} мин"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} ч {minutes} мин" if minutes else f"{hours} ч"
    days, hours = divmod(hours, 24)
    return f"{days} дн {hours} ч" if hours else f"{days} дн"


def group_name(group: str | None) -> str:
    """``banks`` -> ``Банки``; an unknown code is shown as is."""
    if not group:
        return DASH
    return GROUP_NAMES.get(group, group)


def zone_label(zone: str | None) -> str:
    """``Europe/Moscow`` -> ``МСК``; other zones by their name."""
    name = zone or DEFAULT_TIMEZONE
    return "МСК" if name == "Europe/Moscow" else name


REASON_NAMES = {
    "negative": "негативная тональность",
    "complaint": "жалоба",
    "intensity": "сильные выражения",
    "hypothetical": "гипотетически",
    "high_reach": "большой охват автора",
    "engagement": "много реакций",
    "switch_target": "уходит к конкуренту",
    "old": "старый пост",
    "card_blocked": "заблокирована карта",
    "deadline": "срок",
    "fraud": "мошенничество",
    "legal_threat": "угроза суда или жалобы регулятору",
    "long_wait": "долгое ожидание",
    "money_lost": "потеря денег",
    "no_service": "не работает услуга",
    "threat_to_leave": "грозит уйти",
    "problem": "проблема",
    "question": "вопрос",
    "idea": "идея",
    "thanks": "благодарность",
    "other": "другое",
}


def reasons(text: str) -> str:
    """``negative; complaint; no_service`` -> ``негативная тональность; жалоба; не работает услуга``."""
    parts = [p.strip() for p in text.split(";")]
    return "; ".join(REASON_NAMES.get(p, p.replace("_", " ")) for p in parts if p)


def plain_text(markdown: str) -> str:
    """A topic body written in Markdown (for Discourse) as plain text: no ``**``, ``_``, ``>`` markers,
    and the urgency reasons in Russian."""
    lines = []
    for line in markdown.splitlines():
        quoted = line.startswith(">")
        body = line[1:].lstrip() if quoted else line
        body = body.replace("**", "")
        if len(body) > 2 and body.startswith("_") and body.endswith("_"):
            body = body[1:-1]
        if body.startswith("- "):
            body = "• " + body[2:]
        if "Почему отмечено:" in body:
            head, _, tail = body.partition("Почему отмечено:")
            body = f"{head}Почему отмечено: {reasons(tail)}"
        lines.append(("    " + body) if quoted else body)
    return "\n".join(lines)


OTHERS = "Другие"
OTHERS_COLOUR = "#b0b0b0"
# 32 colours that stay distinguishable side by side (Tableau 10, its light variants, then d3's category20b
# tones), so every brand of the shipped catalog's largest group (25 banks) has its own.
COLOURS = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f",
    "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94", "#f7b6d2", "#9edae5", "#dbdb8d", "#393b79",
    "#637939", "#8c6d31", "#843c39", "#7b4173", "#5254a3", "#b5cf6b", "#e7ba52", "#ce6dbd", "#6b6ecf", "#d6616b",
    "#9c9ede", "#cedb9c",
)


def palette(groups: Mapping[str, Sequence[str]], extra: Sequence[str] = ()) -> dict[str, str]:
    """Brand -> colour: distinct within each group (catalog order), the same on every page and in the weekly
    report; "Другие" is grey. Brands outside the catalog (``extra``) get a colour from a hash of their name."""
    colours: dict[str, str] = {OTHERS: OTHERS_COLOUR}
    for members in groups.values():
        for index, brand in enumerate(members):
            colours.setdefault(brand, COLOURS[index % len(COLOURS)])
    for brand in extra:
        if brand not in colours:
            digest = int(hashlib.sha1(brand.encode("utf-8")).hexdigest(), 16)
            colours[brand] = COLOURS[digest % len(COLOURS)]
    return colours
