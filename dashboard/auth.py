"""Optional login: Streamlit's OIDC (``st.login``) when ``[auth]`` is in secrets, else a password from settings.

Login is on when ``dashboard.require_login`` is true, or when it is unset and the dashboard is bound to a
non-loopback address. ``molva dashboard`` refuses to start in that case without a password or OIDC; the
page itself refuses to show anything as a second line of defence.
"""

from __future__ import annotations

import hmac

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


def bound_host(settings: Settings) -> str:
    address = st.get_option("server.address")
    return str(address) if address else settings.dashboard.host


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
        if password_matches(entered, password.get_secret_value()):
            st.session_state[SESSION_KEY] = True
            st.rerun()
        st.error("Неверный пароль.")
    return False
