"""The structural layer for two-brand posts (classifier.structure and the rule modules it puts together)."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest

from classifier.analyze import Stats, analyze_lines
from classifier.structure import adjust, with_label
from classifier.structure_rules import structural_label
from tests.classifier.brand_rules import per_brand, spans


def labels(catalog, text: str) -> dict[str, str | None]:  # type: ignore[no-untyped-def]
    return per_brand(catalog, text, structural_label)


@pytest.mark.parametrize("text, expected", [
    ("В прошлом месяце перешёл с МТС на Билайн, связь в метро наконец есть.",
     {"МТС": "negative", "Билайн": "positive"}),
    ("Перевела зарплатную карту из ВТБ в Альфа-Банк, пока всё нравится.",
     {"ВТБ": "negative", "Альфа-Банк": "positive"}),
    ("Сменил Мегафон на Теле2 и плачу вдвое меньше.", {"МегаФон": "negative", "Tele2": "positive"}),
    ("Сбежали от Ростелекома к Дом.ру всем подъездом.", {"Ростелеком": "negative", "Дом.ру": "positive"}),
    ("Променял Сбер на Альфу, доволен.", {"Сбербанк": "negative", "Альфа-Банк": "positive"}),
    ("Вернулась в Сбер после полугода в ВТБ. Дома лучше", {"Сбербанк": "positive", "ВТБ": "negative"}),
])
def test_switch_from_negative_to_positive(catalog, text: str, expected: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    assert labels(catalog, text) == expected


@pytest.mark.parametrize("text, expected", [
    ("Кредитка в Сбере выгоднее, чем в ВТБ.", {"Сбербанк": "positive", "ВТБ": "negative"}),
    ("Мегафон стабильнее МТС на даче.", {"МегаФон": "positive", "МТС": "negative"}),
    ("Обслуживание в Альфа-Банке хуже, чем у Т-Банка.", {"Альфа-Банк": "negative", "Т-Банк": "positive"}),
    ("По сравнению с Билайном тарифы Теле2 дешевле.", {"Билайн": "negative", "Tele2": "positive"}),
    ("В отличие от ВТБ, в Газпромбанке ипотеку одобрили быстрее.", {"ВТБ": "negative", "Газпромбанк": "positive"}),
    ("После Ростелекома интернет от Дом.ру — небо и земля.", {"Ростелеком": "negative", "Дом.ру": "positive"}),
    ("Мегафон не без косяков, но по сравнению с Yota небо и земля.", {"МегаФон": "positive", "Yota": "negative"}),
])
def test_comparison_better_side_positive(catalog, text: str, expected: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    assert labels(catalog, text) == expected


@pytest.mark.parametrize("text, expected", [
    ("Перешёл с МТС на Билайн — зря, связь ещё хуже.", {"МТС": "positive", "Билайн": "negative"}),
    ("Ушла из ВТБ в Сбер, теперь жалею.", {"ВТБ": "positive", "Сбербанк": "negative"}),
    ("Ушла из Альфы в ВТБ за ипотекой, лучше бы осталась.", {"Альфа-Банк": "positive", "ВТБ": "negative"}),
    ("Зря променяла Билайн на Yota, связь хуже.", {"Билайн": "positive", "Yota": "negative"}),
])
def test_switch_regretted_inverts_sides(catalog, text: str, expected: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    assert labels(catalog, text) == expected


@pytest.mark.parametrize("text, expected", [
    ("Ушёл с МТС на Билайн и ни разу не пожалел.", {"МТС": "negative", "Билайн": "positive"}),
    ("Перешла из Сбера в Альфу, возвращаться не хочу.", {"Сбербанк": "negative", "Альфа-Банк": "positive"}),
    ("Думаю уйти из Мегафона в Билайн, достали отключения.", {"МегаФон": "negative", "Билайн": "neutral"}),
])
def test_switch_denied_regret_and_plans(catalog, text: str, expected: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    assert labels(catalog, text) == expected


@pytest.mark.parametrize("text", [
    "Перешёл с МТС на Билайн, вернусь наверное.",                 # maybe coming back
    "Так и не перешёл с МТС на Билайн, лень возиться.",           # negated verb
    "Сбер не лучше, чем ВТБ.",                                    # negated comparative
    "Сбер дешевле, но медленнее, чем ВТБ.",                       # directions disagree
    "У МТС и Билайна тарифы одинаковые.",                         # no construction
    "Сбер выгоднее, чем ВТБ и Альфа-Банк.",                      # three brands in the sentence
    "Ставка в Сбере выше, чем в ВТБ.",                            # comparative of unknown direction
    "Ушёл из МТС. Билайн тоже не подарок.",                       # brands in different sentences
])
def test_no_confident_construction_leaves_model(catalog, text: str) -> None:  # type: ignore[no-untyped-def]
    found = labels(catalog, text)
    assert len(found) >= 2
    assert set(found.values()) == {None}


@pytest.mark.parametrize("text", [
    "Ушёл из МТС и доволен.", "Перешла на Билайн, всё отлично.", "Сбер лучше, чем раньше.",
    "Альфа-Банк быстрее всех одобрил кредит.",
])
def test_single_brand_never_fires(catalog, text: str) -> None:  # type: ignore[no-untyped-def]
    found = spans(catalog, text)
    assert len(found) == 1
    (own,) = found.values()
    assert structural_label(text, own, []) is None
    assert structural_label(text, own, None) is None
    assert structural_label(text, None, own) is None
    scores = [{"negative": 0.2, "neutral": 0.5, "positive": 0.3}]
    assert adjust([text], [own], [[]], scores) == scores


def test_with_label_keeps_a_distribution() -> None:
    scores = {"negative": 0.7, "neutral": 0.2, "positive": 0.1}
    out = with_label(scores, "positive")
    assert max(out, key=lambda k: out[k]) == "positive"
    assert sorted(out.values()) == sorted(scores.values())
    assert with_label(scores, "negative") == scores


class _Flat:
    """Stub model: the same neutral-leaning scores for every request."""

    version = "stub"

    def predict(self, texts: Sequence[str], targets, *, others=None, groups=None):  # type: ignore[no-untyped-def]
        return [{"negative": 0.3, "neutral": 0.4, "positive": 0.3} for _ in texts]


def test_analyze_applies_the_layer_per_brand(catalog) -> None:  # type: ignore[no-untyped-def]
    lines = [json.dumps({"id": 1, "text": "Перешёл с МТС на Билайн, доволен."}, ensure_ascii=False),
             json.dumps({"id": 2, "text": "Перешёл на Билайн, доволен."}, ensure_ascii=False)]
    rows = list(analyze_lines(lines, _Flat(), catalog, Stats()))
    assert {b["brand"]: b["label"] for b in rows[0]["brands"]} == {"МТС": "negative", "Билайн": "positive"}
    assert [b["label"] for b in rows[1]["brands"]] == ["neutral"]


class _Pleased:
    """Stub model: every request reads positive (as the model reads the praise words of ironic thanks)."""

    version = "stub"

    def predict(self, texts: Sequence[str], targets, *, others=None, groups=None):  # type: ignore[no-untyped-def]
        return [{"negative": 0.2, "neutral": 0.1, "positive": 0.7} for _ in texts]


@pytest.mark.parametrize("text, expected", [
    ("Спасибо Билайну за прекрасную связь, которой нет уже неделю", "negative"),
    ("Отличный сервис у МТС, особенно когда интернет пропадает каждый вечер. Спасибо, очень удобно 👏", "negative"),
    ("Гениально, Мегафон! Списали 500 рублей за подписку, которую я не подключала", "negative"),
    ("Ну спасибо, Тинькофф, за заблокированную карту в отпуске", "negative"),
    # thanks for a deed, earnest praise, a fix reported: left to the model
    ("Сбер молодцы, вернули деньги за мошенническую операцию за два дня", "positive"),
    ("Тинькофф как всегда на высоте: вопрос решили за 3 минуты в чате. Обожаю", "positive"),
    ("Вчера не работало приложение ВТБ, сегодня всё починили, спасибо!", "positive"),
    ("Спасибо МТС за то, что поддерживаете городские праздники", "positive"),
    ("Билайн молодцы: отключили мне лишнюю услугу за минуту, без звонков и уговоров", "positive"),
])
def test_one_brand_thanked_for_the_trouble_itself_is_negative(catalog, text: str, expected: str) -> None:  # type: ignore[no-untyped-def]
    (row,) = analyze_lines([json.dumps({"id": 1, "text": text}, ensure_ascii=False)], _Pleased(), catalog, Stats())
    assert [b["label"] for b in row["brands"]] == [expected]
    assert row["label"] == expected


def test_a_post_with_many_mentions_is_left_alone_quickly(catalog) -> None:  # type: ignore[no-untyped-def]
    text = "Перешёл с МТС на Билайн. " * 20_000
    found = spans(catalog, text)
    assert structural_label(text, found["МТС"], found["Билайн"]) is None


@pytest.mark.parametrize("text, expected", [
    ("Уралсиб против Открытия по вкладам — Открытие проигрывает по всем пунктам.",
     {"Уралсиб": "positive", "Открытие": "negative"}),
    ("МТС обходит Билайн по скорости в метро.", {"МТС": "positive", "Билайн": "negative"}),
    ("Связь у МТС опять пропала, зато Билайн ловит.", {"МТС": None, "Билайн": "positive"}),
    ("Приложение Альфы лагает. Зато Сбербанк Онлайн летает.", {"Альфа-Банк": None, "Сбербанк": "positive"}),
    ("связь сегодня: билайн ✅ мтс ❌", {"Билайн": "positive", "МТС": "negative"}),
    ("Мегафон 💯 Yota 🤷‍♀️", {"МегаФон": "positive", "Yota": "neutral"}),
    ("МТС 👍 хотя бывает и 👎, Билайн 👎", {"МТС": None, "Билайн": "negative"}),  # a word after МТС: no rating
])
def test_verbal_comparison_and_compensation(catalog, text: str, expected: dict[str, str | None]) -> None:  # type: ignore[no-untyped-def]
    assert labels(catalog, text) == expected


def test_contrast_by_reference_and_neutral_bystanders(catalog) -> None:  # type: ignore[no-untyped-def]
    from classifier.structure_rules import bystander_neutral, reference_contrast

    def check(fn, text: str) -> dict[str, bool]:  # type: ignore[no-untyped-def]
        found = spans(catalog, text)
        return {b: fn(text, own, [s for o, ss in found.items() if o != b for s in ss]) for b, own in found.items()}

    assert check(reference_contrast, "Ага, «надёжный» банк Открытие, потерял мой платёж на неделю. "
                                     "Газпромбанк таких фокусов не выкидывает.") == {"Открытие": False, "Газпромбанк": True}
    assert check(reference_contrast, "Мегафон, так держать! Четвёртый сбой за месяц. У Теле2 за год ни одного.")["Tele2"]
    assert check(reference_contrast, "Ростелеком работает без перебоев. Чего не скажешь о Wifire у тёщи.")["Wifire"]
    assert not any(check(reference_contrast, "МТС опять без связи, а у Билайна всё ловит.").values())
    assert check(bystander_neutral, "Подскажите, Райффайзенбанк подходит для валютных переводов? Открытие сказало "
                                    "«только через отделение и с комиссией».") == {"Райффайзенбанк": True, "Открытие": False}
    assert check(bystander_neutral, "МКБ обслужил как обычно, ничего особенного. А вот в Банке Москвы очередь и хамство."
                 ) == {"МКБ": True, "Банк Москвы": False}
    assert not any(check(bystander_neutral, "Почему Ростелеком обещает 500 Мбит и даёт 50? Дом.ру выдаёт 300.").values())


class _Keywords:
    """Stub model: a whole post gets the first keyword's feeling for every brand (the model's usual mistake);
    a clause alone (no other brand marked) gets its own keyword's feeling."""

    version = "stub"
    words = {"вежливо": "positive", "переносил": "negative", "потерял": "negative"}

    def predict(self, texts: Sequence[str], targets, *, others=None, groups=None):  # type: ignore[no-untyped-def]
        out = []
        for text in texts:
            found = [(text.find(w), lab) for w, lab in self.words.items() if w in text]
            label = min(found)[1] if found else "neutral"
            scores = {"negative": 0.1, "neutral": 0.1, "positive": 0.1}
            scores[label] = 0.8
            out.append(scores)
        return out


def test_contrasted_brands_with_one_feeling_are_split_by_their_own_clauses(catalog) -> None:  # type: ignore[no-untyped-def]
    lines = [json.dumps({"id": 1, "text": "Росбанк вежливо и быстро закрыл счёт, а ОТП Банк три раза переносил "
                                          "встречу."}, ensure_ascii=False),
             json.dumps({"id": 2, "text": "Открытие потерял мой платёж. Газпромбанк таких фокусов не выкидывает."},
                        ensure_ascii=False),
             json.dumps({"id": 3, "text": "Росбанк вежливо закрыл счёт, и ОТП Банк тоже."}, ensure_ascii=False)]
    rows = list(analyze_lines(lines, _Keywords(), catalog, Stats()))
    got = [{b["brand"]: b["label"] for b in r["brands"]} for r in rows]
    assert got[0] == {"Росбанк": "positive", "ОТП Банк": "negative"}
    assert got[1] == {"Открытие": "negative", "Газпромбанк": "positive"}
    assert got[2] == {"Росбанк": "positive", "ОТП Банк": "positive"}  # no contrast: the model's labels stay


def test_own_segment_is_the_part_about_the_brand_alone(catalog) -> None:  # type: ignore[no-untyped-def]
    from classifier.structure_text import own_segment

    def parts(text: str) -> dict[str, str | None]:
        found = spans(catalog, text)
        out: dict[str, str | None] = {}
        for b, own in found.items():
            seg = own_segment(text, own, [s for o, ss in found.items() if o != b for s in ss])
            out[b] = None if seg is None else text[seg[0]:seg[1]].strip(" ,")
        return out

    assert parts("Мегафон дорогой, но хотя бы работает. Теле2 дешёвый, но толку ноль") == {
        "МегаФон": "Мегафон дорогой, но хотя бы работает.", "Tele2": "Теле2 дешёвый, но толку ноль"}
    assert parts("Самое тупое приложение у Почта Банка, самое удобное — у Альфы. Спорьте") == {
        "Почта Банк": "Самое тупое приложение у Почта Банка", "Альфа-Банк": "самое удобное — у Альфы. Спорьте"}
    # a dash right after the brand is its predicate, not a cut
    assert parts("Райффайзен — лучший по валютным счетам, Газпромбанк не советую")["Райффайзенбанк"] == \
        "Райффайзен — лучший по валютным счетам"
    assert parts("МТС: «Мы улучшили сеть!» Сеть: пропала совсем. Зато у Билайна 4G.")["МТС"] == \
        "МТС: «Мы улучшили сеть!» Сеть: пропала совсем."
    # no part of its own: one clause for both, a list, the compared side, a post that talks to a brand
    assert set(parts("У МТС и Билайна тарифы одинаковые.").values()) == {None}
    assert set(parts("В рейтинг надёжности снова попали Сбер, ВТБ и Газпромбанк").values()) == {None}
    assert parts("У Теле2 тариф дешевле, чем у МТС, при том же объёме")["МТС"] is None
    assert parts("@Beeline_RUS Когда уже в Твери? Ушла с МТС к вам, а у вас тут до сих пор 3г.")["Билайн"] is None


class _Clauses(_Keywords):
    """Stub model: a whole post reads positive for every brand; a part alone gets its keyword's feeling."""

    own_part_split = True
    words = {"закрывается": "negative", "открывается": "positive"}

    def predict(self, texts: Sequence[str], targets, *, others=None, groups=None):  # type: ignore[no-untyped-def]
        whole = [bool(o) for o in (others or [None] * len(texts))]
        parts = super().predict(texts, targets)
        return [{"negative": 0.2, "neutral": 0.1, "positive": 0.7} if w else p for w, p in zip(whole, parts, strict=True)]


def test_each_brand_takes_its_side_from_its_own_part(catalog) -> None:  # type: ignore[no-untyped-def]
    lines = [json.dumps({"id": 1, "text": "Приложение Альфы закрывается после обновления. Сбербанк Онлайн открывается."},
                        ensure_ascii=False)]
    got = {b["brand"]: b["label"] for b in next(iter(analyze_lines(lines, _Clauses(), catalog, Stats())))["brands"]}
    assert got == {"Альфа-Банк": "negative", "Сбербанк": "positive"}
    _Clauses.own_part_split = False  # a model that reads the whole post better: its labels stay
    try:
        row = next(iter(analyze_lines(lines, _Clauses(), catalog, Stats())))
    finally:
        _Clauses.own_part_split = True
    assert {b["brand"]: b["label"] for b in row["brands"]} == {"Альфа-Банк": "positive", "Сбербанк": "positive"}


def test_news_mentions_and_alternative_questions_are_neutral(catalog) -> None:  # type: ignore[no-untyped-def]
    from classifier.structure_verdicts import alternative_question, news_neutral

    def check(fn, text: str) -> dict[str, bool]:  # type: ignore[no-untyped-def]
        found = spans(catalog, text)
        return {b: fn(text, own, [s for o, ss in found.items() if o != b for s in ss]) for b, own in found.items()}

    assert check(news_neutral, "Сбербанк повысил ставки по вкладам до 18%. Тем временем ВТБ снова лежит второй "
                               "час") == {"Сбербанк": True, "ВТБ": False}
    assert check(news_neutral, "Билайн сообщил о росте выручки за квартал. Yota на даче реально выручает 👍"
                 ) == {"Билайн": True, "Yota": False}
    assert check(news_neutral, "Говорят, Уралсиб продают. У меня Райффайзен, и я им очень довольна.")["Уралсиб"]
    # the author's own words, a complaint, or no news frame: not news
    assert not check(news_neutral, "МТС опять повысил тариф на 20%. Билайн держит цену.")["МТС"]
    assert not check(news_neutral, "Мне Сбер повысил лимит до 300к. ВТБ отказал.")["Сбербанк"]
    assert not check(news_neutral, "Газпромбанк выдал карту за 10 минут. В ВТБ сказали ждать неделю.")["Газпромбанк"]
    assert not check(news_neutral, "ВТБ Онлайн опять не пускает, пишет «ошибка 500». Хорошо, что зарплата "
                                   "приходит в Альфу, там всё работает.")["Альфа-Банк"]
    assert check(alternative_question, "Сбер или Альфа для ипотеки — у кого сейчас ставка ниже?") == {
        "Сбербанк": True, "Альфа-Банк": True}
    assert check(alternative_question, "ВТБ или Газпромбанк для ипотеки? В ВТБ менеджер дважды потерял "
                                       "документы.") == {"ВТБ": False, "Газпромбанк": True}
    assert not any(check(alternative_question, "Почему МТС списал деньги, а у Билайна такого нет?").values())


def test_verdicts_in_a_brands_own_part(catalog) -> None:  # type: ignore[no-untyped-def]
    from classifier.structure_verdicts import verdict_label

    def check(text: str) -> dict[str, str | None]:
        found = spans(catalog, text)
        return {b: verdict_label(text, own, [s for o, ss in found.items() if o != b for s in ss])
                for b, own in found.items()}

    assert check("Самый быстрый интернет в городе у Дом.ру, самый медленный — у Ростелекома") == {
        "Дом.ру": "positive", "Ростелеком": "negative"}
    assert check("Из всех операторов Yota самая честная, Билайн самый жадный") == {
        "Yota": "positive", "Билайн": "negative"}
    assert check("Никогда больше не возьму кредит в Ренессанс Кредите. В ОТП всё прозрачно")["Ренессанс Кредит"] \
        == "negative"
    assert check("Райффайзен — лучший по валютным счетам, Газпромбанк не советую") == {
        "Райффайзенбанк": "positive", "Газпромбанк": "negative"}
    assert check("Не понимаю, за что все ругают Совкомбанк. Мне норм. Вот Хоум Банк — да, кошмар")["Совкомбанк"] \
        == "positive"
    assert check("Не могу сказать ничего плохого про Райффайзенбанк. Про Почта Банк могу.")["Райффайзенбанк"] \
        == "positive"
    # no verdict of its own: the model decides
    assert set(check("МТС опять без связи, а у Билайна всё ловит.").values()) == {None}
    assert check("Сбер не самый удобный, но Альфа ещё хуже")["Сбербанк"] is None


def test_complaint_questions(catalog) -> None:  # type: ignore[no-untyped-def]
    from classifier.structure_verdicts import complaint_question_label

    def check(text: str) -> dict[str, str | None]:
        found = spans(catalog, text)
        return {b: complaint_question_label(text, own, [s for o, ss in found.items() if o != b for s in ss])
                for b, own in found.items()}

    assert check("Почему МТС опять списал деньги, а у Билайна такого нет?") == {"МТС": "negative", "Билайн": "positive"}
    assert check("Зачем Т-Банк берёт 2% за снятие, если в Газпромбанке это бесплатно?") == {
        "Т-Банк": "negative", "Газпромбанк": "positive"}
    assert check("И где обещанный кэшбэк, Альфа? Т-Банк начислил ещё пятого числа")["Альфа-Банк"] == "negative"
    # an advice question, a plain question, or no question: nothing
    assert set(check("Подскажите, почему Сбер не переводит в Альфу?").values()) == {None}
    assert set(check("Билайн или Теле2 на дачу?").values()) == {None}
    assert set(check("Почему-то МТС сегодня ловит лучше Билайна?").values()) == {None}


def test_brands_compared_by_numbers(catalog) -> None:  # type: ignore[no-untyped-def]
    from classifier.structure_verdicts import numeric_label

    def check(text: str) -> dict[str, str | None]:
        found = spans(catalog, text)
        return {b: numeric_label(text, own, [s for o, ss in found.items() if o != b for s in ss])
                for b, own in found.items()}

    assert check("Тест скорости: МТС 85 Мбит, Теле2 12 Мбит.") == {"МТС": "positive", "Tele2": "negative"}
    assert check("Комиссия за перевод: Сбер 1,5%, Альфа 0. Думайте") == {"Сбербанк": "negative", "Альфа-Банк": "positive"}
    assert check("Сравнила вклады: у Газпромбанка 19%, у Сбера 14%.") == {"Газпромбанк": "positive", "Сбербанк": "negative"}
    # units that disagree (price and speed), no number on one side, equal numbers: nothing
    assert set(check("Дом.ру за 600 р даёт 500 мегабит, Ростелеком за 900 — сотку.").values()) == {None}
    assert set(check("Тест скорости: МТС 85 Мбит, Теле2 — почти ничего.").values()) == {None}
    assert set(check("Вклад: у ВТБ 15%, у Альфы 15%.").values()) == {None}
