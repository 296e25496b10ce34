"""Verdicts from a brand's own part of a two-brand post (issue 9): what the part says of the brand outright.

A **verdict** in the brand's own part decides its side outright: a superlative of known direction ("самый
удобный", "лучший", "самое тупое"; not in an ironic part: "ну вы лучшие, конечно"), "никогда больше не ...",
advice ("рекомендую" / "не советую"), a defence against criticism ("не понимаю, за что ругают X", "зря хейтят",
"ничего плохого сказать не могу", "не так уж плох").

**Numbers**: each brand's own part gives its number ("МТС 85 Мбит, Теле2 12 Мбит", "Сбер 1,5%, Альфа 0") and
the post's units say whether more is better (speed, deposit, cashback) or less (fee, price, credit).

A **complaint question** ("Почему МТС опять списал деньги, а у Билайна такого нет?", "И где обещанный
кэшбэк, Альфа?", "Это нормально, что ...?"): the brand asked about is negative, a brand set against it in the
same question ("а у X", "если в X") positive.

A **closing summary** ("Итог: с X больше не свяжусь, Y спасибо за ставку"): the target's clause of a sentence
opened by "Итог: / Вывод: / В итоге —" decides (never again, advice against: negative; thanks, advice for,
"доволен": positive), before any other rule but the register.

Two more neutral cases: a **news-style mention** (every sentence with the brand reports what the company did,
in the third person, with a reporting verb or source — "сообщил", "по данным", "говорят" — or a corporate
action with a date or number, and nothing of the author's own: no "я/мы/вы", "!", "?", emoji, "опять", "не"),
and an **alternative question** ("Сбер или Альфа для ипотеки?").
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from classifier.structure_lexicon import lexicon_side
from classifier.structure_text import (
    ADVICE,
    GRIEVANCE,
    MAX_SENTENCE,
    MAX_SPANS,
    Span,
    Word,
    own_segment,
    own_sentences,
    sentence_at,
    words_in,
)
from molva.morphology import analyzer, lemma, parse

_REPORTING = frozenset({"сообщить", "сообщать", "объявить", "объявлять", "заявить", "заявлять", "анонсировать"})
_REPORTED = re.compile(r"\bговорят\b|\bпо\s+данным\b|\bпо\s+информации\b|\bсообщает\b|\bсообщают\b"
                       r"|\bв\s+новостях\b", re.IGNORECASE)
_NEWS_REPOST = re.compile(r"\s*RT\s+@\w*news", re.IGNORECASE)  # a repost of a news account
# what a company does, as news reports it (with a date, a number or a "meanwhile" after it)
_CORPORATE = frozenset({"запустить", "запускать", "открыть", "открывать", "закрыть", "повысить", "повышать",
                        "снизить", "снижать", "изменить", "менять", "ограничить", "ограничивать", "завершить",
                        "провести", "проводить", "войти", "назначить", "продать", "продавать", "купить",
                        "объединиться", "представить", "выпустить"})
_MEANWHILE = re.compile(r"^\W*(?:тем\s+временем|между\s+тем)\b", re.IGNORECASE)
_PERSONAL = frozenset({"я", "мне", "меня", "мной", "мой", "моя", "мое", "мои", "моего", "моей", "моих", "мы",
                       "нам", "нас", "наш", "наша", "наши", "нашего", "ты", "тебе", "тебя", "вы", "вам", "вас",
                       "ваш", "ваша", "ваши"})
_LOADED = frozenset({"опять", "снова", "вообще", "даже", "наконец", "уже", "только", "всего", "целых", "не", "ни"})
_EMOJI_ANY = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF]")


def _is_news(text: str, begin: int, end: int) -> bool:
    """A sentence that reports what a company did, in the third person, without a word of the author's own
    ("Сбербанк повысил ставки по вкладам до 18%", "Билайн сообщил о росте выручки", "Говорят, Уралсиб
    продают"): no first or second person, no "!"/"?", no emoji, no "опять/даже/не ..."."""
    sentence = text[begin:end]
    if re.search(r"[!?]", text[begin:min(len(text), end + 1)]) or _EMOJI_ANY.search(sentence):
        return False
    words = [w for w, _, _ in words_in(text, begin, end)]
    if not words or _PERSONAL & set(words) or _LOADED & set(words):
        return False
    if any("1per" in parse(w).tag or "2per" in parse(w).tag for w in words):
        return False
    lemmas = {lemma(w) for w in words}
    if _REPORTING & lemmas or _REPORTED.search(sentence) or _NEWS_REPOST.match(text):
        return True
    framed = bool(re.search(r"\d", sentence)) or bool(_MEANWHILE.search(text[end:end + 40]))
    return bool(_CORPORATE & lemmas) and framed


def news_neutral(text: str, target: Sequence[Span] | None, others: Sequence[Span] | None) -> bool:
    """True when every sentence with the target (none naming another brand) is a news-style report: the
    brand is mentioned beside the others, not judged."""
    if not target or not others or len(target) + len(others) > MAX_SPANS:
        return False
    sentences = own_sentences(text, target, others)
    return sentences is not None and all(_is_news(text, b, e) for b, e in sentences)


def alternative_question(text: str, target: Sequence[Span] | None, others: Sequence[Span] | None) -> bool:
    """True when every mention of the target is in a question that offers it "или" another brand ("Сбер или
    Альфа для ипотеки?", "Билайн или Теле2 на дачу?"): a choice asked about, no judgment."""
    if not target or not others or len(target) + len(others) > MAX_SPANS:
        return False
    for t in target:
        begin, end = sentence_at(text, t[0])
        if text[end:end + 1] != "?" or end - begin > MAX_SENTENCE:
            return False
        near = [o for o in others if begin <= o[0] < end]
        if not any(re.fullmatch(r"[\s,]*или\s+", text[min(t[1], o[1]):max(t[0], o[0])], re.IGNORECASE)
                   for o in near):
            return False
    return True


# evaluative adjectives (lemmas) for superlatives: the positive degree of the comparatives above, and a few more
_GOOD_ADJ = frozenset({"хороший", "дешевый", "быстрый", "надежный", "удобный", "стабильный", "выгодный", "простой",
                       "вежливый", "адекватный", "приятный", "понятный", "честный", "шустрый", "щедрый", "доступный",
                       "качественный", "лучший", "наилучший", "крутой", "клиентоориентированный"})
_BAD_ADJ = frozenset({"плохой", "дорогой", "медленный", "сложный", "неудобный", "запутанный", "тормозной",
                      "нестабильный", "худший", "наихудший", "тупой", "бестолковый", "жадный", "ужасный", "кривой",
                      "глючный", "отвратительный", "бесполезный", "хамский", "наглый", "ненадежный"})
_SUPERLATIVE_HEAD = frozenset({"самый", "наиболее"})
_CRITICISE = frozenset({"ругать", "хейтить", "критиковать", "хаять", "гнать", "поливать", "жаловаться"})
_IRONY = re.compile(r"\bконечно\b|\bага\b|\bну\s+(?:вы|ты|да|прям)\b|[🙃😏]|«[^»]{1,30}»", re.IGNORECASE)
_VERDICT_NEG = re.compile(r"\b(?:никогда\s+больше|больше\s+никогда)\s+не\b|\bноги\s+моей\b"
                          r"|\bбольше\s+не\s+(?:свяжусь|обращусь|пойду|возьму|вернусь|подключусь|буду\s+связываться)\b"
                          r"|\bобходите\s+стороной\b", re.IGNORECASE)


def _superlative(words: list[Word]) -> set[str]:
    """Sides of the superlatives in ``words``: "самый удобный", "лучший", "самое тупое" (not negated)."""
    sides: set[str] = set()
    for k, (w, _, _) in enumerate(words):
        lem = lemma(w)
        negated = k > 0 and words[k - 1][0] == "не"
        adj: set[str] = set()
        if re.match(r"(?:наи)?(?:лучш|худш)(?:ий|ая|ее|ие|его|ей|ую|их|им)$", w) and not negated:
            adj = {"худший" if "худш" in w else "лучший"}
        elif lem in _SUPERLATIVE_HEAD and k + 1 < len(words) and not negated:
            adj = {str(p.normal_form).replace("ё", "е") for p in analyzer().parse(words[k + 1][0])}
        if adj & _GOOD_ADJ and not adj & _BAD_ADJ:
            sides.add("positive")
        elif adj & _BAD_ADJ and not adj & _GOOD_ADJ:
            sides.add("negative")
    return sides


_CONCLUSION = re.compile(r"(?:^|[.!?…]\s+|\n\s*)(?:итог|итого|в\s+итоге|вывод|по\s+итогу|резюме|в\s+сухом\s+остатке)"
                         r"\s*[:—–-]\s*", re.IGNORECASE)
_THANKS = re.compile(r"\bспасибо\b|\bблагодар|\bрекомендую\b|\bдовол(?:ен|ьна|ьны)\b", re.IGNORECASE)
_AGAINST = re.compile(r"\bне\s+(?:советую|рекомендую)\b", re.IGNORECASE)


def conclusion_label(text: str, target: Sequence[Span] | None, others: Sequence[Span] | None) -> str | None:
    """The side a closing summary states ("Итог: с X больше не свяжусь, Y спасибо за ставку"): the target's
    clause of a sentence opened by "Итог: / Вывод: / В итоге —" — never again or advice against: negative;
    thanks, advice for, "доволен": positive. None when the summary does not name the target alone in a clause."""
    if not target or not others or len(target) + len(others) > MAX_SPANS:
        return None
    for m in _CONCLUSION.finditer(text):
        end = sentence_at(text, m.end())[1]
        for t in target:
            if not m.end() <= t[0] < end:
                continue
            cuts = [m.end(), *(m.end() + c.end() for c in re.finditer(r"[,;]\s*|\s(?:а|но)\s", text[m.end():end])), end]
            begin = max((c for c in cuts if c <= t[0]), default=m.end())
            stop = min((c for c in cuts if c > t[1]), default=end)
            if any(begin <= o[0] < stop for o in others):
                continue
            clause = text[begin:stop]
            sides = {"negative"} if _VERDICT_NEG.search(clause) or _AGAINST.search(clause) else set()
            if _THANKS.search(clause) and not _AGAINST.search(clause):
                sides.add("positive")
            if len(sides) == 1:
                return sides.pop()
    return None


def verdict_label(text: str, target: Sequence[Span] | None, others: Sequence[Span] | None) -> str | None:
    """The side the brand's own part of the post states outright: a superlative of known direction ("самый
    удобный", "лучший", "самое тупое"), "никогда больше не ...", advice for or against it ("рекомендую", "не
    советую"), or a defence against criticism ("не понимаю, за что ругают X", "зря хейтят", "ничего плохого
    сказать не могу", "не так уж плох"). None when there is none or the cues disagree."""
    seg = own_segment(text, target, others)
    if seg is None:
        return None
    begin, end = seg
    words = words_in(text, begin, end)
    part = text[begin:end]
    sides = set() if _IRONY.search(part) else _superlative(words)
    if _VERDICT_NEG.search(part):
        sides.add("negative")
    for k, (w, _, _) in enumerate(words):
        lem = lemma(w)
        before = [x[0] for x in words[max(0, k - 6):k]]
        if lem in ("советовать", "рекомендовать") and "1per" in str(parse(w).tag):
            sides.add("negative" if "не" in before[-2:] else "positive")
        if lem in _CRITICISE and ("зря" in before or "напрасно" in before or "что" in before and "не" in before):
            sides.add("positive")
    lowered = part.lower().replace("ё", "е")
    if re.search(r"ничего\s+плохого", lowered) and re.search(r"\bне\b", lowered) \
            or re.search(r"\bне\s+(?:так(?:ой)?\s+)?уж\s+(?:и\s+)?плох", lowered):
        sides.add("positive")
    return sides.pop() if len(sides) == 1 else None


_COMPLAINT_Q = re.compile(r"\b(?:почему(?!-)|зачем(?!-)|сколько\s+можно|когда\s+(?:уже|же|наконец|вернете|верните|починит\w*)"
                          r"|где\s+(?:обещанн\w*|мои|мой|моя|мое)|это\s+нормально|как\s+так|доколе"
                          r"|вы\s+(?:там\s+)?(?:серьезно|совсем|с\s+ума)|с\s+какой\s+стати|какого\s+(?:черта|хрена)"
                          r"|как\s+заставить|(?:долго|сколько)\s+еще|что\s+за\s+(?:бред|беспредел|дичь|фигня|цирк)"
                          r"|куда\s+смотр\w+)\b",
                          re.IGNORECASE)
_COUNTER = re.compile(r"(?:^|[,;:—–]\s*|\s)(?:а|если|хотя|тогда\s+как|в\s+то\s+время\s+как|когда\s+как)(?=\s)",
                      re.IGNORECASE)


_YOU = re.compile(r"\b(?:вы|вам|вас|вами|ваш\w*)\b", re.IGNORECASE)
_PERSISTS = re.compile(r"\b(?:опять|снова|уже|до\s+сих\s+пор|вечно|постоянно|который\s+(?:день|раз))\b", re.IGNORECASE)


def _complains(clause: str) -> bool:
    """A plain negation, a negative word or a "still/again" (no "такого/подобного" reference: "а у X такого нет")."""
    if re.search(r"\b(?:так\w*|подобн\w*|этого)\b", clause, re.IGNORECASE):
        return False
    return bool(re.search(r"\b(?:не|нет|ни)\b", clause, re.IGNORECASE) or _PERSISTS.search(clause)) \
        or lexicon_side(clause) == "negative"


def _turned(first: str, second: str) -> bool:
    """Whether a complaint question with two brands across a counter ("Почему X ..., а Y ...?") complains of
    the second side: only when the second side complains (a negation, a negative word, "опять/уже") and the
    first does not, and the second is no "такого нет" reference. Else the brand asked about is the one."""
    if re.search(r"\b(?:так(?:ого|ой|их|ое)|подобн\w*)\b", second, re.IGNORECASE):
        return False
    if re.fullmatch(r"[\W\s]*(?:(?:у|в|во|на)\s+)?[\W\s]*(?:нет|не)?[\W\s]*", second, re.IGNORECASE):
        return False  # "..., а Райф нет?": the first side's doing denied, not a complaint of its own
    if _complains(first):
        return False
    return _complains(second) or lexicon_side(first) == "positive"  # "почему X летает, а Y ...?"


def complaint_question_label(text: str, target: Sequence[Span] | None, others: Sequence[Span] | None) -> str | None:
    """A rhetorical question that complains ("Почему МТС опять списал деньги, а у Билайна такого нет?", "И где
    обещанный кэшбэк, Альфа?", "Это нормально, что в ВТБ ...?"): the brand it asks about is negative; a brand
    set against it in the same question ("..., а у X", "если в X это бесплатно") is positive. Not in an
    advice question ("подскажите, почему ...")."""
    if not target or not others or len(target) + len(others) > MAX_SPANS:
        return None
    sides: set[str] = set()
    for t in target:
        begin, end = sentence_at(text, t[0])
        sentence = text[begin:end].replace("ё", "е")
        cue = _COMPLAINT_Q.search(sentence)
        advice = ADVICE.search(sentence) and not GRIEVANCE.search(sentence)  # "подскажите, почему уже 3 дня нет"
        if text[end:end + 1] != "?" or cue is None or advice or end - begin > MAX_SENTENCE:
            return None
        at = t[0] - begin
        lo, hi = sorted((cue.start(), at))
        counter = _COUNTER.search(sentence, lo, hi) if at > cue.start() else None
        countered = counter is not None
        if counter is None and _COUNTER.search(sentence, cue.start(), at) is None:  # the brand asked about
            counter = _COUNTER.search(sentence, at)
        near = [o[0] - begin for o in others if begin <= o[0] < end]
        turned = False
        # "..., а вы/вам ...?": the side after the counter is the brand the post talks to (named there or not)
        you = counter is not None and all((p > counter.start()) != countered for p in near) \
            and _YOU.search(sentence, counter.end())
        if you and counter is not None:  # "Почему X ..., а вам/вы ...?": the brand the post talks to is the one complained of
            turned = not _complains(sentence[cue.end():counter.start()])
        elif counter is not None and any((p > counter.start()) != countered for p in near):
            # two brands across the counter: "Почему X ловит, а Y не ловит?" complains of the second side
            blank = "".join(" " if any(b <= begin + k < e for b, e in (*target, *others)) else ch
                            for k, ch in enumerate(sentence))  # brand names out of the clauses
            turned = _turned(blank[cue.end():counter.start()], blank[counter.end():])
        sides.add("positive" if countered != turned else "negative")
    return sides.pop() if len(sides) == 1 else None


_NUMBER = re.compile(r"(?<![\w.,])(\d+(?:[.,]\d+)?)(?![\w.,]*\d)")
_MORE_IS_BETTER = re.compile(r"мбит|мегабит|гбит|скорост|кэшб[эе]к|вклад|депозит|накопит|доходност|гигов|\bгб\b",
                             re.IGNORECASE)
_LESS_IS_BETTER = re.compile(r"комисс|\bцен[аеуы]|стоит|стоимост|\bруб|\bр\b|₽|тариф|абонентк|переплат|ипотек"
                             r"|кредит|одобр|займ|рассрочк", re.IGNORECASE)


def _last_number(text: str, begin: int, end: int) -> float | None:
    found = _NUMBER.findall(text, begin, end)
    return float(found[-1].replace(",", ".")) if found else None


def numeric_label(text: str, target: Sequence[Span] | None, others: Sequence[Span] | None) -> str | None:
    """Brands compared by numbers ("МТС 85 Мбит, Теле2 12 Мбит", "Комиссия: Сбер 1,5%, Альфа 0", "у Газпромбанка
    19%, у Сбера 14%" of a deposit): each brand's own part gives its number, and the post's units say whether
    more is better (speed, deposit rate, cashback) or less (fee, price, credit rate). None when the units are
    mixed or unknown, a part has no number, or the numbers are equal."""
    if not target or not others or len(target) + len(others) > MAX_SPANS:
        return None
    more, less = bool(_MORE_IS_BETTER.search(text)), bool(_LESS_IS_BETTER.search(text))
    if more == less:
        return None
    own, other = own_segment(text, target, others), own_segment(text, others, target)
    if own is None or other is None:
        return None
    a, b = _last_number(text, *own), _last_number(text, *other)
    if a is None or b is None or a == b:
        return None
    return "positive" if (a > b) == more else "negative"
