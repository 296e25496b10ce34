"""Register of a post naming several brands (issue 9): a report about companies, or a brand as mere context.

Two cases where a brand named beside others is not judged at all, whatever the model reads into the words:

* a **report** — the whole post is written like news or a press release: no word of the author's own (no
  first or second person, pronoun or verb, nor a dropped "я" — a singular past verb without a subject; no
  imperative, interjection, "!", "?", emoji or smiley; no "опять", "даже", "не"; no evaluative adjective or
  comparative) and either a reporting cue (a reporting verb — "сообщил", "объявили", "говорится"; a source —
  "по данным", "по версии", "по итогам", "со ссылкой на", "рейтинг", "пресс-релиз") or a brand that is the
  subject of a company's action ("X и Y снизили ставки", "X завершает интеграцию") with a figure or a date in
  the post. Every brand of such a post is neutral, also when the brands share a sentence ("Альфа-Банк и Росбанк
  увеличили выдачу ипотеки на 5% и 3%"). Not for an adverse event ("санкции", "штраф", "сбой"): news about
  the company's standing, which the model reads.
* a **context mention** — every mention of the brand is a place or a channel: after a preposition of nearness
  and a place noun ("у банкомата X", "напротив офиса X", "мимо рекламы X") or after "через" in a sentence
  about a payment ("оплатил ... через X"; not "оформил ипотеку через X"). The feeling of the post is about
  something else.

And one case where brands are judged together:

* **brands listed together** — every brand mention of the post stands in one list joined by "и"/"ни" ("Сбер,
  Т-Банк и ВТБ вчера лежали", "Ни МТС, ни МегаФон не ...") and nothing tells them apart ("первый/второй"): they
  share the predicate, so they share the feeling most of them got (``shared_scores``).

The cues are grammatical (pymorphy3 person, mood and part of speech, lemmas), not phrasings; no brand names.
``classifier.structure.adjust`` calls ``shared_scores`` on the model's scores and asks ``register_label``
before every other rule.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Sequence

from classifier.structure_rules import _BETTER, _WORSE
from classifier.structure_text import MAX_SPANS, Span, Word, sentence_at, words_in
from classifier.structure_verdicts import _BAD_ADJ, _GOOD_ADJ
from classifier.structure_verdicts import _CORPORATE as _NEWS_ACTIONS
from molva.morphology import lemma, parse

# verbs that report what someone said or published
_REPORT_VERBS = frozenset({"сообщить", "сообщать", "объявить", "объявлять", "заявить", "заявлять", "анонсировать",
                           "говориться", "отчитаться", "отчитываться", "опубликовать", "публиковать", "раскрыть",
                           "подтвердить", "подтверждать", "уведомить", "информировать", "следовать"})
# where a report says its facts come from ("по данным", "по версии", "по итогам", "со ссылкой на", a rating)
_SOURCE_NOUNS = frozenset({"данные", "информация", "версия", "итог", "ссылка", "рейтинг", "пресс-релиз", "релиз",
                           "пресс-служба", "источник", "аналитик", "отчетность", "регулятор", "согласно"})
# what a company does, as a report tells it (the frame path needs one with the brand as its subject)
_CORPORATE = _NEWS_ACTIONS | frozenset({"расширить", "расширять", "нарастить", "наращивать", "разместить",
                                        "размещать", "завершать", "подключить", "ввести", "вводить", "отменить",
                                        "отменять", "обновить", "заключить", "подписать", "создать", "объединить",
                                        "войти", "занять", "получить", "сократить", "увеличить", "увеличивать"})
# an adverse event is news about the company's standing, not a neutral report: the model reads those
_ADVERSE = frozenset({"санкция", "санкционный", "банкротство", "банкрот", "дефолт", "штраф", "оштрафовать", "иск",
                      "суд", "обыск", "уголовный", "утечка", "сбой", "авария", "взлом", "убыток", "санация",
                      "мошенник", "мошенничество", "расследование", "претензия", "жалоба"})
_MONTHS = frozenset({"январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август", "сентябрь", "октябрь",
                     "ноябрь", "декабрь", "квартал", "полугодие"})
# the author's own voice: first and second person, stance particles, negation
_PERSONAL = frozenset({"я", "мы", "ты", "вы", "мой", "наш", "твой", "ваш", "свой"})
_STANCE = frozenset({"опять", "снова", "вообще", "даже", "наконец", "уже", "только", "всего", "целый", "не", "ни",
                     "нет", "ну", "же", "ведь", "вот", "прям", "прямо", "просто", "конечно", "спасибо", "зато",
                     "хоть", "хотя", "видимо", "кстати", "блин", "капец", "норм", "жаль", "увы", "класс", "ок"})
_EVALUATIVE = _GOOD_ADJ | _BAD_ADJ | frozenset({"отличный", "прекрасный", "ужасный", "кошмарный", "нормальный",
                                                 "молодец", "кошмар", "ужас", "бесить", "радовать", "нравиться",
                                                 "обожать", "ненавидеть", "любить", "позор", "развод", "отстой",
                                                 "смешной", "жалкий", "грабительский", "респект"})
_CLAUSE_CUT = re.compile(r"[,;:.…—–\n]+\s*|\s-\s")
_JOINED = re.compile(r"\s*(?:,|\bи\b)?\s*(?:н?и\s+)?", re.IGNORECASE)
_APART = frozenset({"первый", "второй", "последний", "другой"})
_VOICE_MARKS = re.compile("[!?]|[)(]{2,}|[:;]-?[)(D]|[\U0001F000-\U0001FAFF\u2600-\u27BF]")
# verbs of paying or sending money: "через X" after one of them names a channel
_PAYMENT = frozenset({"оплатить", "оплачивать", "платить", "заплатить", "перевести", "переводить", "перечислить",
                      "отправить", "пополнить", "пополнять", "погасить", "гасить", "внести", "вносить", "скинуть"})
# prepositions of nearness and the places they point at: "у банкомата X", "напротив офиса X", "мимо рекламы X"
_NEAR = frozenset({"у", "возле", "около", "напротив", "мимо", "рядом", "близ", "вдоль"})
_PLACES = frozenset({"офис", "отделение", "банкомат", "терминал", "салон", "здание", "вывеска", "реклама",
                     "баннер", "стойка", "киоск", "магазин", "точка", "филиал", "касса", "билборд", "плакат"})


def _subjectless(clause: list[Word]) -> bool:
    """A clause whose singular past verb has no subject: Russian drops "я" ("Заказал симку", "снял и закрыл",
    "в банке висела час"), so this is the author speaking. A subject is a nominative noun or pronoun not
    governed by a preposition, or a Latin or unknown word (a brand) before the verb."""
    parses = [parse(w) for w, _, _ in clause]
    verbs = [k for k, p in enumerate(parses) if p.tag.POS == "VERB" and "past" in p.tag and "sing" in p.tag
             and "neut" not in p.tag]
    if not verbs:
        return False
    for k, p in enumerate(parses):
        if k > 0 and parses[k - 1].tag.POS == "PREP":
            continue
        if p.tag.POS in ("NOUN", "NPRO") and "nomn" in p.tag or k < verbs[0] and ({"LATN", "UNKN"} & p.tag.grammemes):
            return False
    return True


def _voiced(text: str, words: list[Word]) -> bool:
    """True when the post speaks in the author's voice: a mark of feeling, a first or second person (also a
    dropped "я"), an imperative or interjection, a stance particle or an evaluative word."""
    if _VOICE_MARKS.search(text):
        return True
    cuts = [0, *(m.end() for m in _CLAUSE_CUT.finditer(text)), len(text) + 1]
    if any(_subjectless([w for w in words if a <= w[1] < b]) for a, b in itertools.pairwise(cuts)):
        return True
    for w, _, _ in words:
        lem = lemma(w)
        if lem in _PERSONAL or lem in _STANCE or w in _STANCE or lem in _EVALUATIVE or w in _BETTER | _WORSE:
            return True
        tag = parse(w).tag
        if "1per" in tag or "2per" in tag or "impr" in tag or tag.POS in ("INTJ", "PRCL") and w not in ("бы",):
            return True
    return False


def _brand_led_verb(words: list[Word], spans: Sequence[Span]) -> bool:
    """A brand (or a list of brands) is the subject of a company's action (a finite third-person or past verb
    right after it): "X и Y снизили ставки", "X завершает интеграцию" (not "X выдал карту за 10 минут")."""
    for _, end in spans:
        after = [w for w in words if w[1] >= end]
        k = 0
        while k < len(after) and (after[k][0] == "и" or any(s <= after[k][1] < e for s, e in spans)):
            k += 1
        if k < len(after):
            tag = parse(after[k][0]).tag
            if tag.POS == "VERB" and "indc" in tag and ("3per" in tag or "past" in tag) \
                    and lemma(after[k][0]) in _CORPORATE:
                return True
    return False


def report_post(text: str, spans: Sequence[Span]) -> bool:
    """True when the whole post reads as a report about the companies at ``spans`` (see the module's text)."""
    words = words_in(text, 0, len(text))
    if not words or _voiced(text, words):
        return False
    lemmas = {lemma(w) for w, _, _ in words}
    if lemmas & _ADVERSE:
        return False
    if lemmas & (_REPORT_VERBS | _SOURCE_NOUNS):
        return True
    framed = bool(re.search(r"\d", text)) or bool(lemmas & _MONTHS)
    return framed and _brand_led_verb(words, spans)


def context_mention(text: str, span: Span) -> bool:
    """True when the brand at ``span`` is a place or a channel: "у банкомата X", "напротив офиса X", "мимо
    рекламы X", "оплатил ... через X"."""
    before = words_in(text, max(0, span[0] - 60), span[0])
    if not before:
        return False
    if before[-1][0] == "через":  # a channel only for a payment ("оплатил X через Y"), not "оформил через Y"
        begin, end = sentence_at(text, span[0])
        return any(lemma(w) in _PAYMENT for w, _, _ in words_in(text, begin, end))
    if len(before) < 2 or lemma(before[-1][0]) not in _PLACES:
        return False
    return before[-2][0] in _NEAR or len(before) >= 3 and before[-3][0] in _NEAR and before[-2][0] == "с"


def _enumerated(text: str, spans: Sequence[Span]) -> bool:
    """True when ``spans`` (every brand mention of the post) stand in one list joined by "и"/"ни" ("X и Y",
    "X, Y и Z", "и X, и Y", "ни X, ни Y") and nothing tells them apart ("первый ..., второй ...")."""
    ordered = sorted(spans)
    gaps = [text[a[1]:b[0]] for a, b in itertools.pairwise(ordered)]
    if not gaps or not all(_JOINED.fullmatch(g) for g in gaps) or not any(re.search(r"\bн?и\b", g) for g in gaps):
        return False
    return not any(lemma(w) in _APART for w, _, _ in words_in(text, 0, len(text)))


def _lifted(scores: dict[str, float], label: str) -> dict[str, float]:
    """``scores`` with ``label`` on top: its value and the top value swap (as ``classifier.structure.with_label``,
    which imports this module), ties broken in the label's favour."""
    top = max(scores, key=lambda k: scores[k])
    out = dict(scores)
    out[top], out[label] = scores[label], scores[top]
    for k in out:
        if k != label and out[k] >= out[label]:
            out[k] -= 1e-6
            out[label] += 1e-6
    return out


def shared_scores(texts: Sequence[str], targets: Sequence[Sequence[Span] | None],
                  others: Sequence[Sequence[Span] | None], scores: list[dict[str, float]]) -> list[dict[str, float]]:
    """Brands named together as one list and nothing else ("Сбер, Т-Банк и ВТБ вчера лежали", "Ни МТС, ни
    МегаФон не дали ...") share what the post says of them: every listed brand takes the feeling that most of
    them got (neutral only when none got a feeling; a tie between feelings goes to the larger summed score).
    All of the post's brands must be requests of this call."""
    posts: dict[tuple[str, tuple[Span, ...]], list[int]] = {}
    for i, (text, tgt, oth) in enumerate(zip(texts, targets, others, strict=True)):
        if tgt and oth and len(tgt) + len(oth) <= MAX_SPANS:
            posts.setdefault((text, tuple(sorted((*tgt, *oth)))), []).append(i)
    out = list(scores)
    for (text, spans), members in posts.items():
        covered = sorted(s for i in members for s in (targets[i] or ()))
        if covered != list(spans) or len(members) < 2 or not _enumerated(text, spans):
            continue
        tops = [max(scores[i], key=lambda k: scores[i][k]) for i in members]
        polar = Counter(t for t in tops if t != "neutral").most_common()
        label = polar[0][0] if polar else "neutral"
        if len(polar) > 1 and polar[0][1] == polar[1][1]:  # a tie of feelings: the summed scores break it
            lean = sum(scores[i]["positive"] - scores[i]["negative"] for i in members)
            label = "positive" if lean > 0 else "negative"
        for i in members:
            out[i] = _lifted(scores[i], label)
    return out


def voiced_sentences(text: str, target: Sequence[Span]) -> bool:
    """True when a sentence with the target speaks in the author's voice (see ``report_post``): such a
    sentence is no news-style mention ("ВТБ хоть и далеко, но карту выдали за 10 минут и без навязанных услуг")."""
    for begin, end in sorted({sentence_at(text, t[0]) for t in target}):
        if _voiced(text[begin:min(len(text), end + 1)], words_in(text, begin, end)):
            return True
    return False


def register_label(text: str, target: Sequence[Span] | None, others: Sequence[Span] | None) -> str | None:
    """"neutral" when the post is a report about the brands or every mention of the target is a context
    mention; else None (the other rules and the model decide)."""
    if not target or not others or len(target) + len(others) > MAX_SPANS:
        return None
    if all(context_mention(text, t) for t in target) or report_post(text, [*target, *others]):
        return "neutral"
    return None
