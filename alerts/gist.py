"""The gist of a post for a topic title: its most informative clause, without filler openers.

"Третий день мучаюсь. Добрый день! Билайн, у меня нет связи с утра, помогите!" -> "У меня нет связи с утра".
Sentences (and, in long ones, clauses) are scored by their content words, with a bonus for the words of a
concrete problem (не работает, списали, заблокировали, нет связи, ошибка, цифры); greetings, pleas, emotions and
channel prefixes ("Пишет подписчик:") score nothing. The best one wins (ties: the earliest), shortened at a word
boundary with an ellipsis.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from alerts.text import normalise, words

_URL = re.compile(r"https?://\S+|www\.\S+")
_HASHTAG = re.compile(r"(?<!\w)#[\w-]+")
_EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\ufe0f\u200d]")
_SENTENCE = re.compile(r"(?<=[.!?…])\s+|\n+")
_CLAUSE = re.compile(r"\s*(?:;|\s[—–-]\s|:\s|,\s+(?=(?:но|а|и|потому|так\s+как|хотя)\s))\s*")

# Whole sentences that carry no information about the problem.
FILLER = re.compile(
    r"^(?:"
    r"(?:всем\s+)?(?:добр\w+\s+(?:день|утро|вечер|ночи|времени\s+суток)|здравствуйте|здрасьте|привет\w*|"
    r"доброго\s+времени\s+суток|салют|хай|алло)(?:\s+(?:всем|ребята|друзья|коллеги))?"
    r"|доброе\s+утро,?\s+называется"
    r"|уважаем\w+(?:\s+\w+){0,3}"
    r"|(?:люди|ребят\w*|народ|друзья|коллеги|товарищи|слушайте|короче|итак|кстати|вопрос\s+знатокам)"
    r"|(?:люди|ребят\w*|народ|друзья)?,?\s*(?:помогите|выручайте|подскажите|караул|спасите)(?:\s+пожалуйста)?"
    r"|(?:пожалуйста\s+)?помогите(?:\s+\w+)?(?:\s+пожалуйста)?"
    r"|(?:\w+\s+)?(?:день|дня|дней|неделю|недели|месяц|час\w*)\s+(?:уже\s+)?(?:мучаюсь|мучаемся|страдаю|бьюсь|воюю|жду)"
    r"|(?:уже\s+)?(?:второй|третий|четвертый|пятый|который|целый)\s+\w+\s+(?:мучаюсь|мучаемся|страдаю|бьюсь|воюю|жду)"
    r"|(?:это\s+)?(?:вообще\s+)?нормально|что\s+происходит|что\s+за\s+(?:дела|бардак|беспредел)|сколько\s+можно"
    r"|у\s+всех\s+так|кто\s+сталкивался|ну\s+вс[её],?\s+приехали|приехали|нет\s+слов|я\s+в\s+шоке|в\s+шоке"
    r"|(?:это\s+)?(?:просто\s+)?(?:ужас\w*|кошмар\w*|позор\w*|жесть|беспредел|безобразие|издевательство)"
    r"|пишу\s+(?:уже\s+)?(?:от|из)\s+(?:безысходности|отчаяния)|пишу\s+по\s+поводу\s+обращения"
    r"|хочу\s+(?:оставить|написать)\s+отзыв(?:\s+о\s+ситуации)?|хочу\s+сказать\s+пару\s+слов|честно"
    r"|редко\s+пишу\s+отзывы|(?:заранее\s+)?спасибо(?:\s+заранее)?|благодарю|жду\s+ответа|прошу\s+разобраться"
    r"|пишет\s+подписчик|подписчик\s+пишет|из\s+предложки|жалоба\s+читателя|копирую\s+с\s+чужой\s+стены"
    r"|\+1|(?:\+1,?\s+)?у\s+меня\s+то\s+же\s+самое|срочно|ау|эй"
    r")[\s.!?…,:;)(]*$",
    re.IGNORECASE,
)
# Leading words that address someone rather than say something ("Люди, ", "Подскажите, ", "Пишет подписчик: ").
_LEADING = re.compile(
    r"^(?:(?:люди|ребят\w*|народ|друзья|коллеги|слушайте|короче|итак|кстати|вопрос\s+знатокам|"
    r"подскажите(?:\s+пожалуйста)?|помогите(?:\s+пожалуйста)?|"
    r"пишет\s+подписчик|подписчик\s+пишет|из\s+предложки|жалоба\s+читателя|копирую\s+с\s+чужой\s+стены|репост|"
    r"\+1|у\s+меня\s+то\s+же\s+самое|добр\w+\s+(?:день|утро|вечер)|здравствуйте|привет\w*)"
    r"\s*[,:!.]+\s*)+",
    re.IGNORECASE,
)
_PROBLEM = re.compile(
    r"\bне\s+(?:работа|прох|приход|открыва|загружа|могу|может|выда|верну|зачисл|отвеча|лов|дозвон|пуска)|"
    r"\bнет\s+(?:связи|сети|интернета|денег|доступа|ответа)|списа|снял|заблокир|заморо|ошибк|сбо[йяи]|"
    r"лежит|упал|пропал|исчез|зависл|мошенн|украл|взлом|верните|дважды|вылета|отключ",
    re.IGNORECASE,
)
# Words that count for nothing when scoring (emotion, address, politeness).
_EMPTY = frozenset(
    """
    люди ребята ребят народ друзья коллеги помогите подскажите пожалуйста спасибо заранее здравствуйте привет
    добрый доброе день утро вечер мучаюсь ужас кошмар позор жесть блин вообще нормально происходит слушайте
    короче честно называется приехали безысходности отчаяния сталкивался уважаемые представители
    """.split()
)


def _clean(text: str) -> str:
    text = _URL.sub(" ", text)
    text = _HASHTAG.sub(" ", text)
    text = _EMOJI.sub(" ", text)
    text = re.sub(r"[ \t]+", " ", text)
    return text.strip()


_ABBREVIATION = re.compile(r"(?:\b(?:руб|р|тыс|млн|млрд|коп|г|гг|ул|д|кв|см|мин|сек|ч|т\.е|т\.к|т\.п|др|пр)\.)$",
                           re.IGNORECASE)


def _sentences(text: str) -> list[str]:
    """Sentences; a split after an abbreviation ("499 руб. в Райфе") is undone when the next word is lower case."""
    out: list[str] = []
    for part in _SENTENCE.split(text):
        if out and _ABBREVIATION.search(out[-1]) and part[:1].islower():
            out[-1] = f"{out[-1]} {part}"
        else:
            out.append(part)
    return out


def _pieces(text: str) -> list[str]:
    """Sentences, and the clauses of sentences longer than ~12 words."""
    out: list[str] = []
    for sentence in _sentences(text):
        sentence = sentence.strip(" ,;:-—")
        if not sentence:
            continue
        if len(sentence.split()) > 12:
            clauses = [c.strip(" ,;:-—") for c in _CLAUSE.split(sentence) if c and c.strip(" ,;:-—")]
            out.extend(clauses if len(clauses) > 1 else [sentence])
        else:
            out.append(sentence)
    return out


def _strip_address(piece: str, names: Iterable[str]) -> str:
    """Drop a leading vocative ("Люди, ", "Билайн, ", "@beeline ") from a piece."""
    previous = None
    while previous != piece:
        previous = piece
        piece = _LEADING.sub("", piece).strip()
        for name in names:
            if name and normalise(piece).startswith(normalise(name)):
                rest = piece[len(name):]
                if re.match(r"^\s*[,:!]", rest):
                    piece = rest.lstrip(" ,:!").strip()
        piece = re.sub(r"^@\w+[,:]?\s+", "", piece)
    return piece


def informativeness(piece: str) -> float:
    """Content words (emotion and politeness left out), plus a bonus for a concrete problem."""
    if FILLER.match(piece.strip()):
        return 0.0
    content = [w for w in words(piece) if w not in _EMPTY]
    score = float(len(content))
    if _PROBLEM.search(piece):
        score += 3.0
    if re.search(r"\d", piece):
        score += 0.5
    return score


def shorten(text: str, limit: int) -> str:
    """``text`` cut at a word boundary to at most ``limit`` characters, with an ellipsis when cut."""
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = text[: max(1, limit - 1)]
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,.;:-—!?") + "…"


def gist(text: str, limit: int = 80, names: Iterable[str] = ()) -> str:
    """The most informative clause of ``text`` (filler openers skipped), at most ``limit`` characters.

    ``names``: the brand's name and aliases, dropped when the clause starts by addressing the brand.
    Returns "" when nothing informative is left.
    """
    names = sorted({n for n in names if n}, key=len, reverse=True)
    best, best_score = "", 0.0
    for piece in _pieces(_clean(text)):
        piece = _strip_address(piece, names)
        if not piece:
            continue
        score = informativeness(piece)
        if score > best_score:
            best, best_score = piece, score
    if not best:
        return ""
    best = best.rstrip(" .,;:-—")
    first_word = best.split(" ", 1)[0]
    if first_word.islower():  # "нет связи" -> "Нет связи", but "eSIM" and "iPhone" stay as written
        best = best[0].upper() + best[1:]
    return shorten(best, limit)
