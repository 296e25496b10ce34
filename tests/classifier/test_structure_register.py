"""Register of a multi-brand post (classifier.structure_register): reports, context mentions, brands listed
together. Hand-written sentences."""

from __future__ import annotations

import pytest

from classifier.structure import adjust
from classifier.structure_register import context_mention, register_label, report_post, shared_scores
from tests.classifier.brand_rules import Span, per_brand, spans


def register(catalog, text: str) -> dict[str, str | None]:  # type: ignore[no-untyped-def]
    found = per_brand(catalog, text, register_label)
    assert len(found) >= 2, found
    return found


@pytest.mark.parametrize("text", [
    # a reporting verb or a source, brands in one sentence
    "МТС и Билайн объявили о запуске общей сети вышек в Карелии",
    "По информации регулятора, Альфа-Банк и ВТБ увеличили выдачу автокредитов на 7% за лето",
    "Газпромбанк и Совкомбанк попали в десятку рейтинга надёжности по версии одного агентства",
    # no source: a company's action with the brand as its subject, and a figure or a date
    "Райффайзенбанк и Росбанк снизили ставки по накопительным счетам с 1 марта",
    "Tele2 расширил покрытие на трассе М-11, МегаФон запустил 4G на соседнем участке в апреле",
])
def test_a_report_makes_every_brand_neutral(catalog, text: str) -> None:  # type: ignore[no-untyped-def]
    assert set(register(catalog, text).values()) == {"neutral"}


@pytest.mark.parametrize("text", [
    "Мне Альфа одобрила кредит под 12%, а ВТБ отказал без объяснений",  # first person
    "Альфа-Банк и ВТБ снова подняли комиссию за переводы на 2%!",  # stance particle and "!"
    "Заказал роутер у Ростелекома 3 марта, Дом.ру тем временем уже всё подключил соседу",  # dropped "я"
    "Газпромбанк выдал карту за 10 минут, в Сбербанке сказали ждать неделю",  # not a company's action
    "По данным СМИ, Сбербанк и ВТБ попали под новые санкции",  # an adverse event is not a neutral report
    "Билайн и МТС повысили тарифы на 15% с 1 февраля, это грабительский подход",  # an evaluative word
])
def test_the_authors_voice_or_an_adverse_event_is_not_a_report(catalog, text: str) -> None:  # type: ignore[no-untyped-def]
    assert set(register(catalog, text).values()) == {None}
    found = spans(catalog, text)
    assert not report_post(text, [s for ss in found.values() for s in ss])


def test_context_mentions_are_neutral_and_other_brands_are_left_alone(catalog) -> None:  # type: ignore[no-untyped-def]
    text = "Договорились встретиться возле отделения Сбербанка, а потом в ВТБ мне час навязывали страховку"
    assert register(catalog, text) == {"Сбербанк": "neutral", "ВТБ": None}
    text = "Оплатил счёт МТС через Альфа-Банк, деньги списались, а МТС третий день показывает долг"
    assert register(catalog, text) == {"Альфа-Банк": "neutral", "МТС": None}
    text = "Шла мимо рекламы Билайна и вспомнила, как Теле2 полгода не мог починить мне симку"
    assert register(catalog, text) == {"Билайн": "neutral", "Tele2": None}
    # "через X" for something else than a payment is the brand that served the author
    text = "Оформила вклад через Совкомбанк за пять минут, а в ВТБ сказали приходить завтра"
    assert register(catalog, text)["Совкомбанк"] is None
    # a place where the author was served is not context: "в отделении", "у Сбербанка" alone
    text = "В отделении Сбербанка нахамили, в ВТБ всё сделали быстро"
    (sber,) = spans(catalog, text)["Сбербанк"]
    assert not context_mention(text, sber)
    text = "У Сбербанка приложение лучше, чем у ВТБ"
    (sber,) = spans(catalog, text)["Сбербанк"]
    assert not context_mention(text, sber)


def _requests(catalog, text: str) -> tuple[list[str], list[list[Span]], list[list[Span]]]:  # type: ignore[no-untyped-def]
    found = spans(catalog, text)
    brands = sorted(found)
    return ([text] * len(brands), [found[b] for b in brands],
            [[s for o in brands if o != b for s in found[o]] for b in brands])


def test_brands_listed_together_share_their_scores(catalog) -> None:  # type: ignore[no-untyped-def]
    neg = {"negative": 0.7, "neutral": 0.2, "positive": 0.1}
    pos = {"negative": 0.1, "neutral": 0.3, "positive": 0.6}
    text = "Ни МТС, ни Билайн за полгода не отключили мне платную рассылку"
    texts, targets, others = _requests(catalog, text)
    shared = shared_scores(texts, targets, others, [neg, pos])
    assert [max(s, key=lambda k: s[k]) for s in shared] == ["negative", "negative"]  # a tie: the sums decide
    shared = shared_scores(texts, targets, others, [neg, {"negative": 0.3, "neutral": 0.5, "positive": 0.2}])
    assert [max(s, key=lambda k: s[k]) for s in shared] == ["negative", "negative"]
    out = adjust(texts, targets, others, [neg, neg, neg][:2])
    assert [max(o, key=lambda k: o[k]) for o in out] == ["negative", "negative"]
    text = "Сбербанк, Альфа-Банк и ВТБ вчера вечером не работали почти три часа"
    texts, targets, others = _requests(catalog, text)
    shared = shared_scores(texts, targets, others, [neg, neg, pos])
    assert all(max(s, key=lambda k: s[k]) == "negative" for s in shared)


@pytest.mark.parametrize("text", [
    "МТС и Билайн: первый ловит в подвале, второй нет",  # told apart
    "МТС ловит в подвале, Билайн нет",  # a comma between clauses is not a list
    "МТС и Билайн ловят одинаково, а вот у Теле2 в подвале пусто",  # a brand outside the list
])
def test_brands_told_apart_keep_their_own_scores(catalog, text: str) -> None:  # type: ignore[no-untyped-def]
    texts, targets, others = _requests(catalog, text)
    scores = [{"negative": 0.1 * (i + 1), "neutral": 0.2, "positive": 0.8 - 0.1 * (i + 1)} for i in range(len(texts))]
    assert shared_scores(texts, targets, others, scores) == scores


def test_a_news_style_sentence_in_the_authors_voice_is_no_news(catalog) -> None:  # type: ignore[no-untyped-def]
    from classifier.structure_register import voiced_sentences

    text = "Совкомбанк, хоть офис и тесный, выдал карту по честному тарифу. В ВТБ ждала час"
    sovcom = spans(catalog, text)["Совкомбанк"]
    assert voiced_sentences(text, sovcom)
    text = "Совкомбанк открыл 12 новых офисов в Казани. В ВТБ я опять прождала час"
    assert not voiced_sentences(text, spans(catalog, text)["Совкомбанк"])
    assert voiced_sentences(text, spans(catalog, text)["ВТБ"])
