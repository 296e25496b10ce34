"""Urgency of a brand mention, 0..1, with the reasons (short English codes).

Negativity and complaint intent set the base; concrete signals (money lost, card blocked, fraud, no
service, threat to leave, legal threat, a long wait) add to it; author reach, engagement and recency scale
it. A mention is treated as urgent at ``URGENT_THRESHOLD`` and above."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime

URGENT_THRESHOLD = 0.5


def _rx(*parts: str) -> re.Pattern[str]:
    return re.compile("|".join(parts), re.IGNORECASE)


SIGNALS: dict[str, tuple[float, re.Pattern[str]]] = {
    "money_lost": (0.30, _rx(r"списал\w*|списани\w*|снял[аио]?\s+деньги|сняли\s+\d", r"пропал\w*\s+(?:деньги|день|средств|перевод|зарплат)",
                             r"деньги\s+(?:пропали|исчезли|не\s+пришли|не\s+дошли|ушли|зависли)", r"верните\s+(?:мои\s+)?деньги|вернуть\s+деньги",
                             r"не\s+(?:зачисл|вернул|пришл[аи]?\s+(?:деньги|зарплат|перевод))", r"двойн\w+\s+(?:списан|оплат)",
                             r"украл\w*|(?:увели|похитили)\s+деньги", r"минус\s+на\s+(?:счет|счёт|балансе)", r"обнулил\w*",
                             r"пропал\w*\s+\d+", r"исчезл\w*", r"завис\w*", r"не\s+(?:пришл|дошл)\w*", r"\bвывели\b", r"(?:перевод|платёж|платеж)\w*.{0,25}(?:пропал|потерял)\w*", r"вернут\s+деньги")),
    "card_blocked": (0.30, _rx(r"заблокир\w*\s+(?:карт|сч[её]т|счет|личн|доступ|приложени|номер|сим)", r"блокировк\w*", r"заблокирован\w*",
                               r"карт\w*\s+(?:заблокир|не\s+работает|не\s+проходит)", r"арестова\w*\s+сч", r"заморозил\w*")),
    "fraud": (0.35, _rx(r"мошенни\w*", r"развод\w*", r"обман\w*", r"кинул[иа]?\b", r"фишинг\w*", r"взлом\w*",
                        r"без\s+(?:моего\s+)?(?:ведома|согласия)", r"украл\w*", r"афер\w*")),
    "no_service": (0.25, _rx(r"нет\s+(?:связи|сети|интернета)", r"без\s+(?:связи|интернета|сети)", r"не\s+работает", r"не\s+проходит",
                             r"не\s+ловит", r"не\s+загружа\w*", r"не\s+открыва\w*", r"лежит", r"упал\w*\s+(?:сайт|приложени|сервер)",
                             r"сбой\w*", r"отключил\w*\s+(?:интернет|связь|номер|свет|услуг)", r"недоступ\w*",
                             r"не\s+могу\s+(?:войти|зайти|оплатить|перевести|снять|дозвониться|позвонить)", r"банкомат\w*\s+(?:съел|не\s+выдал)")),
    "threat_to_leave": (0.20, _rx(r"уйду|ухожу|уходим|перейду\s+(?:в|к|на)|перехожу\s+(?:в|к|на)", r"расторг\w*",
                                  r"закрою\s+(?:сч|карт|вклад)|закрыть\s+(?:сч|карт|вклад)", r"сменю\s+оператор\w*|сменить\s+оператор\w*",
                                  r"больше\s+(?:никогда|ни\s+ногой|не\s+буду)", r"последний\s+раз")),
    "legal_threat": (0.20, _rx(r"\bсуд\b|\bв\s+суд|\bсудом|\bиск\b|\bиском\b", r"прокуратур\w*", r"роспотребнадзор\w*", r"цб\s+жалоб|жалоб\w+\s+в\s+цб",
                               r"центробанк\w*", r"полици\w*|заявлени\w+\s+в\s+полиц")),
    "long_wait": (0.10, _rx(r"(?:уже|целый|целую|второй|третий|который)\s+(?:\d+\s+)?(?:дн|день|час|недел|месяц|раз)",
                            r"до\s+сих\s+пор", r"сколько\s+можно", r"никто\s+не\s+(?:отвечает|перезвонил|помог)",
                            r"не\s+могу\s+дозвониться")),
}


def _as_utc(dt: datetime) -> datetime:
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt


def urgency_score(
    text: str,
    sentiment_scores: Mapping[str, float],
    intent: str,
    author_followers: int | None = None,
    engagement: int | None = None,
    published_at: datetime | None = None,
    now: datetime | None = None,
) -> tuple[float, list[str]]:
    """(score 0..1, reasons). ``engagement`` = likes + reposts + comments (None if unknown)."""
    reasons: list[str] = []
    neg = float(sentiment_scores.get("negative", 0.0))
    score = 0.3 * neg
    if neg >= 0.5:
        reasons.append("negative")
    if intent == "problem":
        score += 0.15
        reasons.append("complaint")
    signal = 0.0
    for code, (weight, rx) in SIGNALS.items():
        if rx.search(text):
            signal += weight
            reasons.append(code)
    # signals count fully on a complaint or a negative text, half otherwise ("как не потерять деньги?")
    score += signal * (1.0 if intent == "problem" or neg >= 0.5 else 0.5)
    if author_followers and author_followers >= 1000:
        score += min(0.15, 0.05 * math.log10(author_followers / 100))
        reasons.append("high_reach")
    if engagement and engagement >= 20:
        score += min(0.1, 0.04 * math.log10(engagement / 2))
        reasons.append("engagement")
    score = min(1.0, score)  # recency scales the capped score, so an old post always ranks lower
    if published_at is not None and now is not None:
        age_h = (_as_utc(now) - _as_utc(published_at)).total_seconds() / 3600
        if age_h > 72:
            score *= 0.7
            reasons.append("old")
    return max(0.0, min(1.0, score)), reasons
