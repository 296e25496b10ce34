"""Optional login: Streamlit's OIDC (``st.login``) when ``[auth]`` is in secrets, else a password from settings.

Login is on whenever the address Streamlit binds is not provably loopback: ``streamlit run dashboard/app.py``
without ``--server.address`` binds every interface (the option reads as ``None``), and so do ``""``,
``0.0.0.0``, ``::`` and host names. ``dashboard.require_login = true`` turns it on for loopback too.
``molva dashboard`` refuses to start on the network without a password or OIDC; the page itself refuses to
show anything as a second line of defence. Failed password attempts are rate-limited per client address
(``dashboard.login_attempts`` per ``dashboard.login_window`` seconds, then a lock-out for the window).
"""

from __future__ import annotations

import hmac
import threading
import time
from collections import deque
from collections.abc import Callable

import streamlit as st

from molva.settings import Settings

SESSION_KEY = "molva_authenticated"


def oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def password_matches(entered: str, expected: str) -> bool:
    return hmac.compare_digest(entered.encode("utf-8"), expected.encode("utf-8"))


def bound_host(settings: Settings) -> str | None:
    """The address Streamlit listens on (``None``: every interface); the settings' host is only what
    ``molva dashboard`` asked for, not proof of where this server listens."""
    address = st.get_option("server.address")
    return str(address) if address is not None else None


class LoginLimiter:
    """At most ``attempts`` failed logins per client within ``window`` seconds (shared by the process's
    sessions: a new browser session does not reset it)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, client: str, window: float) -> deque[float]:
        failures = self._failures.setdefault(client, deque())
        now = self.clock()
        while failures and now - failures[0] >= window:
            failures.popleft()
        return failures

    def locked_for(self, client: str, attempts: int, window: float) -> float:
        """Seconds until ``client`` may try again (0: now)."""
        with self._lock:
            failures = self._recent(client, window)
            if len(failures) < attempts:
                return 0.0
            return max(0.0, window - (self.clock() - failures[-attempts]))

    def failed(self, client: str) -> None:
        with self._lock:
            self._failures.setdefault(client, deque()).append(self.clock())

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._failures.pop(client, None)

    def reset(self) -> None:
        with self._lock:
            self._failures.clear()


LIMITER = LoginLimiter()


def client_key() -> str:
    try:
        address = st.context.ip_address
    except Exception:  # older Streamlit, or no request context (tests)
        address = None
    return address if isinstance(address, str) and address else "*"  # one shared budget when unknown


def gate(settings: Settings) -> bool:
    """True when the visitor may see the dashboard; otherwise draws the login form (or the refusal)."""
    if not settings.dashboard.login_required(bound_host(settings)):
        return True
    if oidc_configured():
        if st.user.get("is_logged_in", False):
            st.sidebar.caption(f"Вы вошли как {st.user.get('email') or st.user.get('name') or 'пользователь'}")
            st.sidebar.button("Выйти", on_click=st.logout)
            return True
        st.title("Молва: вход")
        st.button("Войти через единый вход (OIDC)", on_click=st.login, type="primary")
        return False
    password = settings.dashboard.password
    if password is None or not password.get_secret_value():
        st.error(
            "Панель доступна из сети, но пароль не задан. Задайте dashboard.password "
            "(MOLVA_DASHBOARD__PASSWORD) или настройте вход OIDC в .streamlit/secrets.toml."
        )
        return False
    if st.session_state.get(SESSION_KEY):
        st.sidebar.button("Выйти", on_click=lambda: st.session_state.pop(SESSION_KEY, None))
        return True
    st.title("Молва: вход")
    with st.form("login"):
        entered = st.text_input("Пароль", type="password")
        submitted = st.form_submit_button("Войти", type="primary")
    if submitted:
        client, limits = client_key(), (settings.dashboard.login_attempts, settings.dashboard.login_window)
        wait = LIMITER.locked_for(client, *limits)
        if wait > 0:
            st.error(f"Слишком много неудачных попыток входа. Повторите через {int(wait) + 1} с.")
            return False
        if password_matches(entered, password.get_secret_value()):
            LIMITER.succeeded(client)
            st.session_state[SESSION_KEY] = True
            st.rerun()
        LIMITER.failed(client)
        st.error("Неверный пароль.")
    return False
