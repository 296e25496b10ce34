"""Word-level cues of a brand's own part of a two-brand post (issue 9): slang verdicts and set phrases,
negated problems, emoji ratings (elliptical parts and places: ``classifier.structure_relations``).

* **Slang verdicts** (``slang_label``) — evaluative words of known direction, mostly colloquial, that the
  model reads poorly ("мегафон кринж, йота база", "сбер днище, тинек рулит", "МТС лагает"), and set phrases
  ("горя не знаю", "как часы", "ну такое", "так себе", "через раз", "без спроса"): entries are matched on
  the word or its pymorphy3 lemma (``classifier.urgency.lemma``), so one entry covers its inflections. A noun
  counts only as a predicate (right after the brand or an intensifier, or ending its clause: "йота база", not
  "утекла база клиентов", not after a preposition: "в топе"); a negator one or two words before a verb or
  adjective turns it ("не вывозит", "не дали нормальную"), before a noun drops it. Nothing counts in an
  ironic part ("ну конечно, топ"), in a question, or before a conceding "но" ("огонь, но только когда не
  лежит"). The brand's part is ``own_segment`` turned at "а/но/зато" (a middle clause belongs to the brand
  before the turn); brands listed together ("И МТС, и Билайн — днище", "ни X, ни Y") share their sentence.
* **Negated problems** — "ни разу не было проблем", "никаких сбоев", "без нареканий", "без комиссий":
  positive, unless the part looks back from a change ("раньше", "пока не", "теперь"); emphatic negation ("ни
  одного обрыва", "ни разу не нахамили") positive unless it denies a good deed ("ни разу не перезвонил").
* **Emoji ratings** (``emoji_label``, read by ``classifier.structure_rules.structural_label``) — nothing but
  emoji between a brand and the next brand ("Мегафон 💯 Yota 🤷", "билайн ✅ мтс ❌"): the emoji's feeling; with
  words there too, the emoji of a feeling ("дом.ру 🔥 подключили за день. ростелеком месяц обещал 😴").

No brand names here: the brands are the catalog spans the caller passes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from classifier.structure_text import (
    ADVERSATIVE,
    MAX_SENTENCE,
    MAX_SPANS,
    Span,
    Word,
    own_segment,
    sentence_at,
    words_in,
)
from molva.morphology import lemma

# nouns (and the odd interjection) that are verdicts when they are the predicate: "йота база", "сбер — днище"
# emoji that say the feeling when a brand is followed by nothing else (emoji-only "ratings": "МТС ❌ Билайн ✅")
_EMOJI_POSITIVE = frozenset("👍👌💯✅✔💚💙💛💜🧡❤♥😍🥰😘😊🙂😀😃😄😁☺🤩🔥🙏🏆⭐🌟👏💪🚀🎉🥳")
_EMOJI_NEGATIVE = frozenset("👎❌✖🚫😡😠🤬🤮🤢💩🖕🤦😤😞😩😫😭😢☹🙁😒🐌⛔🗑💀🤡😴")
_EMOJI_NEUTRAL = frozenset("😐😑😶🤷")
_EMOJI_CLAPS = frozenset("👏")  # after a complaint, ironic applause ("повысили тариф без предупреждения 👏")
_LETTERS = re.compile(r"[^\W_]", re.UNICODE)
_NOUN_POSITIVE = frozenset({"база", "имба", "топ", "топчик", "огонь", "пушка", "бомба", "годнота", "кайф",
                            "красавчик", "красавчики", "зачет", "шик", "норм", "нормас"})
_NOUN_NEGATIVE = frozenset({"кринж", "днище", "дно", "зашквар", "отстой", "треш", "трэш", "шлак", "позор",
                            "позорище", "помойка", "жесть", "кошмар", "ужас", "мрак", "лажа", "фигня", "дичь",
                            "капец", "провал", "шарашка", "шарага", "халтура", "цирк", "тухляк", "тухлятина"})
# verbs, adjectives and adverbs (lemmas or words); "не" before one turns it
_WORD_POSITIVE = frozenset({"рулить", "тащить", "вывозить", "топовый", "годный", "имбовый", "кайфовый",
                            "летать", "радовать", "нарадоваться", "огненный", "збс", "четкий", "норм", "хвалю", "ловит", "ловят",
                            "нормальный"})
_WORD_NEGATIVE = frozenset({"кринжовый", "кринжово", "отстойный", "зашкварный", "убогий", "сливаться", "слиться",
                            "лагать", "лагает", "лагают", "тупить", "глючить", "тормозить", "виснуть", "зависать",
                            "бесить", "достать", "задолбать", "бесячий", "позорный", "отвратный", "отвратно",
                            "днищенский", "мурыжить", "кидать", "обманывать", "обмануть", "динамить", "жмотиться",
                            "отвалиться", "отваливаться", "виноватый", "ругаю", "подвести", "подводить", "сбоить", "глюкнуть",
                            "тухлый", "зашквариться"})
_INTENSIFIERS = frozenset({"просто", "реально", "полный", "полное", "полная", "настоящий", "абсолютный", "очень",
                           "вообще", "ваще", "прям", "прямо", "чистый", "лютый", "конкретный", "это", "какой-то",
                           "какая-то", "какое-то", "тупо", "максимально", "редкостный", "редкостное", "сейчас",
                           "теперь", "однозначно", "безусловно", "по-прежнему", "снова", "опять", "всегда", "оба", "обе",
                           "тоже", "также", "оба-два"})
NEGATORS = frozenset({"не", "нет", "ни", "без", "никакой", "никакого", "никакие", "никаких"})
_JOINED = re.compile(r"\s*(?:,\s*(?:и\s+|ни\s+)?|и\s+)", re.IGNORECASE)  # "X и Y", "X, Y", "и X, и Y", "ни X, ни Y"
PREPOSITIONS = frozenset({"в", "во", "на", "из", "по", "с", "со", "о", "об", "от", "до", "для", "к", "ко", "у",
                           "за", "под", "над", "при", "про", "через", "без"})
# set phrases of known direction
_IDIOM_POSITIVE = re.compile(r"\bгоря\s+не\s*зна|\bне\s+нарадуюсь|\bнарадоваться\s+не\s+мо|\bкак\s+часы\b"
                             r"|(?<!не\s)\bвсе\s+(?:\w+\s+)?(?:работает|ок|окей|норм|ловит|летает|устраивает|отлично|супер"
                             r"|четко|здорово|замечательно)\b|\bполет\s+нормальный|\bплохого\s+(?:\w+\s+)?не\s+(?:скаж|могу)", re.IGNORECASE)
_IDIOM_NEGATIVE = re.compile(r"\bне\s+сахар\b|\bну\s+такое\b|\bтак\s+себе\b|\bоставля\w+\s+желать\s+лучшего"
                             r"|\bбез\s+(?:всякого\s+|моего\s+|какого-либо\s+)?(?:спроса|предупреждени\w+|согласия|объяснени\w+"
                             r"|причин\w*)\b|\bне\s+работа(?:ет|ют|л|ла|ло|ли)\b|\bчто-то\s+не\s+так\b|\bчерез\s+раз\b"
                             r"|\bкак\s+повезет\b|\bлотере[яюи]\b|\bни\s+рыба\s+ни\s+мясо"
                             r"|\bтак\s+и\s+не\s+[а-я]{3,}"  # "так и не дождался": what was due never came
                             r"|\b(?:\w+(?:ой|ий|ый))\s+раз\s+за\s+(?:день|сутки|неделю|месяц)\b"  # "в шестой раз за неделю"
                             r"|\bобеща\w*\b[^.!?]{0,60}?(?:,\s*|\s)(?:а|но)\s", re.IGNORECASE)  # "обещал 11%, а ..."
_CONCESSION = re.compile(r"\b(?:но|однако)\b", re.IGNORECASE)
_IRONY = re.compile(r"\bконечно\b|\bага\b|\bну\s+(?:вы|ты|да|прям)\b|[🙃😏]|«[^»]{1,30}»", re.IGNORECASE)
_CLAUSE_END = re.compile(r"[^\w]*(?:[.,;:!?…)—–-]|$|(?:а|но|зато|и)\b)", re.UNICODE)

_PROBLEM = r"(?:проблем\w*|сбо[ейя]\w*|косяк\w*|претензи\w*|нарекани\w*|жалоб\w*|глюк\w*|задерж\w*|ошибк\w*" \
           r"|вопрос\w*|отказ\w*|поломк\w*|перебо\w*|комисси\w*|переплат\w*|навязанн\w*|скрыт\w*|подвох\w*)"
_NO_PROBLEM = re.compile(r"\b(?:ни\s+разу\s+не\s+(?:было|возникал\w*|случал\w*)|никаких|ни\s+(?:одной|одного|единой"
                         r"|единого)|без(?:\s+(?:единой|единого|всяких|каких-либо|лишних))?|не\s+было(?:\s+ни)?"
                         r"|нет(?:\s+ни)?|ноль)\s+(?:\w+\s+)?" + _PROBLEM + r"\b", re.IGNORECASE)
# emphatic negation: what it denies is a trouble, unless it is a good deed the brand never does
_EMPHATIC = re.compile(r"\b(?:ни\s+разу\s+(?:не\s+)?|ни\s+(?:одного|одной|единого|единой)\s+|никогда\s+не\s+)"
                       r"(?:(?:был\w*|мне|нам|меня|нас|нам)\s+)?([а-я]+)", re.IGNORECASE)
_GOOD_DEEDS = frozenset({"помочь", "помогать", "ответить", "отвечать", "перезвонить", "перезванивать", "решить",
                         "решать", "вернуть", "возвращать", "дозвониться", "приехать", "приезжать", "исправить",
                         "починить", "чинить", "ловить", "работать", "прийти", "приходить", "получиться", "одобрить",
                         "одобрять", "связаться", "извиниться", "выполнить", "сдержать", "предупредить", "начислить",
                         "зачислить", "ответ", "помощь", "решение", "извинение", "компенсация", "дать",
                         "давать", "сделать", "выдать"})
_LOOKING_BACK = re.compile(r"\bраньше\b|\bпока\s+не\b|\bтеперь\b|\bдо\s+(?:вчера|недавн|прошл|этого)"
                           r"|\bпоследн\w+\s+врем", re.IGNORECASE)

def part_words(text: str, seg: Span, target: Sequence[Span]) -> list[Word]:
    """The words of ``text[seg]`` outside the ``target`` spans."""
    return [w for w in words_in(text, *seg) if not any(s <= w[1] < e for s, e in target)]


def _predicate_noun(text: str, words: list[Word], k: int, target: Sequence[Span]) -> bool:
    """The noun at ``words[k]`` stands as a predicate: right after a brand (intensifiers, dashes between) or
    ending its clause, and not after a preposition."""
    _, s, e = words[k]
    if k > 0 and words[k - 1][0] in PREPOSITIONS | {"не"}:
        return False
    j = k - 1
    while j >= 0 and words[j][0] in _INTENSIFIERS:
        j -= 1
    start = words[j + 1][1]
    after_brand = any(t1 <= start and re.fullmatch(r"[\s—–:,-]*", text[t1:start]) for _, t1 in target)
    return after_brand or bool(_CLAUSE_END.match(text, e))


def _listed_sentence(text: str, target: Sequence[Span], others: Sequence[Span]) -> Span | None:
    """The sentence of the target when it names the target with other brands as one list ("И МТС, и Билайн
    — днище", "Сбер и Т-Банк оба топ"): what it says of one it says of all. None otherwise."""
    begin, end = sentence_at(text, target[0][0])
    inside = sorted(s for s in (*target, *others) if begin <= s[0] < end)
    if any(not begin <= t[0] < end for t in target) or len(inside) < 2 or end - begin > MAX_SENTENCE:
        return None
    if not all(_JOINED.fullmatch(text[a[1]:b[0]]) for a, b in zip(inside, inside[1:], strict=False)):
        return None
    return begin, end


def _side(text: str, target: Sequence[Span], others: Sequence[Span]) -> Span | None:
    """The target's own part, turned at "а/но/зато": it starts at the last turn before the target and runs to
    the last turn before the next brand ("X любимый, ни разу не подводил, а Y ..." gives X the middle clause)."""
    seg = own_segment(text, target, others, addressed=True)  # a word of its own part holds whoever is addressed
    if seg is None:
        return None
    begin = max([seg[0], *(m.start() for m in ADVERSATIVE.finditer(text, seg[0], min(t[0] for t in target)))])
    after = [o[0] for o in others if o[0] >= seg[1]]
    turns = [m.start() for m in ADVERSATIVE.finditer(text, seg[1], min(after))] if after else []
    return begin, max([seg[1], *turns])


def slang_label(text: str, target: Sequence[Span] | None, others: Sequence[Span] | None) -> str | None:
    """The side the slang verdicts of the target's own part agree on, or None (none, irony, or they disagree)."""
    if not target or not others or len(target) + len(others) > MAX_SPANS:
        return None
    seg = _listed_sentence(text, target, others) or _side(text, target, others)
    if seg is None or _IRONY.search(text[seg[0]:seg[1]]):
        return None
    listed = [o for o in others if seg[0] <= o[0] < seg[1]]
    words = part_words(text, seg, [*target, *listed])
    target = sorted([*target, *listed])
    asked = [(b, e) for b, e in (sentence_at(text, p) for p in range(seg[0], seg[1]) if text[p] == "?")]
    conceded = [seg[0] + m.start() for m in _CONCESSION.finditer(text[seg[0]:seg[1]])]
    sides: set[str] = set()

    def add(side: str, at: int) -> None:  # not in a question, not conceded by a later "но"
        if not any(b <= at <= e for b, e in asked) and not any(c > at for c in conceded):
            sides.add(side)

    for k, (w, at, _) in enumerate(words):
        if w in _NOUN_POSITIVE or w in _NOUN_NEGATIVE:
            if _predicate_noun(text, words, k, target):
                add("positive" if w in _NOUN_POSITIVE else "negative", at)
            continue
        lem = lemma(w)
        good = w in _WORD_POSITIVE or lem in _WORD_POSITIVE
        bad = w in _WORD_NEGATIVE or lem in _WORD_NEGATIVE
        if good != bad:
            add("positive" if good != _negated(text, words, k) else "negative", at)
    part = text[seg[0]:seg[1]].replace("ё", "е")
    for m in _IDIOM_POSITIVE.finditer(part):
        add("positive", seg[0] + m.start())
    for m in _NO_PROBLEM.finditer(part):
        if not _LOOKING_BACK.search(part):
            add("positive", seg[0] + m.start())
    for m in _IDIOM_NEGATIVE.finditer(part):
        add("negative", seg[0] + m.start())
    for m in _EMPHATIC.finditer(part):  # "ни одного обрыва", "ни разу не нахамили"; "ни разу не помогли"
        add("negative" if lemma(m.group(1).lower()) in _GOOD_DEEDS else "positive", seg[0] + m.start())
    return sides.pop() if len(sides) == 1 else None


def _negated(text: str, words: list[Word], k: int) -> bool:
    """A negator one or two words before ``words[k]`` in the same clause ("не бесит", "не дали нормальную")."""
    for j in (k - 1, k - 2):
        if j >= 0 and words[j][0] in NEGATORS and not re.search(r"[,.;:!?—–]", text[words[j][2]:words[k][1]]):
            return True
    return False


def lexicon_side(clause: str) -> str | None:
    """The side the non-noun lexicon words of ``clause`` agree on ("мурыжит", "лагает", "не вывозит"), or None."""
    words = words_in(clause, 0, len(clause))
    sides: set[str] = set()
    for k, (w, _, _) in enumerate(words):
        lem = lemma(w)
        good, bad = w in _WORD_POSITIVE or lem in _WORD_POSITIVE, w in _WORD_NEGATIVE or lem in _WORD_NEGATIVE
        if good != bad:
            sides.add("positive" if good != _negated(clause, words, k) else "negative")
    return sides.pop() if len(sides) == 1 else None


def emoji_label(text: str, target: Sequence[Span], others: Sequence[Span]) -> str | None:
    """The feeling of the emoji right after each target mention, when nothing but emoji, punctuation and
    spaces stand between it and the next brand (or the end): "Мегафон 💯 Yota 🤷" -> Yota neutral. With words
    there too, only the emoji of a feeling count ("дом.ру 🔥 подключили за день"). None when no known emoji,
    or the emoji disagree. Brands joined in a list ("билайн и мтс оба 🐌") share the list's emoji."""
    spans = sorted((s, e) for s, e in (*target, *others))
    found: set[str] = set()
    for _, end in target:
        nxt = next((k for k, sp in enumerate(spans) if sp[0] >= end), len(spans))
        while nxt < len(spans) and _JOINED.fullmatch(text[end:spans[nxt][0]]):  # "билайн и мтс оба 🐌": both
            end, nxt = spans[nxt][1], nxt + 1
        tail = text[end:spans[nxt][0] if nxt < len(spans) else len(text)]
        if _LETTERS.search(tail):  # words and emoji: only a feeling the emoji state ("дом.ру 🔥 подключили за день")
            found |= {"positive" for ch in tail if ch in _EMOJI_POSITIVE and ch not in _EMOJI_CLAPS}
            found |= {"negative" for ch in tail if ch in _EMOJI_NEGATIVE}
            continue
        for ch in tail:
            if ch in _EMOJI_POSITIVE:
                found.add("positive")
            elif ch in _EMOJI_NEGATIVE:
                found.add("negative")
            elif ch in _EMOJI_NEUTRAL:
                found.add("neutral")
    return found.pop() if len(found) == 1 else None
