"""Text plumbing shared by the two-brand rules (issue 9): sentences, words, clauses and brand spans.

A brand is where the catalog matched it: a list of ``Span`` (start, end) into the post, the target brand's and
the other brands'. No brand names here, and no labels: this module only says where a brand's sentence, clause
or own part of the post is, for the rules in ``classifier.structure_rules`` and
``classifier.structure_verdicts`` and for ``classifier.structure``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

from classifier.cues import TEXT_CACHE

Span = tuple[int, int]
Word = tuple[str, int, int]  # lowercased, "ё" -> "е"; start and end in the post

SENTENCE = re.compile(r"[.!?;…]+(?=\s|$)|\n+")  # not the dot of "Дом.ру"
WORD = re.compile(r"[a-zа-яё0-9]+(?:-[a-zа-яё0-9]+)*", re.IGNORECASE)

MAX_SENTENCE = 1000  # characters: a longer "sentence" is not one
MAX_SPANS = 16  # more brand mentions than this: no two-brand construction to read (and linear time on huge posts)

ADVICE = re.compile(r"\bподскаж|\bпосоветуй|\bчто\s+скажете\b|\bкто\s+пользовал|\bстоит\s+ли\b"
                    r"|\bесть\s+ли\s+смысл\b|\bкак\s+вам\b", re.IGNORECASE)
# a grievance inside a polite question: "подскажите, почему не пришла пенсия уже третий день?" is no advice request
GRIEVANCE = re.compile(r"\bне\b[^?]*\b(?:уже|опять|снова|до\s+сих\s+пор)\b|\b(?:уже|опять|снова|до\s+сих\s+пор)\b[^?]*\bне\b",
                       re.IGNORECASE)
ADVERSATIVE = re.compile(r"(?:^|[,;:—–.!?…]\s*|\s)(?:а|но|зато|однако|тогда\s+как|в\s+то\s+время\s+как)(?=\s|$)",
                         re.IGNORECASE)
_SEGMENT_CUT = re.compile(r"[,;]\s+|:\s+|\s[—–-]\s|[—–]\s*|[\U0001F300-\U0001FAFF\u2600-\u27BF]+\s+")
_LISTED = re.compile(r"\s*(?:,|\bи\b|\bили\b|/)\s*(?:и\s+)?", re.IGNORECASE)
_ADDRESS = re.compile(r"\b(?:вы|вам|вас|вами|ваш\w*)\b", re.IGNORECASE)
_COMPARED = re.compile(r"^[\s,;:—–-]*(?:чем|нежели|как|в\s+отличие|по\s+сравнению)\b", re.IGNORECASE)


def words_in(text: str, start: int, end: int) -> list[Word]:
    """The words of ``text[start:end]``, lowercased with "ё" as "е", at their places in ``text``."""
    return list(_words_in(text, start, end))


@functools.lru_cache(maxsize=TEXT_CACHE)
def _words_in(text: str, start: int, end: int) -> tuple[Word, ...]:
    # cached: the rules read the same sentence or clause of a post again and again
    return tuple((m.group(0).lower().replace("ё", "е"), start + m.start(), start + m.end())
                 for m in WORD.finditer(text[start:end]))


@functools.lru_cache(maxsize=TEXT_CACHE)
def _sentence_ends(text: str) -> tuple[Span, ...]:
    """Where each sentence-closing mark of ``text`` stands (``SENTENCE`` matches)."""
    return tuple(m.span() for m in SENTENCE.finditer(text))


def sentence_at(text: str, pos: int) -> tuple[int, int]:
    """Where the sentence holding ``pos`` begins and ends (its closing punctuation left out)."""
    begin, end = 0, len(text)
    for mark_start, mark_end in _sentence_ends(text):
        if mark_end <= pos:
            begin = mark_end
        elif mark_start >= pos:
            end = mark_start
            break
    return begin, end


def sentences(text: str) -> list[Span]:
    """The sentences of ``text`` in order (their closing punctuation left out; blank ones skipped)."""
    out, begin = [], 0
    for mark_start, mark_end in _sentence_ends(text):
        out.append((begin, mark_start))
        begin = mark_end
    out.append((begin, len(text)))
    return [(b, e) for b, e in out if text[b:e].strip()]


def own_sentences(text: str, target: Sequence[Span], others: Sequence[Span]) -> list[tuple[int, int]] | None:
    """The sentences of the target's mentions, when none of them names another brand (else None)."""
    sentences = sorted({sentence_at(text, t[0]) for t in target})
    for begin, end in sentences:
        if end - begin > MAX_SENTENCE or any(begin <= o[0] < end for o in others):
            return None
    return sentences


def adversative_split(text: str, target: Sequence[Span] | None, others: Sequence[Span] | None) -> int | None:
    """Where the adversative conjunction stands ("..., а у Билайна ...", "..., но ...", "А вот ...", "зато",
    "тогда как") when every mention of the target is on one side of it and every mention of the other brand
    on the other: the two brands are contrasted. None otherwise."""
    if not target or not others or len(target) + len(others) > MAX_SPANS:
        return None
    if max(t[1] for t in target) <= min(o[0] for o in others):
        first, second = target, others
    elif max(o[1] for o in others) <= min(t[0] for t in target):
        first, second = others, target
    else:
        return None
    begin, end = max(s[1] for s in first), min(s[0] for s in second)
    if end - begin > MAX_SENTENCE:
        return None
    m = ADVERSATIVE.search(text, begin, end)
    return None if m is None else m.start()


def own_segment(text: str, target: Sequence[Span] | None, others: Sequence[Span] | None, *,
                addressed: bool = False) -> Span | None:
    """The stretch of the post that speaks of the target alone: from where the previous other brand's part
    ends to where the next other brand's part begins. Whole sentences (with the brandless sentences after
    the target's) when the brands are in different sentences, else the clauses around the target (cut at
    ",", ";", ":", dashes and "а/но/зато ..."; a dash or colon right after a brand is its predicate, not a
    cut). None when another brand sits between two target mentions, when no cut parts them, when a part is
    the compared side of a comparison ("..., чем у X") or would be the whole post, and (unless ``addressed``)
    when the post talks to a brand with "вы/вам" outside the part."""
    if not target or not others or len(target) + len(others) > MAX_SPANS:
        return None
    first, last = min(t[0] for t in target), max(t[1] for t in target)
    if any(first < o[0] < last for o in others):
        return None
    for t in target:  # an enumeration ("Сбербанк, ВТБ и Газпромбанк") says nothing of one brand
        for o in others:
            gap = text[t[1]:o[0]] if o[0] >= t[1] else text[o[1]:t[0]]
            if _LISTED.fullmatch(gap) and (len(others) > 1 or "," not in gap):  # "X, Y" alone: a clause cut
                return None
    ends = {sp[1] for sp in (*target, *others)}
    cuts = [m.start() for m in ADVERSATIVE.finditer(text)]
    for m in _SEGMENT_CUT.finditer(text):
        glued = any(text[e:m.start()].strip() == "" for e in ends if e <= m.start())
        if not glued or text[m.start()] in ",;":
            cuts.append(m.end())
    cuts.sort()
    before = [o[1] for o in others if o[1] <= first]
    after = [o[0] for o in others if o[0] >= last]
    sent_begin = sentence_at(text, first)[0]
    if not before or sent_begin >= max(before):
        begin = sent_begin if before else 0
    else:
        begin = next((c for c in cuts if max(before) < c <= first), -1)
    if not after:
        end = len(text)
    elif sentence_at(text, min(after))[0] >= last:
        end = sentence_at(text, min(after))[0]
    else:
        end = next((c for c in cuts if last < c <= min(after)), -1)
    if begin < 0 or end < 0 or end - begin > MAX_SENTENCE * 4 or (begin == 0 and end == len(text)):
        return None
    if _COMPARED.search(text[begin:first]) or (after and _COMPARED.search(text[end:min(after)])):
        return None
    if not addressed and (_ADDRESS.search(text[:begin]) or _ADDRESS.search(text[end:])):  # the post talks to a brand
        return None
    rest = "".join(text[a:b] for a, b in zip([begin, *(t[1] for t in sorted(target))],
                                             [*(t[0] for t in sorted(target)), end], strict=True))
    if not WORD.search(rest):  # a list ("Сбербанк, ВТБ, ...") says nothing of one brand
        return None
    return begin, end
