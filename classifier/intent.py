"""Intent of a brand mention, as support-community topic types: problem, question, idea, thanks, other.

No labeled intent data exists, so this is a careful set of weighted rules (Russian stems, punctuation,
emoji) voting per intent; the highest vote above a threshold wins. Checked against the hand-written set
``tests/data/intent_urgency_set.jsonl`` (see tests/classifier/test_intent_urgency.py)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from classifier.urgency import STRONG, is_hypothetical, is_switch_target, signals

INTENTS = ("problem", "question", "idea", "thanks", "other")


def _rx(*parts: str) -> re.Pattern[str]:
    return re.compile("|".join(parts), re.IGNORECASE)


PROBLEM = [
    (3.0, _rx(r"не\s+(?:работа|прош|приход|пришл|загруж|открыва|грузит|могу|может|удаётся|удается|получа|отвеча|дозвон|ловит|списыва|вернул|возвращ|зачисл|пуска|принима|отправля|был[аио]?\s+связи)",
              r"не\s+(?:проходит|пришел|пришёл|приходят|пришли)")),
    (3.0, _rx(r"верните", r"вернуть\s+деньги", r"пропал\w*", r"исчез\w*",
              r"завис\w*", r"сбой\w*", r"ошибк\w*", r"глючит|глюк\w*|лагает|вылета\w*|тормоз\w*",
              r"нет\s+(?:связи|сети|интернета|денег|ответа)", r"без\s+(?:связи|интернета)",
              r"отключил\w*", r"навязал\w*", r"подключил\w*\s+без",
              r"жалоб\w*", r"претензи\w*", r"безобрази\w*", r"ужас\w*", r"кошмар\w*", r"отвратит\w*",
              r"хамств\w*|хамят|нахамил\w*", r"невозможно", r"сколько\s+можно", r"уже\s+\d+\s+(?:дн|час|недел)",
              r"(?:второй|третий|который)\s+(?:день|час|раз)", r"до\s+сих\s+пор", r"задерж\w*",
              r"навязыва\w*", r"обрыва\w*", r"пропада\w*", r"упал\w*\s+(?:сайт|приложени)", r"лежит",
              r"отказал\w*", r"отказыва\w*", r"без\s+(?:связи|интернета|сети|денег)", r"заморозил\w*", r"не\s+(?:дошл|пришл)\w*",
              r"исчезл\w*", r"завис\w*", r"кинул[иа]?\b", r"закрою\s+(?:все\s+)?сч\w*", r"долг\s+не", r"перестал\w*", r"сломал\w*",
              r"уйду|ухожу|перейду\s+(?:в|к|на)|расторг\w*", r"позор\w*", r"бесит|бесят|достал[иа]?\b")),
    (2.0, _rx(r"неудобн\w*", r"\bхуже\b", r"дорог\w*", r"дорожа\w*", r"раздража\w*", r"надоел\w*", r"очеред\w*",
              r"опоздал\w*", r"медленн\w*", r"\bплохо\b", r"не\s+нравится", r"отстаньте", r"обидно", r"грустно",
              r"неприятно", r"навязчив\w*", r"долго\s+(?:груз|жд|отвеча)", r"не\s+смог\w*", r"нельзя", r"падает",
              r"не\s+(?:очень\s+)?вежлив\w*", r"не\s+перезвонил\w*", r"уменьшил\w*", r"подняли\s+(?:тариф|цен)",
              r"шаблонами", r"перепутан\w*", r"путаются", r"опечатк\w*", r"душно", r"спам\w*", r"перевыпустил\w*",
              r"не\s+вернёт|не\s+вернет", r"\bв\s+суд\b", r"прошёл\s+месяц|прошел\s+месяц")),
    (1.0, _rx(r"почему\s+(?:не|опять|снова|так|у\s+меня)", r"опять", r"снова", r"когда\s+(?:уже\s+)?(?:почин|вернут|исправ|включ|наладят|зачисл)",
              r"!!+", r"😡|🤬|😤|👎")),
]
QUESTION = [
    (2.0, _rx(r"\?")),
    (1.5, _rx(r"^(?:подскажите|скажите|а\s+как|как\s+(?:мне|можно|узнать|подключить|отключить|перевести|оформить|сменить|поменять)|"
              r"где\s+(?:можно|найти|ближайш)|можно\s+ли|есть\s+ли|кто\s+(?:знает|в\s+курсе|пользовал)|"
              r"сколько\s+стоит|что\s+(?:делать|нужно|будет)|какой|какая|какие|когда|зачем|почему|разве)",
              r"подскажите", r"подскажи", r"не\s+подскажете", r"кто\s+знает", r"кто\s+в\s+курсе", r"посоветуйте",
              r"вопрос\b", r"интересно,?\s+(?:а|как|когда|почему)")),
]
IDEA = [
    (3.5, _rx(r"предлага\w*", r"предложени\w*", r"было\s+бы\s+(?:здорово|круто|удобно|неплохо|хорошо|классно)",
              r"хорошо\s+бы", r"неплохо\s+бы", r"добавьте", r"сделайте", r"сделали\s+бы", r"добавили\s+бы",
              r"хотелось\s+бы", r"почему\s+бы\s+\S+\s*(?:\S+\s+)?не", r"верните\s+старый", r"идея", r"пожелани\w*", r"верните\s+(?:старый|прежн|кнопк|возможн|функци)",
              r"не\s+хватает", r"мечтаю,?\s+чтобы", r"рекомендую\s+(?:вам|разработчикам)\s+добавить",
              r"стоило\s+бы", r"можно\s+было\s+бы", r"а\s+что\s+если")),
]
THANKS = [
    (3.0, _rx(r"спасибо", r"благодар\w*", r"спс\b", r"респект", r"молодц\w*", r"выручил\w*", r"помогл\w*",
              r"оперативно\s+(?:решил|помог|ответил|ответили|решили|вернул)", r"быстро\s+(?:решил|помог|ответил|вернул)",
              r"решили\s+(?:мою\s+)?проблем\w*", r"вопрос\s+решён|вопрос\s+решен")),
    (1.0, _rx(r"👍|❤|🙏|😊|🙂|☺", r"отличн\w*|супер\b|класс\b|лучш\w+\s+(?:банк|оператор|поддержк)", r"довол\w+")),
]
_NEGATED_THANKS = _rx(r"спасибо\s+(?:за\s+)?(?:ничего|никакое|никакой)", r"спасибо,?\s+что\s+(?:опять|снова)",
                      r"спасибо\W+(?:\S+\W+){0,3}?(?:что|за)\s+(?:опять|снова|очередн|в\s+очередной)",
                      r"спасибо\s+(?:огромное\s+)?(?:за\s+)?(?:очередн|списан|блокир|отключ)", r"не\s+помогл\w*",
                      r"никто\s+не\s+помог")


_RESOLVED = _rx(r"пыталис\w*", r"чуть\s+не", r"вовремя", r"успели", r"предотврат\w*", r"вернули", r"разблокировал\w*",
               r"восстановил\w*", r"починил\w*", r"решили", r"решён|решен")


def _votes(text: str, rules: list[tuple[float, re.Pattern[str]]]) -> float:
    return float(sum(weight * len(rx.findall(text)) ** 0.5 for weight, rx in rules if rx.search(text)))


def intent_scores(text: str) -> dict[str, float]:
    """Rule votes per intent (not probabilities)."""
    t = text.strip()
    scores = {
        "problem": _votes(t, PROBLEM),
        "question": _votes(t, QUESTION),
        "idea": _votes(t, IDEA),
        "thanks": _votes(t, THANKS),
    }
    if _NEGATED_THANKS.search(t):  # sarcastic thanks / "did not help" -> a complaint
        scores["problem"] += 3.0 + scores["thanks"]
        scores["thanks"] = 0.0
    # concrete trouble (money lost, fraud, blocked, outage, regulator, leaving; negation-aware, on lemmas)
    # is a report of a problem, unless the text thanks for a solved one or only asks "what if"
    found = signals(t)
    if is_hypothetical(t):
        scores["problem"] *= 0.4
    elif scores["thanks"] == 0.0 or not _RESOLVED.search(t):  # "спасибо, вовремя заблокировали" is solved
        strong = sum(1 for code in found if code in STRONG or code == "threat_to_leave")
        scores["problem"] += 3.0 * min(strong, 2) ** 0.5
        if "deadline" in found or "long_wait" in found:
            scores["problem"] += 1.0
    return scores


_PRIORITY = ("thanks", "idea", "problem", "question")  # ties go to the earlier intent


def classify_intent(text: str, sentiment: Mapping[str, float] | None = None,
                    target: tuple[int, int] | None = None) -> str:
    """One of problem, question, idea, thanks, other.

    ``sentiment`` (model scores, optional) is the weak-supervision signal: a clearly negative mention
    with no other intent is a complaint. ``target`` (the brand's span, optional): a brand the author is
    switching *to* ("ухожу к МТС") gets "other" — the complaint is about the brand being left."""
    if is_switch_target(text, target):
        return "other"
    scores = intent_scores(text)
    neg = float(sentiment.get("negative", 0.0)) if sentiment else 0.0
    if neg >= 0.35:
        scores["problem"] += 1.5 * neg
    best = max(_PRIORITY, key=lambda k: scores[k])
    if scores[best] < 1.5:
        return "other"
    # a question about a failure is a problem report; "how do I..." alone stays a question
    if best == "question" and scores["problem"] >= 3.0 and not is_hypothetical(text):
        return "problem"
    if best == "thanks" and scores["problem"] > scores["thanks"]:
        return "problem"
    return best
