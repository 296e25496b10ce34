"""The error messages a crawl run keeps: every shape of error before any repeat, in the order they happened."""

from __future__ import annotations

from molva.errors import error_shape, sample_errors


def test_every_shape_is_kept_before_repeats() -> None:
    timeouts = [f"DownloadTimeoutError fetching http://127.0.0.1:4168{i}/s/brand{i}: timeout" for i in range(30)]
    markup = "changed markup at http://127.0.0.1:41683/s/mts_ru: no .tgme_widget_message element"
    server = "HTTP 502 from http://127.0.0.1:41683/s/megafon_ru (after retries)"
    messages = timeouts[:25] + [markup] + timeouts[25:] + [server]
    kept = sample_errors(messages, 5)
    assert len(kept) == 5 and markup in kept and server in kept
    assert kept == [m for m in messages if m in kept]  # the run's own order
    assert kept[:3] == timeouts[:3]  # the remaining slots go to the earliest messages


def test_few_messages_are_all_kept_and_shapes_ignore_urls_and_numbers() -> None:
    assert sample_errors(["a", "b"], 20) == ["a", "b"]
    assert error_shape("HTTP 502 from http://x/1") == error_shape("HTTP 503 from http://y/2")
    assert error_shape("HTTP 502 from http://x/1") != error_shape("changed markup at http://x/1: no a element")
