"""Entry point of the dashboard: ``streamlit run dashboard/app.py`` (or ``molva dashboard``)."""

from __future__ import annotations

import sys
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parent.parent)
if _ROOT not in sys.path:  # the dashboard package, when run as a script by Streamlit
    sys.path.insert(0, _ROOT)

import streamlit as st  # noqa: E402

from dashboard import auth, brands, data, ui  # noqa: E402
from dashboard.context import PAGES_DIR, clear_context, set_context  # noqa: E402

st.set_page_config(page_title="Молва", page_icon=":material/campaign:", layout="wide")


def _nothing() -> None:
    """The only page while the visitor is not logged in (what is shown is drawn by ``main``)."""


def hold() -> None:
    """Stop this run showing only what is drawn so far.

    ``st.navigation`` is still called: with a ``pages/`` folder beside this file Streamlit stays in its legacy
    multipage mode (page files reachable by URL, without this script) until ``st.navigation`` has been called.
    """
    st.navigation([st.Page(_nothing, title="Молва", url_path="start")], position="hidden")
    st.stop()


def main() -> None:
    settings = data.settings()
    if not auth.gate(settings):
        hold()
    url = settings.db_url
    from molva.db import missing_sqlite_file

    if missing_sqlite_file(url) is not None or not data.schema_ready(url):  # never create an empty file
        st.title("Молва")
        st.warning("База данных ещё не создана. Выполните `molva db upgrade` и обновите страницу.")
        hold()
    groups = data.brand_groups()
    known = data.known_brands(url)
    focus = ui.sidebar_focus(groups, known, settings.dashboard.focus_brand)
    group = brands.group_of_focus(groups, focus)
    zone = settings.alerts.timezone
    filters = ui.sidebar_filters(known, data.known_sources(url), zone)
    pages = [
        st.Page(str(PAGES_DIR / "overview.py"), title="Обзор", icon=":material/insights:", default=True),
        st.Page(str(PAGES_DIR / "competitors.py"), title="Конкуренты", icon=":material/leaderboard:"),
        st.Page(str(PAGES_DIR / "explorer.py"), title="Упоминания", icon=":material/search:"),
        st.Page(str(PAGES_DIR / "reach.py"), title="Кто и где", icon=":material/groups:"),
        st.Page(str(PAGES_DIR / "support.py"), title="Очередь поддержки", icon=":material/support_agent:"),
        st.Page(str(PAGES_DIR / "sources.py"), title="Источники", icon=":material/monitor_heart:"),
    ]
    page = st.navigation(pages)
    members = tuple(groups.get(group, [])) if group else ((focus,) if focus else ())
    set_context(url, filters, focus=focus, group=group, members=members, zone=zone)
    try:
        page.run()
    finally:
        clear_context()


main()
