"""Aspects (categories) of a brand mention: what the post is about.

The codes are stored in ``brand_mentions.aspects`` (most relevant first); the Russian names are what users see.
Which aspects apply to a brand group is configured in the catalog; these are the shipped defaults.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from molva.errors import ConfigFileError

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


# ---- configuration: shipped defaults in molva/data/aspects.toml, per-group overrides in the catalog ----



@dataclass(frozen=True)
class AspectDef:
    """One configured aspect: code, Russian name, weighted keywords (as written), leaning brands."""

    code: str
    name: str
    keywords: tuple[tuple[str, float], ...]
    brands: tuple[str, ...] = ()


AspectConfig = dict[str, tuple[AspectDef, ...]]  # group -> its aspects, in priority order


def shipped_aspects_path() -> Path:
    return Path(__file__).resolve().parent / "data" / "aspects.toml"


def _parse_keyword(path: Path, where: str, raw: Any) -> tuple[str, float]:
    if not isinstance(raw, str) or not raw.strip():
        raise ConfigFileError(path, None, f"{where}: ключевое слово должно быть непустой строкой")
    word, _, weight = raw.strip().rpartition(":")
    if not word or not weight.replace(".", "", 1).isdigit():
        return raw.strip(), 1.0
    return word.strip(), float(weight)


def parse_aspects(path: Path, data: dict[str, Any]) -> AspectConfig:
    """The ``[aspects.<group>.<code>]`` tables of a parsed TOML document (empty when it has none)."""
    section = data.get("aspects", {})
    if not isinstance(section, dict):
        raise ConfigFileError(path, None, "[aspects] должен быть таблицей групп")
    out: AspectConfig = {}
    for group, codes in section.items():
        if not isinstance(codes, dict) or not codes:
            raise ConfigFileError(path, None, f"[aspects.{group}]: нужна хотя бы одна таблица аспекта")
        defs = []
        for code, spec in codes.items():
            where = f"[aspects.{group}.{code}]"
            if not isinstance(spec, dict):
                raise ConfigFileError(path, None, f"{where} должен быть таблицей")
            unknown = set(spec) - {"name", "keywords", "brands", "disabled"}
            if unknown:
                raise ConfigFileError(path, None, f"{where}: неизвестное поле {sorted(unknown)[0]!r} "
                                                  "(допустимы: brands, disabled, keywords, name)")
            if spec.get("disabled") is True:
                defs.append(AspectDef(code, "", ()))  # removes the shipped aspect of that code
                continue
            name = spec.get("name", aspect_name(code, group))
            keywords = spec.get("keywords", [])
            brands = spec.get("brands", [])
            if not isinstance(name, str) or not name.strip():
                raise ConfigFileError(path, None, f"{where}: name должно быть непустой строкой")
            if not isinstance(keywords, list) or not keywords:
                raise ConfigFileError(path, None, f"{where}: keywords должно быть непустым списком строк")
            if not isinstance(brands, list) or not all(isinstance(b, str) for b in brands):
                raise ConfigFileError(path, None, f"{where}: brands должно быть списком строк")
            defs.append(AspectDef(code, name.strip(), tuple(_parse_keyword(path, where, k) for k in keywords),
                                  tuple(brands)))
        out[group] = tuple(defs)
    return out


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigFileError(path, None, "файл не найден") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigFileError(path, None, f"не удалось прочитать аспекты: {exc}") from None


def load_aspects(catalog_path: Path | None = None) -> AspectConfig:
    """The aspects per group: the shipped defaults merged with the catalog file's ``[aspects.<group>.<code>]``
    tables (a code defined there replaces the shipped one, a new code is added, ``disabled = true`` removes it;
    a new group is added whole)."""
    shipped = shipped_aspects_path()
    config = parse_aspects(shipped, _read_toml(shipped))
    if catalog_path is not None:
        path = Path(catalog_path)
        for group, defs in parse_aspects(path, _read_toml(path)).items():
            merged = {d.code: d for d in config.get(group, ())}
            for d in defs:
                merged[d.code] = d
            config[group] = tuple(d for d in merged.values() if d.keywords)
    return config
