"""A very long post is judged on the part around the brand's mention: the same verdict as the short post,
with every span moved to match."""

from __future__ import annotations

from classifier.judge import JUDGED_CHARS, around_mention, judge_mention

NEGATIVE = {"negative": 0.9, "neutral": 0.05, "positive": 0.05}
COMPLAINT = "Сбербанк заблокировал карту, не могу оплатить лекарства, деньги нужны срочно!"


def test_short_posts_are_read_whole() -> None:
    assert around_mention(COMPLAINT, (0, 8), [(40, 45)]) == (COMPLAINT, (0, 8), [(40, 45)])


def test_a_long_post_is_cut_around_the_mention_and_spans_follow() -> None:
    filler = "Погода сегодня обычная, ничего особенного. " * 1000
    text = filler + COMPLAINT + " " + filler
    start = len(filler)
    part, target, others = around_mention(text, (start, start + 8), [(3, 9), (start + 40, start + 45)])
    assert len(part) <= JUDGED_CHARS and target is not None
    assert part[target[0]:target[1]] == "Сбербанк"
    assert others == [(start + 40 - (start - target[0]), start + 45 - (start - target[0]))]  # far one dropped
    assert part.startswith(" ") or part[0].isupper()  # begins at a sentence


def test_long_and_short_posts_get_the_same_judgment() -> None:
    filler = "Погода сегодня обычная, ничего особенного. " * 1000
    short = judge_mention(COMPLAINT, NEGATIVE, target=(0, 8), group="banks", brand="Сбербанк")
    long = judge_mention(filler + COMPLAINT, NEGATIVE, target=(len(filler), len(filler) + 8), group="banks",
                         brand="Сбербанк")
    assert short.urgent and (long.intent, long.urgent, long.aspects) == (short.intent, short.urgent, short.aspects)
