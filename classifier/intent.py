"""Intent of a brand mention, as support-community topic types: problem, question, idea, thanks, other.

Rules in a fixed order of decisions, each a few readable cue lists over the lower-cased text (ё → е):

1. **news** (third-person reports: "сообщили в пресс-службе", "запустил", "повышает с 1 февраля") → other;
2. **resolved** ("проблема устранена", "всё починили", "снова работает", "вопрос снят") → thanks when the
   author thanks, else other — never a problem to act on (urgency adds the reason "resolved");
3. **sarcasm** (thanks or praise for the trouble itself: "спасибо за связь, которой нет", "браво! Третий
   день без связи") → problem; thanks that name what was done well ("спасибо, помогли; но очередь") stay thanks;
4. **thanks**, **idea** (suggestions: "сделайте", "добавьте", "было бы удобно"), then **question** — a
   question mark or a question cue ("подскажите", "можно ли", "кто брал", "сколько стоит"), whatever
   polite closer follows ("Заранее спасибо", "буду благодарна") — unless it asks about the author's own
   failure ("почему не приходит смс?", "лежит?", "что делать, помогите") which is a problem;
5. **problem** when the complaint evidence (failure verbs, money lost, fraud, blocked, fees imposed,
   waiting, grumbles, the model's negativity) is enough; else other.

Measured on the frozen set tests/data/support_posts_set.jsonl (benchmarks/support_posts_eval.py)."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping

from classifier.cues import TEXT_CACHE, cue_rx
from classifier.urgency import NEGATED_PROBLEM, STRONG, is_hypothetical, is_switch_target, signals

INTENTS = ("problem", "question", "idea", "thanks", "other")


_rx = cue_rx  # cue alternations, searched through one automaton of their literals (classifier.cues)


def _surface(text: str) -> str:
    return text.lower().replace("ё", "е")


# ---- problem evidence: (weight, pattern) ----
PROBLEM = [
    (3.0, _rx(r"\bне\s+(?:работа|прош|приход|пришл|загруж|открыва|грузит|могу|можем|может|удает|получа|отвеча|"
              r"дозвон|ловит|вернул|возвращ|зачисл|пуска|принима|отправля|начисл|выда|пришел|дошл|дошел|доход|"
              r"поступ|понял|решил|решен|допрос|заметил|смог|объясня|предупред|беспоко|зво)",
              r"\bвернит\w*\s+(?:мои\s+)?(?:деньги|средства|\d)", r"\bпропал\w*", r"\bисчез\w*", r"\bзавис\w*",
              r"\bсбо[йяе]\w*", r"\bошибк\w*", r"глючит|\bглюк\w*|лагает|вылета\w*|тормоз\w*|выкидыва\w*",
              r"\bнет\s+(?:ни\s+)?(?:связи|сети|интернета|денег|ответа|доступа)", r"\bбез\s+(?:связи|интернета|сети|денег)",
              r"(?<!не\s)навяз\w*", r"\bнет\s+наличн\w*", r"должн\w+\s+был\w*\s+(?:прийти|поступить|зачисл\w*)",
              r"\bпусто\b", r"\b(?:его|ее|их)?\s*не\s+(?:брал|оформлял|заказывал|подключал|запрашивал|подтверждал)\w*",
              r"\bничего\s+не\s+получ\w*", r"\bгудки\b",
              r"\bкто-то\s+(?:оформил|пишет|снял|вывел)", r"\bприходят\s+долги", r"\bникогда\s+не\s+был",
              r"\bне\s+понима\w*", r"\bне\s+отобража\w*", r"\bсписыва(?:ют|ет)\s+(?:\S+\s+){0,3}?(?:\d|за\s+неизвестн|за\s+как)", r"\bв\s+минус\b", r"\bверните\s*!", r"\b(?:включаются|подключаются|подключились|включились)\s+сам[иа]?\b",
              r"\bобещали\s+(?:\S+\s+){0,5}?а\s", r"\bгроз(?:ят|ит|ятся)\b|\bугрожа\w*", r"\bбесполезн\w*",
              r"\bникто\s+не\s+(?:ответил|отвечает|перезвонил|берет)", r"\bв\s+одностороннем\s+порядке",
              r"\b(?:оплатили|сняли|списали)\s+(?:\S+\s+){0,2}?в\s+другом\s+городе", r"без\s+(?:спроса|предупреждени|объяснени|моего)", r"жалоб\w*", r"претензи\w*",
              r"безобрази\w*", r"\bужас\w*", r"кошмар\w*", r"отвратит\w*", r"хамств\w*|хамят|нахамил\w*|хамит",
              r"невозможно", r"сколько\s+можно", r"до\s+сих\s+пор", r"издевател\w*", r"\bобман\w*",
              r"\bлежит\b|\bлег\b|\bлегло\b|\bупал\w*", r"\bотказал\w*|\bотказыва\w*", r"перестал\w*", r"сломал\w*",
              r"\bпозор\w*", r"\bбесит|\bбесят|\bдостал[иа]?\b|надоел\w*", r"\bграбеж\w*", r"не\s+красиво|некрасиво",
              r"ходит\s+по\s+кругу", r"насмешк\w*", r"разводят\s+руками", r"\bне\s+приш\w+", r"\bв\s+панике",
              r"\bпомогите\b", r"на\s+что\s+жить", r"\bсрываетс\w*|\bобрыв\w*|прерыва\w*", r"\bотключил\w*",
              r"\bне\s+ловит", r"\bпропада\w*|отвалива\w*", r"еле\s+жив\w*", r"режет\s+скорост\w*",
              r"\bпотерял\w*", r"\bзажевал\w*|\bсъел\b", r"ничего\s+не\s+(?:работает|объясня|подключал|брал|заказывал)",
              r"\bвозмутител\w*", r"\bнедопустим\w*", r"\bне\s+решен\w*|\bне\s+решили", r"\bпроблем[аы]\s+не",
              r"\bни\s+разу\s+не\s+(?:пришел|приш)", r"испорчен\w*",
              # negative-evaluation nouns ("что за бред", "абсурд") and a negated recommendation ("не советую")
              r"\bбред\w*|\bабсурд\w*|\bмаразм\w*|\bдичь\b|\bтр[еэ]ш(?:ак)?\b|\bфигн\w*|\bхрен\w*",
              r"\bперебор\b|\bцирк\w*|\bклоунад\w*|\bдурдом\w*|\bбардак\w*|\bбеспредел\w*",
              # the lack in either order ("доступа никуда нет", "денег нет") and "without" a cent / a notice
              r"\b(?:связи|сети|интернета|денег|доступа|ответа)\s+(?:\S+\s+)?нет\b",
              r"\bбез\s+(?:копейки|гроша|средств|всякого\s+уведомлени\w*|уведомлени\w*)", r"\bне\s+обслужива\w*",
              r"\bна\s+что\s+(?:мне\s+|нам\s+)?(?:есть|питаться|ехать|лечиться)\b",
              r"\bкто-то\s+(?:\S+\s+)?(?:пыта\w+|зашел|вошел|вошла|входит|взял|перевел)",
              r"\bне\s+(?:советую|рекомендую|советуем|рекомендуем)\b",
              # the promise against the reality ("обещана 500, по факту 40", "на деле", "а в итоге")
              r"\bпо\s+факту\b", r"\bна\s+деле\b", r"\bобеща\w*\s+(?:\S+\s+){0,6}?(?:а\s+)?(?:в\s+итоге|на\s+деле)",
              # better before, worse now ("раньше были классными, а теперь режете")
              r"\bраньше\s+(?:\S+\s+){0,5}?(?:а\s+)?теперь\b")),
    (2.0, _rx(r"неудобн\w*", r"\bхуже\b", r"раздража\w*", r"\bочеред\w*", r"опоздал\w*", r"медленн\w*", r"\bплохо\b",
              r"не\s+нравит", r"обидно", r"неприятно", r"противно", r"навязчив\w*", r"\bдолго\b", r"нельзя", r"падает",
              r"урезал\w*|уменьшил\w*", r"(?:подняли|поднял|повысил[аи]?|подорожал\w*|выросла)\s+(?:\S+\s+){0,3}?"
              r"(?:тариф|цен|плат|стоимост|абонентк|абонентск)", r"\bдорожа\w*", r"шаблонами", r"перепутан\w*",
              r"\bспам\w*", r"\bв\s+суд\b", r"прошел\s+месяц", r"мелким\s+шрифтом", r"постфактум|задним\s+числом",
              r"\bзря\b", r"осадок", r"разочарова\w*", r"недовол\w*", r"\bквест\b", r"\bшутка\b|не\s+смешно",
              r"\bждал\w*\s+\d+", r"\d+\s+(?:минут|час\w*)\s+(?:музык|ожидани|на\s+линии)", r"\bтерпени\w*",
              r"звонят\s+и\s+звонят", r"по\s+\d+\s+раз", r"\d+\s+раз\w*\s+(?:говорил|просил|звонил|писал)",
              r"трижды\s+(?:просил|звонил|писал)", r"не\s+допросишься", r"\bмучаюсь|\bмучаемся", r"\bкак\s+так\b",
              r"\bжрет\b|\bжрут\b", r"(?:взяли|сняли|списали|берут|насчитал\w*)\s+(?:\S+\s+){0,3}?(?:\d|комисси|плат)",
              r"\bкомисси\w*\s+(?:за|\d)", r"\bпереплачива\w*", r"не\s+предупредил\w*|никого\s+не\s+предупред\w*",
              r"\bстранн\w+\s+правил", r"\bпоменял\w*\s+условия", r"\bзачем\s+мне", r"\bне\s+понятно|\bнепонятно",
              r"\bтретий\s+раз|\bпятый\s+раз|\bвторой\s+раз", r"\bхоть\s+бы\s+предупред\w*", r"\bпереносите\b",
              r"\bупорно\b", r"\bнегде\b", r"\bреж(?:ет|ете|ут)\b", r"\bкак\s+всегда\b",
              # how long it has lasted, as an ordinal ("третий месяц", "пятый день", "вторую неделю")
              r"\b(?:втор|трет|четверт|пят|шест|десят)\w*\s+(?:день|дня|сутки|недел\w*|месяц\w*)\b", r"\bпришлось\b", r"\bобещанн\w*", r"\bне\s+найти\b", r"\bникто\s+не\s+спрашивал", r"\bкаждый\s+раз\b", r"\bскач\w+\s+до\b",
              r"(?:тариф|цен\w*|абонентк\w*|стоимост\w*|плат\w*)\s+(?:\S+\s+)?(?:подорожал|вырос|поднял|повысил)\w*", r"\bуже\s+(?:\S+\s+)?(?:недел|месяц|дн|сут|час)\w*", r"\bтишина\b",
              r"\bпрош(?:ла|ел|ло|ли)\s+(?:уже\s+)?(?:неделя|месяц|\d+\s+дн\w*|две\s+недели|полгода)", r"\bвообще\s+ничего\b", r"\bничего\s+не\s+грузит")),
    (1.0, _rx(r"\bопять\b|\bснова\b", r"почему\s+(?:не|опять|снова|так|у\s+меня|мне|за|в|на)", r"когда\s+(?:уже\s+)?(?:почин|вернут|исправ|включ|наладят|зачисл)",
              r"!!+", r"😡|🤬|😤|👎|😠|💢", r"\bвообще\b", r"\bуже\b")),
]

# ---- question cues ----
QUESTION_CUE = _rx(
    r"\?", r"\bподскаж\w*", r"\bскажите\b", r"\bскажи\b", r"\bрасскажите\b", r"\bможно\s+ли\b", r"\bесть\s+ли\b",
    r"\bли\s+(?:у\s+вас|в\s+|сейчас|это|нужно)", r"\bкто\s+(?:знает|в\s+курсе|пользовал\w*|брал|оформлял|держит|был|ездил|"
    r"подключал|рефинансировал|сталкивал\w*|нибудь|-нибудь|пользуется)",
    r"\bкак\s+(?:\S+\s+){0,3}?\S+(?:ть|ти|ться|тись)\b", r"(?:^|[.!?]\s+)(?:когда|куда)\s",
    r"\bгде\s+(?:можно|найти|посмотреть|получить|ближайш|взять|купить|оформить|в\s)",
    r"\bсколько\s+(?:\S+\s+)?(?:стои|стоят|ид[её]т|идут|дней|времени|по\s+времени|будет|берут|процент|нужно|займет|ждать)",
    r"\bкак(?:ой|ая|ое|ие|им|ую|ом|их)\b(?!-)", r"\bчто\s+(?:нужно|делать|есть|будет)\b",
    r"(?:^|[,.!?]\s*|\b(?:вас|мне|нам|ли)\s+|^\S+\s+)можно\s+(?:ли\s+)?(?:\S+\s+)?\S+(?:ть|ти|ться)\b",
    r"\bинтересует\b",
    r"(?<!выглядит\s)(?<!звучит\s)(?<!очень\s)(?<!довольно\s)(?<!весьма\s)(?<!было\s)\bинтересно\b",
    r"\bхочу\s+узнать\b", r"\bне\s+могу\s+понять\s+(?:где|как)",
    r"\bили\s+(?:нет|только|лучше|всё|все|это|проценты|нужно)\b", r"\bили\s+\S+\s*$", r"\bвопрос\s+знатокам",
    r"\bвообще\s+(?:есть|дает|даёт|бывает)", r"(?:^|[,.!?]\s*)а\s+(?:можно|как|где|сколько|есть|какой|какая|какие)\b", r"\bразве\b", r"\bне\s+подскажете",
    r"\bво\s+сколько\b", r"\bсколько\s+(?:\S+\s+)?обойд\w*", r"\bна\s+сколько\b",
    r"\bсколько\s+(?:\S+\s+)?(?:месяц|лет|год|раз|гб|гигабайт|рубл|минут)\w*",
    # the interrogative particle "ли" after a modal or future verb ("могу ли я", "будет ли", "стоит ли")
    r"\b(?:могу|можем|может|могут|стоит|будет|будут|нужно|надо|получится|сохранится|сгорит|сгорят|действует)\s+ли\b")
OWN_FAILURE_QUESTION = _rx(
    r"\bпочему\s+(?:\S+\s+){0,4}?(?:не\s|опять|снова|тормоз|пропада|списыва|лимит|за\s+два|пришел\s+сч|пришла\s+плата|у\s+меня|мне\s)",
    r"\bлежит\b|\bлег\b|\bупал\b|\bу\s+всех\s+так|\bсбой\b|\bавария\b|\bмассов\w+\s+авари",
    r"где\s+мои\s+деньги", r"что\s+делать,?\s+(?:помогите|как\s+вернуть)", r"\bкак\s+вернуть\b", r"помогите",
    r"\bвы\s+там\s+живы", r"\bчто\s+происходит", r"\bэто\s+вообще\s+как", r"\bсколько\s+можно", r"\bсколько\s+ждать",
    r"\bзачем\s+мне\s+звонить", r"\bпочему\s+вы\s+ничего", r"\bживые\s+люди\s+у\s+вас", r"\bэто\s+утечка",
    r"\bвзлом\?", r"\bутечк\w*", r"\bякобы\b", r"\bчто\s+за\s+дела", r"\bс\s+какой\s+стати", r"\bс\s+какого\s+перепугу", r"\bчто\s+за\s+шутка",
    r"\bда\s+сколько", r"\bкак\s+так\b",
    # checking whether the failure is shared ("у вас тоже нет связи?", "у кого еще не работает")
    r"\bу\s+(?:вас|тебя|кого)\s+(?:\S+\s+)?(?:тоже|также|еще|ещё)\b",
    r"\bкак\s+(?:мне\s+|я\s+|нам\s+|мы\s+)?(?:теперь\s+)?жить\b",
    # "вообще" in a question to the brand is rhetorical ("у вас банкоматы вообще обновляют?")
    r"\b(?:вы|у\s+вас)\s+(?:\S+\s+){0,2}?вообще\s+(?!есть\b|бывает\b|можно\b)",
    # rhetorical "when will you learn / stop" and "why did you raise / take / remove" (an imposed change)
    r"\bвы\s+там\b", r"\bчто\s+мне\s+(?:теперь\s+)?(?:делать|нажать)\b",
    r"\bкогда\s+(?:\S+\s+){0,2}?(?:научит\w*|начнет\w*|начнете|прекрат\w*|перестан\w*|наконец)",
    r"\bпочему\s+(?:\S+\s+){0,3}?(?:подорожал|подняли|поднял|повысил|списал|сняли|снял|убрал|поменял|отключил|"
    r"заблокировал)\w*", r"\bкак\s+мне\s+жить|\bна\s+что\s+(?:мне\s+)?жить", r"\bсрочно\b", r"\bэто\s+(?:вообще\s+)?нормально\?")

# "how do I get through / undo it" after a failure (remedial verbs, not how-to questions), unless the failure is
# only supposed ("если карту заблокируют, как её разблокировать?")
REMEDIAL_QUESTION = _rx(r"\bкак\s+(?:\S+\s+){0,2}?(?:достучаться|дозвониться|вернуть|разблокировать|отменить|отбить)")
CONDITIONAL = _rx(r"\bесли\b", r"\bвдруг\b", r"\bв\s+случае\b")

# ---- idea cues ----
IDEA = _rx(r"\bпредлага\w*", r"\bпредложени[ея]\s+(?:для|к)\b", r"^предложени", r"\bпредложение\s*:", r"\bидея\s*:", r"\bбыло\s+бы\s+(?:здорово|круто|удобно|неплохо|хорошо|"
           r"классно|супер|отлично|полезно)", r"\bбыло\s+бы\s+(?:\S+\s+)?(?:удобно|здорово|круто)", r"\bхорошо\s+бы\b",
           r"\bнеплохо\s+бы\b", r"\bдобавьте\b", r"\bсделайте\b(?!\s+(?:уже\s+)?что-нибудь)", r"\bсделали\s+бы\b",
           r"\bдобавили\s+бы\b", r"\bхотелось\s+бы\b", r"\bпочему\s+бы\s+(?:\S+\s+){0,2}?не", r"\bидея\b", r"\bпожелани\w*",
           r"\bверните\s+(?:старый|прежн|кнопк|возможн|функци|тариф|кэшб|кешб)", r"\bне\s+хватает\b",
           r"\bмечтаю,?\s+чтобы", r"\bстоило\s+бы\b", r"\bможно\s+было\s+бы\b", r"\bа\s+что\s+если\b",
           r"\bпоставьте\b", r"\bдайте\s+возможность\b", r"\bхочу,?\s+чтобы\s+(?:можно|было|в\s+приложени)",
           r"\bвведите\b", r"\bсделать\s+бы\b",
           r"\b(?:хочу|хотим|хотела?|хотелось\s+бы|могу|можно)\s+(?:\S+\s+)?предложить\b",
           # evaluation + subjunctive in either order ("неплохо было бы", "было бы логично")
           r"\b(?:здорово|круто|удобно|неплохо|хорошо|классно|полезно|логично|правильно|разумно|честно|отлично|"
           r"прикольно|замечательно)\s+было\s+бы\b", r"\bбыло\s+бы\s+(?:\S+\s+)?(?:логично|правильно|разумно|"
           r"полезно|классно|прикольно|замечательно|отлично)",
           # suggestion speech acts: "как насчёт", hortative "давайте", jussive "пусть будет", wishing "мечтаю о"
           r"\bкак\s+насчет\b", r"\bдавайте\b(?!\s+(?:уже\s+)?(?:вернем|вернём|решим|разберемся))",
           r"\bпусть\s+(?:\S+\s+){0,5}?(?:будет|будут|появится|появятся|станет|можно|показывает|приходит|"
           r"превращаются|превращается|сделают|добавят)", r"\bмечта\w*\s+(?:о|об|про|чтобы)\b",
           r"\bа\s+можно\s+(?:\S+\s+)?(?:сделать|добавить|ввести|запустить|разрешить|включить),?\s+чтобы")
IDEA_NOT = _rx(r"\bхотелось\s+бы\s+(?:\S+\s+)?(?:ясност|ответ|понять|узнать|разобраться|получить)", r"\bсделайте\s+(?:уже\s+)?что-нибудь", r"\bверните\s+(?:мои\s+)?(?:деньги|средства|\d)", r"\bсрочно\b")

# ---- thanks ----
THANKS = _rx(r"\bспасибо\b", r"\bблагодар\w*", r"\bспс\b", r"\bреспект\w*", r"\bмолодц\w*", r"\bвыручил\w*",
             r"\bбраво\b", r"\bснимаю\s+шляпу",
             r"\bпризнательн\w*", r"\bнизкий\s+поклон|\bпоклон\s+", r"\bмо[её]\s+почтени\w*", r"\bмерси\b",
             r"\bдай\s+бог\b|\bдай\s+вам\s+бог", r"\b(?:теплые|добрые|хорошие)\s+слова\b",
             r"\bплюс(?:ик)?\s+в\s+карму", r"\bкрасавц\w*|\bумнички?\b", r"\bздоровья\s+(?:ему|ей|им|вам)\b",
             r"\bвы\s+(?:лучшие|самые\s+лучшие|супер|топ|огонь|красавцы|чудо)\b")
# thanks that name something done well: genuine even beside a complaint ("помогли, но очередь 40 минут")
THANKS_FOR = _rx(r"\bпомог\w*", r"\bрешил\w*|\bрешен\w*|\bрешает\b", r"\bвернул\w*", r"\bпочинил\w*", r"\bперезвонил\w*",
                 r"\bразблокировал\w*|\bисправил\w*|\bотменил\w*|\bспасл\w*|\bспас\b|\bбыла\s+везде",
                 r"\bобъяснил\w*|\bразъяснил\w*|\bразобрал\w*|\bразобравш\w*", r"\bодобрил\w*", r"\bпривез\w*",
                 r"\bпоставил\w*", r"\bвосстановил\w*|\bвосстановлен\w*", r"\bперевыпуск\w*|перевыпустил\w*",
                 r"\bбыстр\w*|\bоперативн\w*|\bвовремя\b|\bостановил\w*|\bпредотвратил\w*|\bчуть\s+не\b", r"\bсписали\s+пени", r"\bкомпенсаци\w*",
                 r"\bпрофессионализм\w*", r"\bденьги\s+(?:целы|на\s+месте)", r"\bсразу\s+позвонил\w*", r"\bтерпени\w*", r"\bвежлив\w*", r"\bперенес\w*|\bперенесл\w*",
                 r"\bпереоформил\w*", r"\bдоставк\w*|\bдоставил\w*", r"\bвсе\s+работает|\bработает\s+отлично|\bлетает",
                 r"\bпришел\b|\bдошел\b|\bпришла\b", r"\bподключил\w*|\bподключени\w*", r"\bпровели\b",
                 r"\bзаменил\w*", r"\bнастроил\w*", r"\bоформил\w*", r"\bдали\b|\bдал\b", r"\bответ\w*",
                 r"\bнормальн\w+\s+(?:веб|приложени|интерфейс)", r"\bбесплатн\w*", )
# praise words that are ironic beside trouble ("отличный сервис" after "третий день без связи")
PRAISE = _rx(r"\bобожаю\b", r"\bгениальн\w*", r"\bотличн\w*", r"\bсупер\b", r"\bпрекрасн\w*", r"\bмолодц\w*",
             r"\bочень\s+удобно\b", r"\bтакой\s+удобный", r"\bбраво\b", r"\bтак\s+держать", r"\bвеликолепн\w*")
# thanks or praise for the trouble itself, ironic whatever else the post says ("спасибо за связь, которой нет")
_IRONIC_FRAMES = (r"спасибо\s+(?:за\s+)?(?:ничего|никакое|никакой)", r"спасибо,?\s+что\s+(?:опять|снова)",
                  r"спасибо\W+(?:\S+\W+){0,3}?(?:что|за)\s+(?:опять|снова|очередн|в\s+очередной)",
                  r"(?:спасибо|благодарю)\s+(?:огромное\s+)?(?:\S+\s+)?за\s+(?:\S+\s+){0,3}?(?:связь,?\s+которой\s+нет|"
                  r"музык|очередн|списан|блокир|отключ)", r"\bну\s+спасибо\b", r"\bну\s+вы\s+молодцы",
                  r"\bтакой\s+удобный,?\s+что", r"\bкоторой\s+нет\b", r"\bособенно\s+когда\b")
IRONY_FRAME = _rx(*_IRONIC_FRAMES)
# ... and cues that are ironic only beside complaint evidence: praise words also said in earnest ("обожаю",
# "гениально", "отличный сервис"), "спасибо за то, что ...", help denied
SARCASM = _rx(*_IRONIC_FRAMES, r"(?:спасибо|благодарю)\s+(?:огромное\s+)?(?:\S+\s+)?за\s+(?:\S+\s+){0,3}?то,?\s+что",
              r"\bне\s+помогл\w*", r"\bникто\s+не\s+помог", r"\bвидимо,?\s+чтобы", r"\bобожаю\b", r"\bгениальн\w*",
              r"\bотличный\s+сервис", r"\bтак\s+и\s+не\s+решил\w*")

# ---- the problem is reported fixed ----
RESOLVED = _rx(r"проблем\w*\s+(?:\S+\s+)?(?:устранен\w*|решен\w*|исправлен\w*)", r"\bустранил\w*", r"\bустранен\w*",
               r"\bвосстановлен\w*", r"\bвосстановили\s+(?:связь|работ|доступ|интернет)",
               r"(?:связь|интернет|сеть|работа\s+сети|приложение|доступ)\s+(?:\S+\s+){0,5}?(?:восстановил\w*|восстановлен\w*)",
               r"\bвсе\s+(?:починили|заработало|исправили)", r"\bпочинили\b",
               r"\bожил[оаи]?\b", r"\bотбой\s+тревог\w*", r"\bзаработал[оаи]?\b",
               r"\bснова\s+(?:работает|есть|доступ\w*)", r"\bвопрос\s+(?:снят|решен|закрыт)", r"\bинтернет\s+дали\b",
               r"\bотпустило\b", r"\bштатном\s+режиме", r"\bвсе\s+нормально,?\s+спасибо", r"\bперевод\s+пришел\b",
               r"\bможно\s+выдохнуть", r"\bзачислены\s+получател\w*")
RESOLVED_NOT = _rx(r"\bне\s+(?:решен|устранен|исправлен|восстановлен)", r"\bне\s+(?:починили|заработал|восстановил|устранил|решил)", r"\bтак\s+и\s+не\b",
                   r"\bопять\s+(?:не|сломал|упал)", r"\bснова\s+(?:не|сломал|упал|лежит)")

# ---- news: third-person reports about the brand ----
NEWS = _rx(r"\bсообщ(?:ил|ила|или|ает|ают|илa)\w*\b", r"\bсообщается\b", r"\bпресс-служб\w*", r"\bпресс-релиз\w*",
           r"\bговорится\s+в\b", r"\bследует\s+из\b", r"\bпишут\s+(?:сми|аналитики)", r"\bпо\s+данным\b",
           r"\bаналитик\w*", r"\bэксперт\w*", r"\bотчитал\w*", r"\bобъявил\w*", r"\bзапустил\w*", r"\bзапустит\b",
           r"\bпредставил\w*", r"\bзаявили\b|\bзаявил\b", r"\bсообщили\s+в\b", r"\bпредупредил\w*\s+клиентов",
           r"\bнапоминает\b|\bнапоминают\b|\bнапомнил\w*", r"\bпредупредил\w*\s+о\b", r"\bрассылают\b", r"\bпризнан\w*", r"\bначал\w*\s+(?:выпуск|продавать|продажи)", r"\bс\s+\d+\s+(?:января|февраля|марта|"
           r"апреля|мая|июня|июля|августа|сентября|октября|ноября|декабря)", r"\bс\s+нового\s+года",
           r"\bрассказываем\b", r"\bувеличил\w*\s+(?:портфель|лимит)", r"\bвыдал\s+рекордн", r"\bзавершил\w*",
           r"\bрасширил\w*", r"\bмодернизировал\w*", r"\bупростил\w*", r"\bотменил\w*\s+плату", r"\bстал\s+партнер\w*",
           r"\bустановит\b", r"\bзакро[ею]т\b", r"\bпереведут\b", r"\bпровели\s+совместн\w*", r"\bполучил\s+лицензи\w*",
           r"\bвыпустил\s+\d", r"\bоткрыл\w*\s+(?:новый|новое|еще|ещё)", r"\bпродлил\w*", r"\bдоговорились\b",
           r"\bобновил\w*\s+(?:конструктор|формат|линейку)", r"\bснизил\w*\s+(?:ставк|стоимост)",
           r"\bповыша\w*\s+(?:стоимост|тариф)", r"\bповысил\w*\s+тариф\w*", r"\bс\s+первого\s+числа",
           r"\bклиенты\s+недовольны", r"\bвырастет\b", r"\bповысил\w*\s+ставк", r"\bограничил\w*\s+переводы", r"\bвнедрил\w*",
           r"\bсократит\b", r"\bменяет\s+линейку", r"\bпостроил\w*")
FIRST_PERSON = _rx(r"\b(?:я|мне|меня|мной|мой|моя|мое|моё|мои|моего|моей|моих|мы|нам|нас|наш\w*|у\s+нас)\b",
                   r"\b\w+(?:ла|лся|лась)\s", r"\bпишу\b|\bжду\b|\bзвоню\b|\bплачу\b|\bхочу\b")


# polite closers of a question or request: not thanks for anything done
CLOSER = _rx(r"\bзаранее\s+(?:спасибо|благодар\w*)", r"\b(?:спасибо|благодарю)\s+заранее",
             r"\bбуду\s+(?:очень\s+)?благодар\w*(?:\s+за\s+(?:ответ|информацию|помощь|совет))?",
             r"\b(?:спасибо|благодарю)\s+за\s+(?:ответ|информацию|помощь|совет)\w*")


_NOISE = re.compile(r"#\S+|@\S+|[^\w\s.,!?:;«»\"'()%№/—-]")
# rhetorical openers that ask nothing ("Честно? ...", "Ребят, кто сталкивался? <complaint>" is handled by evidence)
RHETORICAL = _rx(r"\bчестно\?")
# a closing line of bare thanks or respect ("... Спасибо!", "... Респект."): thanks only for something done
CLOSING_THANKS = _rx(r"(?:^|[.!?,]\s*)(?:спасибо|респект|благодарю)\s*[.!)]*\s*$")


@functools.lru_cache(maxsize=TEXT_CACHE)
def _clean(text: str) -> str:
    """Lower-cased text without hashtags, handles, emoji, rhetorical openers and polite closers."""
    s = _NOISE.sub(" ", _surface(text))
    s = NEGATED_PROBLEM.sub(" ", RHETORICAL.sub(" ", s))
    return re.sub(r"\s+", " ", CLOSER.sub(" ", s)).strip()


@functools.lru_cache(maxsize=TEXT_CACHE)
def is_resolved(text: str) -> bool:
    """The post reports the problem fixed ("проблема устранена", "всё починили", "снова работает")."""
    s = _surface(text)
    return bool(RESOLVED.search(s)) and not RESOLVED_NOT.search(s)


@functools.lru_cache(maxsize=TEXT_CACHE)
def is_news(text: str) -> bool:
    """A third-person report about the brand (press release, news item, analysts), not the author's own case."""
    s = _surface(text)
    return bool(NEWS.search(s)) and not FIRST_PERSON.search(s) and "?" not in s


@functools.lru_cache(maxsize=TEXT_CACHE)
def _problem_votes(s: str) -> float:
    return float(sum(weight * min(len(rx.findall(s)), 3) ** 0.5 for weight, rx in PROBLEM if rx.search(s)))


def intent_scores(text: str, sentiment: Mapping[str, float] | None = None) -> dict[str, float]:
    """Cue strengths per intent (not probabilities): what ``classify_intent`` decides from."""
    s = _clean(text)
    found = signals(text)
    strong = sum(1 for code in found if code in STRONG or code in ("threat_to_leave", "legal_threat"))
    neg = float(sentiment.get("negative", 0.0)) if sentiment else 0.0
    weight = 1.0 if not is_hypothetical(text) else 0.3  # "это правда вы или мошенники?" asks, reports nothing
    problem = _problem_votes(s) + 3.0 * weight * min(strong, 2) ** 0.5 + (1.5 * neg if neg >= 0.5 else 0.0)
    return {
        "problem": problem,
        "question": 2.0 * len(QUESTION_CUE.findall(s)) ** 0.5 if QUESTION_CUE.search(s) else 0.0,
        "idea": 3.0 if IDEA.search(s) and not IDEA_NOT.search(s) else 0.0,
        "thanks": 3.0 if THANKS.search(s) else 0.0,
        "other": 0.0,
    }


IRONY_EVIDENCE = 3.0  # complaint evidence that makes praise beside it ironic


@functools.lru_cache(maxsize=TEXT_CACHE)
def thanked_for_trouble(text: str) -> bool:
    """The post praises or thanks the brand for the trouble itself ("Спасибо за связь, которой нет",
    "Отличный сервис, особенно когда интернет пропадает", "Гениально! Списали 399 за подписку, которую я не
    подключал"): praise or thanks with an ironic frame, or with a sarcasm cue ("гениально", "обожаю") beside
    complaint evidence that no deed named beside it outweighs. Not a report of a fix, not a news item. Stricter
    than intent's sarcasm test: plain thanks beside trouble ("Молодцы: отключили услугу за минуту, без звонков")
    is left alone, because sentiment toward the brand is turned by it (``classifier.structure``)."""
    s = _clean(text)
    if not (THANKS.search(s) or PRAISE.search(s)) or is_news(text) or is_resolved(text):
        return False
    if IRONY_FRAME.search(s):
        return True
    return bool(SARCASM.search(s)) and intent_scores(text)["problem"] >= IRONY_EVIDENCE and not THANKS_FOR.search(s)


PROBLEM_MIN = 2.0  # complaint evidence needed for "problem" when no other intent is cued
QUESTION_PROBLEM = 5  # complaint evidence that makes a question a problem report ("почему ... без предупреждения?")


def classify_intent(text: str, sentiment: Mapping[str, float] | None = None,
                    target: tuple[int, int] | None = None) -> str:
    """One of problem, question, idea, thanks, other (see the module docstring for the order of decisions).

    ``sentiment`` (model scores, optional) adds the model's negativity to the complaint evidence; ``target``
    (the brand's span, optional): a brand the author is switching *to* ("ухожу к МТС") gets "other"."""
    if is_switch_target(text, target):
        return "other"
    s = _clean(text)
    scores = intent_scores(text, sentiment)
    closing = CLOSING_THANKS.search(s)
    if closing:  # a bare "Спасибо!" after praise or an opinion thanks nobody for anything done
        s = s[:closing.start()].strip()
    thanks = bool(THANKS.search(s)) or bool(closing and THANKS_FOR.search(s) and not scores["question"])
    if is_news(text):
        return "other"
    if is_resolved(text):
        return "thanks" if thanks else "other"
    problem = scores["problem"]
    # ironic praise: an ironic frame; a sarcasm cue that is also a praise word ("обожаю") beside some complaint
    # evidence (alone it is earnest: "Обожаю МТС, связь везде"); or enough evidence that no deed outweighs
    if (thanks or PRAISE.search(s)) and (IRONY_FRAME.search(s) or (SARCASM.search(s) and problem >= 1.0)
                                         or (problem >= 3.0 and not THANKS_FOR.search(s))):
        return "problem"
    if thanks:
        return "thanks"
    if scores["idea"] > 0 and problem < 6.0:
        return "idea"
    if scores["question"] > 0:
        if (OWN_FAILURE_QUESTION.search(s) or problem >= QUESTION_PROBLEM
                or (REMEDIAL_QUESTION.search(s) and not CONDITIONAL.search(s))):
            return "problem"
        return "question"
    return "problem" if problem >= PROBLEM_MIN else "other"
