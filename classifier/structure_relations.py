"""Parts of a two-brand post that lean on the other brand, and a brand named only as a place (issue 9).

* **Elliptical and parallel parts** (``ellipsis_relation``) — the brand's part comes second and leans on the
  other brand's: "С Y — постоянно" / "а у Y наоборот" / "не то что в Y" (opposite, when the two parts differ
  in negation or the part says so), "У Y — та же песня" / "Y тоже не подвела" (the same side), or repeats the
  other part's verb with the negation turned ("Про X ничего плохого не скажу. Про Y скажу много": opposite).
  ``classifier.structure.adjust`` resolves "same" / "opposite" against the other brand's label.
* **A place** (``place_neutral``) — every mention of the brand is where the author is or passes by ("стою в
  очереди в Сбере", "сижу возле офиса Билайна", "мимо рекламы Мегафона") and the sentence goes on, with no
  complaint between, to another brand: neutral.
* **The lesser evil** (``lesser_evil_label``) — "хотя бы / хоть" marks the brand that at least does something
  ("Y хотя бы честно пишет лимит", "хорошо хоть Y раздаёт", "перешла в Y: тут хотя бы банкомат рядом"): that
  brand is positive and the brand it is measured against negative. The brand is the one right after the cue,
  else the nearest before it in its sentence (or in the sentence before, when its own names none). Not in a
  question ("Может Y хоть честнее?"), not "хоть раз" (ever), not a concession ("хоть и ..., но").
* **A hedged negative** (``hedged_not_negative``) — the brand is under "не скажу / не сказал бы / нельзя
  сказать / не то чтобы (что) X плохой" or "я не против X": the author denies the negative verdict, so the
  brand is not negative (the caller turns a negative reading into neutral; a positive one stays).

No brand names here: the brands are the catalog spans the caller passes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from classifier.structure_lexicon import NEGATORS, PREPOSITIONS, lexicon_side, part_words
from classifier.structure_text import MAX_SPANS, Span, own_segment, sentence_at, words_in
from molva.morphology import lemma, parse

_SAME = re.compile(r"\b(?:тоже|также|аналогично|та\s+же\s+(?:песня|история|беда|фигня|ерунда)|то\s+же\s+самое"
                   r"|такая\s+же\s+(?:история|песня|беда)|так\s+же)\b", re.IGNORECASE)
_REVERSED = re.compile(r"\b(?:не\s+то\s+что(?:бы)?|наоборот|иначе|по-другому|противоположность|совсем\s+другое\s+дело)\b", re.IGNORECASE)
# the words an elliptical part may hold besides the brand: how often, how long, prepositions, particles
_ELLIPTIC = frozenset({"постоянно", "всегда", "регулярно", "вечно", "часто", "каждый", "каждую", "каждое",
                       "день", "неделю", "месяц", "год", "раз", "то", "и", "дело", "сплошь", "никогда",
                       "ни", "разу", "не", "нет", "бывает", "было", "а", "вот", "но", "с", "со", "у", "к", "ко",
                       "в", "во", "на", "про", "всё", "все", "совсем", "точно", "так", "же", "как", "раньше",
                       "опять", "снова", "что", "ли", "уже", "обратно"})
_FREQUENT = frozenset({"постоянно", "всегда", "регулярно", "вечно", "часто", "каждый", "каждую", "каждое", "через"})
_FUNCTION = _ELLIPTIC | NEGATORS | PREPOSITIONS | frozenset({
    "я", "мне", "меня", "мной", "мы", "нам", "нас", "он", "она", "они", "оно", "его", "ее", "их", "им", "ему", "ей",
    "это", "этот", "эта", "там", "тут", "здесь", "ничего", "никто", "увы", "же", "бы", "ли", "даже", "только",
    "еще", "уж", "вообще", "тоже", "также", "и", "или", "да", "ну"})
_NEGATED = re.compile(r"\b(?:не|нет|ни|никогда|никаких|ноль|без)\b", re.IGNORECASE)

# where the author is or passes by: "стою в очереди в X", "сижу возле офиса X", "мимо отделения X"
_PLACE = re.compile(r"(?:\b(?:стою|стоял\w*|сижу|сидел\w*|жду|ждал\w*|нахожусь|торчу|торчал\w*)\s+(?:\w+\s+){0,3}"
                    r"(?:в|во|у|возле|около|рядом\s+с)|\b(?:возле|около|напротив|мимо|рядом\s+с)|\bв\s+очереди\s+в)"
                    r"\s+(?:(?:офис\w*|отделени\w*|салон\w*|банкомат\w*|рекламы|вывески|здани\w*|магазин\w*|"
                    r"точк\w*)\s+)?$", re.IGNORECASE)


# "не скажу, что", "не сказала бы что", "нельзя сказать, что", "не то чтобы", "не могу сказать, что"
_HEDGE = re.compile(r"\b(?:не\s+(?:скажу|скажешь|сказал\w*\s+бы|могу\s+сказать|буду\s+говорить)|нельзя\s+сказать"
                    r"|не\s+то\s+чтобы)\s*,?\s*(?:что(?:бы)?\b)?", re.IGNORECASE)
_NOT_AGAINST = re.compile(r"\bне\s+против\s+$", re.IGNORECASE)
_HEDGE_END = re.compile(r"[.!?;:—–]|,\s*(?:но|а|просто|зато|однако)\b|\s(?:просто|но|а)\s", re.IGNORECASE)
_BAD = frozenset({"плохой", "плохо", "хуже", "ужасный", "ужасно", "отстойный", "отстой", "хреновый", "худший"})


def hedged_not_negative(text: str, target: Sequence[Span] | None, others: Sequence[Span] | None) -> bool:
    """True when a target mention stands in a hedged denial of a negative verdict ("Не скажу, что X плохой",
    "нельзя сказать, что у X плохая связь", "я не против X") with no other brand in it."""
    if not target or not others or len(target) + len(others) > MAX_SPANS:
        return False
    for t in target:
        if _NOT_AGAINST.search(text[max(0, t[0] - 20):t[0]]):
            return True
        begin = sentence_at(text, t[0])[0]
        for m in _HEDGE.finditer(text, begin, t[0]):
            gap = text[m.end():t[0]]
            if len(gap) > 20 or _HEDGE_END.search(gap):
                continue
            stop = _HEDGE_END.search(text, t[1])
            scope = (m.end(), stop.start() if stop else len(text))
            if any(scope[0] <= o[0] < scope[1] for o in others):
                continue
            words = words_in(text, t[1], scope[1])
            if any(lemma(w) in _BAD or w in _BAD for w, _, _ in words) or lexicon_side(text[t[1]:scope[1]]) == "negative":
                return True
    return False


_AT_LEAST = re.compile(r"\bхотя\s+бы\b|\bхоть\b(?!\s+(?:раз|однажды|бы|и|как-нибудь|куда|сколько)\b)", re.IGNORECASE)


def _cue_owner(text: str, cue: re.Match[str], brands: list[Span]) -> Span | None:
    """The brand a "хотя бы" cue speaks of: right after it (two words at most), else the nearest before it in
    its sentence, else in the sentence before (when the cue's own sentence names no brand)."""
    begin, end = sentence_at(text, cue.start())
    if text[end:end + 1] == "?" or re.search(r"\bи\b", text[cue.end():end].split(",")[0]) and "," in text[cue.end():end]:
        return None  # a question; "хоть интерфейс и старомодный, ...": a concession
    after = [b for b in brands if cue.end() <= b[0] < end and len(words_in(text, cue.end(), b[0])) <= 2
             and not re.search(r"[,;:—–]", text[cue.end():b[0]])]
    if after:
        return min(after)
    before = [b for b in brands if begin <= b[0] < cue.start()]
    if not before and not any(begin <= b[0] < end for b in brands) and begin > 0:
        prev = sentence_at(text, begin - 1)
        before = [b for b in brands if prev[0] <= b[0] < prev[1]]
    return max(before) if before else None


def lesser_evil_label(text: str, target: Sequence[Span] | None, others: Sequence[Span] | None) -> str | None:
    """"positive" for the brand that "хотя бы / хоть" marks, "negative" for the brand it is measured against
    (see the module's text); None when no cue, a cue of no brand, or cues on both sides."""
    if not target or not others or len(target) + len(others) > MAX_SPANS:
        return None
    brands: list[Span] = sorted((s, e) for s, e in (*target, *others))
    own = {(s, e) for s, e in target}
    sides: set[bool] = set()
    for cue in _AT_LEAST.finditer(text):
        owner = _cue_owner(text, cue, brands)
        if owner is not None:
            sides.add(owner in own)
    return None if len(sides) != 1 else "positive" if sides.pop() else "negative"


def _is_verb(lem: str) -> bool:
    return parse(lem).tag.POS in ("VERB", "INFN")


def ellipsis_relation(text: str, target: Sequence[Span] | None, others: Sequence[Span] | None) -> str | None:
    """"same" or "opposite": the target's own part has no predicate of its own and leans on the other brand's
    part ("С Y — постоянно", "а у Y наоборот", "У Y — та же песня"). None when the part says something itself."""
    if not target or not others or len(target) + len(others) > MAX_SPANS:
        return None
    seg = own_segment(text, target, others)
    other = own_segment(text, others, target)
    if seg is None or other is None or other[0] >= seg[0]:  # the other brand's part comes first
        return None
    part = text[seg[0]:seg[1]]
    words = [w for w, _, _ in part_words(text, seg, target)]
    if _REVERSED.search(part) and len(words) <= 6:
        return "opposite"
    if _SAME.search(part):  # "та же песня", "тоже не подвела": the other's side, with two words of its own at most
        cues = [(m.start() + seg[0], m.end() + seg[0]) for m in _SAME.finditer(part)]
        rest = [w for w, s, _ in part_words(text, seg, target) if w not in _ELLIPTIC
                and not any(a <= s < b for a, b in cues)]
        return "same" if len(rest) <= 2 else None
    own_neg = bool(_NEGATED.search(part))
    other_neg = bool(_NEGATED.search(text, *other))
    loose = [w for w in words if w not in _ELLIPTIC and not w.isdigit()]
    # "В Y — почти каждый визит": two loose words beside "каждый/постоянно", neither a verb (a predicate of its own)
    loosely = len(loose) <= 2 and bool(_FREQUENT & set(words)) and not any(_is_verb(lemma(w)) for w in loose)
    if words and (not loose or loosely):
        return "same" if own_neg == other_neg else "opposite"
    # a parallel part with the negation turned: "Про X ничего плохого не скажу. Про Y скажу много"
    own = {lemma(w) for w in words if w not in _FUNCTION and not w.isdigit()}
    theirs = {lemma(w) for w, _, _ in part_words(text, other, others) if w not in _FUNCTION and not w.isdigit()}
    shared = {a for a in own for b in theirs if a == b or a[:4] == b[:4] and _is_verb(a) and _is_verb(b)}
    if any(_is_verb(w) for w in shared) and len(own - shared) <= 2 and own_neg != other_neg:
        return "opposite"  # "списала" / "списывает": one verb in both aspects
    return None


def place_neutral(text: str, target: Sequence[Span] | None, others: Sequence[Span] | None) -> bool:
    """True when every mention of the target is a place where the author is or passes by ("стою в очереди в
    Сбере", "сижу возле офиса Билайна", "мимо отделения ВТБ") and its sentence goes on about something else."""
    if not target or not others or len(target) + len(others) > MAX_SPANS:
        return False
    for t in target:
        begin, end = sentence_at(text, t[0])
        after = [o[0] for o in others if t[1] <= o[0] < end]
        if not _PLACE.search(text[max(begin, t[0] - 60):t[0]]) or not after:
            return False
        between = text[t[1]:min(after)]
        if _NEGATED.search(between) or lexicon_side(between) is not None:  # "стою в Сбере час, очередь не идёт"
            return False
    return True
