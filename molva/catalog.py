"""The brand catalog: which brands Molva watches and how to find them in Russian text.

Matching is token based and Russian aware. Every alias (plus the display name and former names) is
expanded once, at load time, into its inflected surface forms (``Сбербанк`` -> ``Сбербанка``,
``Сбербанке``, ``сбербанковский``; ``ВТБ`` -> ``ВТБшный``, ``втбшном``; ``Альфа`` -> ``альфовский``),
normalised (lower case, ``ё`` -> ``е``). All forms go into one Aho-Corasick automaton (pyahocorasick),
so ``match`` scans a text once in C and does Python work only where a brand word is, whatever the size
of the catalog. Multi-word aliases (``Почта Банк``, ``Альфа-Банк``) are checked word by word from their
first word, with hyphens, spaces and quotes between the words, and also written together
(``почтабанк``). ``@handles`` and ``#hashtags`` are included in the span. Words mixing Cyrillic and
look-alike Latin letters (``Cбербанк`` with a Latin C) are read as Cyrillic, and camel-case hashtags
(``#СберНеРаботает``) are split. A hashtag that starts or ends with a brand name is a compound
(``#мтсвсегдаснами``, ``#любимыйсбербанк``); a Latin ``@handle`` made of a brand name and a usual handle
word is the brand's (``@megafonhelp``, ``@tele2russia``, ``@alfa_bank``). Invisible characters (zero-width
spaces and joiners, soft hyphens, bidi marks, NUL) are ignored: ``С\\u200bбербанк`` matches, and the span
still indexes the original text.

False hits are kept out by three means: aliases that are common words are not listed bare (``почта``,
``открытие``) but in context (``банк Открытие``); ``proper_aliases`` count only when capitalised in the
middle of a sentence (``перевела в Открытие``) or, at the start of a sentence, when a verb follows and
another brand of the same group is named in the text (``Открытие сказало ...``); ``context_aliases``
(``ренессанс``, ``халва``) count in any case, but only where another brand of the same group is named on
the same line (``кредит в ренессансе закрыл, а с русским стандартом ...``); and ``exclude`` regexes drop a
brand's matches they overlap (``альфа-версия``, ``ни на йоту``, ``#отпуск``).
"""

from __future__ import annotations

import re
import tomllib
from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import ahocorasick

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
    context_aliases: tuple[str, ...] = ()  # count only beside another brand of the group (see the module)


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
# a letter or digit followed by a capital: inside a camel-case word ("СберНеРаботает", "ВТБОнлайн"), see
# _camel_words
_CAMEL_INSIDE_RE = re.compile(r"[^\W_][A-ZА-ЯЁ]")
_CYRILLIC_RE = re.compile(r"[а-яё]")
_LATIN_RE = re.compile(r"[a-z]")
_MIXED_RE = re.compile(r"[a-z][а-я]|[а-я][a-z]")  # over normalised text: a word mixing the two alphabets
_GAP_RE = re.compile(r"[\s\-‐‑–—«»\"„“”'’`]{1,5}")
_INVISIBLE_RE = re.compile("[\x00\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]+")
_HASHTAG_RE = re.compile(r"#([^\W_]{4,64})(?![^\W_])")
_HANDLE_TAIL_RE = re.compile(r"[a-z0-9_]*[a-z0-9](?![\w@])")
_HANDLE_RE = re.compile(r"(?<![\w@])@([a-z0-9_]{2,40})(?![\w@])")
_EXCLUDE_WINDOW = 160  # characters either side of a match that its brand's exclude regexes look at
_SENTENCE_END = frozenset(".!?…:;\n")
_OPENERS = " \t\r«\"„“'(-–—*"
_VERB_NEXT_RE = re.compile(
    r"[\s,]+(?:(?:же|тоже|вот|ведь|и|уже|снова|опять|наконец|просто|сразу|даже|вообще)[\s,]+)*"
    r"[а-я]+(?:л|ла|ло|ли|лось|лась|лись|ет|ит|ют|ут|ят|ат|ется|ится|ются|ятся)(?![а-я])")

# Usual words around a brand name in official Latin handles: @megafonhelp, @tele2russia, @alfa_bank.
HANDLE_SUFFIXES = frozenset({"ru", "rus", "russia", "rf", "help", "support", "official", "bank", "online",
                             "info", "care", "service", "team", "press", "news_ru", "official_ru"})
HANDLE_PREFIXES = frozenset({"ru", "bank", "the", "my"})
_COMPOUND_MIN_HEAD = 3  # "#мтсвсегдаснами": a brand name of at least 3 letters at the start of a hashtag
_COMPOUND_MIN_TAIL = 4  # "#любимыйсбербанк": at least 4 letters at its end
_COMPOUND_MIN_REST = 3  # and at least 3 more letters

_ADJ = ("ий", "ый", "ой", "ого", "ому", "им", "ым", "ом", "ая", "ую", "ое", "ые", "ие", "их", "ых",
        "ими", "ыми", "ей")
_NOUN_HARD = ("", "а", "у", "ом", "е", "ы", "ов", "ам", "ами", "ах")
_DERIVED = tuple(s + e for s in ("овск", "ск") for e in _ADJ) + ("чик", "чика", "чику", "чиком", "чике")
_ABBR = ("", "а", "у", "е", "ом", "ка", "ку", "ке", "кой", "шка", "шку", "шке", "шкой",
         "шник", "шники", "шника", "шников", "шнику", "шником", "шнике", "шникам", "шниками", "шниках",
         "ник", "ники", "ника", "ников", "овцы", "овец") + tuple(s + e for s in ("овск", "шн") for e in _ADJ)


def normalize(text: str) -> str:
    """Lower case with ``ё`` folded to ``е``; same length as the input when possible."""
    low = text.lower().replace("ё", "е")  # str.replace: far faster than translate on Cyrillic text
    if len(low) != len(text):  # a rare character whose lower case is longer (e.g. "İ")
        low = "".join(c if len(c.lower()) != 1 else c.lower() for c in text).translate(_YO)
    return low


def _fix_mixed(word: str) -> str:
    """Read a word mixing Cyrillic and look-alike Latin letters as Cyrillic."""
    if not word.isascii() and _LATIN_RE.search(word) and _CYRILLIC_RE.search(word):
        return word.translate(_LATIN_TO_CYRILLIC)
    return word


def word_forms(word: str, abbreviation: bool = False) -> frozenset[str]:
    """Inflected and derived forms of one normalised alias word (nouns, adjectives, abbreviations)."""
    if abbreviation:
        return frozenset(word + e for e in _ABBR)
    if len(word) < 3 or not _CYRILLIC_RE.search(word[-1]):
        return frozenset({word})
    if word.endswith(("ий", "ый", "ой")):
        return frozenset(word[:-2] + e for e in _ADJ)
    if word.endswith("ие"):
        return frozenset(word[:-2] + e for e in ("ие", "ия", "ию", "ием", "ии"))
    if word.endswith("а"):  # Альфа -> Альфы ... альфовский
        return frozenset([word[:-1] + e for e in ("а", "ы", "и", "е", "у", "ой", "ою")]
                         + [word[:-1] + "овск" + e for e in _ADJ])
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
    context: bool = False  # kept only beside another brand of the same group (a context alias)
    steps: tuple[tuple[frozenset[str], str | None], ...] = ()  # zip(rest, gaps), made once

    def __post_init__(self) -> None:
        object.__setattr__(self, "steps", tuple(zip(self.rest, self.gaps, strict=True)))


def _compile_alias(alias: str, brand_index: int, proper: bool, context: bool = False) -> list[tuple[str, _Pattern]]:
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
    out = [(f, _Pattern(brand_index, tuple(forms[1:]), tuple(gaps), prefix, proper, context)) for f in forms[0]]
    if len(words) > 1 and not prefix:  # "Почта Банк" -> "почтабанк", "почтабанка"
        head = "".join(m.group().lower() for m in words[:-1])
        last = words[-1].group().lower()
        together = word_forms(head + last) if last.isalpha() else frozenset({head + last})
        out += [(f, _Pattern(brand_index, (), (), "", proper, context)) for f in together]
    return out


def _fix_mixed_words(low: str) -> str:
    """``_fix_mixed`` on every word of ``low`` that mixes the alphabets (same length: letter for letter)."""
    pieces: list[str] = []
    done = 0
    for m in _MIXED_RE.finditer(low):
        if m.start() < done:
            continue  # inside a word already fixed
        start = m.start()
        while start > done and low[start - 1].isalnum():
            start -= 1
        word = _TOKEN_RE.match(low, start)
        assert word is not None
        pieces += [low[done:start], _fix_mixed(word.group())]
        done = word.end()
    pieces.append(low[done:])
    return "".join(pieces)


class _Text:
    """One text being matched: the original, its normalised form and its words, read lazily."""

    __slots__ = ("text", "low", "_next")

    def __init__(self, text: str, lowered: str | None = None) -> None:
        self.text = text
        # ``lowered``: text.lower().replace("ё", "е") made already (normalize's result when the length holds)
        low = lowered if lowered is not None and len(lowered) == len(text) else normalize(text)
        if _LATIN_RE.search(low) and _MIXED_RE.search(low):
            low = _fix_mixed_words(low)
        self.low = low
        self._next: dict[int, tuple[int, int, str] | None] = {}

    def next_word(self, pos: int) -> tuple[int, int, str] | None:
        """The first word at or after ``pos`` (memoized: several aliases may ask for the same one)."""
        try:
            return self._next[pos]
        except KeyError:
            m = _TOKEN_RE.search(self.low, pos)
            word = self._next[pos] = (m.start(), m.end(), m.group()) if m else None
            return word


# --- the catalog ------------------------------------------------------------------------------------

class Catalog:
    """The watched brands with a fast matcher (build once, reuse for every post)."""

    def __init__(self, brands: Sequence[Brand]) -> None:
        self.brands: list[Brand] = list(brands)
        self._index: dict[str, list[_Pattern]] = {}
        self._by_key: dict[str, Brand] = {}
        self._accounts: dict[tuple[str, str], Brand] = {}
        self._exclude: list[re.Pattern[str] | None] = []
        self._excluding: frozenset[int] = frozenset()  # the brands with exclude regexes
        self._compound: dict[str, int] = {}  # alias written as one word -> brand index (hashtag compounds)
        self._handles: dict[str, int] = {}  # Latin name without "_" -> brand index (@handle compounds)
        for i, brand in enumerate(self.brands):
            self._add_brand(i, brand)
        for patterns in self._index.values():  # longest alias first: "МТС Банк" before "МТС"; context last
            patterns.sort(key=lambda p: (-len(p.rest), p.context, p.proper))
        self._automaton = ahocorasick.Automaton(ahocorasick.STORE_ANY)
        for form in self._index:
            self._automaton.add_word(form, form)
        self._excluding = frozenset(i for i, regex in enumerate(self._exclude) if regex is not None)
        self._longest_compound = max(map(len, self._compound), default=0)
        self._longest_handle = max(map(len, self._handles), default=0)
        if self._index:
            self._automaton.make_automaton()

    def _add_brand(self, i: int, brand: Brand) -> None:
        proper = {normalize(a) for a in brand.proper_aliases}
        names = [brand.name] if normalize(brand.name) not in proper else []
        for alias in dict.fromkeys([*names, *brand.aliases, *brand.former_names]):
            for form, pattern in _compile_alias(alias, i, proper=False):
                self._index.setdefault(form, []).append(pattern)
            if alias[:1] != "@":
                joined = "".join(_TOKEN_RE.findall(normalize(alias)))
                self._compound.setdefault(joined, i)
                if joined.isascii():
                    self._handles.setdefault(joined, i)
        for alias in brand.proper_aliases:
            for form, pattern in _compile_alias(alias, i, proper=True):
                self._index.setdefault(form, []).append(pattern)
        for alias in brand.context_aliases:
            for form, pattern in _compile_alias(alias, i, proper=False, context=True):
                self._index.setdefault(form, []).append(pattern)
        for kind, accounts in brand.official_accounts.items():
            for account in accounts:
                self._accounts[(kind, _account_key(kind, account))] = brand
                if kind in ("telegram", "mastodon"):
                    handle = "@" + account.lstrip("@").split("@")[0]
                    for form, pattern in _compile_alias(handle, i, proper=False):
                        self._index.setdefault(form, []).append(pattern)
                    self._handles.setdefault(handle[1:].lower().replace("_", ""), i)
        for alias in (*brand.aliases, *brand.former_names):
            if alias[:1] == "@":
                self._handles.setdefault(alias[1:].lower().replace("_", ""), i)
        for key in (brand.id, brand.name, *brand.aliases, *brand.former_names, *brand.proper_aliases,
                    *brand.context_aliases):
            self._by_key.setdefault(normalize(key).lstrip("@#"), brand)
        self._exclude.append(_compile_exclude(brand.exclude) if brand.exclude else None)

    # -- matching --

    def match(self, text: str) -> list[BrandMatch]:
        """Every brand mention in ``text``, sorted by start (a brand may occur several times)."""
        brands = self.brands
        return [BrandMatch(brand=brands[b].name, brand_id=brands[b].id, alias=text[s:e], start=s, end=e)
                for s, e, b in self.spans(text)]

    def spans(self, text: str, lowered: str | None = None) -> list[tuple[int, int, int]]:
        """:meth:`match` as ``(start, end, index in brands)`` tuples (no objects: the ingestor's bulk path);
        ``lowered``: ``text.lower().replace("ё", "е")`` when the caller has made it already."""
        # every invisible character is unprintable: most texts pass the quick C check and skip the search
        invisible = None if text.isprintable() else _INVISIBLE_RE.search(text)
        if invisible is None:
            return self._find(text, lowered=lowered)
        # Match the text without its invisible characters, then map the spans back onto the original.
        kept_orig: list[int] = []  # start of each kept run in the original text
        kept_clean: list[int] = []  # ... and in the cleaned text
        parts: list[str] = []
        pos = clean = 0
        for m in _INVISIBLE_RE.finditer(text, invisible.start()):
            if m.start() > pos:
                kept_orig.append(pos)
                kept_clean.append(clean)
                parts.append(text[pos:m.start()])
                clean += m.start() - pos
            pos = m.end()
        if pos < len(text):
            kept_orig.append(pos)
            kept_clean.append(clean)
            parts.append(text[pos:])
        if not parts:
            return []

        def orig(c: int) -> int:
            k = bisect_right(kept_clean, c) - 1
            return kept_orig[k] + (c - kept_clean[k])

        return [(orig(s), orig(e - 1) + 1, b) for s, e, b in self._find("".join(parts), seams=kept_clean[1:])]

    def _find(self, raw: str, seams: Sequence[int] = (), lowered: str | None = None) -> list[tuple[int, int, int]]:
        """(start, end, brand index) of every mention, sorted; exclusions applied."""
        t = _Text(raw, lowered)
        low = t.low
        size = len(low)
        found: list[tuple[int, int, int]] = []
        tentative: list[tuple[int, int, int]] = []  # sentence-initial proper aliases, kept only with a rival
        covered: list[tuple[int, int]] = []  # words taken by a match or tried as a first word
        consumed = 0
        for last, word in self._automaton.iter(low) if self._index else ():
            end = last + 1
            start = end - len(word)
            if start < consumed or (start and low[start - 1].isalnum()) or (end < size and low[end].isalnum()):
                continue
            hit = self._match_at(t, start, end, word)
            if hit is None:
                continue
            pattern, stop, initial = hit
            s = start - 1 if start > 0 and low[start - 1] in "@#" else start
            if s < start and low[s] == "@" and (tail := _HANDLE_TAIL_RE.match(low, stop)) is not None:
                stop = tail.end()  # the whole handle: "@tinkoff_bank", not "@tinkoff"
            (tentative if initial else found).append((s, stop, pattern.brand_index))
            covered.append((start, stop))
            consumed = stop
        if seams:
            for s, e, b in self._match_seams(t, list(seams), covered):
                found.append((s, e, b))
                insort(covered, (s, e))
        for start, end in _camel_words(raw):
            if not _overlaps(covered, start, end):
                camel = self._match_camel(t, start, end)
                found += camel
                for s, e, _ in camel:
                    insort(covered, (s, e))
        if "#" in raw and self._compound:
            for m in _HASHTAG_RE.finditer(low):
                if not _overlaps(covered, m.start(1), m.end(1)):
                    found.extend(self._match_compound(m.start(), m.group(1)))
        if "@" in raw and self._handles:
            for m in _HANDLE_RE.finditer(low):
                if not _overlaps(covered, m.start(1), m.end(1)):
                    found.extend(self._match_handle(m.start(), m.end(), m.group(1)))
        for s, e, b in tentative:  # kept when a brand of the same group is named in the same line
            line_start, line_end = low.rfind("\n", 0, s) + 1, low.find("\n", e) % (size + 1)
            group = self.brands[b].group
            if any(line_start <= fs and fe <= line_end and self.brands[fb].group == group for fs, fe, fb in found):
                found.append((s, e, b))
        return self._exclude_hits(low, sorted(found))

    def _match_at(self, t: _Text, start: int, end: int, word: str) -> tuple[_Pattern, int, bool] | None:
        """The longest alias starting with the word at ``start``: (pattern, end of its last word,
        whether it needs another brand of its group: a sentence-initial proper alias, a context alias)."""
        low = t.low
        for p in self._index[word]:
            if p.prefix and (start == 0 or low[start - 1] != p.prefix):
                continue
            initial = p.context
            if p.proper and not _is_proper(t.text, start, end):
                if not _is_initial_subject(t.text, low, start, end):
                    continue
                initial = True
            stop = end
            for forms, gap in p.steps:
                nxt = t.next_word(stop)
                if nxt is None or nxt[2] not in forms:
                    break
                between = low[stop:nxt[0]]
                if (between != gap) if gap is not None else not _GAP_RE.fullmatch(between):
                    break
                stop = nxt[1]
            else:
                if p.prefix and stop + 1 < len(low) and low[stop] == "_" and low[stop + 1].isalnum():
                    continue  # "@sber" is not the handle "@sber_news"
                return p, stop, initial
        return None

    def _match_camel(self, t: _Text, start: int, end: int) -> list[tuple[int, int, int]]:
        """Split a camel-case word (``СберНеРаботает``) and match its parts as single-word aliases."""
        return self._match_parts(t, [m.span() for m in _CAMEL_RE.finditer(t.text, start, end)])

    def _match_parts(self, t: _Text, parts: list[tuple[int, int]]) -> list[tuple[int, int, int]]:
        """The parts of one word that are single-word aliases (none unless the word has 2+ parts)."""
        if len(parts) < 2:
            return []
        out: list[tuple[int, int, int]] = []
        for s, e in parts:
            for p in self._index.get(t.low[s:e], ()):
                if p.rest or p.proper or (p.prefix and (s == 0 or t.low[s - 1] != p.prefix)):
                    continue
                out.append((s, e, p.brand_index))
                break
        return out

    def _match_seams(self, t: _Text, seams: list[int], covered: list[tuple[int, int]]
                     ) -> list[tuple[int, int, int]]:
        """Words glued by a removed invisible character (``МТС\u200bопять``): split there and match."""
        out: list[tuple[int, int, int]] = []
        low = t.low
        k = 0
        for word in _TOKEN_RE.finditer(low):
            while k < len(seams) and seams[k] <= word.start():
                k += 1
            cuts = []
            while k < len(seams) and seams[k] < word.end():
                cuts.append(seams[k])
                k += 1
            if cuts and not _overlaps(covered, word.start(), word.end()):
                bounds = [word.start(), *cuts, word.end()]
                out += self._match_parts(t, list(zip(bounds, bounds[1:], strict=False)))
            if k >= len(seams):
                break
        return out

    def _match_compound(self, at: int, body: str) -> list[tuple[int, int, int]]:
        """A hashtag starting or ending with a brand name: ``#мтсвсегдаснами``, ``#любимыйсбербанк``."""
        if not body.isalpha():
            return []
        longest = min(self._longest_compound, len(body) - _COMPOUND_MIN_REST)
        for n in range(longest, _COMPOUND_MIN_HEAD - 1, -1):
            b = self._compound.get(body[:n])
            if b is not None:
                return [(at, at + 1 + len(body), b)]
        for n in range(longest, _COMPOUND_MIN_TAIL - 1, -1):
            b = self._compound.get(body[-n:])
            if b is not None:
                return [(at, at + 1 + len(body), b)]
        return []

    def _match_handle(self, at: int, end: int, handle: str) -> list[tuple[int, int, int]]:
        """A Latin handle of a brand name and a usual handle word: ``@megafonhelp``, ``@alfa_bank``."""
        body = handle.replace("_", "")
        b = self._handles.get(body)
        if b is None:
            for n in range(min(self._longest_handle, len(body) - 2), 1, -1):
                if body[n:] in HANDLE_SUFFIXES and (b := self._handles.get(body[:n])) is not None:
                    break
                if body[:-n] in HANDLE_PREFIXES and (b := self._handles.get(body[-n:])) is not None:
                    break
        return [(at, end, b)] if b is not None else []

    def _exclude_hits(self, low: str, found: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
        """Drop the matches an ``exclude`` regex of their brand overlaps. A short text is searched once
        per brand; in a long one, a window around each match (linear time however long the text)."""
        if self._excluding.isdisjoint([b for _, _, b in found]):
            return found
        whole = len(low) <= 4 * _EXCLUDE_WINDOW
        excluded: dict[int, list[tuple[int, int]]] = {}
        out = []
        for s, e, b in found:
            regex = self._exclude[b]
            if regex is not None:
                if whole:
                    if b not in excluded:
                        excluded[b] = [m.span() for m in regex.finditer(low)]
                    if _overlaps(excluded[b], s, e):
                        continue
                elif any(m.start() < e and s < m.end() for m in regex.finditer(
                        low, max(0, s - _EXCLUDE_WINDOW), min(len(low), e + _EXCLUDE_WINDOW))):
                    continue
            out.append((s, e, b))
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


def _compile_exclude(patterns: Sequence[str]) -> re.Pattern[str]:
    """One regex for a brand's exclude list. It runs over lower-cased text, so a pattern without capital
    letters needs no IGNORECASE (which makes these regexes 2-6 times slower)."""
    joined = "|".join(f"(?:{p})" for p in patterns)
    plain = re.sub(r"\\.", "", joined)
    return re.compile(joined) if plain == plain.lower() else re.compile(joined, re.IGNORECASE)


def _camel_words(text: str) -> Iterator[tuple[int, int]]:
    """``(start, end)`` of each word (a longest run of letters and digits) with a capital letter (``A-Z``, ``А-Я``,
    ``Ё``) after its first character, in order: what ``(?<![^\\W_])[^\\W_]*?[^\\W_][A-ZА-ЯЁ][^\\W_]*`` finds
    (``[^\\W_]`` is exactly ``str.isalnum``). That regex tried every position of a text that has such a word
    (about 20 µs a text); here one search finds a capital inside a word, the word is widened to its ends, and
    the search goes on after it."""
    find = _CAMEL_INSIDE_RE.search
    word = _TOKEN_RE.match
    found = find(text)
    while found is not None:
        start = found.start()
        while start and text[start - 1].isalnum():
            start -= 1
        end = word(text, found.end() - 1).end()  # type: ignore[union-attr]  # from the capital: a letter
        yield start, end
        found = find(text, end)


def _overlaps(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    """Whether [start, end) overlaps one of ``spans`` (sorted, not overlapping each other): O(log n)."""
    k = bisect_left(spans, (end,)) - 1
    return k >= 0 and spans[k][1] > start


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
    before = text[max(0, start - 64):start].rstrip(_OPENERS)  # bounded: no quadratic time on huge texts
    return bool(before) and before[-1] not in _SENTENCE_END


def _is_initial_subject(text: str, low: str, start: int, end: int) -> bool:
    """A capitalised word at the start of a sentence followed by a verb: ``Открытие же потеряло ...``."""
    word = text[start:end]
    if not word[:1].isupper() or (len(word) > 1 and word.isupper()):
        return False
    return _VERB_NEXT_RE.match(low, end) is not None


# --- loading ----------------------------------------------------------------------------------------

def default_catalog_path() -> Path:
    """The catalog shipped with Molva: ``molva/data/brands.toml``."""
    return Path(__file__).resolve().parent / "data" / "brands.toml"


def load_catalog(path: Path | None = None) -> Catalog:
    """Read and check a catalog file (``None``: the shipped one); any problem is a :class:`CatalogError`."""
    return Catalog(load_brands(path))


def load_brands(path: Path | None = None) -> list[Brand]:
    """The brands of a catalog file, checked as by :func:`load_catalog`, without building the matcher (for
    commands that only need names and groups)."""
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
    return _parse_brands(path, raw, data)


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
        for alias in (*brand.aliases, *brand.former_names, *brand.proper_aliases, *brand.context_aliases):
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
    known = {"id", "name", "group", "aliases", "exclude", "former_names", "proper_aliases", "context_aliases",
             "official_accounts"}
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
        context_aliases=strings("context_aliases", entry.get("context_aliases", [])),
    )

