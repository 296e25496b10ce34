"""Brands as the simulator sees them: catalog entries plus inflected forms and answering habits.

The catalog (``molva.catalog.load_catalog``) is the only source of brand names and official accounts;
the simulator adds Russian case forms of the name (via pymorphy3), hashtags and a per-brand
"response profile" (how often and how fast the official accounts answer).
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Protocol

KINDS: tuple[str, ...] = ("telegram", "vk", "rss", "reviews", "mastodon")
CASES: tuple[str, ...] = ("gent", "datv", "accs", "ablt", "loct")


class BrandLike(Protocol):
    """What the simulator needs from ``molva.catalog.Brand``."""

    id: str
    name: str
    group: str
    aliases: Sequence[str]
    official_accounts: Mapping[str, Sequence[str]]


@dataclass(frozen=True)
class ResponseProfile:
    """How a brand's official accounts answer addressed posts: share answered and typical delay."""

    rate: float  # probability that an addressed post gets an official reply
    median_delay_s: float  # median of the log-normal reply delay
    spread: float = 0.6  # sigma of the log-normal

    def draw_delay(self, rng: random.Random) -> int:
        delay = rng.lognormvariate(0.0, self.spread) * self.median_delay_s
        return max(60, int(delay))


# Deliberately different habits; assigned to brands in a seed-dependent order.
PROFILES: tuple[ResponseProfile, ...] = (
    ResponseProfile(0.82, 40 * 60),
    ResponseProfile(0.10, 26 * 3600),
    ResponseProfile(0.55, 3 * 3600),
    ResponseProfile(0.35, 9 * 3600),
    ResponseProfile(0.90, 20 * 60),
    ResponseProfile(0.65, 90 * 60),
    ResponseProfile(0.25, 15 * 3600),
    ResponseProfile(0.45, 5 * 3600),
)


@dataclass
class SimBrand:
    """A catalog brand with everything the text generator needs."""

    id: str
    name: str  # catalog display name: the ground-truth value
    group: str
    domain: str  # "bank", "telecom" or "generic": picks the vocabulary
    aliases: tuple[str, ...]
    accounts: dict[str, tuple[str, ...]]
    profile: ResponseProfile
    forms: dict[str, tuple[str, ...]] = field(default_factory=dict)  # case -> spellings

    @property
    def tag(self) -> str:
        """The brand's own Mastodon hashtag (ASCII id without separators)."""
        return re.sub(r"[^0-9a-z]", "", self.id.lower()) or "brand"

    def account(self, kind: str) -> str | None:
        values = self.accounts.get(kind, ())
        return values[0] if values else None


def domain_of(group: str, name: str) -> str:
    g = f"{group} {name}".lower()
    if any(w in g for w in ("bank", "банк", "finance", "финанс")):
        return "bank"
    if any(w in g for w in ("tele", "связ", "mobile", "оператор", "isp", "operator", "telco")):
        return "telecom"
    return "generic"


@lru_cache(maxsize=1)
def _morph() -> Any:
    import pymorphy3

    return pymorphy3.MorphAnalyzer()


def _keep_case(src: str, word: str) -> str:
    if src.isupper():
        return word.upper()
    if src[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


def inflect(phrase: str, case: str) -> str:
    """Put a (possibly multi-word or hyphenated) brand name into a grammatical case."""
    if not re.search(r"[а-яё]", phrase, re.I):
        return phrase
    parts = re.split(r"(\s+|-)", phrase)
    out: list[str] = []
    for part in parts:
        if not re.fullmatch(r"[А-Яа-яЁё]{2,}", part) or part.isupper():
            out.append(part)
            continue
        parsed = _morph().parse(part.lower())[0]
        if "NOUN" not in parsed.tag or "nomn" not in parsed.tag:
            out.append(part)
            continue
        form = parsed.inflect({case, "sing"})
        out.append(_keep_case(part, form.word) if form is not None else part)
    return "".join(out)


def _matches(catalog: Any, text: str, name: str) -> bool:
    match = getattr(catalog, "match", None)
    if match is None:
        return True
    try:
        return any(getattr(m, "brand", None) == name for m in match(text))
    except Exception:  # a half-written catalog must not break the simulator
        return True


def build_brands(catalog: Any, seed: int) -> list[SimBrand]:
    """Turn catalog brands into :class:`SimBrand` objects, deterministic for the seed.

    Spellings are kept only when the catalog recognises them as the brand (so the ground truth
    names a brand that the crawler's matcher can find).
    """
    brands: Iterable[BrandLike] = catalog.brands
    ordered = sorted(brands, key=lambda b: b.id)
    rng = random.Random(f"{seed}:profiles")
    profiles = list(PROFILES)
    rng.shuffle(profiles)
    result: list[SimBrand] = []
    for i, b in enumerate(ordered):
        accounts = {k: tuple(str(v) for v in vals) for k, vals in dict(b.official_accounts).items() if vals}
        nominative = [b.name, *[a for a in b.aliases if a and a.lower() != b.name.lower()
                                and not (" " in a and a[:1].islower())
                                and not a.endswith((" Онлайн", " Брокер", " России"))]]
        nominative = [f for f in dict.fromkeys(nominative) if _matches(catalog, f"про {f} вчера", b.name)]
        if not nominative:
            nominative = [b.name]
        forms: dict[str, tuple[str, ...]] = {"nomn": tuple(nominative)}
        for case in CASES:
            # Multi-word aliases that pymorphy cannot decline ("Мобильные ТелеСистемы") stay out of oblique cases.
            cands = dict.fromkeys(inflect(f, case) for f in nominative
                                  if not f.startswith(("@", "#"))
                                  and (f == b.name or " " not in f or inflect(f, case) != f))
            ok = tuple(f for f in cands if _matches(catalog, f"про {f} вчера", b.name))
            forms[case] = ok or (b.name,)
        result.append(
            SimBrand(
                id=b.id,
                name=b.name,
                group=b.group,
                domain=domain_of(b.group, b.name),
                aliases=tuple(b.aliases),
                accounts=accounts,
                profile=profiles[i % len(profiles)],
                forms=forms,
            )
        )
    return result
