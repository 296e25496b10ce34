"""One redaction of secrets for every log record, error message and stored error.

``redact(text)`` masks access tokens, API keys and passwords: values of secret-looking query parameters
(``access_token=…``, ``api_key=…``, ``password=…``), ``Authorization`` / ``Api-Key`` header values, the password
in ``scheme://user:password@host`` URLs, secret-looking ``"key": "value"`` pairs, and every literal secret
registered with :func:`register_secret` (the CLI registers the configured tokens, keys and passwords).

:func:`install` puts it at the edge of a process: a log-record factory and a filter on the root handlers
(messages, arguments and tracebacks), and ``sys.excepthook`` for an uncaught exception.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
from collections.abc import Iterable
from types import TracebackType
from typing import Any

MASK = "***"

_SECRET_NAMES = (
    r"access[_-]?token|refresh[_-]?token|id[_-]?token|token|api[_-]?key|apikey|api[_-]?secret|client[_-]?secret"
    r"|secret|password|passwd|pwd|private[_-]?key|auth[_-]?token|session[_-]?key|sig|signature"
)
# name=value in query strings, forms and "key=value" log text (the value ends at & ; whitespace quotes , ) ]).
_PARAM = re.compile(rf"(?i)\b({_SECRET_NAMES})(=)([^&;\s'\"<>,)\]}}]+)")
# "name": "value" / 'name': 'value' / name: value in JSON, dict reprs and YAML-ish text.
_PAIR = re.compile(rf"(?i)([\"']?(?:{_SECRET_NAMES})[\"']?\s*:\s*)([\"'])(.*?)(\2)")
# HTTP headers that carry credentials, with an optional scheme (Bearer, Basic, token, OAuth).
_HEADER = re.compile(
    r"(?i)\b(authorization|proxy-authorization|api-key|x-api-key|x-auth-token|cookie|set-cookie)"
    r"([\"']?\s*[:=]\s*[\"']?)((?:bearer|basic|token|oauth|digest)\s+)?([^\s\"',;}]+)"
)
# Telegram bot tokens (webhook URLs such as https://api.telegram.org/bot123456:AA.../sendMessage).
_BOT_TOKEN = re.compile(r"\b(bot)?(\d{6,12}):[A-Za-z0-9_-]{30,}")
# scheme://user:password@host
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^/\s:@]*:)([^@\s/]+)(@)")

_lock = threading.Lock()
_known: set[str] = set()
_known_pattern: re.Pattern[str] | None = None
MIN_SECRET_LENGTH = 4  # shorter "secrets" would mask ordinary words


def register_secret(*values: object) -> None:
    """Mask these literal values wherever they appear (``SecretStr`` values are unwrapped)."""
    global _known_pattern
    added = False
    for value in values:
        if value is None:
            continue
        getter = getattr(value, "get_secret_value", None)
        text = str(getter() if callable(getter) else value)
        if len(text) >= MIN_SECRET_LENGTH and text not in _known:
            with _lock:
                _known.add(text)
            added = True
    if added:
        with _lock:
            alternatives = sorted(_known, key=len, reverse=True)
            _known_pattern = re.compile("|".join(re.escape(s) for s in alternatives))


def forget_secrets() -> None:
    """Drop the registered literals (tests)."""
    global _known_pattern
    with _lock:
        _known.clear()
        _known_pattern = None


def redact(text: str) -> str:
    """``text`` with every secret it contains replaced by ``***``."""
    if not text:
        return text
    known = _known_pattern
    if known is not None:
        text = known.sub(MASK, text)
    text = _BOT_TOKEN.sub(lambda m: (m.group(1) or "") + m.group(2) + ":" + MASK, text)
    text = _USERINFO.sub(lambda m: m.group(1) + MASK + m.group(3), text)
    text = _HEADER.sub(lambda m: m.group(1) + m.group(2) + (m.group(3) or "") + MASK, text)
    text = _PARAM.sub(lambda m: m.group(1) + m.group(2) + MASK, text)
    return _PAIR.sub(lambda m: m.group(1) + m.group(2) + MASK + m.group(4), text)


def redact_all(texts: Iterable[str]) -> list[str]:
    return [redact(t) for t in texts]


def redact_optional(text: str | None) -> str | None:
    return None if text is None else redact(text)


class RedactingFilter(logging.Filter):
    """Rewrites a record's message (with its arguments), traceback and stack in redacted form."""

    def filter(self, record: logging.LogRecord) -> bool:
        _redact_record(record)
        return True


def _redact_record(record: logging.LogRecord) -> None:
    if getattr(record, "_molva_redacted", False):
        return
    try:
        message = record.getMessage()
    except Exception:  # a broken format string: keep the raw parts, redacted
        message = f"{record.msg} {record.args}"
    record.msg = redact(message)
    record.args = None
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    setattr(record, "_molva_redacted", True)  # noqa: B010


def register_settings_secrets(settings: Any) -> None:
    """Register the secrets of a :class:`molva.settings.Settings` (tokens, API keys, passwords)."""
    from sqlalchemy.engine import make_url

    dashboard, alerts = settings.dashboard, settings.alerts
    register_secret(settings.vk_token, settings.discourse_api_key, dashboard.password,
                    getattr(getattr(settings, "privacy", None), "pseudonym_key", None))
    for rule in alerts.brands.values():
        register_secret(rule.discourse_api_key)
    for source in settings.sources:
        for key, value in source.options.items():
            if _PARAM.fullmatch(f"{key}=x") and isinstance(value, str):
                register_secret(value)
    try:
        register_secret(make_url(settings.db_url).password)
    except Exception:  # an unparsable URL is reported where it is used
        pass


_installed = False
_FILTER = RedactingFilter()


def install() -> None:
    """Redact every log record of this process and the text of an uncaught exception (idempotent)."""
    global _installed
    for handler in logging.getLogger().handlers:
        if _FILTER not in handler.filters:
            handler.addFilter(_FILTER)
    if _installed:
        return
    _installed = True
    previous_factory = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous_factory(*args, **kwargs)
        _redact_record(record)  # every logger, whichever handler (added later or not) emits it
        return record

    logging.setLogRecordFactory(factory)
    previous_hook = sys.excepthook

    def hook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        import traceback

        sys.stderr.write(redact("".join(traceback.format_exception(kind, value, tb))))

    if previous_hook is sys.__excepthook__:
        sys.excepthook = hook
