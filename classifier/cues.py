"""Cue patterns that read only the alternatives a text can match: one Aho-Corasick automaton for all cue words.

The rule modules (intent, urgency, ...) hold long alternations of cue patterns (``"\\bне\\s+работа|\\bпропал\\w*|
..."``, up to 150 alternatives). Python's ``re`` tries every alternative at every position of the text, so one
search of such a pattern costs ~0.1 ms even on a short post, and a brand mention is judged with ~25 of them.

``CuePattern`` keeps the regular expression and its meaning, and adds a prefilter:

- the pattern is split into its top-level alternatives, and for each the parser (``re._parser``) gives literals of
  which at least one must occur in any match (``\\bпропал\\w*`` needs "пропал"; ``(?:когда|куда)\\s`` needs "огда"
  or "уда"); an alternative with no such literal is always kept;
- every literal of every cue pattern sits in one automaton (pyahocorasick), run once per text and cached: which
  alternatives of which patterns a text can match;
- ``search``, ``findall``, ``finditer`` and ``sub`` run the union of just those alternatives, in their original
  order (compiled unions are kept in a bounded LRU cache, so memory stays flat on a long stream). Alternatives
  whose literals are absent cannot match anywhere in the text, so the leftmost-first result is the one the whole
  pattern gives (``tests/classifier/test_cues.py`` compares them on every cue pattern and a few hundred posts).

Literals and text are compared case-folded (``fold``), so the prefilter holds for ``re.IGNORECASE`` too; a literal
with a cased letter outside Latin and Cyrillic sets no requirement. A pattern with capturing groups or
backreferences (its group numbers would change), or global inline flags, is never split.
"""

from __future__ import annotations

import functools
import importlib
import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import ahocorasick

# the parser, opcodes and case-fold table of ``re`` (private modules, present from CPython 3.11 on)
_re_parser: Any = importlib.import_module("re._parser")
_re_constants: Any = importlib.import_module("re._constants")
_re_compiler: Any = importlib.import_module("re._compiler")

# texts whose cues are remembered (here which alternatives can match; in the rule modules signals, complaint votes,
# ...): the brands of one post are judged one after another, and reposts repeat texts; each text is at most
# judge.JUDGED_CHARS, which bounds the memory held
TEXT_CACHE = 1024
# compiled unions of alternatives kept, over all patterns: a stream of varied posts keeps meeting new combinations
# (5,044 for 7,996 varied texts), so the cache is bounded to keep memory constant
COMPILED_CACHE = 2048
_MAX_CLASS = 8  # a character class of up to this many literal characters counts as "one of them must occur"
_GLOBAL_FLAGS = re.compile(r"\(\?[aiLmsux]+\)")  # "(?i)" at the start: a flag of the whole pattern


# str.casefold differs from re.IGNORECASE on two characters of Latin and Cyrillic text: "ı" matches "i", and "İ"
# matches "i" though it folds to "i" + U+0307. With these mapped, every character that re.IGNORECASE matches to a
# letter of ``_VERIFIED`` (checked over all of Unicode) folds to that letter's fold.
_FOLD = {0x131: "i", 0x307: None}
_VERIFIED = frozenset("abcdefghijklmnopqrstuvwxyzабвгдеёжзийклмнопрстуфхцчшщъыьэюя")


def fold(text: str) -> str:
    """The form literals and texts are compared in."""
    folded = text.casefold()
    return folded.translate(_FOLD) if "ı" in folded or "\u0307" in folded else folded


def _safe(literal: str) -> bool:
    """Every character is a verified letter or has no case at all (digits, punctuation, emoji)."""
    return all(ch.lower() in _VERIFIED or ch.lower() == ch.upper() == ch.casefold() == ch for ch in literal)


def split_alternatives(pattern: str) -> list[str]:
    """The top-level alternatives of ``pattern`` (``"a|(?:b|c)|[|]"`` → ``["a", "(?:b|c)", "[|]"]``)."""
    parts: list[str] = []
    depth, start, i, n = 0, 0, 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "[":  # a class: "]" right after "[" or "[^" is a member, escapes are skipped
            i += 1
            if i < n and pattern[i] == "^":
                i += 1
            if i < n and pattern[i] == "]":
                i += 1
            while i < n and pattern[i] != "]":
                i += 2 if pattern[i] == "\\" else 1
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
        i += 1
    parts.append(pattern[start:])
    return parts


def _best(current: frozenset[str] | None, candidate: frozenset[str] | None) -> frozenset[str] | None:
    """The stricter requirement: the one whose shortest literal is longest (fewer texts pass it)."""
    if not candidate or any(not lit for lit in candidate):
        return current
    if current is None:
        return candidate
    key = (min(map(len, candidate)), -len(candidate))
    return candidate if key > (min(map(len, current)), -len(current)) else current


def _required(items: Any) -> frozenset[str] | None:
    """Literals of which one occurs in every match of the parsed sequence ``items`` (None: no such set)."""
    c = _re_constants
    best: frozenset[str] | None = None
    run: list[str] = []
    for op, av in items:
        if op is c.LITERAL:
            run.append(chr(av))
            continue
        if run:
            best = _best(best, frozenset({"".join(run)}))
            run = []
        found: frozenset[str] | None = None
        if op is c.SUBPATTERN:
            found = _required(av[-1])
        elif op is c.BRANCH:
            options = [_required(branch) for branch in av[1]]
            found = None if any(o is None for o in options) else frozenset().union(*options)  # type: ignore[arg-type]
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", c.MAX_REPEAT)) and av[0] >= 1:
            found = _required(av[2])
        elif op is c.IN and 0 < len(av) <= _MAX_CLASS and all(member_op is c.LITERAL for member_op, _ in av):
            found = frozenset(chr(code) for _, code in av)
        best = _best(best, found)
    if run:
        best = _best(best, frozenset({"".join(run)}))
    return best


def required_literals(alternative: str, flags: int = 0) -> frozenset[str] | None:
    """Case-folded literals of which one occurs in every match of ``alternative``; None when there are none."""
    try:
        parsed = _re_parser.parse(alternative, flags)
    except re.error:
        return None
    found = _required(parsed)
    if found is None or not all(_safe(lit) for lit in found):
        return None
    return frozenset(fold(lit) for lit in found)


class _Registry:
    """Every split cue pattern's literals in one automaton, and per text which alternatives can match."""

    def __init__(self) -> None:
        self.patterns: list[CuePattern] = []
        self.owners: dict[str, dict[int, int]] = {}  # literal -> pattern id -> bit mask of its alternatives
        self._automaton: Any = None

    def add(self, pattern: CuePattern, literals: Sequence[frozenset[str] | None]) -> int:
        pid = len(self.patterns)
        self.patterns.append(pattern)
        for index, needed in enumerate(literals):
            for literal in needed or ():
                masks = self.owners.setdefault(literal, {})
                masks[pid] = masks.get(pid, 0) | 1 << index
        self._automaton = None
        candidates.cache_clear()
        return pid

    def automaton(self) -> Any:
        if self._automaton is None:
            automaton = ahocorasick.Automaton()
            for literal, masks in self.owners.items():
                automaton.add_word(literal, tuple(masks.items()))
            automaton.make_automaton()
            self._automaton = automaton
        return self._automaton


REGISTRY = _Registry()


@functools.lru_cache(maxsize=TEXT_CACHE)
def candidates(text: str) -> dict[int, int]:
    """Pattern id -> bit mask of the alternatives whose literals occur in ``text``."""
    hits: dict[int, int] = {}
    seen: set[int] = set()
    for _, owners in REGISTRY.automaton().iter(fold(text)):
        if id(owners) in seen:  # each literal's owners is one tuple, held by the automaton
            continue
        seen.add(id(owners))
        for pid, mask in owners:
            hits[pid] = hits.get(pid, 0) | mask
    return hits


@functools.lru_cache(maxsize=COMPILED_CACHE)
def _union(pid: int, mask: int) -> re.Pattern[str] | None:
    """Pattern ``pid``'s alternatives in ``mask`` as one regular expression, in their order (None: none)."""
    pattern = REGISTRY.patterns[pid]
    if not mask:
        return None
    return re.compile("|".join(alt for i, alt in enumerate(pattern.alternatives) if mask >> i & 1), pattern.flags)


class CuePattern:
    """A regular expression of cue alternatives, searched only for the alternatives the text can match.

    Drop-in for the ``re.Pattern`` methods the rule modules use: ``search``, ``findall``, ``finditer``, ``sub``."""

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self.whole = re.compile(pattern, flags)
        self.pattern, self.flags = pattern, flags
        alternatives = split_alternatives(pattern)
        self._split = (len(alternatives) > 1 and self.whole.groups == 0 and "(?P=" not in pattern
                       and not _GLOBAL_FLAGS.match(pattern))  # "(?i)a|b": the flag would stay with "a" alone
        if not self._split:
            self._id = -1
            return
        literals = [required_literals(alt, flags) for alt in alternatives]
        self.alternatives = alternatives
        self._always = sum(1 << i for i, lit in enumerate(literals) if lit is None)
        self._id = REGISTRY.add(self, literals)

    def _for(self, text: str) -> re.Pattern[str] | None:
        """The regular expression that gives ``whole``'s answers on ``text`` (None: nothing can match)."""
        if not self._split:
            return self.whole
        return _union(self._id, candidates(text).get(self._id, 0) | self._always)

    def search(self, text: str) -> re.Match[str] | None:
        rx = self._for(text)
        return rx.search(text) if rx is not None else None

    def findall(self, text: str) -> list[Any]:
        rx = self._for(text)
        return rx.findall(text) if rx is not None else []

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        rx = self._for(text)
        return rx.finditer(text) if rx is not None else iter(())

    def sub(self, repl: str | Callable[[re.Match[str]], str], text: str, count: int = 0) -> str:
        rx = self._for(text)
        return rx.sub(repl, text, count) if rx is not None else text

    def __repr__(self) -> str:
        return f"CuePattern({self.pattern[:60]!r}{'...' if len(self.pattern) > 60 else ''})"


def cue_rx(*parts: str, flags: int = re.IGNORECASE) -> CuePattern:
    """The rule modules' constructor: the parts joined as alternatives (case-insensitive by default)."""
    return CuePattern("|".join(parts), flags)
