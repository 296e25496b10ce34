"""Aspects (categories) of a brand mention: what the post is about.

The codes are stored in ``brand_mentions.aspects`` (most relevant first); the Russian names are what users see.
Which aspects apply to a brand group is configured in the catalog; these are the shipped defaults.
"""

from __future__ import annotations

BANK_ASPECTS: dict[str, str] = {
    "app": "Мобильное приложение и интернет-банк",
    "cards": "Карты",
    "transfers": "Переводы и платежи",
    "fees": "Комиссии и тарифы",
    "credits": "Кредиты и ипотека",
    "deposits": "Вклады и накопления",
    "atm_offices": "Банкоматы и отделения",
    "support": "Поддержка и обслуживание",
    "fraud": "Мошенничество и безопасность",
}

TELECOM_ASPECTS: dict[str, str] = {
    "coverage": "Покрытие и качество связи",
    "mobile_internet": "Мобильный интернет",
    "home_internet": "Домашний интернет и ТВ",
    "tariffs": "Тарифы и списания",
    "roaming": "Роуминг",
    "sim": "SIM-карты и перенос номера",
    "support": "Поддержка и обслуживание",
    "offices": "Салоны и офисы",
}

DEFAULT_ASPECTS: dict[str, dict[str, str]] = {"banks": BANK_ASPECTS, "telecom": TELECOM_ASPECTS}


def aspect_name(code: str, group: str | None = None) -> str:
    """The Russian name of an aspect code (the code itself when unknown)."""
    if group in DEFAULT_ASPECTS and code in DEFAULT_ASPECTS[group]:
        return DEFAULT_ASPECTS[group][code]
    for names in DEFAULT_ASPECTS.values():
        if code in names:
            return names[code]
    return code
