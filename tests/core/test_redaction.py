"""Issue 14.1: one redaction for log records, error messages and stored errors."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest

from molva.redaction import forget_secrets, redact, register_secret

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("text", "secret"), [
    ("GET https://api.vk.com/method/wall.get?owner_id=1&access_token=vk1.a.XYZ123abc&v=5.199 failed", "vk1.a.XYZ123abc"),
    ("error https://x/?api_key=K3Y-value", "K3Y-value"),
    ("Authorization: Bearer eyJhbGciOi.JIUzI1.NiJ9", "eyJhbGciOi.JIUzI1.NiJ9"),
    ("headers={'Api-Key': 'dsc-9f8e7d', 'Accept': 'json'}", "dsc-9f8e7d"),
    ('{"password": "hunter2!", "user": "bob"}', "hunter2!"),
    ("postgresql://molva:p4ssw0rd@db:5432/molva", "p4ssw0rd"),
    ("login with password=correct-horse", "correct-horse"),
    ("token=abcdef&x=1", "abcdef"),
    ("POST https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/sendMessage: 502",
     "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"),
])
def test_patterns_are_masked(text: str, secret: str) -> None:
    out = redact(text)
    assert secret not in out and "***" in out


def test_registered_literals_are_masked_anywhere() -> None:
    try:
        register_secret("plain-secret-value-42")
        assert redact("the server said plain-secret-value-42 is wrong") == "the server said *** is wrong"
    finally:
        forget_secrets()


def test_ordinary_text_is_untouched() -> None:
    text = "Сбербанк: перевод не проходит, token bucket пуст; page=2&owner_id=-1"
    assert redact(text) == text


def test_cli_edge_redacts_log_records_and_tracebacks(tmp_path: Path) -> None:
    """The filter installed by the CLI catches messages, arguments and tracebacks of every logger."""
    script = (
        "import logging, sys\n"
        "from molva import redaction\n"
        "logging.basicConfig(level=logging.INFO)\n"
        "redaction.install()\n"
        "redaction.register_secret('literal-secret-777')\n"
        "log = logging.getLogger('scrapy.core.scraper')\n"
        "log.error('failed %s', 'https://api.vk.com/method/x?access_token=TOK-abc-999&v=1')\n"
        "log.info('configured literal-secret-777')\n"
        "try:\n"
        "    raise RuntimeError('Authorization: Bearer TOK-hdr-555')\n"
        "except RuntimeError:\n"
        "    log.exception('boom')\n"
        "raise ValueError('https://x?password=TOK-pw-111')\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120)
    output = result.stdout + result.stderr
    assert result.returncode == 1 and "ValueError" in output and "RuntimeError" in output
    for secret in ("TOK-abc-999", "literal-secret-777", "TOK-hdr-555", "TOK-pw-111"):
        assert secret not in output, output
    assert output.count("***") >= 4


def test_handler_filter_catches_records_made_elsewhere() -> None:
    from molva.redaction import RedactingFilter

    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "url %s", ("https://h/?access_token=SEKRIT1",), None)
    RedactingFilter().filter(record)
    assert "SEKRIT1" not in record.getMessage()
