"""The navec back-off of the aspect rules: posts that name their subject in words no keyword list holds."""

from __future__ import annotations

from pathlib import Path

import pytest

from classifier.aspect_vectors import AspectVectors, brand_words, content_lemmas, word_vectors
from classifier.aspects import AspectClassifier, default_classifier
from classifier.embeddings import load_navec
from molva.aspects import load_aspects


@pytest.fixture(scope="module")
def rules_only() -> AspectClassifier:
    return AspectClassifier(load_aspects(None), semantic=False)


@pytest.mark.parametrize(("text", "group", "top"), [
    ("ВТБ, доходность на сберегательном счёте снизили без предупреждения", "banks", "deposits"),
    ("МегаФон, дорого стало, ежемесячно плачу вдвое больше", "telecom", "tariffs"),
    ("Тинькофф, программа на айфоне зависает и закрывается сама", "banks", "app"),
    # a word navec does not know stands for the keyword lemma it shares its first letters with
    ("Сбер, ипотечку на вторичку дают без первоначального взноса?", "banks", "credits"),
])
def test_posts_no_keyword_matches_get_the_aspect_closest_in_meaning(
        rules_only: AspectClassifier, text: str, group: str, top: str) -> None:
    assert rules_only.classify(text, group) == []
    assert default_classifier().classify(text, group)[0] == top


@pytest.mark.parametrize(("text", "group"), [
    ("Альфа, а за снятие в чужих банкоматах теперь процент берут?", "banks"),
    ("Райф, мошеннические звонки от вашего имени достали", "banks"),
    ("МТС, на даче глухо: антенны нет, телефон не видит вышки", "telecom"),
    ("Теле2, абонентская стоимость выросла, деньги снимают каждый день", "telecom"),
    ("Ростелеком, провод в квартиру так и не протянули", "telecom"),
])
def test_a_matching_keyword_keeps_the_rules_answer(rules_only: AspectClassifier, text: str, group: str) -> None:
    assert rules_only.classify(text, group)
    assert default_classifier().classify(text, group) == rules_only.classify(text, group)


@pytest.mark.parametrize(("text", "group", "brand"), [
    ("МТС, ну вы даёте", "telecom", "МТС"),
    ("Сбербанк, с праздником вас!", "banks", "Сбербанк"),
    ("ВТБ, вы серьёзно?", "banks", "ВТБ"),
    ("Ростелеком!!!", "telecom", "Ростелеком"),  # nothing to compare: the brand's leaning aspect stays
])
def test_vague_posts_get_no_aspect_from_the_backoff(rules_only: AspectClassifier, text: str, group: str,
                                                    brand: str) -> None:
    assert default_classifier().classify(text, group, brand) == rules_only.classify(text, group, brand)


def test_unknown_group_and_turned_off_backoff_give_nothing(rules_only: AspectClassifier) -> None:
    text = "ВТБ, доходность на сберегательном счёте снизили без предупреждения"
    assert default_classifier().classify(text, "retail") == []
    assert rules_only.semantic() is None and rules_only.classify(text, "banks") == []


def test_brand_names_and_stop_words_are_not_compared() -> None:
    skip = brand_words(["Тинькофф", "Т-Банк"])
    assert content_lemmas("Тинькофф, ну вот опять доходность снизили", skip) == ["доходность", "снизить"]
    back = default_classifier().semantic()
    assert back is not None
    assert back.similarities("Тинькофф, ну вот опять", "banks") == {}  # no content word left


def test_an_aspect_added_in_the_catalog_gets_a_vector(tmp_path: Path) -> None:
    path = tmp_path / "brands.toml"
    path.write_text('[aspects.retail.delivery]\nname = "Доставка"\nkeywords = ["курьер:2", "доставка:3"]\n\n'
                    '[aspects.retail.prices]\nname = "Цены"\nkeywords = ["цена", "дорог*:2"]\n', encoding="utf-8")
    config = load_aspects(path)
    back = AspectVectors(config, word_vectors())
    clf = AspectClassifier(config, semantic=back)
    assert clf.classify("стоимость продуктов выросла вдвое", "retail") == ["prices"]
    sims = back.similarities("заказ так и не привезли, курьерская служба молчит", "retail")
    assert sims["delivery"] > sims["prices"]
    path.write_text(path.read_text(encoding="utf-8") + '\n[[brand]]\nid = "romashka"\nname = "Ромашка"\n'
                    'group = "retail"\naliases = ["Ромашка"]\n', encoding="utf-8")
    own = AspectClassifier(load_aspects(path), catalog_path=path).semantic()  # the catalog's brands are ignored
    assert own is not None and own.similarities("Ромашка, цены!", "retail") == back.similarities("цены", "retail")


def test_without_navec_the_keyword_rules_still_answer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOLVA_NAVEC_PATH", str(tmp_path / "missing.tar"))
    load_navec.cache_clear()
    try:
        clf = AspectClassifier(load_aspects(None))
        assert clf.classify("ВТБ, доходность на сберегательном счёте снизили без предупреждения", "banks") == []
        assert clf.classify("Перевод по СБП завис", "banks") == ["transfers"]
        assert clf.semantic() is None
    finally:
        load_navec.cache_clear()


def test_new_wording_batch_is_labelled_with_known_codes_and_split_per_aspect() -> None:
    import json
    from collections import Counter

    from classifier.intent import INTENTS
    from molva.aspects import DEFAULT_ASPECTS
    from molva.catalog import load_catalog

    data = Path(__file__).resolve().parents[1] / "data"
    rows = [json.loads(line) for line in (data / "support_posts_aspects.jsonl").read_text(encoding="utf-8")
            .splitlines() if line.strip()]
    assert len(rows) >= 80 and len({r["id"] for r in rows}) == len(rows)
    catalog = load_catalog()
    per_split: dict[str, Counter[str]] = {"dev": Counter(), "heldout": Counter()}
    for row in rows:
        matched = {m.brand for m in catalog.match(row["text"])}
        for label in row["labels"]:
            assert label["brand"] in matched and label["intent"] in INTENTS and isinstance(label["urgent"], bool)
            assert label["aspects"] and set(label["aspects"]) <= set(DEFAULT_ASPECTS[label["group"]])
            per_split[row["split"]][f"{label['group']}.{label['aspects'][0]}"] += 1
    assert set(per_split["dev"]) == set(per_split["heldout"])  # every aspect on both sides
    vague = [json.loads(line) for line in (data / "support_posts_vague.jsonl").read_text(encoding="utf-8")
             .splitlines() if line.strip()]
    assert {r["split"] for r in vague} == {"dev"} and all(not lb["aspects"] for r in vague for lb in r["labels"])
