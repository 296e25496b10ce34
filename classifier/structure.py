"""Structural corrections of per-brand sentiment in posts naming two brands (issue 9).

The model scores each brand separately, and in a two-brand post one brand often takes the other's feeling.
Two constructions say plainly which brand is on which side, so a small rule layer corrects the label there:

* **switching** — a switch verb ("уйти", "перейти", "сбежать", "перевести", ...; "сменить/поменять/бросить X")
  with the from-brand after "из/с/со/от" (or as the object of "сменить/поменять/бросить") and the to-brand
  after "в/на/к" in the same sentence: from-brand negative, to-brand positive. Not when the verb is negated
  ("не ушёл") or the post regrets the move ("зря", "жалею", "вернусь", ...).
* **comparison** — a comparative of known direction ("лучше", "дешевле", "надёжнее" / "хуже", "дороже", ...)
  with the compared brand after "чем", "в отличие от", "по сравнению с" or right after the comparative
  ("удобнее ВТБ"): the other brand of the sentence takes the comparative's side, the compared brand the
  opposite. Not when the comparative is negated ("не лучше") or directions disagree in the sentence.

* **compensation** — the target's clause opens with "зато" ("..., зато у Билайна 4G"): positive.
* **emoji rating** — nothing but emoji between a brand and the next brand ("Мегафон 💯 Yota 🤷", "билайн ✅
  мтс ❌"): the emoji's feeling (a small emoji lexicon, neutral faces included) when they agree.
* **verbal comparison** — a verb of winning or losing ("проигрывать", "уступать" / "выигрывать",
  "обходить", "опережать", "превосходить") with the target or the other brand as its nearest preceding
  brand in the sentence: that brand takes the verb's side, the other the opposite.

Two more look beyond one sentence (a brand whose every mention is in sentences without the other brands):

* **contrast by reference** — the target's sentence negates "such" a thing ("Газпромбанк таких фокусов не
  выкидывает", "С Теле2 такой «заботы» не было", "У Теле2 за год ни одного") or opens with "чего не скажешь
  о/про": the target takes the side opposite to the other brand's label (the model's, when it is not neutral).
* **neutral bystander** — every sentence with the target is an advice question ("Подскажите, X подходит
  для ...?", "что скажете про X?") or a middling verdict ("ничего особенного", "ничего выдающегося",
  "где-то посередине"): neutral, whatever the mood of the other brand's sentences.

Before the rules, for a model with ``own_part_split`` (the fast one), each brand's **own part** of the post (``own_segment``: its sentences up to the next
brand's, or its clauses when the brands share a sentence; not an enumeration, the compared side of a
comparison, a post that talks to a brand with "вы/вам", or a brand a switch leaves or reaches) is scored alone
(one extra model request per brand); that part decides how the brand's positive/negative mass is split, the
whole post how neutral it is.

Switching also reads regret: "перешёл из X в Y — и зря", "лучше бы осталась" put the from-brand on the
positive side and the to-brand on the negative; "не жалею", "возвращаться не хочу" keep the usual sides; a
planned switch ("думаю уйти из X в Y") leaves the to-brand neutral.

A **verdict** in the brand's own part decides its side outright: a superlative of known direction ("самый
удобный", "лучший", "самое тупое"; not in an ironic part: "ну вы лучшие, конечно"), "никогда больше не ...",
advice ("рекомендую" / "не советую"), a defence against criticism ("не понимаю, за что ругают X", "зря хейтят",
"ничего плохого сказать не могу", "не так уж плох").

**Numbers**: each brand's own part gives its number ("МТС 85 Мбит, Теле2 12 Мбит", "Сбер 1,5%, Альфа 0") and
the post's units say whether more is better (speed, deposit, cashback) or less (fee, price, credit).

A **complaint question** ("Почему МТС опять списал деньги, а у Билайна такого нет?", "И где обещанный
кэшбэк, Альфа?", "Это нормально, что ...?"): the brand asked about is negative, a brand set against it in the
same question ("а у X", "если в X") positive.

Two more neutral cases: a **news-style mention** (every sentence with the brand reports what the company did,
in the third person, with a reporting verb or source — "сообщил", "по данным", "говорят" — or a corporate
action with a date or number, and nothing of the author's own: no "я/мы/вы", "!", "?", emoji, "опять", "не"),
and an **alternative question** ("Сбер или Альфа для ипотеки?").

Only sentences naming exactly the target brand and one other brand count for switching and comparison;
without a confident match the model's scores stay. No brand names in the rules: the brands are the catalog spans the caller passes.
``predict_brands`` is the one entry point that ``molva analyze`` and ``molva classify`` share.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from classifier.arch import LABELS
from classifier.inference import SentimentModel, Targets
from classifier.urgency import _morph, lemma

Span = tuple[int, int]

_SENTENCE = re.compile(r"[.!?;…]+(?=\s|$)|\n+")  # not the dot of "Дом.ру"
_WORD = re.compile(r"[a-zа-яё0-9]+(?:-[a-zа-яё0-9]+)*", re.IGNORECASE)

MAX_SENTENCE = 1000  # characters: a longer "sentence" is not one
MAX_SPANS = 16  # more brand mentions than this: no two-brand construction to read (and linear time on huge posts)

_SWITCH_VERBS = frozenset({
    "уйти", "уходить", "перейти", "переходить", "сбежать", "сбегать", "переехать", "съехать", "перевести",
    "переводить", "перевестись", "переключиться", "свалить", "слезть", "пересесть", "сменить", "поменять",
    "менять", "бросить", "вернуться",
})
_OBJECT_FROM_VERBS = frozenset({"сменить", "поменять", "менять", "бросить"})  # "сменил X на Y"
_FROM_PREP = frozenset({"из", "с", "со", "от"})
_TO_PREP = frozenset({"в", "во", "на", "к", "ко"})
_REGRET = re.compile(r"\bзря\b|\bжаль\b|жалею|пожалел|\bошибк|напрасно|не\s+стоило|разочаров|верн(?:усь|уться)"
                     r"|\bхуже\b|лучше\s+бы\s+остал", re.IGNORECASE)
# regret that says the move was a mistake: the from-brand was the better one ("перешёл ... — и зря")
_MISTAKE = re.compile(r"\bзря\b|\bжалею|пожалел|напрасно|не\s+стоило|лучше\s+бы\s+остал", re.IGNORECASE)
# regret or return denied: "не жалею", "ни разу не пожалел", "вернуться не тянет", "возвращаться не хочу"
_NO_REGRET = re.compile(r"\bне\s+(?:\w+\s+)?(?:жалею|пожалел\w*)|\bни\s+(?:разу|секунды|капли)\s+не\s+"
                        r"(?:жалею|пожалел\w*)|верн\w*\s+(?:\w+\s+)?не\s+(?:тянет|хочу|хочется|собираюсь|планирую)"
                        r"|\bне\s+(?:тянет|хочу|хочется|собираюсь)\s+(?:\w+\s+)?верн", re.IGNORECASE)
# the switch is only intended: the to-brand is not judged yet ("думаю уйти из X в Y")
_INTENT_VERBS = frozenset({"думать", "подумывать", "хотеть", "собираться", "планировать", "решать"})

_BETTER = frozenset({
    "лучше", "дешевле", "быстрее", "надежнее", "удобнее", "стабильнее", "выгоднее", "проще", "вежливее",
    "адекватнее", "приятнее", "понятнее", "честнее", "шустрее", "щедрее", "доступнее", "качественнее",
})
_WORSE = frozenset({
    "хуже", "дороже", "медленнее", "сложнее", "неудобнее", "запутаннее", "тормознее", "нестабильнее",
})
_THAN = re.compile(r"(?:\bчем|\bв\s+отличие\s+от|\bпо\s+сравнению\s+со?)\s+(?:(?:у|в|во|на)\s+)?$", re.IGNORECASE)



_WIN_VERBS = frozenset({"выигрывать", "выиграть", "обходить", "обойти", "опережать", "опередить",
                        "превосходить", "превзойти", "обгонять", "обогнать"})
_LOSE_VERBS = frozenset({"проигрывать", "проиграть", "уступать", "уступить"})
_COMPENSATION = frozenset({"зато"})
_SUCH = frozenset({"такой", "подобный", "такое"})
_NEGATION = frozenset({"не", "нет", "ни", "никогда", "ничего"})
_NOT_SAY = re.compile(r"(?:\bчего|\bчто)\s+не\s+скажешь\s+(?:о|об|про)\s+$", re.IGNORECASE)
_MIDDLING = re.compile(r"\bничего\s+(?:особенного|выдающегося|сверхъестественного|примечательного)\b"
                       r"|\bни\s+рыба\s+ни\s+мясо\b|\bпосередине\b|\bсредненько\b", re.IGNORECASE)
_ADVICE = re.compile(r"\bподскаж|\bпосоветуй|\bчто\s+скажете\b|\bкто\s+пользовал|\bстоит\s+ли\b"
                     r"|\bесть\s+ли\s+смысл\b|\bкак\s+вам\b", re.IGNORECASE)
_ADVERSATIVE = re.compile(r"(?:^|[,;:—–.!?…]\s*|\s)(?:а|но|зато|однако|тогда\s+как|в\s+то\s+время\s+как)(?=\s|$)",
                          re.IGNORECASE)
# emoji that say the feeling when a brand is followed by nothing else (emoji-only "ratings": "МТС ❌ Билайн ✅")
_EMOJI_POSITIVE = frozenset("👍👌💯✅✔💚💙💛💜🧡❤♥😍🥰😘😊🙂😀😃😄😁☺🤩🔥🙏🏆⭐🌟👏💪🚀🎉")
_EMOJI_NEGATIVE = frozenset("👎❌✖🚫😡😠🤬🤮🤢💩🖕🤦😤😞😩😫😭😢☹🙁😒🐌⛔🗑💀")
_EMOJI_NEUTRAL = frozenset("😐😑😶🤷")
_EMOJI_ANY = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF]")
_LETTERS = re.compile(r"[^\W_]", re.UNICODE)
_CLAUSE = re.compile(r"[,:—–]\s*|\s-\s")


def _words(text: str, start: int, end: int) -> list[tuple[str, int, int]]:
    return [(m.group(0).lower().replace("ё", "е"), start + m.start(), start + m.end())
            for m in _WORD.finditer(text[start:end])]


def _sentence(text: str, pos: int) -> tuple[int, int]:
    begin, end = 0, len(text)
    for m in _SENTENCE.finditer(text):
        if m.end() <= pos:
            begin = m.end()
        elif m.start() >= pos:
            end = m.start()
            break
    return begin, end


def _prev_word(words: list[tuple[str, int, int]], span: Span) -> tuple[str, int, int] | None:
    before = [w for w in words if w[2] <= span[0]]
    return before[-1] if before else None


def _is_past(word: str) -> bool:
    return any("past" in p.tag for p in _morph().parse(word)[:1])


def _switch_label(text: str, words: list[tuple[str, int, int]], target: list[Span], other: Span) -> str | None:
    denied = [m.span() for m in _NO_REGRET.finditer(text)]
    verbs = [(w, s, e) for w, s, e in words if lemma(w) in _SWITCH_VERBS
             and not any(a <= s < b for a, b in denied)]
    if not verbs:
        return None
    calm = _NO_REGRET.sub(" ", text)
    mistake = bool(_MISTAKE.search(calm))
    if _REGRET.search(calm) and not mistake:
        return None
    intended = False
    for w, s, _ in verbs:
        prev = _prev_word(words, (s, s))
        if prev is not None and prev[0] == "не":
            return None
        if lemma(w) == "вернуться" and not _is_past(w):
            return None
        intended = intended or (prev is not None and lemma(prev[0]) in _INTENT_VERBS)

    def role(span: Span) -> str | None:
        prev = _prev_word(words, span)
        if prev is None:
            return None
        if prev[0] in _FROM_PREP:
            return "from"
        if prev[0] in _TO_PREP:
            return "to"
        if lemma(prev[0]) in _OBJECT_FROM_VERBS:
            return "from"
        return None

    own = {r for r in map(role, target) if r is not None}
    if len(own) != 1 or {*own, role(other)} != {"from", "to"}:
        return None
    if intended and not mistake:  # "думаю уйти из X в Y": X is why, Y is only a plan
        return "negative" if own == {"from"} else "neutral"
    if mistake:  # "перешёл из X в Y — и зря": the from-brand was the better one
        return "positive" if own == {"from"} else "negative"
    return "negative" if own == {"from"} else "positive"


def _comparison_label(text: str, words: list[tuple[str, int, int]], target: list[Span], other: Span) -> str | None:
    directions: set[str] = set()
    compared: list[Span] = []
    for i, (w, _, e) in enumerate(words):
        side = "better" if w in _BETTER else "worse" if w in _WORSE else None
        if side is None:
            continue
        if i > 0 and words[i - 1][0] == "не":
            return None
        directions.add(side)
        nxt = words[i + 1] if i + 1 < len(words) else None
        for span in (*target, other):  # "удобнее ВТБ": the compared brand right after the comparative
            if nxt is not None and nxt[1] == span[0] and text[e:span[0]].strip() == "":
                compared.append(span)
    if len(directions) != 1:
        return None
    for span in (*target, other):
        if _THAN.search(text[max(0, span[0] - 40):span[0]]):
            compared.append(span)
    other_compared = other in compared
    target_compared = any(c != other for c in compared)
    if other_compared == target_compared:  # the compared side: the other brand alone, or the target alone
        return None
    better = directions == {"better"}
    target_wins = better if other_compared else not better
    return "positive" if target_wins else "negative"


def _verb_comparison_label(words: list[tuple[str, int, int]], target: list[Span], near: list[Span]) -> str | None:
    sides: set[str] = set()
    for i, (w, s, _) in enumerate(words):
        lem = lemma(w)
        side = "win" if lem in _WIN_VERBS else "lose" if lem in _LOSE_VERBS else None
        if side is None:
            continue
        if i > 0 and words[i - 1][0] == "не":
            return None
        before = [(sp, True) for sp in target if sp[1] <= s] + [(sp, False) for sp in near if sp[1] <= s]
        if not before:
            return None
        subject_is_target = max(before, key=lambda b: b[0][1])[1]
        sides.add("positive" if (side == "win") == subject_is_target else "negative")
    return sides.pop() if len(sides) == 1 else None


def _compensation_label(text: str, target: list[Span]) -> str | None:
    """"зато" opening the clause of every target mention: positive."""
    for t in target:
        head = text[:t[0]]
        cut = max((m.end() for m in _CLAUSE.finditer(head)), default=0)
        cut = max(cut, max((m.end() for m in _SENTENCE.finditer(head)), default=0))
        clause = _WORD.findall(head[cut:])
        if not clause or clause[0].lower() not in _COMPENSATION:
            return None
    return "positive"


def emoji_label(text: str, target: Sequence[Span], others: Sequence[Span]) -> str | None:
    """The feeling of the emoji right after each target mention, when nothing but emoji, punctuation and
    spaces stand between it and the next brand (or the end): "Мегафон 💯 Yota 🤷" -> Yota neutral. None when
    there is a word there, no known emoji, or the emoji disagree."""
    starts = sorted(s for s, _ in (*target, *others))
    found: set[str] = set()
    for _, end in target:
        nxt = next((s for s in starts if s >= end), len(text))
        tail = text[end:nxt]
        if _LETTERS.search(tail):
            return None
        for ch in tail:
            if ch in _EMOJI_POSITIVE:
                found.add("positive")
            elif ch in _EMOJI_NEGATIVE:
                found.add("negative")
            elif ch in _EMOJI_NEUTRAL:
                found.add("neutral")
    return found.pop() if len(found) == 1 else None


def structural_label(text: str, target: Sequence[Span] | None, others: Sequence[Span] | None) -> str | None:
    """The label the sentence structure gives the brand at ``target`` (its spans), or None when no switching
    or comparison construction with exactly one other brand (``others``) is found with confidence."""
    if not target or not others or len(target) + len(others) > MAX_SPANS:
        return None
    for begin, end in sorted({_sentence(text, t[0]) for t in target}):
        near = [o for o in others if begin <= o[0] and o[1] <= end]
        own = [t for t in target if begin <= t[0] and t[1] <= end]
        if not near or end - begin > MAX_SENTENCE:
            continue
        words = _words(text, begin, end)
        label = None
        if len(near) == 1:
            label = _switch_label(text, words, own, near[0]) or _comparison_label(text, words, own, near[0])
        label = label or _verb_comparison_label(words, own, near)
        if label is not None:
            return label
    return _compensation_label(text, list(target)) or emoji_label(text, target, others)


def _own_sentences(text: str, target: Sequence[Span], others: Sequence[Span]) -> list[tuple[int, int]] | None:
    """The sentences of the target's mentions, when none of them names another brand (else None)."""
    sentences = sorted({_sentence(text, t[0]) for t in target})
    for begin, end in sentences:
        if end - begin > MAX_SENTENCE or any(begin <= o[0] < end for o in others):
            return None
    return sentences


def reference_contrast(text: str, target: Sequence[Span] | None, others: Sequence[Span] | None) -> bool:
    """True when the target's sentences contrast it with what the post said of the other brand by reference:
    a negated "such" ("таких фокусов не выкидывает", "такой проблемы не было", "ни одного") or "чего не
    скажешь о X". The caller gives the target the side opposite to the other brand's."""
    if not target or not others or len(target) + len(others) > MAX_SPANS:
        return False
    sentences = _own_sentences(text, target, others)
    if sentences is None:
        return False
    for t in target:
        if _NOT_SAY.search(text[max(0, t[0] - 30):t[0]]):
            return True
    for begin, end in sentences:
        words = [w for w, _, _ in _words(text, begin, end)]
        lemmas = {lemma(w) for w in words}
        negated = bool(_NEGATION & set(words))
        if negated and (_SUCH & lemmas or "ни одного" in " ".join(words) or "ни разу" in " ".join(words)):
            return True
    return False


def bystander_neutral(text: str, target: Sequence[Span] | None, others: Sequence[Span] | None) -> bool:
    """True when every sentence with the target (none naming another brand) is an advice question or a
    middling verdict: the brand is mentioned, not judged, whatever is said of the others."""
    if not target or not others or len(target) + len(others) > MAX_SPANS:
        return False
    sentences = _own_sentences(text, target, others)
    if sentences is None:
        return False
    for begin, end in sentences:
        sentence = text[begin:end]
        question = text[end:end + 1] == "?"
        if not (_MIDDLING.search(sentence) or (question and _ADVICE.search(sentence))):
            return False
    return True


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


def _is_news(text: str, begin: int, end: int) -> bool:
    """A sentence that reports what a company did, in the third person, without a word of the author's own
    ("Сбербанк повысил ставки по вкладам до 18%", "Билайн сообщил о росте выручки", "Говорят, Уралсиб
    продают"): no first or second person, no "!"/"?", no emoji, no "опять/даже/не ..."."""
    sentence = text[begin:end]
    if re.search(r"[!?]", text[begin:min(len(text), end + 1)]) or _EMOJI_ANY.search(sentence):
        return False
    words = [w for w, _, _ in _words(text, begin, end)]
    if not words or _PERSONAL & set(words) or _LOADED & set(words):
        return False
    if any("1per" in p.tag or "2per" in p.tag for w in words for p in _morph().parse(w)[:1]):
        return False
    lemmas = {lemma(w) for w in words}
    if _REPORTING & lemmas or _REPORTED.search(sentence) or _NEWS_REPOST.match(text):
        return True
    framed = bool(re.search(r"\d", sentence)) or bool(_MEANWHILE.search(text[end:end + 40]))
    return bool(_CORPORATE & lemmas) and framed


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
                          r"|\bобходите\s+стороной\b", re.IGNORECASE)


def _superlative(words: list[tuple[str, int, int]]) -> set[str]:
    """Sides of the superlatives in ``words``: "самый удобный", "лучший", "самое тупое" (not negated)."""
    sides: set[str] = set()
    for k, (w, _, _) in enumerate(words):
        lem = lemma(w)
        negated = k > 0 and words[k - 1][0] == "не"
        adj: set[str] = set()
        if re.match(r"(?:наи)?(?:лучш|худш)(?:ий|ая|ее|ие|его|ей|ую|их|им)$", w) and not negated:
            adj = {"худший" if "худш" in w else "лучший"}
        elif lem in _SUPERLATIVE_HEAD and k + 1 < len(words) and not negated:
            adj = {str(p.normal_form).replace("ё", "е") for p in _morph().parse(words[k + 1][0])}
        if adj & _GOOD_ADJ and not adj & _BAD_ADJ:
            sides.add("positive")
        elif adj & _BAD_ADJ and not adj & _GOOD_ADJ:
            sides.add("negative")
    return sides


def verdict_label(text: str, target: Sequence[Span] | None, others: Sequence[Span] | None) -> str | None:
    """The side the brand's own part of the post states outright: a superlative of known direction ("самый
    удобный", "лучший", "самое тупое"), "никогда больше не ...", advice for or against it ("рекомендую", "не
    советую"), or a defence against criticism ("не понимаю, за что ругают X", "зря хейтят", "ничего плохого
    сказать не могу", "не так уж плох"). None when there is none or the cues disagree."""
    seg = own_segment(text, target, others)
    if seg is None:
        return None
    begin, end = seg
    words = _words(text, begin, end)
    part = text[begin:end]
    sides = set() if _IRONY.search(part) else _superlative(words)
    if _VERDICT_NEG.search(part):
        sides.add("negative")
    for k, (w, _, _) in enumerate(words):
        lem = lemma(w)
        before = [x[0] for x in words[max(0, k - 6):k]]
        if lem in ("советовать", "рекомендовать") and "1per" in str(_morph().parse(w)[0].tag):
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
                          r"|вы\s+(?:там\s+)?(?:серьезно|совсем|с\s+ума)|с\s+какой\s+стати|какого\s+(?:черта|хрена))\b",
                          re.IGNORECASE)
_COUNTER = re.compile(r"(?:^|[,;:—–]\s*|\s)(?:а|если|хотя|тогда\s+как|в\s+то\s+время\s+как|когда\s+как)(?=\s)",
                      re.IGNORECASE)


def complaint_question_label(text: str, target: Sequence[Span] | None, others: Sequence[Span] | None) -> str | None:
    """A rhetorical question that complains ("Почему МТС опять списал деньги, а у Билайна такого нет?", "И где
    обещанный кэшбэк, Альфа?", "Это нормально, что в ВТБ ...?"): the brand it asks about is negative; a brand
    set against it in the same question ("..., а у X", "если в X это бесплатно") is positive. Not in an
    advice question ("подскажите, почему ...")."""
    if not target or not others or len(target) + len(others) > MAX_SPANS:
        return None
    sides: set[str] = set()
    for t in target:
        begin, end = _sentence(text, t[0])
        sentence = text[begin:end].replace("ё", "е")
        cue = _COMPLAINT_Q.search(sentence)
        if text[end:end + 1] != "?" or cue is None or _ADVICE.search(sentence) or end - begin > MAX_SENTENCE:
            return None
        at = t[0] - begin
        lo, hi = sorted((cue.start(), at))
        countered = _COUNTER.search(sentence, lo, hi) is not None and at > cue.start()
        sides.add("positive" if countered else "negative")
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


def news_neutral(text: str, target: Sequence[Span] | None, others: Sequence[Span] | None) -> bool:
    """True when every sentence with the target (none naming another brand) is a news-style report: the
    brand is mentioned beside the others, not judged."""
    if not target or not others or len(target) + len(others) > MAX_SPANS:
        return False
    sentences = _own_sentences(text, target, others)
    return sentences is not None and all(_is_news(text, b, e) for b, e in sentences)


def alternative_question(text: str, target: Sequence[Span] | None, others: Sequence[Span] | None) -> bool:
    """True when every mention of the target is in a question that offers it "или" another brand ("Сбер или
    Альфа для ипотеки?", "Билайн или Теле2 на дачу?"): a choice asked about, no judgment."""
    if not target or not others or len(target) + len(others) > MAX_SPANS:
        return False
    for t in target:
        begin, end = _sentence(text, t[0])
        if text[end:end + 1] != "?" or end - begin > MAX_SENTENCE:
            return False
        near = [o for o in others if begin <= o[0] < end]
        if not any(re.fullmatch(r"[\s,]*или\s+", text[min(t[1], o[1]):max(t[0], o[0])], re.IGNORECASE)
                   for o in near):
            return False
    return True


def with_label(scores: dict[str, float], label: str) -> dict[str, float]:
    """``scores`` with ``label`` on top: its value and the top value swap (still a distribution)."""
    top = max(LABELS, key=lambda k: scores[k])
    if top == label:
        return scores
    out = dict(scores)
    out[top], out[label] = scores[label], scores[top]
    tied = [k for k in LABELS if k != label and out[k] >= out[label]]
    for k in tied:  # a tie at the top: the label must win it (label_of takes the first of equals)
        out[k] -= 1e-6
        out[label] += 1e-6
    return out


def _key(text: str, spans: Sequence[Span]) -> tuple[str, tuple[Span, ...]]:
    return text, tuple(sorted((int(s), int(e)) for s, e in spans))


_OPPOSITE = {"negative": "positive", "positive": "negative"}


def _top(scores: dict[str, float]) -> str:
    return max(LABELS, key=lambda k: scores[k])


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
    m = _ADVERSATIVE.search(text, begin, end)
    return None if m is None else m.start()


def _clause(text: str, spans: Sequence[Span], split: int) -> tuple[str, tuple[Span, ...]]:
    """The side of ``split`` holding ``spans``, within their sentence(s), with the spans shifted into it."""
    if spans[0][0] < split:
        begin, end = _sentence(text, spans[0][0])[0], split
    else:
        begin, end = split, _sentence(text, spans[-1][0])[1]
    return text[begin:end], tuple((s - begin, e - begin) for s, e in spans)


_SEGMENT_CUT = re.compile(r"[,;]\s+|:\s+|\s[—–-]\s|[—–]\s*")
_PREDICATIVE = re.compile(r"\s*$")  # a dash or colon right after a brand: "X — ...", "X: ..." (not a cut)
_LISTED = re.compile(r"\s*(?:,|\bи\b|\bили\b|/)\s*(?:и\s+)?", re.IGNORECASE)
_ADDRESS = re.compile(r"\b(?:вы|вам|вас|вами|ваш\w*)\b", re.IGNORECASE)
_COMPARED = re.compile(r"^[\s,;:—–-]*(?:чем|нежели|как|в\s+отличие|по\s+сравнению)\b", re.IGNORECASE)


def own_segment(text: str, target: Sequence[Span] | None, others: Sequence[Span] | None) -> Span | None:
    """The stretch of the post that speaks of the target alone: from where the previous other brand's part
    ends to where the next other brand's part begins. Whole sentences (with the brandless sentences after
    the target's) when the brands are in different sentences, else the clauses around the target (cut at
    ",", ";", ":", dashes and "а/но/зато ..."; a dash or colon right after a brand is its predicate, not a
    cut). None when another brand sits between two target mentions, when no cut parts them, when a part is
    the compared side of a comparison ("..., чем у X") or would be the whole post."""
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
    cuts = [m.start() for m in _ADVERSATIVE.finditer(text)]
    for m in _SEGMENT_CUT.finditer(text):
        glued = any(text[e:m.start()].strip() == "" for e in ends if e <= m.start())
        if not glued or text[m.start()] in ",;":
            cuts.append(m.end())
    cuts.sort()
    before = [o[1] for o in others if o[1] <= first]
    after = [o[0] for o in others if o[0] >= last]
    sent_begin = _sentence(text, first)[0]
    if not before or sent_begin >= max(before):
        begin = sent_begin if before else 0
    else:
        begin = next((c for c in cuts if max(before) < c <= first), -1)
    if not after:
        end = len(text)
    elif _sentence(text, min(after))[0] >= last:
        end = _sentence(text, min(after))[0]
    else:
        end = next((c for c in cuts if last < c <= min(after)), -1)
    if begin < 0 or end < 0 or end - begin > MAX_SENTENCE * 4 or (begin == 0 and end == len(text)):
        return None
    if _COMPARED.search(text[begin:first]) or (after and _COMPARED.search(text[end:min(after)])):
        return None
    if _ADDRESS.search(text[:begin]) or _ADDRESS.search(text[end:]):  # "вам" elsewhere: the post talks to a brand
        return None
    rest = "".join(text[a:b] for a, b in zip([begin, *(t[1] for t in sorted(target))],
                                             [*(t[0] for t in sorted(target)), end], strict=True))
    if not _WORD.search(rest):  # a list ("Сбербанк, ВТБ, ...") says nothing of one brand
        return None
    return begin, end


def contrast_sides(model: SentimentModel, texts: Sequence[str], targets: Targets, others: Targets,
                   groups: Sequence[str | None] | None, items: list[tuple[int, int]]) -> dict[int, str]:
    """For contrasted pairs (request i, the other brand's request j) that the model gave one feeling: each
    brand's own clause scored alone decides who is on which side (the clause that reads more positive is the
    positive brand). Returns {request: label}."""
    reqs: list[tuple[str, tuple[Span, ...], str | None]] = []
    items = [(i, j) for i, j in items if adversative_split(texts[i], targets[i], others[i]) is not None]
    for i, _ in items:
        split = adversative_split(texts[i], targets[i], others[i])
        if split is None:  # filtered above
            continue
        for spans in (targets[i], others[i]):
            text, shifted = _clause(texts[i], sorted(spans or ()), split)
            reqs.append((text, shifted, groups[i] if groups is not None else None))
    if not reqs:
        return {}
    scored = model.predict([r[0] for r in reqs], [r[1] for r in reqs], others=[() for _ in reqs],
                           groups=[r[2] for r in reqs])
    out: dict[int, str] = {}
    for k, (i, _) in enumerate(items):
        own, other = scored[2 * k], scored[2 * k + 1]
        lean = (own["positive"] - own["negative"]) - (other["positive"] - other["negative"])
        if lean != 0:
            out[i] = "positive" if lean > 0 else "negative"
    return out


def adjust(texts: Sequence[str], targets: Targets, others: Targets | None, scores: list[dict[str, float]],
           other_scores: Callable[[int], dict[str, float] | None] | None = None,
           contrast: dict[int, str] | None = None) -> list[dict[str, float]]:
    """Model ``scores`` corrected where a construction decides the brand's side (see the module's text).
    ``other_scores(i)``: the model's scores of request ``i``'s other brand (contrast by reference, adversative
    contrast); without it, those of the request in the same call whose target spans are request ``i``'s
    other spans. ``contrast``: labels that ``contrast_sides`` decided for contrasted brands that the model
    gave one feeling (``predict_brands`` computes them; it needs the model)."""
    if others is None:
        return scores
    index = {_key(t, tg): j for j, (t, tg) in enumerate(zip(texts, targets, strict=True)) if tg}

    def in_call(i: int) -> dict[str, float] | None:
        oth = others[i] if others is not None else None
        j = index.get(_key(texts[i], oth)) if oth else None
        return None if j is None else scores[j]

    lookup = other_scores or in_call
    out = []
    for i, (text, tgt, oth, sc) in enumerate(zip(texts, targets, others, scores, strict=True)):
        label = structural_label(text, tgt, oth) or verdict_label(text, tgt, oth) \
            or complaint_question_label(text, tgt, oth) or numeric_label(text, tgt, oth)
        if label is None and reference_contrast(text, tgt, oth):
            other = lookup(i)
            label = _OPPOSITE.get(_top(other)) if other is not None else None
        if label is None and (bystander_neutral(text, tgt, oth) or news_neutral(text, tgt, oth)
                              or alternative_question(text, tgt, oth)):
            label = "neutral"
        if label is None and contrast is not None:
            label = contrast.get(i)
        out.append(with_label(sc, label) if label is not None else sc)
    return out


def _switch_party(text: str, target: Sequence[Span]) -> bool:
    """A target mention that a switch leaves or reaches ("меняю симку на МТС", "на Мегафон переходить",
    "перешёл с МТС"): its own words are about the move, not about the brand."""
    for t in target:
        begin, end = _sentence(text, t[0])
        words = _words(text, begin, end)
        at = next((k for k, w in enumerate(words) if w[1] >= t[0]), len(words))
        if at == 0 or words[at - 1][0] not in _TO_PREP | _FROM_PREP:
            continue
        near = words[max(0, at - 5):at - 1] + [w for w in words[at:at + 4] if w[1] >= t[1]][:2]
        if any(lemma(w) in _SWITCH_VERBS for w, _, _ in near):
            return True
    return False


def _with_own_segments(model: SentimentModel, texts: Sequence[str], targets: Targets, others: Targets,
                       groups: Sequence[str | None] | None,
                       scores: list[dict[str, float]]) -> list[dict[str, float]]:
    """Each brand's side from its own part of the post: where ``own_segment`` finds the part that speaks of
    the brand alone, that part is scored alone (one extra request) and decides the split between positive
    and negative; the whole post still decides how neutral the brand is (a short part alone reads neutral
    too often). Not for a brand that a switch leaves or reaches (the switch rule reads those). Only for a
    model that says it gains from it (``own_part_split``: the fast model; the accurate one lost labels on
    the held-back halves with it, see BENCHMARKS.md)."""
    if not getattr(model, "own_part_split", False):
        return scores
    todo: list[tuple[int, Span]] = []
    for i, (t, tg, oth) in enumerate(zip(texts, targets, others, strict=True)):
        seg = own_segment(t, tg, oth)
        if seg is not None and not _switch_party(t, tg or ()):
            todo.append((i, seg))
    if not todo:
        return scores
    reqs = [(texts[i][b:e], tuple((s - b, s_end - b) for s, s_end in (targets[i] or ()))) for i, (b, e) in todo]
    got = model.predict([r[0] for r in reqs], [r[1] for r in reqs], others=[() for _ in reqs],
                        groups=[groups[i] for i, _ in todo] if groups is not None else None)
    out = list(scores)
    for (i, _), own in zip(todo, got, strict=True):
        full = scores[i]
        if own["positive"] == own["negative"]:  # the part alone leans nowhere: nothing to say
            continue
        polar = full["positive"] + full["negative"]
        share = own["positive"] / max(own["positive"] + own["negative"], 1e-9)
        out[i] = {"negative": polar * (1 - share), "neutral": full["neutral"], "positive": polar * share}
    return out


def predict_brands(model: SentimentModel, texts: Sequence[str], targets: Targets, *, others: Targets | None,
                   groups: Sequence[str | None] | None = None) -> list[dict[str, float]]:
    """``model.predict`` plus the structural correction: what ``molva analyze`` and ``molva classify`` use.
    A contrast whose other brand (one mention) was not scored in this call scores it (one extra request);
    with more other mentions than the call's requests account for, the contrast rules need the call's own."""
    scores = list(model.predict(texts, targets, others=others, groups=groups))
    if others is None:
        return scores
    index = {_key(t, tg): j for j, (t, tg) in enumerate(zip(texts, targets, strict=True)) if tg}
    scores = _with_own_segments(model, texts, targets, others, groups, scores)
    extra: dict[int, dict[str, float]] = {}
    missing = [i for i, (t, tg, oth) in enumerate(zip(texts, targets, others, strict=True))
               if oth is not None and len(oth) == 1 and _key(t, oth) not in index
               and (reference_contrast(t, tg, oth) or adversative_split(t, tg, oth) is not None)]
    if missing:
        more = model.predict([texts[i] for i in missing], [others[i] for i in missing],
                             others=[targets[i] for i in missing],
                             groups=[groups[i] for i in missing] if groups is not None else None)
        extra = dict(zip(missing, more, strict=True))

    def other_scores(i: int) -> dict[str, float] | None:
        if i in extra:
            return extra[i]
        oth = others[i] if others is not None else None
        j = index.get(_key(texts[i], oth)) if oth else None
        return None if j is None else scores[j]

    # contrasted across "а"/"но" yet one feeling for both: each brand's own clause decides
    same = []
    for i, (t, tg, oth, sc) in enumerate(zip(texts, targets, others, scores, strict=True)):
        other = other_scores(i) if adversative_split(t, tg, oth) is not None else None
        if other is not None and _top(sc) != "neutral" and _top(sc) == _top(other) \
                and structural_label(t, tg, oth) is None:
            same.append((i, 0))
    contrast = contrast_sides(model, texts, targets, others, groups, same) if same else {}
    return adjust(texts, targets, others, scores, other_scores, contrast)
