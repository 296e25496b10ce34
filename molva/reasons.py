"""Russian names of the urgency reason codes stored in ``brand_mentions.urgency_reasons``.

The codes are written by ``classifier.urgency``; this core module lets every stage (alerts, dashboard) show
them in Russian without importing the classifier."""

from __future__ import annotations

REASON_NAMES: dict[str, str] = {
    "negative": "негативная тональность",
    "complaint": "жалоба",
    "money_lost": "пропали или списаны деньги",
    "fraud": "мошенничество",
    "card_blocked": "заблокированы карта, счёт или номер",
    "no_service": "не работает сервис или связь",
    "legal_threat": "угроза обратиться в суд или регулятор",
    "collectors": "коллекторы или испорченная кредитная история",
    "threat_to_leave": "угроза уйти к конкуренту",
    "deadline": "срочный срок",
    "long_wait": "долгое ожидание",
    "vulnerable": "пострадавшие в уязвимом положении (здоровье, пожилые)",
    "intensity": "сильные эмоции",
    "high_reach": "автор с большой аудиторией",
    "engagement": "много реакций",
    "resolved": "проблема уже решена",
    "news": "новость, а не личное обращение",
    "hypothetical": "вопрос «что если», а не случившееся",
    "partial_outage": "частичные перебои",
    "app_only": "сбой только приложения или сайта",
    "fee": "спор о цене или комиссии, деньги не пропали",
    "nothing_at_stake": "ничего не под угрозой: ни денег, ни доступа, ни полного сбоя",
    "switch_target": "бренд, к которому автор уходит",
    "old": "давняя публикация",
}

# reasons that lower urgency: they explain why a mention is NOT urgent
DAMPERS = frozenset({"resolved", "news", "hypothetical", "partial_outage", "app_only", "fee", "nothing_at_stake",
                     "switch_target", "old"})


def reason_name(code: str) -> str:
    """The Russian name of a reason code (the code itself when unknown)."""
    return REASON_NAMES.get(code, code)
