"""The brand catalog: which brands Molva watches and how to find them in Russian text.

Matching is token based and Russian aware. Every alias (plus the display name and former names) is
expanded once, at load time, into its inflected surface forms (``Сбербанк`` -> ``Сбербанка``,
``Сбербанке``, ``сбербанковский`` ...), normalised (lower case, ``ё`` -> ``е``). ``match`` then walks
the words of a text and looks each one up in a dict, so it costs a few dict look-ups per word
whatever the size of the catalog. Multi-word aliases (``Почта Банк``, ``Альфа-Банк``) are checked
word by word, with hyphens, spaces and quotes between the words, and also written together
(``почтабанк``). ``@handles`` and ``#hashtags`` are included in the span. Words mixing Cyrillic and
look-alike Latin letters (``Cбербанк`` with a Latin C) are read as Cyrillic, and camel-case hashtags
(``#СберНеРаботает``) are split.

False hits are kept out by three means: aliases that are common words are not listed bare (``почта``,
``открытие``) but in context (``банк Открытие``); ``proper_aliases`` count only when capitalised in the
middle of a sentence (``перевела в Открытие``); and ``exclude`` regexes drop a brand's matches they
overlap (``альфа-версия``, ``ни на йоту``).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from molva.errors import ConfigFileError

__all__ = [
    "Brand",
    "BrandMatch",
    "Catalog",
    "CatalogError",
    "default_catalog_path",
    "load_catalog",
    "normalize",
]

ACCOUNT_KINDS = ("telegram", "vk", "mastodon", "reviews")


class CatalogError(ConfigFileError):
    """A brand catalog file that cannot be used: names the file, the line and the problem."""


@dataclass(frozen=True)
class Brand:
    id: str
    name: str
    group: str
    aliases: tuple[str, ...]
    official_accounts: Mapping[str, tuple[str, ...]] = field(hash=False)
    exclude: tuple[str, ...] = ()
    former_names: tuple[str, ...] = ()
    proper_aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class BrandMatch:
    brand: str  # display name
    brand_id: str
    alias: str  # the matched text exactly as in the input: text[start:end]
    start: int
    end: int


# --- normalisation and word forms -------------------------------------------------------------------

_YO = str.maketrans({"ё": "е", "Ё": "Е"})
_LATIN_TO_CYRILLIC = str.maketrans("aeopcxykmtbh", "аеорсхукмтвн")
_TOKEN_RE = re.compile(r"[^\W_]+")
_CAMEL_RE = re.compile(r"[A-ZА-ЯЁ]+(?=[A-ZА-ЯЁ][a-zа-яё])|[A-ZА-ЯЁ]?[a-zа-яё]+|[A-ZА-ЯЁ]+|\d+")
_CYRILLIC_RE = re.compile(r"[а-яё]")
_LATIN_RE = re.compile(r"[a-z]")
_GAP_RE = re.compile(r"[\s\-‐‑–—«»\"„“”'’`]{1,5}")
_SENTENCE_END = frozenset(".!?…:;\n")
_OPENERS = " \t\r«\"„“'(-–—*"

_ADJ = ("ий", "ый", "ой", "ого", "ому", "им", "ым", "ом", "ая", "ую", "ое", "ые", "ие", "их", "ых",
        "ими", "ыми", "ей")
_NOUN_HARD = ("", "а", "у", "ом", "е", "ы", "ов", "ам", "ами", "ах")
_DERIVED = tuple(s + e for s in ("овск", "ск") for e in _ADJ) + ("чик", "чика", "чику", "чиком", "чике")
_ABBR = ("", "а", "у", "е", "ом", "ка", "ку", "ке", "кой", "шка", "шку", "шке", "шкой", "овский", "овская", "овской", "овского", "овскую", "овские",
         "шный", "шная", "шной", "шного", "шную", "шные", "шник", "шники", "шника", "шников",
         "ник", "ники", "ника", "ников", "овцы", "овец")


def normalize(text: str) -> str:
    """Lower case with ``ё`` folded to ``е``; same length as the input when possible."""
    low = text.lower().translate(_YO)
    if len(low) != len(text):  # a rare character whose lower case is longer (e.g. "İ")
        low = "".join(c if len(c.lower()) != 1 else c.lower() for c in text).translate(_YO)
    return low


def _fix_mixed(word: str) -> str:
    """Read a word mixing Cyrillic and look-alike Latin letters as Cyrillic."""
    if not word.isascii() and _LATIN_RE.search(word) and _CYRILLIC_RE.search(word):
        return word.translate(_LATIN_TO_CYRILLIC)
    return word


def word_forms(word: str, abbreviation: bool = False) -> frozenset[str]:
    """Inflected forms of one normalised alias word (nouns, adjectives, abbreviations)."""
    if abbreviation:
        return frozenset(word + e for e in _ABBR)
    if len(word) < 3 or not _CYRILLIC_RE.search(word[-1]):
        return frozenset({word})
    if word.endswith(("ий", "ый", "ой")):
        return frozenset(word[:-2] + e for e in _ADJ)
    if word.endswith("ие"):
        return frozenset(word[:-2] + e for e in ("ие", "ия", "ию", "ием", "ии"))
    if word.endswith("а"):
        return frozenset(word[:-1] + e for e in ("а", "ы", "и", "е", "у", "ой", "ою"))
    if word.endswith("я"):
        return frozenset(word[:-1] + e for e in ("я", "и", "е", "ю", "ей"))
    if word[-1] in "еиоуыэю":
        return frozenset({word})
    if word.endswith("ь"):
        return frozenset(word[:-1] + e for e in ("ь", "я", "ю", "ем", "е", "и"))
    if word.endswith("й"):
        return frozenset(word[:-1] + e for e in ("й", "я", "ю", "ем", "е", "и"))
    return frozenset(word + e for e in _NOUN_HARD + _DERIVED)


@dataclass(frozen=True)
class _Pattern:
    """One alias compiled for matching: the forms of its words and what must lie between them."""

    brand_index: int
    rest: tuple[frozenset[str], ...]  # forms of the 2nd, 3rd ... words
    gaps: tuple[str | None, ...]  # None: spaces/hyphens/quotes; else this exact text
    prefix: str  # "", "@" or "#": required character before the first word
    proper: bool  # must be capitalised and not start a sentence


def _compile_alias(alias: str, brand_index: int, proper: bool) -> list[tuple[str, _Pattern]]:
    """(first word form, pattern) pairs for one alias, including its written-together variant."""
    prefix = alias[0] if alias[:1] in ("@", "#") else ""
    body = alias[len(prefix):].translate(_YO)
    words = [m for m in _TOKEN_RE.finditer(body)]
    if not words:
        return []
    forms: list[frozenset[str]] = []
    gaps: list[str | None] = []
    for i, m in enumerate(words):
        raw = m.group()
        abbreviation = len(raw) >= 2 and raw.isupper() and not raw.isascii() and raw.isalpha()
        forms.append(word_forms(raw.lower(), abbreviation) if not prefix else frozenset({raw.lower()}))
        if i:
            gap = body[words[i - 1].end():m.start()]
            gaps.append(None if _GAP_RE.fullmatch(gap) and gap.strip("-‐‑–— ") == "" else gap.lower())
    out = [(f, _Pattern(brand_index, tuple(forms[1:]), tuple(gaps), prefix, proper)) for f in forms[0]]
    if len(words) > 1 and not prefix:  # "Почта Банк" -> "почтабанк", "почтабанка"
        head = "".join(m.group().lower() for m in words[:-1])
        last = words[-1].group().lower()
        together = word_forms(head + last) if last.isalpha() else frozenset({head + last})
        out += [(f, _Pattern(brand_index, (), (), "", proper)) for f in together]
    return out


# --- the catalog ------------------------------------------------------------------------------------

class Catalog:
    """The watched brands with a fast matcher (build once, reuse for every post)."""

    def __init__(self, brands: Sequence[Brand]) -> None:
        self.brands: list[Brand] = list(brands)
        self._index: dict[str, list[_Pattern]] = {}
        self._by_key: dict[str, Brand] = {}
        self._accounts: dict[tuple[str, str], Brand] = {}
        self._exclude: list[re.Pattern[str] | None] = []
        for i, brand in enumerate(self.brands):
            self._add_brand(i, brand)
        for patterns in self._index.values():  # longest alias first: "МТС Банк" before "МТС"
            patterns.sort(key=lambda p: (-len(p.rest), p.proper))

    def _add_brand(self, i: int, brand: Brand) -> None:
        proper = {normalize(a) for a in brand.proper_aliases}
        names = [brand.name] if normalize(brand.name) not in proper else []
        for alias in dict.fromkeys([*names, *brand.aliases, *brand.former_names]):
            for form, pattern in _compile_alias(alias, i, proper=False):
                self._index.setdefault(form, []).append(pattern)
        for alias in brand.proper_aliases:
            for form, pattern in _compile_alias(alias, i, proper=True):
                self._index.setdefault(form, []).append(pattern)
        for kind, accounts in brand.official_accounts.items():
            for account in accounts:
                self._accounts[(kind, _account_key(kind, account))] = brand
                if kind in ("telegram", "mastodon"):
                    handle = "@" + account.lstrip("@").split("@")[0]
                    for form, pattern in _compile_alias(handle, i, proper=False):
                        self._index.setdefault(form, []).append(pattern)
        for key in (brand.id, brand.name, *brand.aliases, *brand.former_names, *brand.proper_aliases):
            self._by_key.setdefault(normalize(key).lstrip("@#"), brand)
        self._exclude.append(
            re.compile("|".join(f"(?:{p})" for p in brand.exclude), re.IGNORECASE) if brand.exclude else None
        )

    def match(self, text: str) -> list[BrandMatch]:
        """Every brand mention in ``text``, sorted by start (a brand may occur several times)."""
        low = normalize(text)
        tokens = [(m.start(), m.end(), _fix_mixed(m.group())) for m in _TOKEN_RE.finditer(low)]
        found: list[tuple[int, int, int]] = []  # (start, end, brand index)
        k = 0
        while k < len(tokens):
            start, end, word = tokens[k]
            hit = self._match_at(text, low, tokens, k)
            if hit is None and not word.isdigit() and not text[start + 1:end].islower():
                found.extend(self._match_camel(text, start, end))
            if hit is None:
                k += 1
                continue
            pattern, last = hit
            s = start - 1 if start > 0 and low[start - 1] in "@#" else start
            found.append((s, tokens[last][1], pattern.brand_index))
            k = last + 1
        return self._finish(text, low, found)

    def _match_at(
        self, text: str, low: str, tokens: list[tuple[int, int, str]], k: int
    ) -> tuple[_Pattern, int] | None:
        start, end, word = tokens[k]
        patterns = self._index.get(word)
        if not patterns:
            return None
        for p in patterns:
            if p.prefix and (start == 0 or low[start - 1] != p.prefix):
                continue
            if p.proper and not _is_proper(text, start, end):
                continue
            last = k
            for forms, gap in zip(p.rest, p.gaps, strict=True):
                if last + 1 >= len(tokens):
                    break
                nxt = tokens[last + 1]
                between = low[tokens[last][1]:nxt[0]]
                if (between != gap) if gap is not None else not _GAP_RE.fullmatch(between):
                    break
                if nxt[2] not in forms:
                    break
                last += 1
            else:
                if p.prefix and last + 1 < len(tokens) and tokens[last + 1][0] == tokens[last][1] + 1 \
                        and low[tokens[last][1]] == "_":
                    continue  # "@sber" is not the handle "@sber_news"
                return p, last
        return None

    def _match_camel(self, text: str, start: int, end: int) -> list[tuple[int, int, int]]:
        """Split a camel-case word (``СберНеРаботает``) and match its parts."""
        parts = [(start + m.start(), start + m.end()) for m in _CAMEL_RE.finditer(text[start:end])]
        if len(parts) < 2:
            return []
        low = normalize(text)
        sub = [(s, e, _fix_mixed(low[s:e])) for s, e in parts]
        out: list[tuple[int, int, int]] = []
        for k in range(len(sub)):
            hit = self._match_at(text, low, sub, k)
            if hit is not None and not hit[0].rest and not hit[0].proper:
                out.append((sub[k][0], sub[hit[1]][1], hit[0].brand_index))
        return out

    def _finish(self, text: str, low: str, found: list[tuple[int, int, int]]) -> list[BrandMatch]:
        excluded: dict[int, list[tuple[int, int]]] = {}
        out: list[BrandMatch] = []
        for s, e, b in sorted(found):
            regex = self._exclude[b]
            if regex is not None:
                if b not in excluded:
                    excluded[b] = [m.span() for m in regex.finditer(low)]
                if any(xs < e and s < xe for xs, xe in excluded[b]):
                    continue
            brand = self.brands[b]
            out.append(BrandMatch(brand=brand.name, brand_id=brand.id, alias=text[s:e], start=s, end=e))
        return out

    def get(self, key: str) -> Brand | None:
        """A brand by id, display name, alias or former name (case-insensitive, ``ё`` = ``е``)."""
        return self._by_key.get(normalize(key.strip()).lstrip("@#"))

    def groups(self) -> dict[str, list[Brand]]:
        out: dict[str, list[Brand]] = {}
        for brand in self.brands:
            out.setdefault(brand.group, []).append(brand)
        return out

    def official_brand(self, kind: str, account: str) -> Brand | None:
        """The brand whose official account of this kind this is (``None`` for everyone else)."""
        key = _account_key(kind, account)
        brand = self._accounts.get((kind, key))
        if brand is None and kind == "mastodon" and "@" not in key:  # a local acct without the host
            matches = {b.id: b for (k, a), b in self._accounts.items() if k == kind and a.split("@")[0] == key}
            brand = next(iter(matches.values())) if len(matches) == 1 else None
        return brand

    def brand_names(self) -> list[str]:
        return [b.name for b in self.brands]


def _account_key(kind: str, account: str) -> str:
    account = account.strip()
    if kind == "telegram":
        account = re.sub(r"^(?:https?://)?(?:t\.me/(?:s/)?)", "", account)
    if kind in ("telegram", "mastodon"):
        account = account.lstrip("@")
    if kind not in ACCOUNT_KINDS:  # a kind from a plugin compares accounts its own way
        spec = source_kinds().get(kind)
        if spec is not None:
            return str(spec.account_key(account))
    return account.lower()


def source_kinds() -> dict[str, Any]:
    """The registered source kinds (molva.sources); the built-in account kinds at least."""
    from molva import sources

    return sources.kinds()


def _is_proper(text: str, start: int, end: int) -> bool:
    """Capitalised (not all caps) and not the first word of a sentence."""
    word = text[start:end]
    if not word[:1].isupper() or (len(word) > 1 and word.isupper()):
        return False
    before = text[:start].rstrip(_OPENERS)
    return bool(before) and before[-1] not in _SENTENCE_END


# --- loading ----------------------------------------------------------------------------------------

def default_catalog_path() -> Path:
    """The catalog shipped with Molva: ``molva/data/brands.toml``."""
    return Path(__file__).resolve().parent / "data" / "brands.toml"


def load_catalog(path: Path | None = None) -> Catalog:
    """Read and check a catalog file (``None``: the shipped one); any problem is a :class:`CatalogError`."""
    path = Path(path) if path is not None else default_catalog_path()
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CatalogError(path, None, "файл каталога брендов не найден") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogError(path, None, f"не удалось прочитать файл: {exc}") from None
    try:
        data = tomllib.loads(raw)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = re.search(r"\s*\(at line (\d+), column \d+\)|\s*\(at end of document\)", msg)
        line = int(m.group(1)) if m and m.group(1) else (raw.count("\n") + 1 if m else None)
        problem = msg[: m.start()] if m else msg
        raise CatalogError(path, line, f"ошибка синтаксиса TOML: {problem}") from None
    return Catalog(_parse_brands(path, raw, data))


class _Lines:
    """Finds the source line of a [[brand]] entry, or of one key inside it, for error messages."""

    def __init__(self, raw: str) -> None:
        self.lines = raw.splitlines()
        self.starts = [n for n, s in enumerate(self.lines, 1) if re.match(r"\s*\[\[\s*brand\s*\]\]", s)]

    def entry(self, i: int) -> int | None:
        return self.starts[i] if i < len(self.starts) else None

    def key(self, i: int, key: str) -> int | None:
        first = self.entry(i)
        if first is None:
            return None
        stop = self.starts[i + 1] - 1 if i + 1 < len(self.starts) else len(self.lines)
        name = re.escape(key.split(".")[-1])
        for n in range(first, stop + 1):
            if re.match(rf"\s*\"?{name}\"?\s*=", self.lines[n - 1]):
                return n
        return first


def _parse_brands(path: Path, raw: str, data: dict[str, Any]) -> list[Brand]:
    lines = _Lines(raw)
    entries = data.get("brand")
    if not isinstance(entries, list) or not entries:
        raise CatalogError(path, None, "нет ни одного бренда: ожидаются таблицы [[brand]]")
    brands: list[Brand] = []
    ids: dict[str, int | None] = {}
    names: dict[str, int | None] = {}
    aliases_seen: dict[str, str] = {}
    for i, entry in enumerate(entries):
        def fail(problem: str, key: str | None = None, i: int = i) -> CatalogError:
            return CatalogError(path, lines.key(i, key) if key else lines.entry(i), problem)

        if not isinstance(entry, dict):
            raise fail("запись бренда должна быть таблицей [[brand]]")
        brand = _parse_entry(entry, fail)
        for key, value, registry in (("id", brand.id, ids), ("name", normalize(brand.name), names)):
            if value in registry:
                raise fail(f"повторяется {key} бренда {value!r} (уже задан в строке {registry[value]})", key)
            registry[value] = lines.key(i, key)
        for alias in (*brand.aliases, *brand.former_names, *brand.proper_aliases):
            owner = aliases_seen.setdefault(normalize(alias), brand.id)
            if owner != brand.id:
                raise fail(f"синоним {alias!r} уже принадлежит бренду {owner!r}", "aliases")
        for n, pattern in enumerate(brand.exclude):
            try:
                re.compile(pattern)
            except re.error as exc:
                raise fail(f"неверное регулярное выражение в exclude[{n}] {pattern!r}: {exc}", "exclude") from None
        brands.append(brand)
    return brands


def _parse_entry(entry: dict[str, Any], fail: Callable[..., CatalogError]) -> Brand:
    known = {"id", "name", "group", "aliases", "exclude", "former_names", "proper_aliases", "official_accounts"}
    for key in entry:
        if key not in known:
            raise fail(f"неизвестное поле {key!r} (допустимы: {', '.join(sorted(known))})", key)
    for key in ("id", "name", "group"):
        if key not in entry:
            raise fail(f"у бренда нет обязательного поля {key!r}")
        if not isinstance(entry[key], str) or not entry[key].strip():
            raise fail(f"поле {key!r} должно быть непустой строкой", key)
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", entry["id"]):
        raise fail(f"id {entry['id']!r}: только строчные латинские буквы, цифры, '_' и '-'", "id")

    def strings(key: str, value: Any) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise fail(f"поле {key!r} должно быть списком непустых строк", key)
        return tuple(v.strip() for v in value)

    accounts_raw = entry.get("official_accounts", {})
    if not isinstance(accounts_raw, dict):
        raise fail("official_accounts должно быть таблицей [brand.official_accounts]", "official_accounts")
    accounts: dict[str, tuple[str, ...]] = {}
    known_kinds = source_kinds()
    for kind, value in accounts_raw.items():
        if kind not in known_kinds:
            raise fail(f"неизвестный вид официального аккаунта {kind!r} (допустимы: {', '.join(sorted(known_kinds))})",
                       kind)
        accounts[kind] = strings(kind, value)
        if kind == "vk" and not all(re.fullmatch(r"-?\d+", a) for a in accounts[kind]):
            raise fail("vk: ожидаются числовые id владельца сообщества (например \"-22522055\")", kind)
        problem = next((p for p in map(known_kinds[kind].account_error, accounts[kind]) if p), None)
        if problem:
            raise fail(f"недопустимый официальный аккаунт: {problem}", kind)
    return Brand(
        id=entry["id"],
        name=entry["name"].strip(),
        group=entry["group"].strip(),
        aliases=strings("aliases", entry.get("aliases", [])),
        official_accounts=MappingProxyType(accounts),
        exclude=strings("exclude", entry.get("exclude", [])),
        former_names=strings("former_names", entry.get("former_names", [])),
        proper_aliases=strings("proper_aliases", entry.get("proper_aliases", [])),
    )

