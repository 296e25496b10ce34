"""Russian presentation helpers: one way to write a number, a share, a date and a duration."""

from __future__ import annotations

import math
from datetime import UTC, datetime

from molva import fmt

T = fmt.THIN
N = fmt.NBSP


def test_numbers_use_thin_spaces_and_a_comma() -> None:
    assert fmt.number(1093) == f"1{T}093"
    assert fmt.number(1_234_567) == f"1{T}234{T}567"
    assert fmt.number(0.5, 2) == "0,50"
    assert fmt.number(-1500) == f"−1{T}500"
    assert fmt.number(-0.001, 1) == "0,0"  # no "minus zero"
    assert fmt.number(None) == "—"
    assert fmt.number(math.nan) == "—"


def test_percent_points_and_signed() -> None:
    assert fmt.percent(0.8357) == f"83,6{N}%"
    assert fmt.percent(None) == "—"
    assert fmt.points(0.012) == f"+1,2{N}п.п."
    assert fmt.points(-0.46) == f"−46,0{N}п.п."
    assert fmt.signed(0.123) == "+0,12"
    assert fmt.signed(-0.3) == "−0,30"
    assert fmt.signed(0.0) == "0,00"


def test_dates_in_the_configured_zone() -> None:
    moment = datetime(2026, 11, 29, 11, 5, tzinfo=UTC)
    assert fmt.date_time(moment, "Europe/Moscow", year=False) == "29 ноября, 14:05"
    assert fmt.date_time(moment.replace(tzinfo=None), "Europe/Moscow", year=False) == "29 ноября, 14:05"  # naive=UTC
    assert fmt.date_time(moment, "UTC", year=True) == "29 ноября 2026, 11:05"
    assert fmt.date_time(None) == "—"
    assert fmt.day(moment, "Europe/Moscow") == "29 ноября"
    assert fmt.date_time(moment, "No/Such_Zone", year=False) == "29 ноября, 11:05"  # falls back to UTC


def test_durations_and_names() -> None:
    assert [fmt.duration(v) for v in (None, 10, 90, 5400, 8100, 3600, 200_000)] == [
        "—", "< 1 мин", "2 мин", "1 ч 30 мин", "2 ч 15 мин", "1 ч", "2 дн 7 ч"]
    assert fmt.group_name("banks") == "Банки"
    assert fmt.group_name("telecom") == "Телеком"
    assert fmt.group_name(None) == "—"
    assert fmt.text(None) == "—" and fmt.text("  ") == "—" and fmt.text(float("nan")) == "—"


def test_every_brand_of_a_shipped_group_has_its_own_colour() -> None:
    """Within a group no two brands share a colour (Яндекс Банк was drawn in ВТБ's orange at 25 banks)."""
    from molva.catalog import load_catalog

    groups = {group: [b.name for b in brands] for group, brands in load_catalog().groups().items()}
    colours = fmt.palette(groups)
    for members in groups.values():
        assert len({colours[b] for b in members}) == len(members)
        assert fmt.OTHERS_COLOUR not in {colours[b] for b in members}
    assert len(set(fmt.COLOURS)) == len(fmt.COLOURS)



def test_counted_words_agree_with_their_number() -> None:
    forms = ("подписчик", "подписчика", "подписчиков")
    got = [fmt.counted(n, *forms) for n in (1, 3, 5, 11, 12, 14, 21, 22, 111, 171, 1093)]
    assert [g.replace("\u202f", " ").replace("\u00a0", " ") for g in got] == [
        "1 подписчик", "3 подписчика", "5 подписчиков", "11 подписчиков", "12 подписчиков", "14 подписчиков",
        "21 подписчик", "22 подписчика", "111 подписчиков", "171 подписчик", "1 093 подписчика"]


def test_spike_and_digest_texts_read_as_russian() -> None:
    from alerts.content import digest_text, spike_text

    text = spike_text({"brand": "Билайн", "event": "end", "timezone": "Europe/Moscow",
                       "window_start": "2026-12-01T03:45:52+00:00", "window_end": "2026-12-01T05:44:09.029247+00:00",
                       "negative_count": 102, "baseline": 0.04, "window_minutes": 60, "peak_share": 1.0,
                       "usual_share": 0.33, "authors": [{"author": "Ольга", "followers": 171, "url": "https://vk.com/o"}]})
    flat = text.replace("\u202f", " ").replace("\u00a0", " ")
    assert "102 негативных упоминания (обычно около 0,0 за 60 мин)" in flat
    assert "до 100 % (обычно 33 %)" in flat and "Ольга (171 подписчик)" in flat
    assert "06:45" in flat and ".029" not in flat and "+00:00" not in flat  # Moscow time, no microseconds
    digest = digest_text({"day": "30.11.2026", "brands": [
        {"brand": "МТС", "mentions": 3, "negative_share": 0.5, "topics": 1, "spikes": 0}]})
    assert "МТС: 3 упоминания, негатив 50 %, новых тем: 1, всплесков: 0" in digest.replace("\u00a0", " ")
