"""Word-level cues of a brand's own part (classifier.structure_lexicon) and how the layer uses them."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest

from classifier.analyze import Stats, analyze_lines
from classifier.structure_irony import ironic_praise
from classifier.structure_lexicon import slang_label
from classifier.structure_relations import ellipsis_relation, place_neutral
from classifier.structure_rules import structural_label
from classifier.structure_verdicts import complaint_question_label
from tests.classifier.brand_rules import per_brand


@pytest.mark.parametrize("text, expected", [
    ("сбер днище, тинек рулит", {"Сбербанк": "negative", "Т-Банк": "positive"}),
    ("мегафон на районе тухляк, теле2 норм", {"МегаФон": "negative", "Tele2": "positive"}),
    ("ВТБ совсем зашкварился с этими звонками, Райф топчик", {"ВТБ": "negative", "Райффайзенбанк": "positive"}),
    ("Билайн в этом году имба, а мтс сливается по всем фронтам", {"Билайн": "positive", "МТС": "negative"}),
    ("ростелеком отстой полный, дом.ру огонь", {"Ростелеком": "negative", "Дом.ру": "positive"}),
    ("теле2 база. мегафон кринж и дорого", {"Tele2": "positive", "МегаФон": "negative"}),
    ("МТС лагает весь вечер, на Теле2 всё летает", {"МТС": "negative", "Tele2": "positive"}),
    ("мтс вообще не вывозит с интернетом, йота ваще топ", {"МТС": "negative", "Yota": "positive"}),
    ("Почта Банк не бесит, нормальный банк. ВТБ кринжовый со своими звонками",
     {"Почта Банк": "positive", "ВТБ": "negative"}),
    ("Сбер — ну такое. Альфа работает как часы", {"Сбербанк": "negative", "Альфа-Банк": "positive"}),
    ("У Мегафона на даче нет нормальной связи. В Yota дали нормальный тариф",
     {"МегаФон": "negative", "Yota": "positive"}),
    # brands listed together share what the sentence says of them
    ("И Ростелеком, и Дом.ру в нашем доме — отстой, оба лежат по вечерам",
     {"Ростелеком": "negative", "Дом.ру": "negative"}),
    ("ВТБ и Райф оба топ по вкладам", {"ВТБ": "positive", "Райффайзенбанк": "positive"}),
    ("Ни Билайн, ни МТС не дают нормальную скорость на даче", {"Билайн": "negative", "МТС": "negative"}),
    ("На даче Мегафон не ловит совсем, Теле2 ловит даже в бане", {"МегаФон": "negative", "Tele2": "positive"}),
    ("У Сбера приложение опять не работает. В Т-Банке что-то не так с переводами",
     {"Сбербанк": "negative", "Т-Банк": "negative"}),
    # emphatic negation denies a trouble, unless it denies a good deed
    ("У Теле2 за зиму ни одного обрыва. Мегафон ни разу не перезвонил по заявке",
     {"Tele2": "positive", "МегаФон": "negative"}),
    # an emoji ends a brand's part ("база 💯 газпромбанк ...")
    ("райф база 💯 почта банк днище полное", {"Райффайзенбанк": "positive", "Почта Банк": "negative"}),
    ("Почта Банк списал страховку без спроса. Росбанк не виноват, ошибка была моя",
     {"Почта Банк": "negative", "Росбанк": "positive"}),
    # "всё работает" (not "не всё"); a post that talks to one brand still has the other's own part
    ("МТС, вы там уснули? Третий день без связи. У брата на Yota всё работает", {"МТС": None, "Yota": "positive"}),
    ("В Альфе не всё работает, в Росбанке тоже бывают сбои", {"Альфа-Банк": None, "Росбанк": None}),
    # the part of a brand after "а" starts there: the other brand's "не подводит" is not its
    ("Мегафон мой любимый, ни разу не подводил, а мтс у брата вечно без сети",
     {"МегаФон": "positive", "МТС": None}),
])
def test_slang_verdicts_of_a_brands_own_part(catalog, text: str, expected: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    assert per_brand(catalog, text, slang_label) == expected


@pytest.mark.parametrize("text", [
    "В Сбере утекла база клиентов, а ВТБ молчит о своей",  # "база" not a predicate
    "МТС снова в топе жалоб, Билайн где-то рядом",  # after a preposition
    "Ну конечно, Мегафон топ, а Билайн просто огонь 🙃",  # ironic parts
    "Т-Банк огонь, но только пока не упал. Сбер стабилен",  # a verdict conceded by "но"
    "Есть у Теле2 нормальный тариф для дачи? У Мегафона дорого",  # a question states no verdict
])
def test_slang_words_that_are_not_verdicts_are_left_alone(catalog, text: str) -> None:  # type: ignore[no-untyped-def]
    assert set(per_brand(catalog, text, slang_label).values()) == {None}


def test_negated_problems_are_positive_unless_the_part_looks_back(catalog) -> None:  # type: ignore[no-untyped-def]
    got = per_brand(catalog, "С Мегафоном никаких сбоев за три года. С Билайном — каждый месяц.", slang_label)
    assert got["МегаФон"] == "positive"
    got = per_brand(catalog, "Ни одной претензии к Т-Банку за всё время, а у Сбера наоборот", slang_label)
    assert got["Т-Банк"] == "positive"
    got = per_brand(catalog, "Раньше с Альфой не было проблем, теперь одни отказы. Райф пока держится", slang_label)
    assert got["Альфа-Банк"] is None


@pytest.mark.parametrize("text, brand, relation", [
    ("Ни разу не было проблем с Альфой. С ВТБ — постоянно", "ВТБ", "opposite"),
    ("С Мегафоном никаких сбоев за три года. С Билайном — каждый месяц.", "Билайн", "opposite"),
    ("Ни одной претензии к Т-Банку за всё время, а у Сбера наоборот", "Сбербанк", "opposite"),
    ("В Райфе мне ни разу не отказали, не то что в Росбанке", "Росбанк", "opposite"),
    ("Ростелеком третий раз за неделю отключил интернет. У Дом.ру — та же песня", "Дом.ру", "same"),
    ("Т-Банк вернул деньги за день, Альфа тоже не подвела", "Альфа-Банк", "same"),
    ("В Альфе мне ни разу не хамили. В Почта Банке — почти каждый визит", "Почта Банк", "opposite"),
    ("Мегафон ни разу не списал лишнего. Билайн списывает регулярно", "Билайн", "opposite"),  # both aspects
    ("С Ростелекомом ни разу не было аварий. У Дом.ру сестра постоянно сидит без сети", "Дом.ру", None),  # a verb
    ("Ростелеком отключил интернет. У Дом.ру тоже были сбои, но их быстро починили и дали скидку", "Дом.ру", None),
    ("Ни разу не было проблем с Альфой. ВТБ вчера заблокировал карту", "ВТБ", None),
    # a parallel part with the negation turned
    ("Про Газпромбанк ничего плохого не скажу. Про Хоум Банк скажу, и много", "Хоум Банк", "opposite"),
    ("Билайн в лифте не ловит. МТС ловит даже в подвале", "МТС", "opposite"),
    # a shared noun is no shared predicate
    ("Сбер мне карту так и не выдал. В ВТБ карту оформила за день", "ВТБ", None),
])
def test_elliptical_parts_lean_on_the_other_brand(catalog, text: str, brand: str, relation: str | None) -> None:  # type: ignore[no-untyped-def]
    assert per_brand(catalog, text, ellipsis_relation)[brand] == relation


def test_a_brand_named_as_a_place_is_neutral(catalog) -> None:  # type: ignore[no-untyped-def]
    got = per_brand(catalog, "Стою в очереди в Сбере и читаю, как МТС опять всех обманул с тарифом", place_neutral)
    assert got == {"Сбербанк": True, "МТС": False}
    got = per_brand(catalog, "Сижу возле офиса Билайна, потому что мобильный интернет Мегафона умер", place_neutral)
    assert got == {"Билайн": True, "МегаФон": False}
    got = per_brand(catalog, "В Сбере мне нахамили, в ВТБ всё сделали вежливо", place_neutral)  # the brand's own doing
    assert set(got.values()) == {False}
    # a complaint about the place itself, or the other brand in another sentence: not a mere place
    got = per_brand(catalog, "Сижу в офисе Билайна второй час, никто не подходит, а в МТС всё быстро", place_neutral)
    assert got["Билайн"] is False
    got = per_brand(catalog, "Стоял в салоне Теле2 час, так и не помогли. В Мегафоне сделали за минуту", place_neutral)
    assert got["Tele2"] is False


@pytest.mark.parametrize("text, expected", [
    ("Как так выходит, что Yota ловит в подвале, а МТС на улице не ловит?", {"Yota": "positive", "МТС": "negative"}),
    ("Почему у Йоты интернет летает, а Мегафон берёт вдвое больше?", {"Yota": "positive", "МегаФон": "negative"}),
    ("Объясните, почему Сбер одобрил кредит за час, а ВТБ мурыжит вторую неделю?",
     {"Сбербанк": "positive", "ВТБ": "negative"}),
    ("Почему ВТБ опять заблокировал карту, а в Альфе такого ни разу не было?",
     {"ВТБ": "negative", "Альфа-Банк": "positive"}),
    ("Скажите, почему Райф вернул деньги за час, а Росбанк держит их уже третьи сутки?",
     {"Райффайзенбанк": "positive", "Росбанк": "negative"}),
    # nothing tells which side fails: the brand asked about is the one complained of
    ("Зачем Ростелеком берёт 900 в месяц, если Дом.ру даёт то же за 600?",
     {"Ростелеком": "negative", "Дом.ру": "positive"}),
    ("Как заставить Хоум Банк вернуть страховку, если Альфа вернула свою за неделю?",
     {"Хоум Банк": "negative", "Альфа-Банк": "positive"}),
    ("Долго ещё Ростелеком будет чинить линию, а у Дом.ру и так всё есть?", {"Ростелеком": "negative",
                                                                             "Дом.ру": "positive"}),
    # "а X нет": the first side's doing denied, no complaint of its own
    ("Кто объяснит, почему Совкомбанк режет лимиты, а Росбанк нет?", {"Совкомбанк": "negative", "Росбанк": "positive"}),
    # the counter clause names no brand: it does not turn the complaint
    ("Почему МТС списал деньги, а я даже не получил смс? Билайн так не делал",
     {"МТС": "negative", "Билайн": None}),
])
def test_a_complaint_question_complains_of_the_side_that_fails(catalog, text: str, expected: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    assert per_brand(catalog, text, complaint_question_label) == expected


@pytest.mark.parametrize("text, expected", [
    ("Пять лет в Альфе, и вот перешла в Т-Банк. Спустя месяц поняла, что ошиблась",
     {"Альфа-Банк": "positive", "Т-Банк": "negative"}),
    ("Десять лет на Мегафоне, вчера перенесла номер в Теле2, и уже счастлива",
     {"МегаФон": "negative", "Tele2": "positive"}),
])
def test_years_with_a_brand_make_it_the_brand_a_switch_leaves(catalog, text: str, expected: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    assert per_brand(catalog, text, structural_label) == expected


class _Flipped:
    """Stub model that reads every brand of a post with the feeling of its first keyword (the usual mistake)."""

    version = "stub"
    words = {"проблем": "negative", "сбоев": "negative"}

    def predict(self, texts: Sequence[str], targets, *, others=None, groups=None):  # type: ignore[no-untyped-def]
        out = []
        for text in texts:
            label = next((lab for w, lab in self.words.items() if w in text), "neutral")
            scores = {"negative": 0.1, "neutral": 0.1, "positive": 0.1}
            scores[label] = 0.8
            out.append(scores)
        return out


def test_a_negation_pair_gets_both_sides_right_through_analyze(catalog) -> None:  # type: ignore[no-untyped-def]
    lines = [json.dumps({"id": 1, "text": "Ни разу не было проблем с Альфой. С ВТБ — постоянно"}, ensure_ascii=False),
             json.dumps({"id": 2, "text": "Стою в очереди в Сбере, а у МТС опять сбоев куча"}, ensure_ascii=False)]
    rows = list(analyze_lines(lines, _Flipped(), catalog, Stats()))
    got = [{b["brand"]: b["label"] for b in row["brands"]} for row in rows]
    assert got[0] == {"Альфа-Банк": "positive", "ВТБ": "negative"}
    assert got[1] == {"Сбербанк": "neutral", "МТС": "negative"}


@pytest.mark.parametrize("text, expected", [
    ("Спасибо, Билайн, что пятый день без интернета. На Теле2 у соседки всё ловит", {"Билайн": True, "Tele2": False}),
    ("Браво, Совкомбанк, седьмой звонок за утро. Альфа хотя бы не названивает", {"Совкомбанк": True,
                                                                                   "Альфа-Банк": False}),
    ("Прекрасная поддержка у Ростелекома, всего-то 50 минут ожидания. Дом.ру ответил сразу",
     {"Ростелеком": True, "Дом.ру": False}),
    # praise with no damning detail beside it is left to the model
    ("Спасибо, Т-Банк, деньги вернули за день. Сбер так не умеет", {"Т-Банк": False, "Сбербанк": False}),
])
def test_praise_with_a_damning_detail_is_a_complaint(catalog, text: str, expected: dict[str, bool]) -> None:  # type: ignore[no-untyped-def]
    assert per_brand(catalog, text, ironic_praise) == expected
