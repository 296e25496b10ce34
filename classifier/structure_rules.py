"""The two-brand constructions (issue 9): rules that read which brand is on which side of a post naming two.

The model scores each brand separately, and in a two-brand post one brand often takes the other's feeling.
Two constructions say plainly which brand is on which side, so a small rule layer corrects the label there:

* **switching** — a switch verb ("уйти", "перейти", "сбежать", "перевести", ...; "сменить/поменять/бросить X")
  with the from-brand after "из/с/со/от" (or as the object of "сменить/поменять/бросить") and the to-brand
  after "в/на/к" in the same sentence: from-brand negative, to-brand positive. Not when the verb is negated
  ("не ушёл") or the post regrets the move ("зря", "жалею", "вернусь", ...).
* **comparison** — a comparative of known direction ("лучше", "дешевле", "надёжнее" / "хуже", "дороже", ...)
  with the compared brand after "чем", "в отличие от", "по сравнению с" or right after the comparative
  ("удобнее ВТБ"): the other brand of the sentence takes the comparative's side, the compared brand the
  opposite. Not when the comparative is negated ("не лучше") or directions disagree in the sentence, unless
  a clause after "но/а/зато" that names neither brand turns it ("X дороже Y, но связь у него лучше").

* **compensation** — the target's clause opens with "зато" ("..., зато у Билайна 4G"): positive.
* **emoji rating** (``classifier.structure_lexicon.emoji_label``) — nothing but emoji between a brand and the next brand ("Мегафон 💯 Yota 🤷", "билайн ✅
  мтс ❌"): the emoji's feeling (a small emoji lexicon, neutral faces included) when they agree.
* **verbal comparison** — a verb of winning or losing ("проигрывать", "уступать" / "выигрывать",
  "обходить", "опережать", "превосходить") with the target or the other brand as its nearest preceding
  brand in the sentence: that brand takes the verb's side, the other the opposite.

Two more look beyond one sentence (a brand whose every mention is in sentences without the other brands):

* **contrast by reference** — the target's sentence negates "such" a thing ("Газпромбанк таких фокусов не
  выкидывает", "С Теле2 такой «заботы» не было", "У Теле2 за год ни одного") or opens with "чего не скажешь
  о/про": the target takes the side opposite to the other brand's label (the model's, when it is not neutral).
* **neutral bystander** — every sentence with the target is an advice question ("Подскажите, X подходит
  для ...?", "что скажете про X?"), a question that only wonders ("Может, на X перейти?") or a middling
  verdict ("ничего особенного", "ничего выдающегося", "где-то посередине"): neutral, whatever the mood of the other brand's sentences.

Switching also reads regret: "перешёл из X в Y — и зря", "лучше бы осталась" put the from-brand on the
positive side and the to-brand on the negative; "не жалею", "возвращаться не хочу" keep the usual sides; a
planned switch ("думаю уйти из X в Y") leaves the to-brand neutral (the mood and the role of a brand that is
its object's genitive, "на роутер от Y", are in ``classifier.structure_switch``). ``switch_party`` tells ``classifier.structure``
which brands a switch leaves or reaches (their own part of the post is about the move).

Only sentences naming exactly the target brand and one other brand count for switching and comparison;
without a confident match the model's scores stay.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from classifier.structure_lexicon import emoji_label
from classifier.structure_switch import NO_REGRET, in_phrase, phrase_role, switch_mood
from classifier.structure_text import (
    ADVERSATIVE,
    ADVICE,
    GRIEVANCE,
    MAX_SENTENCE,
    MAX_SPANS,
    SENTENCE,
    WORD,
    Span,
    Word,
    own_sentences,
    sentence_at,
    words_in,
)
from molva.morphology import lemma, parse

_SWITCH_VERBS = frozenset({
    "уйти", "уходить", "перейти", "переходить", "сбежать", "сбегать", "переехать", "съехать", "перевести",
    "переводить", "перевестись", "переключиться", "свалить", "слезть", "пересесть", "сменить", "поменять",
    "менять", "бросить", "вернуться", "перенести", "переносить", "променять",
})
_OBJECT_FROM_VERBS = frozenset({"сменить", "поменять", "менять", "бросить", "променять"})  # "сменил X на Y"
_DURATION = frozenset({"год", "лет", "полгода", "месяц", "неделя", "день"})
_FROM_PREP = frozenset({"из", "с", "со", "от"})
_TO_PREP = frozenset({"в", "во", "на", "к", "ко"})
# the switch is only intended: the to-brand is not judged yet ("думаю уйти из X в Y")
_INTENT_VERBS = frozenset({"думать", "подумывать", "хотеть", "собираться", "планировать", "решать"})
_BETTER = frozenset({
    "лучше", "дешевле", "быстрее", "надежнее", "удобнее", "стабильнее", "выгоднее", "проще", "вежливее",
    "адекватнее", "приятнее", "понятнее", "честнее", "шустрее", "щедрее", "доступнее", "качественнее",
})
_WORSE = frozenset({
    "хуже", "дороже", "медленнее", "сложнее", "неудобнее", "запутаннее", "тормознее", "нестабильнее",
})
_THAN = re.compile(r"(?:\bчем|\bв\s+отличие\s+от|\bпо\s+сравнению\s+со?|\bпосле)\s+(?:(?:у|в|во|на)\s+)?$",
                   re.IGNORECASE)
_WORLDS_APART = re.compile(r"\bнебо\s+и\s+земля\b", re.IGNORECASE)  # "по сравнению с X небо и земля": better
_WIN_VERBS = frozenset({"выигрывать", "выиграть", "обходить", "обойти", "опережать", "опередить",
                        "превосходить", "превзойти", "обгонять", "обогнать"})
_LOSE_VERBS = frozenset({"проигрывать", "проиграть", "уступать", "уступить"})
_COMPENSATION = frozenset({"зато"})
_SUCH = frozenset({"такой", "подобный", "такое"})
_NEGATION = frozenset({"не", "нет", "ни", "никогда", "ничего"})
_NOT_SAY = re.compile(r"(?:\bчего|\bчто)\s+не\s+скажешь\s+(?:о|об|про)\s+$", re.IGNORECASE)
_MIDDLING = re.compile(r"\bничего\s+(?:особенного|выдающегося|сверхъестественного|примечательного)\b"
                       r"|\bни\s+рыба\s+ни\s+мясо\b|\bпосередине\b|\bсредненько\b", re.IGNORECASE)
_WONDER = re.compile(r"\W*(?:(?:а|или|ну|и)\s+)?может(?:\s*,)?(?:\s+быть)?\s", re.IGNORECASE)  # "Может, Y?"
_CLAUSE = re.compile(r"[,:—–]\s*|\s-\s")


def _prev_word(words: list[Word], span: Span) -> Word | None:
    before = [w for w in words if w[2] <= span[0]]
    return before[-1] if before else None


def _is_past(word: str) -> bool:
    return "past" in parse(word).tag


def _switch_label(text: str, words: list[Word], target: list[Span], other: Span) -> str | None:
    denied = [m.span() for m in NO_REGRET.finditer(text)]
    verbs = [(w, s, e) for w, s, e in words if lemma(w) in _SWITCH_VERBS
             and not any(a <= s < b for a, b in denied)]
    asked = text[words[-1][2]:words[-1][2] + 3].lstrip(" »\")").startswith("?")
    if not verbs or asked and not any(_is_past(w) for w, _, _ in verbs):
        return None  # "Как перевести деньги с X на Y?": a question of a move not made
    mood = switch_mood(text)
    if mood == "regret":
        return None
    mistake = mood == "mistake"
    intended = False
    for w, s, e in verbs:
        prev, nxt = _prev_word(words, (s, s)), next((x for x in words if x[1] >= e), None)
        if prev is not None and prev[0] == "не" or nxt is not None and nxt[0] == "бы":
            return None  # "не ушёл", "перешёл бы из X в Y": no move made
        if lemma(w) == "вернуться" and not _is_past(w):
            return None
        intended = intended or (prev is not None and lemma(prev[0]) in _INTENT_VERBS)

    def role(span: Span) -> str | None:
        prev = _prev_word(words, span)
        if prev is None:
            return None
        at = words.index(prev)
        if at > 0 and lemma(words[at - 1][0]) in _DURATION and prev[0] in {"в", "во", "на", "у"}:
            return "from"  # "пять лет в Сбере, и вот ушла в ВТБ": where one was before the move
        if prev[0] in _FROM_PREP and not (prev[0] == "от" and in_phrase(words, at - 1)):
            return "from"
        if prev[0] in _TO_PREP:
            return "to"
        if lemma(prev[0]) in _OBJECT_FROM_VERBS:
            return "from"
        return phrase_role(words, at)

    own = {r for r in map(role, target) if r is not None}
    if len(own) != 1 or {*own, role(other)} != {"from", "to"}:
        return None
    if intended and not mistake:  # "думаю уйти из X в Y": X is why, Y is only a plan
        return "negative" if own == {"from"} else "neutral"
    if mistake:  # "перешёл из X в Y — и зря": the from-brand was the better one
        return "positive" if own == {"from"} else "negative"
    return "negative" if own == {"from"} else "positive"


def _comparison_label(text: str, words: list[Word], target: list[Span], other: Span) -> str | None:
    directions: set[str] = set()
    compared: list[Span] = []
    turn = max((m.end() for m in ADVERSATIVE.finditer(text, words[0][1], words[-1][2])), default=-1) if words else -1
    if any(sp[1] > turn for sp in (*target, other)):  # "Сбер дешевле, но медленнее, чем ВТБ": one comparison
        turn = -1
    for i, (w, s, e) in enumerate(words):
        side = "better" if w in _BETTER else "worse" if w in _WORSE else None
        if side is None:
            continue
        if i > 0 and words[i - 1][0] == "не":
            return None
        if s > turn and directions and turn > 0 and all(x[1] < turn for x in words[:i] if x[0] in _BETTER | _WORSE):
            directions = set()  # "X дороже Y, но связь у него лучше": the side after the turn is the verdict
        directions.add(side)
        nxt = words[i + 1] if i + 1 < len(words) else None
        for span in (*target, other):  # "удобнее ВТБ": the compared brand right after the comparative
            if nxt is not None and nxt[1] == span[0] and text[e:span[0]].strip() == "":
                compared.append(span)
    if words and _WORLDS_APART.search(text, words[0][1], words[-1][2]):
        directions.add("better")
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


def _verb_comparison_label(words: list[Word], target: list[Span], near: list[Span]) -> str | None:
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
        cut = max(cut, max((m.end() for m in SENTENCE.finditer(head)), default=0))
        clause = WORD.findall(head[cut:])
        if not clause or clause[0].lower() not in _COMPENSATION:
            return None
    return "positive"


def structural_label(text: str, target: Sequence[Span] | None, others: Sequence[Span] | None) -> str | None:
    """The label the sentence structure gives the brand at ``target`` (its spans), or None when no switching
    or comparison construction with exactly one other brand (``others``) is found with confidence."""
    if not target or not others or len(target) + len(others) > MAX_SPANS:
        return None
    for begin, end in sorted({sentence_at(text, t[0]) for t in target}):
        near = [o for o in others if begin <= o[0] and o[1] <= end]
        own = [t for t in target if begin <= t[0] and t[1] <= end]
        if not near or end - begin > MAX_SENTENCE:
            continue
        words = words_in(text, begin, end)
        label = None
        if len(near) == 1:
            label = _switch_label(text, words, own, near[0]) or _comparison_label(text, words, own, near[0])
        label = label or _verb_comparison_label(words, own, near)
        if label is not None:
            return label
    return _compensation_label(text, list(target)) or emoji_label(text, target, others)


def switch_party(text: str, target: Sequence[Span]) -> bool:
    """A target mention that a switch leaves or reaches ("меняю симку на МТС", "на Мегафон переходить",
    "перешёл с МТС"): its own words are about the move, not about the brand."""
    for t in target:
        begin, end = sentence_at(text, t[0])
        words = words_in(text, begin, end)
        at = next((k for k, w in enumerate(words) if w[1] >= t[0]), len(words))
        if at == 0 or words[at - 1][0] not in _TO_PREP | _FROM_PREP:
            continue
        near = words[max(0, at - 5):at - 1] + [w for w in words[at:at + 4] if w[1] >= t[1]][:2]
        if any(lemma(w) in _SWITCH_VERBS for w, _, _ in near):
            return True
    return False


def reference_contrast(text: str, target: Sequence[Span] | None, others: Sequence[Span] | None) -> bool:
    """True when the target's sentences contrast it with what the post said of the other brand by reference:
    a negated "such" ("таких фокусов не выкидывает", "такой проблемы не было", "ни одного") or "чего не
    скажешь о X". The caller gives the target the side opposite to the other brand's."""
    if not target or not others or len(target) + len(others) > MAX_SPANS:
        return False
    sentences = own_sentences(text, target, others)
    if sentences is None:
        return False
    for t in target:
        if _NOT_SAY.search(text[max(0, t[0] - 30):t[0]]):
            return True
    for begin, end in sentences:
        words = [w for w, _, _ in words_in(text, begin, end)]
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
    sentences = own_sentences(text, target, others)
    if sentences is None:
        return False
    for begin, end in sentences:
        sentence = text[begin:end]
        question = text[end:end + 1] == "?"
        asked = ADVICE.search(sentence) and not GRIEVANCE.search(sentence) or _WONDER.match(sentence)
        if not (_MIDDLING.search(sentence) or (question and asked)):
            return False
    return True
