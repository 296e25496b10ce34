"""Urgency of a brand mention, 0..1, with the reasons (short English codes).

Signals are matched on two views of the text: the lower-cased surface (stems, punctuation, numbers) and
the pymorphy3 lemmas (so "ушло", "увели", "сняло", "заморозили" meet "уйти", "увести", "снять",
"заморозить" whatever the ending). A lemma signal right after "не" is negated ("комиссию не списали").

Score = 0.30 × model negativity + 0.20 for a complaint + the signal weights, the signals scaled by how
much the text reports the author's own trouble (a complaint counts fully, a question or a negative remark
partly, thanks / ideas / neutral news or hypotheticals — "как не попасться мошенникам?" — little). So a
strong signal (money lost, fraud, blocked card, outage, regulator/court) makes a complaint urgent even when
the model's negativity is moderate, while a plain grumble ("дизайн ужасный") stays below the threshold.
Author reach and engagement add a little; recency lowers stale posts (older than a week) without hiding
this week's complaints. Urgent means ``URGENT_THRESHOLD`` (the alert rule's default) and above.

Dampers, each named in the reasons: ``resolved`` (the post reports the problem fixed, "проблема устранена": at most
``RESOLVED_CAP``, so no support topic), ``news`` (a third-person report), ``partial_outage`` ("иногда падает",
"вечером тормозит") and ``app_only`` (the app or site alone fails, with no deadline and no lock-out from money):
either way the outage is then no strong signal; ``fee`` (a disputed price or fee is billing, not money lost);
``nothing_at_stake`` (no strong signal and no threat to leave: at most ``GRUMBLE_CAP``, however long the wait,
loud the words or wide the reach). Hashtags ("#сбой") are labels, not reports: signals skip them.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping
from datetime import datetime

from classifier.cues import TEXT_CACHE, CuePattern, cue_rx
from molva import morphology
from molva.models import as_utc

URGENT_THRESHOLD = 0.6
RESOLVED_CAP = 0.25  # the most urgency a post that reports the problem fixed can get
# the most urgency a post can get when nothing is at stake: no money lost, no fraud, nothing blocked, no real
# outage (an app-only or intermittent failure does not count), no regulator/court/collectors, no threat to leave.
# Waiting, anger and reach then say how upset the author is, not that support must drop everything.
GRUMBLE_CAP = 0.55
WIDE_OUTAGE = 0.1  # added when the outage is total in extent: the author has no way around it

_WORD = re.compile(r"[a-zа-яё0-9]+(?:-[a-zа-яё0-9]+)*", re.IGNORECASE)


def lemma(word: str) -> str:
    """The core's lemma (``molva.morphology``), with every number read as "0" (signals match any amount)."""
    return "0" if word.isdigit() else morphology.lemma(word)


@functools.lru_cache(maxsize=4096)
def views(text: str) -> tuple[str, str]:
    """(surface, lemmas): the lower-cased text with ё → е, and its space-joined word lemmas (digits → 0)."""
    surface = text.lower().replace("ё", "е")
    lemmas = " ".join(lemma(w) for w in _WORD.findall(surface))
    return surface, lemmas


_rx = cue_rx  # cue alternations, searched through one automaton of their literals (classifier.cues)


_NOT = r"(?<!\bне )"  # lemma view: the next word is not negated

# a problem denied ("ни одного обрыва", "без сбоев", "ни разу не подвёл"): praise, not evidence of trouble (read out
# of the surface view before the signals, and of intent's cleaned text)
NEGATED_PROBLEM = _rx(r"\bни\s+(?:одного|одной|единого|единой)\s+(?:обрыв|сбо|косяк|проблем|нарекани|глюк|зависани|"
                      r"разрыв|вылет|перебо|задерж)\w*",
                      r"\bбез\s+(?:единого\s+|одного\s+)?(?:сбо|обрыв|проблем|нарекани|глюк|косяк|перебо|зависани)\w*",
                      r"\bни\s+разу\s+не\s+(?:подвел|подводил|сломал|завис|упал|глючил|лаг)\w*")
_MONEY = r"(?:деньга|деньги|средство|рубль|руб|р|тысяча|тыс|к|0|сумма|зарплата|пенсия|сбережение|перевод|платеж|оплата|вклад)"
_LOSE = r"(?:пропасть|исчезнуть|уйти|увести|украсть|похитить|вывести|списать|снять|удержать|зависнуть|обнулить|обнулиться|сгореть)"

# what the author cannot do when a service is down (lemmas: "скорую вызвать не можем", "не может зайти")
_ACT = (r"(?:войти|зайти|оплатить|перевести|снять|дозвониться|позвонить|вызвать|получить|расплатиться|попасть|"
        r"пользоваться|заплатить|купить|связаться)")

# code -> (weight, surface patterns, lemma patterns)
SIGNALS: dict[str, tuple[float, CuePattern | None, CuePattern | None]] = {
    "money_lost": (0.40,
        _rx(r"(?:дважды|два\s+раза|повторно|двойн\w+)\s+(?:\S+\s+){0,2}?(?:списа|снял|сняли|оплат)",
            r"(?:списа|снял|сняли|сняло)\w*\s+(?:\S+\s+){0,4}?(?:дважды|два\s+раза|повторно)",
            r"где\s+мои\s+деньги", r"на\s+(?:карте|счете|балансе)\s+(?:ноль|0\b|пусто|минус)",
            r"минус\s+на\s+(?:счете|балансе)", r"без\s+денег", r"банкомат\w*\s+(?:\S+\s+){0,4}?(?:съел|зажевал|проглотил|не\s+(?:выдал|отдал|вернул))",
            r"\b(?:наличн\w*|денег)\s+(?:\S+\s+)?(?:ноль|0)\b",
            r"(?:съел|зажевал)\w*\s+карт", r"\bу\s+меня\s+пусто", r"не\s+тому\s+(?:человеку|получателю)",
            r"помогите\s+вернуть", r"потерял\w*\s+(?:мой\s+|моя\s+)?(?:вклад|перевод|платеж|деньги)",
            r"продолжа\w+\s+(?:начислять|списывать|снимать)", r"должн\w+\s+был\w*\s+(?:прийти|поступить)",
            r"\bденег\s+(?:\S+\s+){0,2}?нет\b", r"\b(?:ушел|ушла|уш[её]л)\s+в\s+минус", r"\bобнулил\w*",
            r"\bв\s+истории\s+(?:операций\s+)?пусто",
            r"\b(?:сегодня|теперь|уже|осталось|стало|стал)\s+(?:ноль|0\b|пусто)", r"[«\"]?на\s+проверке",
            r"\bне\s+(?:могу|можем|дают|даете|даёте)\s+(?:\S+\s+)?(?:забрать|получить|снять|вывести)\s+(?:\S+\s+)?"
            r"(?:вклад|деньги|средства|зарплат|пенси|сбережени)", r"\bбез\s+(?:средств|копейки|гроша)", r"\bкак\s+мне\s+жить", r"\bдети\s+без\s+денег",
            r"\bв\s+сч[её]т\s+(?:чуж\w+|\S+\s+)?(?:кредит|долг|просрочк)", r"\b(?:исчезл|пропал)\w*\s+(?:\S+\s+){0,2}?сч[её]т",
            r"\b(?:закрыл|закрыли)\s+(?:\S+\s+){0,2}?(?:сч[её]т|вклад)\w*\s+(?:\S+\s+)?без", r"\bпроценты\s+пропали",
            r"\bдосрочн\w+\s+требовани", r"\bзабрать\s+(?:квартиру|машину|дом)", r"\bштраф\w*", r"\bпени\b"),
        _rx(r"\b" + _NOT + _LOSE + r"\s+(?:\S+\s+){0,2}?" + _MONEY + r"\b",
            r"\b" + _MONEY + r"\s+(?:\S+\s+){0,2}?" + _NOT + r"(?:пропасть|исчезнуть|уйти|зависнуть|сгореть)\b",
            r"(?:деньга|деньги|зарплата|перевод|пенсия|платеж|сумма)\s+(?:\S+\s+){0,2}?не\s+(?:прийти|дойти|зачислить|поступить|вернуть)",
            r"\bне\s+(?:зачислить|вернуть|возвращать|прийти|дойти|поступить)\s+(?:\S+\s+){0,2}?" + _MONEY + r"\b",
            r"\bне\s+выдать\s+(?:\S+\s+)?" + _MONEY + r"\b", r"\bничего\s+не\s+получить\b",
            r"\b" + _NOT + r"(?:вывести|увести|украсть|снять|списать)\s+(?:\S+\s+){0,2}?с\s+(?:\S+\s+)?"
            r"(?:карта|счет|вклад|накопительный|баланс|кредитка)\b",
            r"\bудержать\b")),
    "fraud": (0.45,
        _rx(r"без\s+(?:моего\s+)?(?:ведома|согласия|разрешения)", r"\bкто-то\s+(?:\S+\s+)?(?:оформил|снял|вывел|пишет|пыта\w+|зашел|вошел|вошла|входит|перевел)",
            r"по\s+(?:моему|чужому)\s+паспорту", r"\bкарта\s+(?:у\s+меня\s+)?в\s+руках", r"\bв\s+другом\s+городе,?\s+(?:а\s+)?я\b",
            r"\bзвон\w+\s+(?:\S+\s+)?из\s+[«\"]?(?:цб|центробанка|полиции|службы\s+безопасности)", r"\bпод\s+угрозой",
            r"\bбезопасн\w+\s+сч[её]т", r"\bбез\s+моего\s+заявлени\w*", r"\bпереоформ\w+\s+(?:\S+\s+){0,3}?без", r"\bя\s+(?:его|ее|их)\s+не\s+(?:брал|оформлял|заказывал|запрашивал|подтверждал)",
            r"\bк\s+чужому\s+(?:телефону|номеру|устройству)", r"якобы\s+из", r"\bутечк\w*",
            r"ничего\s+не\s+(?:покупал|подтверждал|оформлял|подписывал|брал)", r"не\s+(?:оформлял|брал|подтверждал)\w*\s+(?:\S+\s+)?(?:кредит|страхов|перевод|операц)"),
        _rx(r"\bмошенник|\bмошенничество|\bмошеннический|\bобмануть\b|\bобман\b|\bразвод\b|\bфишинг",
            r"\bвзлом|\bвзломать\b|\bафера\b|\bаферист|\bкинуть\b|\bукрасть\b|\bпохитить\b")),
    "card_blocked": (0.40,
        _rx(r"115-?фз", r"\bотказ\s+банка", r"\bне\s+принимают\s+ни\s+в\s+одном", r"доступ\s+(?:\S+\s+)?ограничен", r"\b(?:карта|сч[её]т)\w*\s+(?:\S+\s+)?ограничен\w*", r"арест\w*\s+(?:\S+\s+)?сч"),
        _rx(_NOT + r"(?:заблокировать|блокировать|заморозить|арестовать)\b", r"\bблокировка\b",
            r"\b(?:карта|счет|кредитка|сим-карта|номер|аккаунт|кабинет)\s+(?:\S+\s+)?" + _NOT + r"(?:заблокировать|заморозить)\b",
            r"\bотклонить\b",
            r"\b" + _NOT + r"(?:закрыть|ограничить|заблокировать)\s+(?:\S+\s+)?доступ\b",
            r"\b(?:карта|счет|кредитка)\s+(?:\S+\s+){0,2}?(?:скомпрометировать|скомпрометированный)\b",
            r"\b" + _NOT + r"(?:отказать|отказывать|отклонять)\s+(?:\S+\s+){0,2}?в\s+(?:перевод|платеж|оплата|снятие|выдача|"
            r"операция|зачисление)\b")),
    "no_service": (0.35,
        _rx(r"\bнет\s+(?:ни\s+)?(?:связи|сети|интернета|доступа|света|тв)", r"\b(?:связи|сети|интернета|доступа)\s+(?:\S+\s+)?нет\b",
            r"\bперестал\w*\s+работать\s+(?:везде|совсем|полностью)", r"\bни\s+(?:связи|сети|интернета)",
            r"без\s+(?:связи|интернета|сети)", r"не\s+могу\s+(?:\S+\s+)?(?:войти|зайти|оплатить|перевести|снять|дозвониться|позвонить|"
            r"получить|расплатиться|попасть|пользоваться)", r"дозвониться\s+невозможно", r"глобальн\w+\s+сбо"),
        _rx(r"\b(?:связь|сеть|интернет|приложение|сайт|карта|банкомат|терминал|оплата|платеж|перевод|сервис|тв|"
            r"телевидение|телефон|номер|онлайн|кабинет|код|смс|линия|вышка|роутер|система|все|ничего)\s+(?:\S+\s+){0,3}?"
            r"не\s+(?:работать|открываться|загружаться|грузиться|проходить|ловить|пускать|приходить)\b",
            r"\bне\s+(?:работать|открываться|загружаться|грузиться|проходить|ловить|пускать)\s+(?:\S+\s+){0,1}?"
            r"(?:связь|сеть|интернет|приложение|сайт|карта|банкомат|терминал|оплата|платеж|перевод|сервис|тв|телефон|"
            r"номер|онлайн|кабинет|система|ни|ничего)\b",
            r"\bне\s+(?:приходить\s+смс|отвечать\s+горячий)\b", r"\bномер\s+(?:\S+\s+)?не\s+обслуживаться\b",
            r"\b(?:связь|сеть|интернет)\s+(?:\S+\s+){0,2}?(?:пропасть|исчезнуть)\b", r"\bпропасть\s+(?:связь|сеть|интернет)\b",
            r"\bсбой\b", r"\bавария\b", r"\b(?:лежать|упасть|лечь)\b", r"\bотсутствовать\b", r"\bнедоступный\b", r"\bвылетать\b",
            _NOT + r"\bотключить\s+(?:\S+\s+)?(?:интернет|связь|номер|услуга|тв|телевидение|свет)",
            r"\b(?:интернет|инет)\s+(?:\S+\s+)?(?:падать|пропадать|отваливаться|отвалиться|упасть|лечь)",
            r"\bне\s+мочь\s+(?:\S+\s+){0,2}?" + _ACT, _ACT + r"\s+(?:\S+\s+)?не\s+мочь\b",
            r"\b(?:положить|уронить|вырубить|отрубить)\s+(?:\S+\s+)?(?:связь|сеть|интернет|инет|сим-карта|симка|номер)\b",
            r"\b(?:связь|сеть|интернет|инет|симка)\s+(?:\S+\s+)?(?:вырубить|отрубить|отвалиться)\b",
            r"\b(?:карта|оплата|платеж|связь|сеть|интернет|приложение|банкомат|терминал)\s+(?:\S+\s+){0,2}?перестать\s+"
            r"(?:работать|проходить|ловить|открываться|пускать|приниматься)\b")),
    "vulnerable": (0.15,
        _rx(r"\bскор(?:ую|ой|ая)\b", r"\bврач\w*", r"\bлекарств\w*", r"\bлечени\w*", r"\bкардиостимулятор",
            r"\bбольниц\w*", r"\bпожил\w+", r"\bинвалид\w*", r"\bна\s+еду\b", r"\bребен\w+\s+(?:болеет|в\s+больнице)"),
        None),
    "collectors": (0.35,
        _rx(r"\bколлектор\w*", r"\bиспорчен\w*\s+кредитн\w+\s+истори\w*", r"\bвзыскани\w*"),
        None),
    "threat_to_leave": (0.30,
        # leaving is a threat in the present/future ("ухожу", "перейду"), not a fact ("перешел полгода назад")
        _rx(r"до\s+свидания", r"больше\s+(?:никогда|ни\s+ногой)", r"последний\s+раз\s+(?:пишу|обраща)",
            r"\b(?:уйду|ухожу|уходим|уйдем|перейду|перехожу|переходим|перейдем|переведу\s+\S+)\s+(?:\S+\s+)?(?:в|к|на)\b",
            r"\b(?:закрою|закрываю|закроем)\s+(?:\S+\s+){0,2}?(?:сч|карт|вклад|договор)",
            r"\b(?:сменю|поменяю|меняю)\s+(?:\S+\s+)?(?:оператор|банк)"),
        _rx(r"\bрасторгнуть|\bрасторгать|\bрасторжение")),
    "legal_threat": (0.35,
        # an authority is a threat when the author turns to it ("пишу в ЦБ", "жалоба в Роспотребнадзор"),
        # not when it is news ("ставка ЦБ не изменилась")
        _rx(r"\bиск\w*\b", r"финансов\w+\s+омбудсмен"),
        _rx(r"\b(?:в|к)\s+(?:суд|прокуратура|роспотребнадзор|цб|центробанк|банк\s+россия|полиция|фас|омбудсмен|"
            r"финансовый\s+уполномоченный)\b", r"\bсудиться\b")),
    "deadline": (0.15,
        _rx(r"последний\s+день", r"\bсрочно", r"\bдо\s+(?:\d{1,2}[:.]\d{2}|завтра|вечера|конца\s+дня|понедельника|вторника|"
            r"среды|четверга|пятницы|субботы|воскресенья)", r"(?:сегодня|завтра)\s+(?:\S+\s+){0,3}?(?:платить|платеж|вносить|оплатить)",
            r"платить\s+за\s+(?:квартиру|аренду|ипотеку|кредит)", r"на\s+что\s+(?:мне\s+)?(?:жить|покупать|есть)",
            r"через\s+(?:час|\d+\s+(?:час|минут))",
            r"(?:платеж\w*|оплат\w*|взнос\w*|платить|заплатить)\s+(?:\S+\s+){0,3}?(?:сегодня|завтра|послезавтра)\b",
            r"\bпослезавтра\s+(?:\S+\s+){0,2}?(?:платеж|оплат|взнос|платить)",
            r"\bнужн[ыао]?\s+(?:\S+\s+){0,4}?(?:сегодня|срочно|завтра)\b", r"\bсозвон\w*", r"\bсделк\w+\s+(?:\S+\s+){0,2}?(?:закрывать|завтра|сегодня)", r"\bэкзамен\w*", r"\bв\s+панике"),
        None),
    "long_wait": (0.10,
        _rx(r"(?:уже|целый|целую|второй|третий|четвертый|который|вторую|третью|вторые|третьи)\s+(?:\d+\s+)?(?:дн|день|час|недел|месяц|раз|сут)",
            r"\b\d+\s+(?:дн|дня|дней|час|суток|недел|месяц)", r"звонил\w*\s+\d+\s+раз", r"до\s+сих\s+пор", r"сколько\s+можно",
            r"никто\s+не\s+(?:отвечает|перезвонил|помог)", r"обещали\s+\S*\s*(?:решить|починить|вернуть)\W+ничего"),
        None),
}
STRONG = ("money_lost", "fraud", "card_blocked", "no_service", "legal_threat", "collectors")
# an outage that is partial or intermittent ("иногда падает", "вечером тормозит") is a grumble, not an emergency
PARTIAL = _rx(r"\bиногда\b", r"\bпериодически\b", r"\bвременами\b", r"\bчерез\s+раз\b", r"\bпо\s+вечерам\b",
              r"\bвечер(?:ом|ами)\b", r"\bкаждый\s+(?:вечер|день)\b", r"\bна\s+(?:пару|несколько|\d+)\s*(?:-\s*\d+\s+)?(?:минут|секунд)",
              r"\bтак\s+себе\b", r"\bмедленн\w*", r"\bтормоз\w*", r"\bеле\b", r"\bскорост\w*\s+(?:пада|режет|низк)",
              r"\bне\s+грузится\s+видео|\bвидео\s+(?:\S+\s+){0,3}?не\s+груз", r"\bодна\s+палка", r"\bв\s+метро\b",
              r"\bв\s+лифте\b", r"\bна\s+лестнице\b", r"\bв\s+подвале\b", r"\bв\s+электричке\b", r"\bна\s+перегонах\b",
              r"\bв\s+час\s+пик\b")
# the app or site alone fails ("приложение не открывается", "код из смс не приходит"): money and service are
# still there by other ways, unless the author cannot pay, is locked out of the money or everything is down
APP = _rx(r"\bприложени\w*", r"\bсайт\w*", r"\bличн\w+\s+кабинет\w*", r"\bонлайн\b", r"\bинтернет-банк\w*",
          r"\bмобильн\w+\s+банк\w*", r"\bкод\w*\s+из\s+смс", r"\bтехнически\w+\s+работ\w*")
APP_OUTAGE = _rx(r"\bлежит\b|\bлег\b|\bупал\w*", r"\bсбой\w*", r"\bу\s+всех\b", r"\bни\s+\S+,?\s+ни\b",
                 r"\bне\s+могу\s+(?:\S+\s+)?(?:оплатить|перевести|снять|расплатиться|заплатить|платить)",
                 r"\bне\s+проходит\s+(?:оплата|платеж)|оплата\s+(?:\S+\s+)?не\s+проходит", r"\bбез\s+(?:доступа|денег)",
                 r"\b(?:оплатить|перевести|снять|заплатить)\s+(?:\S+\s+)?не\s+могу",
                 r"\bнет\s+доступа", r"\bвсе\s+деньги\s+там", r"\bзаблокирован\w*")
# a price, a fee or a subscription the author disputes ("списывает 499 ₽ в месяц", "поднял цену", "скрытые
# комиссии") is a billing complaint, not money lost, unless the author is left without money, is charged twice
# or for something never ordered or already returned, or a penalty follows
FEE = _rx(r"\bв\s+месяц\b", r"\bежемесячн\w*", r"\bцен[уаыое]\b", r"\bкомисси\w*", r"\bабонентск\w+\s+плат\w*",
          r"\bподписк\w*", r"\bтариф\w*", r"\bнавязал\w*", r"\bобслуживани\w+")
HARD_LOSS = _rx(r"\bвесь\s+баланс", r"\bвсе\s+деньги", r"\bвсю\s+(?:зарплат|пенси|сумм)", r"\bноль\b", r"\bпусто\b",
                r"\bминус\w*", r"\bбез\s+(?:денег|средств)", r"\bпени\b", r"\bштраф\w*", r"\bдолг\w*", r"\bдважды\b",
                r"\bдва\s+раза\b", r"\bповторно\b", r"\bне\s+(?:подключал|заказывал|брал|оформлял|подписывал|соглашал)\w*",
                r"\bотключил\w*", r"\bвернул\w*", r"\bмошенн\w*", r"\bукрал\w*", r"\bчуж\w+")
_CANNOT = _rx(r"\bне\s+могу\b")  # "не могу войти в приложение" is the app failing, not everything
# an outage of everything: its extent ("вообще", "полностью", "ни звонков, ни смс", "у всех"); how long a failure
# lasts ("третий день", "с утра") does not make an app glitch or a flaky network total
TOTAL = _rx(r"\bвообще\s+(?:нет|ничего|не\s+работает)", r"\bполностью\b", r"\bцеликом\b", r"\bни\s+\S+,?\s+ни\b",
            r"\bне\s+могу\b", r"\bглобальн\w*", r"\bу\s+всех\b", r"\bотсутству\w*",
            r"\bнет\s+(?:интернета|связи|сети)\s+(?:уже\s+)?с\b", r"\b(?:во|по)\s+вс[её]му?\s+(?:район|город|доме?|поселк|посёлк|регион|област|улиц)\w*",
            r"\bнигде\b")
_ANGRY = re.compile(r"[😡🤬😤💢😠👎🤦😢😱]")
_CAPS = re.compile(r"\b[А-ЯЁA-Z]{4,}\b")
_HARSH = _rx(r"\bужас", r"кошмар", r"\bпозор", r"безобрази", r"беспредел", r"издева", r"\bпаник", r"помогите", r"караул")
# the author is not reporting their own trouble: advice-seeking hypotheticals, fears, news
HYPOTHETICAL = _rx(r"как\s+(?:мне\s+)?(?:не\s|защитить|избежать|уберечь|обезопасить|распознать|отличить)", r"что\s+будет,?\s+если",
                   r"\bесли\s+я\b", r"боял|боюсь|опасаюсь", r"\bвдруг\b", r"чтобы\s+не\s", r"предупредил|предупреждает|предупреждение",
                   r"нов\w+\s+схем", r"\bэксперт", r"по\s+данным", r"\bсообщ(?:ил|ает|ила|али|ают)\b", r"пожаловал(?:ись|ся|ась)\s+на", r"в\s+компании\s+(?:заявили|сообщили|ответили)", r"плановые\s+работы", r"\bвозможны\b",
                   r"\bесли\s+(?:\S+\s+)?(?:потерял|потеряю|украдут|заблокируют|взломают)", r"\bспрашиваю\s+заранее",
                   r"\bна\s+всякий\s+случай", r"\bили\s+мошенник\w*", r"\bссылк\w+\s+не\s+открывал\w*",
                   r"\bэто\s+правда\s+вы\b", r"\bзаранее\s+спрашиваю")


# "Верните деньги!" is money lost when the post says what was taken (an amount, a charge); closing a grumble
# about a chatbot or a price rise it is a figure of speech
_DEMAND_MONEY = _rx(r"верните\s+(?:мои\s+)?(?:деньги|средства|\d)", r"вернуть\s+(?:мои\s+)?деньги")
# what was taken is an amount ("1 500 ₽", "12к", "47000"), not any digit: an appeal number ("№1437968"), a
# count ("звонил 7 раз") or a time ("с 17:40") says nothing about money
_AMOUNT = (r"(?<![№#\d:.-])\d{1,3}(?:[ \u00a0]?\d{3})*(?:[.,]\d+)?\s*(?:₽|р\b|р\.|руб|тыс|к\b|т\.р|рубл|долл|\$|евро)",
           r"(?<![№#\d:.-])\d{3,}(?:[ \u00a0]\d{3})*(?![\d:])(?!\s*раз)")
_TAKEN = _rx(*_AMOUNT, r"списа\w*", r"\bсня(?:л|ли|ло)\b", r"пропал\w*\s+(?:\S+\s+)?(?:деньг|средств|\d)", r"\bуш(?:ли|ло|ел|ла)\b", r"не\s+(?:при|до)ш\w+",
             r"удержал\w*", r"\bвзял[аи]?\b", r"не\s+подключал\w*", r"не\s+заказывал\w*", r"ошибочн\w*")


# a hashtag is a label the author pins on the post ("#сбой", "#позор", "#нетсвязи"), not a report of what happened
_HASHTAG = re.compile(r"#[\w.-]+")


def signals(text: str) -> list[str]:
    """Codes of the signals found in ``text`` (see ``SIGNALS``), in their order there; hashtags are not read."""
    return list(_signals(text))


@functools.lru_cache(maxsize=TEXT_CACHE)
def _signals(text: str) -> tuple[str, ...]:
    # cached: a post naming two brands is read once per brand (urgency reads the whole post each time), and
    # intent reads a one-brand post's text again
    surface, lemmas = views(NEGATED_PROBLEM.sub(" ", _HASHTAG.sub(" ", text).lower().replace("ё", "е")))
    found = []
    for code, (_, srx, lrx) in SIGNALS.items():
        if (srx is not None and srx.search(surface)) or (lrx is not None and lrx.search(lemmas)):
            found.append(code)
        elif code == "money_lost" and _DEMAND_MONEY.search(surface) and _TAKEN.search(_DEMAND_MONEY.sub(" ", surface)):
            found.append(code)
    return tuple(found)


def intensity(text: str) -> float:
    """0..1: exclamations, shouting in capitals, angry emoji, harsh words (not in hashtags)."""
    text = _HASHTAG.sub(" ", text)
    value = 0.0
    if "!!" in text or "?!" in text or "!?" in text:
        value += 0.4
    if len(_CAPS.findall(text)) >= 2:
        value += 0.4
    if len(_ANGRY.findall(text)) >= 1:
        value += 0.3
    if _HARSH.search(text):
        value += 0.3
    return min(1.0, value)


@functools.lru_cache(maxsize=TEXT_CACHE)
def is_hypothetical(text: str) -> bool:
    return bool(HYPOTHETICAL.search(text))


_SWITCH_TO = re.compile(
    r"(?:уйду|ухожу|уходим|уйдем|уйти|перейду|перехожу|переходим|перейдем|перейти|перешел|перешла|перешли|"
    r"переведу\s+\S+|переводим\s+\S+|сменю\s+на|меняю\s+на|лучше\s+бы)\s+(?:\S+\s+){0,2}?(?:к|в|во|на)\s+[#@«\"]?$",
    re.IGNORECASE)


def is_switch_target(text: str, target: tuple[int, int] | None) -> bool:
    """The brand at ``target`` is where the author is leaving *to* ("ухожу к МТС"), not the one complained about."""
    if target is None or not 0 <= target[0] <= len(text):
        return False
    before = text[max(0, target[0] - 60):target[0]].lower().replace("ё", "е")
    return bool(_SWITCH_TO.search(before))


_CONTEXT = {"problem": 1.0, "question": 0.6, "other": 0.5, "idea": 0.25, "thanks": 0.15}


def urgency_score(
    text: str,
    sentiment_scores: Mapping[str, float],
    intent: str,
    author_followers: int | None = None,
    engagement: int | None = None,
    published_at: datetime | None = None,
    now: datetime | None = None,
    target: tuple[int, int] | None = None,
) -> tuple[float, list[str]]:
    """(score 0..1, reasons). ``engagement`` = likes + reposts + comments (None if unknown); ``target``:
    the (start, end) span of the brand this score is for, when known (a post leaving brand A *for* brand B
    is urgent for A only)."""
    reasons: list[str] = []
    neg = float(sentiment_scores.get("negative", 0.0))
    score = 0.3 * neg
    if neg >= 0.5:
        reasons.append("negative")
    if intent == "problem":
        score += 0.2
        reasons.append("complaint")
    found = signals(text)
    plain = _HASHTAG.sub(" ", text)  # "#сбой" is a tag, not an outage: the dampers below read the words
    if "money_lost" in found and FEE.search(plain) and not HARD_LOSS.search(plain):
        found.remove("money_lost")  # a price or a fee the author disputes: billing, nothing lost or stolen
        reasons.append("fee")
    strong = [code for code in found if code in STRONG]
    signal = sum(SIGNALS[code][0] for code in found)
    if "no_service" in found and PARTIAL.search(plain) and not TOTAL.search(plain):
        signal -= 0.6 * SIGNALS["no_service"][0]
        reasons.append("partial_outage")
    elif ("no_service" in found and "deadline" not in found and APP.search(plain) and not APP_OUTAGE.search(plain)
          and not TOTAL.search(_CANNOT.sub(" ", plain))):
        signal -= 0.6 * SIGNALS["no_service"][0]
        reasons.append("app_only")
    if reasons and reasons[-1] in ("partial_outage", "app_only"):
        strong.remove("no_service")  # a grumble about the app or a flaky network, not an emergency
    if "no_service" in strong and TOTAL.search(_CANNOT.sub(" ", plain)):  # all down: "по всему городу", "ни звонков ни смс"
        signal += WIDE_OUTAGE
        reasons.append("wide_outage")
    if len(strong) >= 2:  # several strong signals add up, but not without bound
        signal = min(signal, 0.6)
    heat = intensity(text)
    if heat >= 0.6:
        signal += 0.1
        reasons.append("intensity")
    reasons.extend(found)
    context = _CONTEXT.get(intent, 0.5)
    from classifier.intent import is_news, is_resolved  # intent builds on this module's signals

    resolved = is_resolved(text)
    if resolved:  # "проблема устранена": nothing left to answer urgently
        context *= 0.2
        reasons.append("resolved")
    elif is_news(text):
        context *= 0.4
        reasons.append("news")
    if intent not in ("problem", "thanks") and neg >= 0.5:
        context = max(context, 0.7)
    if is_hypothetical(text):
        context *= 0.5
        reasons.append("hypothetical")
    score += signal * context
    if author_followers and author_followers >= 1000:
        score += min(0.15, 0.05 * math.log10(author_followers / 100))
        reasons.append("high_reach")
    if engagement and engagement >= 20:
        score += min(0.1, 0.04 * math.log10(engagement / 2))
        reasons.append("engagement")
    if is_switch_target(text, target):
        score *= 0.3
        reasons.append("switch_target")
    if not strong and "threat_to_leave" not in found and score > GRUMBLE_CAP:
        score = GRUMBLE_CAP
        reasons.append("nothing_at_stake")
    score = min(RESOLVED_CAP if resolved else 1.0, score)  # recency scales the capped score, so an old post always ranks lower
    if published_at is not None and now is not None:
        age_days = (as_utc(now) - as_utc(published_at)).total_seconds() / 86400
        if age_days > 7:  # this week's complaints are still actionable; older ones fade
            score *= 0.85 if age_days <= 30 else 0.6
            reasons.append("old")
    return max(0.0, min(1.0, score)), reasons
