"""Work the dashboard's first visitor would otherwise wait for, done when the server starts.

Streamlit runs ``app.py`` and the page scripts in the server's process on each visit, so every module they
import stays imported for the next visitor; only the first one pays for pandas, Altair, PyArrow, SQLAlchemy and
the metrics layer (about 2 CPU-seconds). ``molva dashboard`` calls :func:`preload` and then starts Streamlit in
the same process (``streamlit run``'s own entry point), so that cost is paid before the port opens.

The modules are the top-level imports of ``app.py`` and of every page (read from their source, so a new page's
imports are included), plus those Streamlit and pandas import lazily while drawing (:data:`LAZY`).
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import logging
import time
from collections.abc import Iterable
from pathlib import Path

from dashboard.context import APP_PATH, PAGES_DIR

# imported on first use by st.dataframe, st.page_link/icons, magic, Altair charts and pandas' Styler
LAZY = (
    "pyarrow",
    "pandas.io.formats.style",
    "jsonschema",
    "streamlit.emojis",
    "streamlit.material_icon_names",
    "streamlit.runtime.scriptrunner.magic_funcs",
    "streamlit.elements.arrow",
    "streamlit.elements.vega_charts",
    "streamlit.components.v2.manifest_scanner",
    "molva.db",
    "molva.catalog",
    "sqlite3",
)


def scripts() -> list[Path]:
    return [APP_PATH, *sorted(p for p in PAGES_DIR.glob("*.py") if p.name != "__init__.py")]


def script_imports(path: Path) -> list[str]:
    """The absolute modules a script imports at its top level (``from pkg import sub`` gives ``pkg.sub`` when
    ``sub`` is a module)."""
    names: list[str] = []
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level and node.module != "__future__":
            names.append(node.module)
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                try:
                    if importlib.util.find_spec(candidate) is not None:
                        names.append(candidate)
                except (ImportError, ValueError):  # ``alias`` is a name inside the module, not a module
                    continue
    return names


def modules() -> list[str]:
    """What :func:`preload` imports, in order, without repeats."""
    found: list[str] = []
    for path in scripts():
        found += script_imports(path)
    return list(dict.fromkeys([*found, *LAZY]))


def warm_charts() -> None:
    """Altair reads and compiles its Vega-Lite JSON schema when the first chart is validated."""
    import altair as alt
    import pandas as pd

    alt.Chart(pd.DataFrame({"x": [0, 1], "y": [1, 2]})).mark_line().encode(x="x:Q", y="y:Q").to_dict()


def preload(names: Iterable[str] | None = None) -> float:
    """Import the dashboard's modules (``names``: :func:`modules`), warm Altair and the source-kind registry;
    returns the seconds spent."""
    started = time.perf_counter()
    # st.cache_data checks its options when a module is imported; with no server running yet it warns that it
    # would use memory storage (the storage is chosen at the first call, when the server runs): not a problem
    quiet = logging.getLogger("streamlit.runtime.caching.cache_data_api")
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        for name in modules() if names is None else names:
            importlib.import_module(name)
    finally:
        quiet.setLevel(level)
    warm_charts()
    from molva.sources import kinds

    kinds()  # the source-kind registry reads its entry points (the crawler kinds) once
    return time.perf_counter() - started
