"""Praise that is a complaint (issue 9): "Спасибо, Мегафон, что третий день без интернета", "Браво, Хоум Банк,
шестой звонок за день", "Отличный сервис у Почта Банка, всего-то 40 минут на линии".

The model reads the praise word and labels such a brand positive. ``ironic_praise`` finds, in the target's
sentence(s) (none naming another brand) or its own part, a word of praise or thanks ("как всегда на высоте"
too) **and** a damning
detail beside it: a negative word of ``classifier.structure_lexicon``, "без связи / без интернета / без
денег", a count of repeats ("третий день", "шестой звонок", "который раз"), "всего-то / каких-то" with a
number, "ноль", a long wait ("40 минут слушаю музыку", "висела на линии час"), or the part is followed by
"особенно когда / если" ("Обожаю X. Особенно когда ..."). Praise with no such detail is left to the model ("Спасибо, Альфа, вернули деньги за день").
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from classifier.structure_lexicon import lexicon_side
from classifier.structure_text import MAX_SPANS, Span, own_segment, own_sentences, words_in
from molva.morphology import lemma

_PRAISE = frozenset({"спасибо", "благодарить", "браво", "обожать", "любить", "отличный", "отлично", "прекрасный",
                     "прекрасно", "чудесный", "чудесно", "шикарный", "шикарно", "молодец", "супер", "восхитительный",
                     "замечательный", "замечательно", "гениальный", "гениально", "респект", "мерси"})
_ORDINAL = frozenset({"второй", "третий", "четвертый", "пятый", "шестой", "седьмой", "восьмой", "девятый", "десятый",
                      "который", "очередной", "энный", "сотый"})
_REPEATED = frozenset({"день", "раз", "звонок", "час", "неделя", "месяц", "сутки", "списание", "попытка", "обращение",
                       "заявка", "смс", "сообщение", "перенос"})
_DAMNING = re.compile(r"\bбез\s+(?:\w+\s+)?(?:связи|интернета|инета|сети|денег|света|ответа|зарплаты)\b"
                      r"|\b(?:всего-то|всего\s+лишь|каких-то|какие-то|жалкие|целых)\s+\d+|\bноль\b|\b0\s+(?:реакции|результата)",
                      re.IGNORECASE)
# a long wait: "40 минут слушаю музыку", "висела на линии 40 минут", "полтора часа в очереди" (not "за 10 минут")
_QUANTITY = r"(?<!за\s)(?<!через\s)\b(?:\d+|полтора|два|три|четыре|пять)\s*(?:минут\w*|час\w*)"
_WAIT = r"(?:на\s+линии|в\s+очереди|музык\w*|жд\w+|слуша\w+|вис\w+|ожидани\w*)"
_WAITING = re.compile(_QUANTITY + r"\s+(?:\w+\s+){0,2}" + _WAIT + "|" + _WAIT + r"\s+(?:\w+\s+){0,2}" + _QUANTITY,
                      re.IGNORECASE)
# "обожаю X. Особенно когда ...": praise followed by "especially when" is the frame of a complaint
_ESPECIALLY = re.compile(r"[\s,.!…—–-]*особенно\s+(?:когда|если)\b", re.IGNORECASE)


_PRAISED = re.compile(r"\bна\s+высоте\b|\bвыше\s+всяких\s+похвал\b|\bкак\s+всегда\s+молодц", re.IGNORECASE)


def _damning(words: list[str], part: str) -> bool:
    if _DAMNING.search(part) or _WAITING.search(part) or lexicon_side(part) == "negative":
        return True
    lemmas = [lemma(w) for w in words]
    return any(a in _ORDINAL and b in _REPEATED for a, b in zip(lemmas, lemmas[1:], strict=False))


_BORED = frozenset({"скукота", "скучно", "скука", "поскучать", "заскучать"})


def _parts(text: str, target: Sequence[Span], others: Sequence[Span]) -> list[Span]:
    parts = own_sentences(text, target, others)
    if parts is None:
        seg = own_segment(text, target, others, addressed=True)
        parts = [seg] if seg is not None else []
    return parts


def mock_boredom(text: str, target: Sequence[Span] | None, others: Sequence[Span] | None) -> bool:
    """True when the target's own sentences (or own part) call it boring in jest ("..., скукота", "скучно")."""
    if not target or not others or len(target) + len(others) > MAX_SPANS:
        return False
    return any(lemma(w) in _BORED or w in _BORED for begin, end in _parts(text, target, others)
               for w, _, _ in words_in(text, begin, end))


def ironic_praise(text: str, target: Sequence[Span] | None, others: Sequence[Span] | None) -> bool:
    """True when the target's own sentences (or own part) praise it with a damning detail beside the praise."""
    if not target or not others or len(target) + len(others) > MAX_SPANS:
        return False
    for begin, end in _parts(text, target, others):
        part = text[begin:end].lower().replace("ё", "е")
        words = [w for w, _, _ in words_in(text, begin, end)]
        praised = any(lemma(w) in _PRAISE for w in words) or bool(_PRAISED.search(part))
        if praised and (_damning(words, part) or _ESPECIALLY.match(text, end)):
            return True
    return False
