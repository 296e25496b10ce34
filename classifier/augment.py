"""Synthetic training posts that teach *which brand* a feeling is about (written for Molva, not taken
from any corpus): two brands with opposite feelings (contrast, comparison, switching), negation, sarcasm,
emoji-only feelings, and neutral mentions, with brand names inflected and swapped. Every post yields
one example per brand, with that brand as the target and the other marked as another brand.

Also ``brand_swaps``: training texts with the target mention replaced by another brand of the same
domain (labels kept; the teacher's soft labels on these are used for distillation).
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from classifier.arch import DOMAINS, LABELS
from classifier.data import Example

NEG, NEU, POS = (LABELS.index(x) for x in ("negative", "neutral", "positive"))

# name forms: nominative, genitive, dative, accusative, instrumental, prepositional
BRANDS: dict[str, list[tuple[str, str, str, str, str, str]]] = {
    "banks": [
        ("Сбербанк", "Сбербанка", "Сбербанку", "Сбербанк", "Сбербанком", "Сбербанке"),
        ("Сбер", "Сбера", "Сберу", "Сбер", "Сбером", "Сбере"),
        ("сбер", "сбера", "сберу", "сбер", "сбером", "сбере"),
        ("ВТБ", "ВТБ", "ВТБ", "ВТБ", "ВТБ", "ВТБ"),
        ("втб24", "втб24", "втб24", "втб24", "втб24", "втб24"),
        ("Альфа-Банк", "Альфа-Банка", "Альфа-Банку", "Альфа-Банк", "Альфа-Банком", "Альфа-Банке"),
        ("Альфа", "Альфы", "Альфе", "Альфу", "Альфой", "Альфе"),
        ("Тинькофф", "Тинькофф", "Тинькофф", "Тинькофф", "Тинькофф", "Тинькофф"),
        ("тинек", "тинька", "тиньку", "тинек", "тиньком", "тиньке"),
        ("Райффайзен", "Райффайзена", "Райффайзену", "Райффайзен", "Райффайзеном", "Райффайзене"),
        ("Газпромбанк", "Газпромбанка", "Газпромбанку", "Газпромбанк", "Газпромбанком", "Газпромбанке"),
        ("Россельхозбанк", "Россельхозбанка", "Россельхозбанку", "Россельхозбанк", "Россельхозбанком",
         "Россельхозбанке"),
        ("Уралсиб", "Уралсиба", "Уралсибу", "Уралсиб", "Уралсибом", "Уралсибе"),
        ("Открытие", "Открытия", "Открытию", "Открытие", "Открытием", "Открытии"),
        ("Совкомбанк", "Совкомбанка", "Совкомбанку", "Совкомбанк", "Совкомбанком", "Совкомбанке"),
        ("Почта Банк", "Почта Банка", "Почта Банку", "Почта Банк", "Почта Банком", "Почта Банке"),
    ],
    "telecom": [
        ("МТС", "МТС", "МТС", "МТС", "МТС", "МТС"),
        ("мтс", "мтс", "мтс", "мтс", "мтс", "мтс"),
        ("Билайн", "Билайна", "Билайну", "Билайн", "Билайном", "Билайне"),
        ("билайн", "билайна", "билайну", "билайн", "билайном", "билайне"),
        ("Мегафон", "Мегафона", "Мегафону", "Мегафон", "Мегафоном", "Мегафоне"),
        ("МегаФон", "МегаФона", "МегаФону", "МегаФон", "МегаФоном", "МегаФоне"),
        ("Теле2", "Теле2", "Теле2", "Теле2", "Теле2", "Теле2"),
        ("Tele2", "Tele2", "Tele2", "Tele2", "Tele2", "Tele2"),
        ("Ростелеком", "Ростелекома", "Ростелекому", "Ростелеком", "Ростелекомом", "Ростелекоме"),
        ("Йота", "Йоты", "Йоте", "Йоту", "Йотой", "Йоте"),
        ("Yota", "Yota", "Yota", "Yota", "Yota", "Yota"),
        ("Дом.ру", "Дом.ру", "Дом.ру", "Дом.ру", "Дом.ру", "Дом.ру"),
    ],
}
CASES = {"nom": 0, "gen": 1, "dat": 2, "acc": 3, "ins": 4, "pre": 5}

# feelings as predicates after a nominative brand ("{A} ...")
PRED: dict[str, dict[int, list[str]]] = {
    "banks": {
        NEG: ["опять заблокировал карту без причины", "списал комиссию из ниоткуда", "третий день не может "
              "перевести деньги", "завис с приложением прямо на кассе", "навязал страховку к кредиту",
              "держит в очереди по часу", "потерял мой платёж", "поднял ставки и молчит",
              "снова лежит, ни оплатить, ни перевести", "хамит в поддержке"],
        POS: ["одобрил ипотеку за день", "вернул деньги за минуту", "сделал отличное приложение",
              "дал нормальный кэшбэк", "решил вопрос за пять минут в чате", "перевёл без всяких комиссий",
              "работает как часы", "выпустил карту за полчаса", "поддержка просто супер",
              "поднял проценты по вкладу"],
    },
    "telecom": {
        NEG: ["опять без связи", "не ловит даже в центре", "списал деньги за подписку, которую я не "
              "подключал", "интернет еле грузит", "снова поднял тариф", "третий день без интернета",
              "роуминг стоит как крыло самолёта", "обрывает звонки", "поддержка не отвечает второй час",
              "в метро вообще не работает"],
        POS: ["ловит везде, даже на даче", "интернет летает", "вернул деньги за ошибочное списание",
              "сделал отличный тариф", "поддержка ответила за минуту", "в роуминге работает без проблем",
              "4G даже в метро", "связь стабильная уже год", "дал бонусы просто так",
              "быстро перенёс номер"],
    },
}
EMO_NEG = ["👎", "😡", "🤬", "💩", "😤", "🙄"]
EMO_POS = ["👍", "😍", "🔥", "❤️", "👌", "🥰"]


def _form(name: tuple[str, ...], case: str) -> str:
    return name[CASES[case]]


def _templates() -> list[tuple[str, int, int]]:
    """(template, label of A, label of B). Slots: {A:case}, {B:case}, {negA} {posB} ... predicates."""
    return [
        ("{A:nom} {negA}, а у {B:gen} всё нормально", NEG, POS),
        ("{A:nom} {negA}, а {B:nom} {posB}", NEG, POS),
        ("{A:nom} {posA}, а {B:nom} {negB}", POS, NEG),
        ("{A:nom} {negA}. {B:nom} {posB}", NEG, POS),
        ("{A:nom} {posA}. Зато {B:nom} {negB}", POS, NEG),
        ("Ушёл из {A:gen} в {B:acc} и ни разу не пожалел", NEG, POS),
        ("Перешла от {A:gen} к {B:dat}, наконец-то всё работает", NEG, POS),
        ("Вернулся в {A:acc} из {B:gen}: там {negB_plain}", POS, NEG),
        ("{B:nom} {posB}, не то что {A:nom}", NEG, POS),
        ("В отличие от {A:gen}, {B:nom} {posB}", NEG, POS),
        ("{A:nom} лучше {B:gen} во всём", POS, NEG),
        ("{A:nom} в разы хуже {B:gen}", NEG, POS),
        ("Сравнил {A:acc} и {B:acc}: {A:nom} {posA}, {B:nom} {negB}", POS, NEG),
        ("С {A:ins} никаких проблем, а {B:nom} {negB}", POS, NEG),
        ("{A:nom} ни разу не подвёл, в отличие от {B:gen}", POS, NEG),
        ("Ни одной претензии к {A:dat}. А вот {B:nom} {negB}", POS, NEG),
        ("{A:nom} никогда не разочаровывает, {B:nom} разочаровывает постоянно", POS, NEG),
        ("Не понимаю, кто хвалит {A:acc}: {negA}. {B:nom} хотя бы {posB}", NEG, POS),
        ("Ну спасибо, {A:nom}, {negA} 🙃 А {B:nom} {posB}", NEG, POS),
        ("Браво, {A:nom}! {negA_cap} уже третий день 👏 Хорошо хоть {B:nom} {posB}", NEG, POS),
        ("Отличный сервис у {A:gen}: {negA} 🙂 Ухожу в {B:acc}", NEG, POS),
        ("Какой же {A:nom} молодец, {negA}))) {B:nom}, забирай меня", NEG, POS),
        ("{A:nom} {e_negA} {B:nom} {e_posB}", NEG, POS),
        ("{A:nom} {e_posA} {B:nom} {e_negB}", POS, NEG),
        ("{A:nom} — {e_negA}, {B:nom} — {e_posB}", NEG, POS),
        ("{A:nom} {e_posA}, {B:nom} {e_negB}", POS, NEG),
        ("Раньше думал, что {A:nom} лучше {B:gen}. Ошибался: {A:nom} {negA}", NEG, POS),
        ("{A:nom} vs {B:nom}: у {A:gen} {negA_plain}, у {B:gen} {posB_plain}", NEG, POS),
        ("Кто посоветует, {A:nom} или {B:nom}?", NEU, NEU),
        ("Сегодня {A:nom} и {B:nom} объявили о новых тарифах", NEU, NEU),
        ("{A:nom} {posA}. Кстати, офис {B:gen} переехал", POS, NEU),
        ("{A:nom} {negA}. Пишу с телефона, там {B:nom}", NEG, NEU),
        ("Не {A:nom}, а {B:nom} {posB}", NEU, POS),
        ("Зря я ушёл из {A:gen} в {B:acc}", POS, NEG),
        ("Из {B:gen} меня выжили, в {A:pre} хоть относятся по-человечески", POS, NEG),
        ("Спасибо {A:dat} за то, что {posA}. {B:nom}, учитесь", POS, NEG),
        ("Спасибо {A:dat} за то, что {negA} 🙃 {B:nom} такого себе не позволяет", NEG, POS),
    ]


def _pred(domain: str, label: int, rng: random.Random) -> str:
    return rng.choice(PRED[domain][label])


def synthetic_examples(n_posts: int = 3000, seed: int = 29) -> list[Example]:
    """``n_posts`` generated posts (two examples each), both SentiRuEval domains."""
    rng = random.Random(seed)
    templates = _templates()
    out: list[Example] = []
    for k in range(n_posts):
        domain = ("banks", "telecom")[k % 2]
        tpl, la, lb = rng.choice(templates)
        a, b = rng.sample(BRANDS[domain], 2)
        while a[0].lower()[:3] == b[0].lower()[:3]:
            a, b = rng.sample(BRANDS[domain], 2)
        if rng.random() < 0.5 and "{A:nom} {" in tpl:  # swap roles of the two sentences' brands
            pass
        values = {
            "negA": _pred(domain, NEG, rng), "posA": _pred(domain, POS, rng),
            "negB": _pred(domain, NEG, rng), "posB": _pred(domain, POS, rng),
            "e_negA": "".join(rng.choice(EMO_NEG) for _ in range(rng.randint(1, 3))),
            "e_posA": "".join(rng.choice(EMO_POS) for _ in range(rng.randint(1, 3))),
            "e_negB": "".join(rng.choice(EMO_NEG) for _ in range(rng.randint(1, 3))),
            "e_posB": "".join(rng.choice(EMO_POS) for _ in range(rng.randint(1, 3))),
        }
        values["negA_cap"] = values["negA"][:1].upper() + values["negA"][1:]
        values["negA_plain"] = values["negA"]
        values["negB_plain"] = values["negB"]
        values["posB_plain"] = values["posB"]
        text, spans_a, spans_b = _fill(tpl, a, b, values)
        if rng.random() < 0.3:
            text = text.lower() if rng.random() < 0.5 else text + rng.choice([" #бесит", " !!!", " ((", " )))"])
        dom = DOMAINS.index(domain)
        out.append(Example(text, tuple(spans_a), tuple(spans_b), dom, la))
        out.append(Example(text, tuple(spans_b), tuple(spans_a), dom, lb))
    return out


def _fill(tpl: str, a: tuple[str, ...], b: tuple[str, ...], values: dict[str, str]
          ) -> tuple[str, list[tuple[int, int]], list[tuple[int, int]]]:
    out: list[str] = []
    spans: dict[str, list[tuple[int, int]]] = {"A": [], "B": []}
    pos = 0
    i = 0
    while i < len(tpl):
        if tpl[i] == "{":
            j = tpl.index("}", i)
            key = tpl[i + 1:j]
            if ":" in key:
                who, case = key.split(":")
                word = _form(a if who == "A" else b, case)
                spans[who].append((pos, pos + len(word)))
            else:
                word = values[key]
            out.append(word)
            pos += len(word)
            i = j + 1
        else:
            out.append(tpl[i])
            pos += 1
            i += 1
    return "".join(out), spans["A"], spans["B"]


def brand_swaps(examples: Sequence[Example], seed: int = 31, limit: int | None = None) -> list[Example]:
    """Copies of SentiRuEval examples with each target mention replaced by another brand of the domain
    (nominative form; label kept). Only examples whose target mentions were found."""
    rng = random.Random(seed)
    out: list[Example] = []
    for e in examples:
        if e.domain > 1 or not e.target:
            continue
        names = BRANDS[DOMAINS[e.domain]]
        name = rng.choice(names)[0]
        text, pos, new_spans = [], 0, []
        for s, t in sorted(e.target):
            if s < pos:
                continue
            text.append(e.text[pos:s])
            start = sum(len(x) for x in text)
            text.append(name)
            new_spans.append((start, start + len(name)))
            pos = t
        text.append(e.text[pos:])
        new_text = "".join(text)
        delta_map = _shift_map(e.target, name)
        others = tuple((delta_map(s), delta_map(t)) for s, t in e.others)
        out.append(Example(new_text, tuple(new_spans), others, e.domain, e.label))
        if limit is not None and len(out) >= limit:
            break
    return out


def _shift_map(target: Sequence[tuple[int, int]], name: str):  # type: ignore[no-untyped-def]
    """Position in the old text -> position in the new (for spans outside the replaced mentions)."""
    spans = sorted(target)

    def f(x: int) -> int:
        d = 0
        for s, t in spans:
            if t <= x:
                d += len(name) - (t - s)
        return x + d

    return f
