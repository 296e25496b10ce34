"""Synthetic Russian posts: categories with ground truth and templated, varied texts.

Every text is assembled from Molva's own fragments (opener + core + detail + closer) with slots for
the brand (in the right grammatical case, or a slang/Latin alias from the catalog), amounts, cities,
products, times, hashtags and emojis. ``compose`` returns the text together with its truth.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from simulator import vocab
from simulator.brands import SimBrand


@dataclass(frozen=True)
class Category:
    name: str
    sentiment: str  # negative | neutral | positive
    intent: str  # problem | question | idea | thanks | other
    urgent: bool
    weight: float  # relative frequency among branded user posts


CATEGORIES: dict[str, Category] = {c.name: c for c in (
    Category("card_blocked", "negative", "problem", True, 2.5),
    Category("double_charge", "negative", "problem", True, 2.5),
    Category("fraud", "negative", "problem", True, 2.0),
    Category("switch_threat", "negative", "problem", True, 1.5),
    Category("total_outage", "negative", "problem", True, 1.5),
    Category("app_down", "negative", "problem", False, 8.0),
    Category("service_issue", "negative", "problem", False, 8.0),
    Category("rude_support", "negative", "problem", False, 6.0),
    Category("fees", "negative", "problem", False, 7.0),
    Category("question", "neutral", "question", False, 18.0),
    Category("praise", "positive", "other", False, 10.0),
    Category("thanks", "positive", "thanks", False, 8.0),
    Category("idea", "neutral", "idea", False, 6.0),
    Category("opinion", "neutral", "other", False, 5.0),
)}
SPIKE = Category("spike_outage", "negative", "problem", True, 0.0)
NOISE = Category("noise", "neutral", "other", False, 0.0)


@dataclass(frozen=True)
class Text:
    text: str
    title: str
    category: Category
    brands: tuple[str, ...]  # display names mentioned; first is the truth brand


OPENERS_NEG = ("", "", "Люди, ", "Это вообще нормально? ", "Третий день мучаюсь. ", "Доброе утро, называется. ",
               "Слушайте, ", "Ну всё, приехали. ", "Ребят, кто сталкивался? ", "Пишу уже от безысходности. ")
OPENERS_NEU = ("", "", "Подскажите, ", "Вопрос знатокам: ", "Добрый день! ", "Всем привет. ", "Коллеги, ")
OPENERS_POS = ("", "", "Хочу сказать пару слов. ", "Редко пишу отзывы, но ", "Приятно удивлён: ", "Честно? ")
FORMAL_OPEN = ("Добрый день.", "Здравствуйте!", "Уважаемые представители банка!", "Добрый вечер.",
               "Хочу оставить отзыв о ситуации.", "Пишу по поводу обращения.")

CORES: dict[str, tuple[str, ...]] = {
    "card_blocked": (
        "{Bi} заблокировали {thing_acc} без объяснений, на ней {amount}, а мне платить за квартиру",
        "{B} опять заблокировал {thing_acc} прямо на кассе, стою с продуктами как дурак",
        "в {Bp} заморозили мою {thing_acc} и требуют прийти в {place} с паспортом, а я в командировке в {city_p}",
        "{thing} от {Bg} заблокирована {days}-й день, деньги на счёте недоступны, зарплата зависла",
        "{Bg} служба безопасности заблокировала {thing_acc} после перевода {amount} маме",
    ),
    "double_charge": (
        "{B} списал {amount} два раза за одну покупку, возврата нет уже {days} дня",
        "двойное списание {amount} в {Bp}, в чате поддержки отвечают шаблонами",
        "{Bg} приложение сняло деньги дважды: {amount} и ещё раз {amount}. Где мои деньги?",
        "с меня дважды списали {amount} за {paid}, {B} говорит ждать 30 дней",
        "пропали {amount} после перевода через {Ba}, получатель ничего не получил",
    ),
    "fraud": (
        "звонили якобы из {Bg}, знали моё ФИО и последние цифры карты {last4}, увели {amount}",
        "мошенники от имени {Bg} оформили на меня кредит на {amount}, в {place_p} разводят руками",
        "через {Ba} у меня украли {amount}, я ничего не подтверждал, код не вводил",
        "пришло смс от «{Bg}» со ссылкой, после этого со счёта ушло {amount}. Это утечка?",
    ),
    "switch_threat": (
        "если {B} не вернёт мои {amount} до пятницы, закрываю все счета и ухожу в {competitor}",
        "всё, {B}, до свидания. Ухожу в {competitor}, надоело",
        "последний раз пишу: не решите вопрос — пишу жалобу в ЦБ и в прокуратуру, {B} доигрался",
        "{B}, готовлю заявление в Роспотребнадзор и ухожу к {competitor_d}, терпение кончилось",
    ),
    "total_outage": (
        "{B} лежит полностью: ни {app}, ни {service}, ни горячая линия. С утра без денег и связи",
        "у {Bg} глобальный сбой, в {city_p} вообще ничего не работает уже {hours} часа",
        "{B} упал целиком, {service} не работает, {app} не открывается, дозвониться невозможно",
    ),
    "app_down": (
        "{app} {Bg} снова не открывается, крутится загрузка и вылетает",
        "после обновления {app} {Bg} не пускает, пишет «технические работы» с {time}",
        "{B}, почините уже {app}, {service} висит на последнем шаге",
        "в {app} {Bg} пропала история операций, а {service} выдаёт ошибку",
        "не могу войти в {app} {Bg}, код из смс не приходит",
    ),
    "service_issue": (
        "{service} от {Bg} тормозит весь вечер, страницы грузятся по минуте",
        "у {Bg} пропадает {service} каждый день с {time}, в {city_p} {district}",
        "{B} обещал подключить {offer} за день, прошла неделя, тишина",
        "нет сети {Bg} {district} в {city_p}, одна палка и та мигает",
        "{service} у {Bg} не работает третий день, заявка висит без движения",
    ),
    "rude_support": (
        "оператор {Bg} нахамил и бросил трубку, когда я спросил про {service}",
        "поддержка {Bg} — это боль: 40 минут на линии, потом «перезвоните позже»",
        "в {place_p} {Bg} ({city}) сотрудница закатывала глаза и отказалась помочь",
        "чат-бот {Bg} ходит по кругу, живого человека не допросишься",
    ),
    "fees": (
        "{B} молча подключил {paid} и списывает {amount} в месяц",
        "почему {B} поднял цену на {offer} без предупреждения? Было одно, стало {amount}",
        "в {Bp} навязали {paid}, отказаться можно только в {place_p}",
        "скрытые комиссии {Bg}: за {service} взяли {amount}, а в рекламе «бесплатно»",
    ),
    "question": (
        "как в {Bp} отключить {paid}? В {app} не нашёл",
        "кто-нибудь знает, {B} работает в выходные? ищу {place} в {city_p}",
        "сколько идёт {service} в {Bp}? Отправил вчера {amount}",
        "можно ли в {Bp} оформить {offer} пенсионеру? Что выгоднее сейчас?",
        "{B}, а {service} за границей будет работать?",
        "как перевыпустить {thing_acc} {Bg}, если старая истекает в этом месяце?",
    ),
    "praise": (
        "{B} приятно удивил: {service} — за пару секунд, всё чётко",
        "{app} {Bg} после обновления — огонь, наконец-то всё удобно",
        "перешёл в {Ba} полгода назад и ни разу не пожалел",
        "у {Bg} лучший {offer} из того, что я видел, рекомендую",
        "{B} сделал {service} без комиссии, вот это правильно",
    ),
    "thanks": (
        "спасибо {Bd} и лично специалисту по имени {name} — вопрос с {thing_ins} решили за 10 минут",
        "благодарю поддержку {Bg}: вернули {amount} за ошибочное списание без лишних вопросов",
        "огромное спасибо сотрудникам {Bg} в {place_p} ({city}) — помогли бабушке с {thing_ins}",
        "{B}, спасибо, что перезвонили сами и всё объяснили",
    ),
    "idea": (
        "{B}, добавьте в {app} тёмную тему и возможность скрыть баланс",
        "предложение для {Bg}: сделайте {service} по расписанию, очень не хватает",
        "было бы здорово, если бы {B} присылал уведомление перед списанием за {paid}",
        "идея для {Bg}: дайте возможность выбрать {offer} прямо в {app}",
    ),
    "opinion": (
        "сравнил {Ba} и {competitor}: по {offer} примерно одинаково, по {app} {B} удобнее",
        "пользуюсь {Bi} лет пять, бывало по-разному, сейчас вроде стабильно",
        "в {Bp} опять поменяли {app}, посмотрим, привыкну ли",
    ),
}

DETAILS_NEG = ("", "", " Номер обращения {order}.", " Звонил {n} раз.", " В чате отвечает бот.",
               " Сумма для меня немаленькая.", " {weekday} обещали решить — ничего.", " Жду ответа.")
CLOSERS_NEG = ("", "", " Позор!", " Верните деньги!", " Сколько можно?!", " Кто-нибудь, помогите.",
               " Очень разочарован.", " Дичь какая-то.", " Ужас.")
CLOSERS_POS = ("", "", " Так держать!", " Спасибо!", " Приятно.", " Рекомендую.", " Респект.")
CLOSERS_NEU = ("", "", " Заранее спасибо.", " Буду благодарна за ответ.", " Спасибо.", "")

NEWS_TITLES: tuple[tuple[str, str, str], ...] = (
    ("{B} запустил {offer} с повышенным кэшбэком", "positive", "{B} объявил о запуске: {offer} для новых клиентов, условия действуют до конца квартала."),
    ("{B} снизил стоимость {paid_gen_news}", "positive", "Изменения коснутся клиентов в {city_p} и других регионах."),
    ("Клиенты {Bg} пожаловались на сбой в приложении", "negative", "Пользователи сообщали, что {app} не открывается; в компании заявили, что проблема устранена."),
    ("{B} повысил тарифы с первого числа", "negative", "Абонентская плата за {offer} вырастет примерно на {pct}%. Клиенты недовольны."),
    ("{B} отчитался о результатах квартала", "neutral", "Число активных клиентов выросло на {pct}%, сообщается в пресс-релизе."),
    ("{B} открыл ещё одну точку обслуживания в {city_p}", "neutral", "Теперь жителям не нужно ехать в центр, чтобы оформить {offer}."),
    ("Эксперты сравнили {offer}: {B} в тройке лидеров", "positive", "В рейтинге учитывали цену, удобство {app_gen} и скорость поддержки."),
    ("Мошенники рассылают сообщения от имени {Bg}", "negative", "В {B} напомнили: сотрудники никогда не спрашивают коды из смс."),
)

OFFICIAL_POSTS: tuple[str, ...] = (
    "Обновили {app}: стало быстрее, а {service} теперь работает без задержек. Расскажите, как вам? 🙂",
    "Плановые работы {weekday} с 02:00 до 04:00, возможны перебои: {service}. Спасибо за понимание!",
    "Напоминаем: мы никогда не просим коды из смс. Если звонят «от {Bg}» — кладите трубку.",
    "Розыгрыш! Оставьте комментарий и выиграйте {offer} на особых условиях 🎁",
    "Уже можно оформить {offer} прямо в приложении. Подробности — в закреплённом посте.",
    "Открыли {place} в {city_p}. Ждём вас ежедневно с 9 до 21!",
    "Отвечаем на ваши вопросы про {service} — пишите в комментариях.",
)

REPLIES: tuple[str, ...] = (
    "{hello}, {user}! Нам очень жаль, что так вышло. Уточните, пожалуйста, номер телефона в личных сообщениях — разберёмся.",
    "{hello}! Передали ваше обращение специалистам, ответим в течение дня. {sign}",
    "{hello}, {user}. Проверили: операция отменена, деньги вернутся на счёт в течение 3 дней. {sign}",
    "{hello}! Спасибо, что написали. Напишите нам в чат поддержки, пришлём ссылку на решение. {sign}",
    "{hello}, {user}! Благодарим за отзыв, нам важно ваше мнение. {sign}",
    "{hello}! Сожалеем о неудобствах. Специалист свяжется с вами сегодня. {sign}",
)

SPIKE_CORES: tuple[str, ...] = (
    "{B} лежит? Нет связи и интернета в {city_p} с {time}",
    "{B} лежит?? нет связи, интернета тоже нет, {city}",
    "У {Bg} сбой? Нет связи с {time}, {city}",
    "{B} не работает, нет связи и интернета в {city_p} уже {hours} час",
)


def amount(rng: random.Random) -> str:
    value = rng.choice((350, 499, 890, 1200, 1500, 2300, 4999, 7800, 12000, 15000, 23500, 47000, 120000))
    style = rng.randrange(5)
    if style == 0:
        return f"{value:,}".replace(",", " ") + " ₽"
    if style == 1:
        return f"{value} руб."
    if style == 2 and value >= 1000 and value % 1000 == 0:
        return f"{value // 1000}к"
    if style == 3:
        return f"{value} р"
    return f"{value:,}".replace(",", " ") + " рублей"


def fill(template: str, rng: random.Random, brand: SimBrand | None, competitor: SimBrand | None) -> str:
    """Substitute every ``{slot}`` in a template with a random value for this brand's domain."""
    domain = brand.domain if brand is not None else "generic"
    words = vocab.PRODUCTS[domain]
    city, city_p = rng.choice(vocab.CITIES)

    def form(b: SimBrand | None, case: str) -> str:
        if b is None:
            return ""
        options = b.forms.get(case) or (b.name,)
        # Mostly the display name's form, sometimes an alias form (slang, Latin, abbreviation).
        return options[0] if rng.random() < 0.55 or len(options) == 1 else rng.choice(options[1:])

    values = {
        "B": form(brand, "nomn"), "Bg": form(brand, "gent"), "Bd": form(brand, "datv"),
        "Ba": form(brand, "accs"), "Bi": form(brand, "ablt"), "Bp": form(brand, "loct"),
        "competitor": form(competitor, "nomn") or rng.choice(words["elsewhere"]),
        "competitor_d": form(competitor, "datv") or "конкурентам",
        "city": city, "city_p": city_p, "city_gen": city_p,
        "district": rng.choice(vocab.DISTRICTS), "amount": amount(rng),
        "n": str(rng.randint(2, 12)), "days": str(rng.randint(2, 9)), "hours": str(rng.randint(2, 7)),
        "time": f"{rng.randint(6, 23):02d}:{rng.choice((0, 10, 15, 30, 40, 45)):02d}",
        "weekday": rng.choice(vocab.WEEKDAYS), "last4": f"{rng.randint(0, 9999):04d}",
        "order": f"№{rng.randint(1000000, 9999999)}", "pct": str(rng.randint(3, 25)),
        "name": rng.choice(vocab.FIRST_NAMES),
        "thing": rng.choice(words["thing"]), "thing_acc": rng.choice(words["thing_acc"]),
        "thing_ins": rng.choice(words["thing_ins"]),
        "service": rng.choice(words["service"]), "app": rng.choice(words["app"]),
        "app_gen": "приложения", "place": rng.choice(words["place"]), "place_p": rng.choice(words["place_p"]), "paid": rng.choice(words["paid"]),
        "paid_gen_news": "обслуживания", "offer": rng.choice(words["offer"]),
    }
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), template)


def _decorate(text: str, rng: random.Random, cat: Category, brand: SimBrand, casual: bool) -> str:
    if not casual:
        return text
    if rng.random() < 0.25:
        text = text.lower()
    pool = {"negative": vocab.EMOJI_NEG, "positive": vocab.EMOJI_POS}.get(cat.sentiment, vocab.EMOJI_NEU)
    if rng.random() < 0.4:
        text += " " + rng.choice(pool) * rng.randint(1, 3)
    if rng.random() < 0.2:
        tags = vocab.HASHTAGS_NEG if cat.sentiment == "negative" else vocab.HASHTAGS_POS
        text += " " + rng.choice(tags)
    if rng.random() < 0.12:
        text += f" #{brand.forms['nomn'][0].replace(' ', '').replace('-', '')}"
    return text


def compose(rng: random.Random, brand: SimBrand, cat: Category, competitor: SimBrand | None,
            formal: bool = False) -> Text:
    """One user post about ``brand`` in category ``cat``; ``formal`` gives review-style prose."""
    core = fill(rng.choice(CORES[cat.name]), rng, brand, competitor)
    if cat.sentiment == "negative":
        opener, detail, closer = rng.choice(OPENERS_NEG), rng.choice(DETAILS_NEG), rng.choice(CLOSERS_NEG)
    elif cat.sentiment == "positive":
        opener, detail, closer = rng.choice(OPENERS_POS), "", rng.choice(CLOSERS_POS)
    else:
        opener, detail, closer = rng.choice(OPENERS_NEU), "", rng.choice(CLOSERS_NEU)
    body = core[0].upper() + core[1:] if not opener or opener.endswith((". ", "? ", "! ", ": ")) else core
    text = f"{opener}{body}.".replace("?.", "?").replace("!.", "!") + fill(detail, rng, brand, None) + closer
    if formal:
        extra = fill(rng.choice(DETAILS_NEG[2:] if cat.sentiment == "negative" else CLOSERS_NEU[2:]), rng, brand, None)
        text = f"{rng.choice(FORMAL_OPEN)} {text}{extra}".replace("  ", " ")
    text = _decorate(text.strip(), rng, cat, brand, casual=not formal)
    title = _title(core)
    brands = (brand.name,) + ((competitor.name,) if competitor and competitor.name != brand.name
                              and any(f in text for f in competitor.forms["nomn"] + competitor.forms["datv"]) else ())
    return Text(text=text, title=title, category=cat, brands=brands)


def _title(core: str) -> str:
    words = core.split()
    title = " ".join(words[: min(len(words), 7)]).rstrip(",.:;")
    return title[0].upper() + title[1:]


def compose_spike(rng: random.Random, brand: SimBrand) -> Text:
    """A near-identical outage complaint for the negativity spike."""
    text = fill(rng.choice(SPIKE_CORES), rng, brand, None)
    text += rng.choice(("", "", " 😡", " !!!", " Что происходит?", " #нетсвязи", " У всех так?"))
    return Text(text=text, title=_title(text), category=SPIKE, brands=(brand.name,))


def compose_noise(rng: random.Random) -> Text:
    pool = vocab.NOISE_LOOKALIKES if rng.random() < 0.45 else vocab.NOISE_TOPICS
    text = fill(rng.choice(pool), rng, None, None)
    return Text(text=text, title=_title(text), category=NOISE, brands=())


def compose_news(rng: random.Random, brand: SimBrand) -> tuple[Text, str]:
    """A news item: (text with title, sentiment)."""
    title_t, sentiment, lead_t = rng.choice(NEWS_TITLES)
    title = fill(title_t, rng, brand, None)
    lead = f"{title}. " + fill(lead_t, rng, brand, None)
    cat = Category("news", sentiment, "other", False, 0.0)
    return Text(text=lead, title=title, category=cat, brands=(brand.name,)), sentiment


def compose_official(rng: random.Random, brand: SimBrand) -> Text:
    text = fill(rng.choice(OFFICIAL_POSTS), rng, brand, None)
    cat = Category("official", "neutral", "other", False, 0.0)
    return Text(text=text, title=_title(text), category=cat, brands=(brand.name,))


def compose_reply(rng: random.Random, brand: SimBrand, user: str) -> tuple[str, str]:
    """An official reply: (text, signing representative's name)."""
    rep = rng.choice(vocab.SUPPORT_NAMES)
    sign = rng.choice((f"{rep}, команда {brand.forms['gent'][0]}", f"С уважением, {rep}", f"— {rep}"))
    hello = rng.choice(("Здравствуйте", "Добрый день", "Привет", "Доброго времени суток"))
    text = rng.choice(REPLIES).format(hello=hello, user=user.split()[0], sign=sign)
    return text, rep


def near_duplicate(rng: random.Random, text: str) -> str:
    """A repost/copy of ``text`` with small edits (prefix, punctuation, trailing remark)."""
    prefix = rng.choice(("Репост: ", "+1, у меня то же самое. ", "Копирую с чужой стены: ", "", "Подписчик пишет: "))
    suffix = rng.choice(("", " (не моё, но актуально)", " Распространите!", "!!"))
    body = text.rstrip(".!") if rng.random() < 0.5 else text
    return f"{prefix}{body}{suffix}"
