"""What ``app.py`` hands to the page being shown: the database URL and the sidebar filters."""

from __future__ import annotations

import runpy
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from molva.metrics import MetricsFilter

PAGES_DIR = Path(__file__).resolve().parent / "pages"
APP_PATH = Path(__file__).resolve().parent / "app.py"
_KEY = "molva_context"


@dataclass(frozen=True)
class PageContext:
    url: str
    filters: MetricsFilter
    focus: str | None = None  # the focus brand ("мой бренд")
    group: str | None = None  # its catalog group
    members: tuple[str, ...] = ()  # the brands of that group (the focus brand's rivals and itself)
    zone: str = "Europe/Moscow"  # times are shown in this zone (alerts.timezone)


def set_context(url: str, filters: MetricsFilter, **focus: object) -> None:
    st.session_state[_KEY] = PageContext(url, filters, **focus)  # type: ignore[arg-type]


def clear_context() -> None:
    """Called by ``app.py`` when its run ends: a context never outlives the run that checked the login."""
    st.session_state.pop(_KEY, None)


def get_context() -> PageContext:
    """The context set by ``app.py`` in this run.

    A page file runs without ``app.py`` only in Streamlit's legacy multipage mode (a ``pages/`` folder beside
    the entry point: before the server's first ``st.navigation`` call, e.g. when the first visitor opens a
    page's URL, and in every ``AppTest`` run). Such a run goes through ``app.py`` instead: it checks the
    login, draws the filters and calls ``st.navigation``, which runs the requested page.
    """
    context = st.session_state.get(_KEY)
    if context is None:
        runpy.run_path(str(APP_PATH), run_name="__main__")  # the login, the filters, then this page
        st.stop()
    return context  # type: ignore[no-any-return]
