"""Switches across sentences, closed-here-opened-there (classifier.structure_switch), hedged negatives and
complaint questions set against "вы" (issue 9)."""

from __future__ import annotations

import pytest

from classifier.structure import adjust, direct_label
from classifier.structure_compare import bare_comparative_label
from classifier.structure_irony import ironic_praise, mock_boredom
from classifier.structure_lexicon import slang_label
from classifier.structure_relations import hedged_not_negative, lesser_evil_label
from classifier.structure_rules import bystander_neutral, structural_label
from classifier.structure_switch import switch_across
from classifier.structure_verdicts import complaint_question_label, conclusion_label, verdict_label
from tests.classifier.brand_rules import per_brand, spans


@pytest.mark.parametrize("text, expected", [
    # the brand left in one sentence, the brand reached in the next
    ("Восемь лет сидел на Билайне. В марте перешёл на МТС, и пока доволен",
     {"Билайн": "negative", "МТС": "positive"}),
    ("с теле2 была с самого студенчества. на прошлой неделе сбежала в йоту",
     {"Tele2": "negative", "Yota": "positive"}),
    ("Зарплата шла в Почта Банк. Потом перевелась в Альфу, там кэшбэк", {"Почта Банк": "negative",
                                                                         "Альфа-Банк": "positive"}),
    # "зря": the move was a mistake, the sides turn
    ("Пять лет был в Ростелекоме. Ушёл к Дом.ру, и зря", {"Ростелеком": "positive", "Дом.ру": "negative"}),
    # "не жалею" keeps the usual sides
    ("Три года у Мегафона. Переехал на Теле2 и ни капли не жалею", {"МегаФон": "negative", "Tele2": "positive"}),
    # closed at one brand, opened at the other, in one sentence
    ("Закрыл счёт в ВТБ и открыл накопительный в Т-Банке", {"ВТБ": "negative", "Т-Банк": "positive"}),
    ("Отключила домашний интернет Ростелекома, подключила Дом.ру", {"Ростелеком": "negative",
                                                                   "Дом.ру": "positive"}),
])
def test_switch_across(catalog, text, expected):  # type: ignore[no-untyped-def]
    assert per_brand(catalog, text, switch_across, brands=2) == expected


@pytest.mark.parametrize("text", [
    "Перешёл бы на МТС. Но Билайн пока устраивает",  # conditional: no move made
    "Думаю уйти на МТС. Билайн надоел",  # only intended
    "Не ушёл на МТС. Билайн всё-таки держит цену",  # negated
    "Перешёл на МТС, Билайн остался на второй симке",  # both brands in the move's sentence
    "Перешёл на МТС. Билайн вчера тоже объявил новые тарифы",  # the other brand after the move
    "Закрыла ипотеку в Сбере и открыла вклад в ВТБ",  # a debt paid off is no verdict
    "Открыла вклад в ВТБ и закрыла карту Сбера",  # opened before closed: not a switch
])
def test_no_switch_across(catalog, text):  # type: ignore[no-untyped-def]
    assert set(per_brand(catalog, text, switch_across, brands=2).values()) == {None}


def test_switch_genitive_object_and_question(catalog):  # type: ignore[no-untyped-def]
    # the reached brand as its object's genitive: "на новый роутер от X"
    text = "Поменяли дома интернет с Ростелекома на новый роутер от МТС, скорость выросла"
    assert per_brand(catalog, text, structural_label, brands=2) == {"Ростелеком": "negative", "МТС": "positive"}
    # a question about how to move money is no switch
    asked = "Как перекинуть деньги с карты ВТБ на Сбер без комиссии?"
    assert set(per_brand(catalog, asked, structural_label, brands=2).values()) == {None}


@pytest.mark.parametrize("text, brand", [
    ("Не скажу, что Билайн плохой, просто МТС у нас дома ловит лучше", "Билайн"),
    ("Не сказала бы что у Сбера ужасное приложение, но в Т-Банке привычнее", "Сбербанк"),
    ("Нельзя сказать, что Ростелеком плохо работает; Дом.ру просто дешевле", "Ростелеком"),
    ("Я не против ВТБ, но зарплату буду получать в Альфе", "ВТБ"),
])
def test_hedged_negative_is_not_negative(catalog, text, brand):  # type: ignore[no-untyped-def]
    got = per_brand(catalog, text, hedged_not_negative, brands=2)
    assert got[brand] is True and [v for b, v in got.items() if b != brand] == [False]
    found = spans(catalog, text)
    own, other = found[brand], [s for b, ss in found.items() if b != brand for s in ss]
    negative = {"negative": 0.7, "neutral": 0.2, "positive": 0.1}
    fixed = adjust([text], [own], [other], [negative])[0]
    assert max(fixed, key=lambda k: fixed[k]) == "neutral"
    positive = {"negative": 0.1, "neutral": 0.2, "positive": 0.7}  # a positive reading stays
    assert adjust([text], [own], [other], [positive])[0] == positive


def test_hedge_needs_a_negative_word(catalog):  # type: ignore[no-untyped-def]
    text = "Не скажу, что Билайн дешёвый, просто МТС ещё дороже"  # hedged, but no negative verdict denied
    assert set(per_brand(catalog, text, hedged_not_negative, brands=2).values()) == {False}


@pytest.mark.parametrize("text, expected", [
    ("Ростелеком, ну сколько можно? Почему Дом.ру чинит обрыв за час, а вы за неделю?",
     {"Ростелеком": "negative", "Дом.ру": "positive"}),
    ("Почему Райффайзен возвращает комиссию сам, а вам, ВТБ, надо писать три заявления?",
     {"Райффайзенбанк": "positive", "ВТБ": "negative"}),
])
def test_complaint_question_against_you(catalog, text, expected):  # type: ignore[no-untyped-def]
    assert per_brand(catalog, text, direct_label, brands=2) == expected


def test_complaint_question_you_complaining_of_first(catalog):  # type: ignore[no-untyped-def]
    # the first brand complains itself ("опять"): it stays the one complained of
    text = "Почему Теле2 опять списал абонентку дважды, а вы молчите? Мегафон, вас это тоже касается"
    assert per_brand(catalog, text, complaint_question_label, brands=2)["Tele2"] == "negative"


@pytest.mark.parametrize("text, expected", [
    ("Билайн опять поднял цену без предупреждения. Теле2 хотя бы пишет заранее",
     {"Билайн": "negative", "Tele2": "positive"}),
    ("Сбер заблокировал перевод на два дня, хорошо хоть Альфа выручила", {"Сбербанк": "negative",
                                                                        "Альфа-Банк": "positive"}),
    ("Ушла из ВТБ в Райффайзен: тут хотя бы в чате отвечают люди", {"ВТБ": "negative",
                                                                  "Райффайзенбанк": "positive"}),
    # the cue's sentence names no brand: the brand of the sentence before
    ("В МТС жалобу потеряли. В Мегафоне её приняли. Там мне хотя бы номер обращения дали",
     {"МТС": "negative", "МегаФон": "positive"}),
])
def test_lesser_evil(catalog, text, expected):  # type: ignore[no-untyped-def]
    assert per_brand(catalog, text, lesser_evil_label, brands=2) == expected


@pytest.mark.parametrize("text", [
    "Ростелеком опять отвалился. Может, Дом.ру хоть стабильнее?",  # a question: only wondering
    "Спросите у любого, кто хоть раз звонил в поддержку МТС или Билайна",  # "хоть раз": ever
    "Т-Банк хотя бы отвечает, и Сбер хотя бы отвечает",  # both marked: nothing to tell apart
])
def test_no_lesser_evil(catalog, text):  # type: ignore[no-untyped-def]
    assert set(per_brand(catalog, text, lesser_evil_label, brands=2).values()) == {None}


@pytest.mark.parametrize("text, expected", [
    # words between a brand and the next: the emoji of a feeling still rate the brand before them
    ("теле2 на дачу приехал мастер сразу 🚀 ростелеком неделю молчит 🤡", {"Tele2": "positive",
                                                                       "Ростелеком": "negative"}),
    ("Т-Банк с кэшбэком на продукты 💚 а Сбер опять урезал категории 😴", {"Т-Банк": "positive",
                                                                        "Сбербанк": "negative"}),
    # brands joined in a list share the list's emoji
    ("мегафон и йота в нашем подъезде обе 💀", {"МегаФон": "negative", "Yota": "negative"}),
])
def test_emoji_after_words(catalog, text, expected):  # type: ignore[no-untyped-def]
    assert per_brand(catalog, text, structural_label, brands=2) == expected


def test_applause_after_words_is_no_rating(catalog):  # type: ignore[no-untyped-def]
    text = "МТС снова поднял абонентку без предупреждения 👏 Билайн цены держит"
    assert per_brand(catalog, text, structural_label, brands=2)["МТС"] is None


def test_wondering_question_is_neutral(catalog):  # type: ignore[no-untyped-def]
    text = "Билайн третью неделю режет скорость по вечерам. Может, на Теле2 попробовать?"
    assert per_brand(catalog, text, bystander_neutral, brands=2) == {"Билайн": False, "Tele2": True}


def test_comparison_turned_by_but(catalog):  # type: ignore[no-untyped-def]
    # "A, но B": the comparative after the turn is the verdict
    text = "Билайн дороже МТС почти на сотню, но интернет у него заметно быстрее"
    assert per_brand(catalog, text, structural_label, brands=2) == {"Билайн": "positive", "МТС": "negative"}
    mixed = "Билайн дороже МТС почти на сотню и при этом быстрее"  # no turn: directions disagree, no verdict
    assert set(per_brand(catalog, mixed, structural_label, brands=2).values()) == {None}


@pytest.mark.parametrize("text, expected", [
    # a long wait beside praise; "особенно когда" after praise
    ("Прекрасная поддержка у Билайна: полтора часа висел на линии. В МТС ответили сразу",
     {"Билайн": True, "МТС": False}),
    ("Люблю Дом.ру всей душой. Особенно когда свет есть, а интернета нет. Ростелеком у мамы работает",
     {"Дом.ру": True, "Ростелеком": False}),
])
def test_ironic_praise_wait_and_especially(catalog, text, expected):  # type: ignore[no-untyped-def]
    assert per_brand(catalog, text, ironic_praise, brands=2) == expected


def test_quick_service_is_no_wait(catalog):  # type: ignore[no-untyped-def]
    text = "Отличная поддержка у Билайна, решили за 10 минут. В МТС так не умеют"
    assert per_brand(catalog, text, ironic_praise, brands=2)["Билайн"] is False


def test_mock_boredom(catalog):  # type: ignore[no-untyped-def]
    text = "ВТБ три недели не может выпустить карту. В Альфе принесли на следующий день, скукота"
    assert per_brand(catalog, text, mock_boredom, brands=2) == {"ВТБ": False, "Альфа-Банк": True}


@pytest.mark.parametrize("text, expected", [
    ("Альфа перевыпустила карту за два дня. От Сбера я так и не получил новую карту", "Сбербанк"),
    ("Т-Банк звонил мне сегодня в четвёртый раз за неделю. Райф такого себе не позволяет", "Т-Банк"),
    ("Ростелеком обещал подключить в понедельник, а мастер приехал в пятницу. Дом.ру без вопросов", "Ростелеком"),
])
def test_broken_expectations(catalog, text, expected):  # type: ignore[no-untyped-def]
    assert per_brand(catalog, text, slang_label, brands=2)[expected] == "negative"


def test_ironic_on_top(catalog):  # type: ignore[no-untyped-def]
    text = "билайн как всегда на высоте: второй день без инета. мтс на даче ловит"
    assert per_brand(catalog, text, ironic_praise, brands=2) == {"Билайн": True, "МТС": False}


def test_grievance_in_polite_question(catalog):  # type: ignore[no-untyped-def]
    # "подскажите, почему ... уже ..." complains; a plain advice question stays neutral
    text = "Подскажите, почему в Совкомбанке до сих пор не зачислили перевод? В Альфе всё пришло за минуту"
    assert per_brand(catalog, text, complaint_question_label, brands=2)["Совкомбанк"] == "negative"
    plain = "Подскажите, в Совкомбанке выгодный вклад? В Альфе ставку снизили"
    assert per_brand(catalog, plain, bystander_neutral, brands=2)["Совкомбанк"] is True


def test_never_again_verdict(catalog):  # type: ignore[no-untyped-def]
    text = "С Почта Банком больше не свяжусь, три недели ждала справку. Газпромбанк выдал её в тот же день"
    assert per_brand(catalog, text, verdict_label, brands=2)["Почта Банк"] == "negative"


@pytest.mark.parametrize("text, expected", [
    ("У Газпромбанка и ВТБ ставки по вкладу одинаковые. В итоге Газпромбанк удобнее",
     {"Газпромбанк": "positive", "ВТБ": "negative"}),
    ("Взяла тариф Теле2 для дочки, а себе оставила Мегафон. Теле2 дешевле", {"Tele2": "positive",
                                                                          "МегаФон": "negative"}),
])
def test_bare_comparative(catalog, text, expected):  # type: ignore[no-untyped-def]
    assert per_brand(catalog, text, bare_comparative_label, brands=2) == expected


@pytest.mark.parametrize("text", [
    "Пользуюсь Альфой и Сбером. Сбер стал быстрее после обновления",  # compared with its own past
    "Пользуюсь Альфой и Сбером. Сбер дешевле, но поддержка хуже",  # conceded, directions mixed
    "Пользуюсь Альфой и Сбером. Сбер не лучше",  # negated
    "Пользуюсь Альфой и Сбером. Сбер выгоднее?",  # a question
])
def test_no_bare_comparative(catalog, text):  # type: ignore[no-untyped-def]
    assert set(per_brand(catalog, text, bare_comparative_label, brands=2).values()) == {None}


def test_conclusion(catalog):  # type: ignore[no-untyped-def]
    text = ("Полгода назад открыла счёт в Росбанке, а зарплату получаю в Уралсибе. Было всякое.\n"
            "Итог: Уралсибу спасибо за терпение, в Росбанк больше не пойду.")
    assert per_brand(catalog, text, conclusion_label, brands=2) == {"Росбанк": "negative", "Уралсиб": "positive"}
    plain = "Открыла счёт в Росбанке, зарплату получаю в Уралсибе. Итог: пока думаю"
    assert set(per_brand(catalog, plain, conclusion_label, brands=2).values()) == {None}
