"""The focus brand and its group, and one stable colour per brand (the same on every page).

Every chart shows the focus brand, its top rivals and "Другие"; :func:`palette` gives each brand of a group a
distinct colour by its place in the group's (catalog) list, so a brand keeps its colour across pages and periods.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import altair as alt
import pandas as pd

from molva import fmt

OTHERS = fmt.OTHERS
OTHERS_COLOUR = fmt.OTHERS_COLOUR
TOP_RIVALS = 5
palette = fmt.palette  # the one palette function (the weekly report uses it too)


def shown_brands(totals: Mapping[str, float], focus: str | None, limit: int = TOP_RIVALS) -> list[str]:
    """The focus brand first, then its ``limit`` biggest rivals by ``totals`` (the rest become "Другие")."""
    rivals = sorted((b for b in totals if b != focus and totals[b] > 0), key=lambda b: (-totals[b], b))[:limit]
    return ([focus] if focus and focus in totals else []) + rivals


def fold_others(df: pd.DataFrame, keep: Sequence[str], by: Sequence[str] = (), column: str = "brand") -> pd.DataFrame:
    """Rows of brands not in ``keep`` summed into one "Другие" row per ``by`` key (numeric columns only)."""
    if df.empty:
        return df
    inside = df[df[column].isin(keep)]
    outside = df[~df[column].isin(keep)]
    if outside.empty:
        return inside.reset_index(drop=True)
    numeric = [c for c in outside.columns if c not in by and c != column and pd.api.types.is_numeric_dtype(outside[c])]
    if by:
        folded = outside.groupby(list(by), as_index=False)[numeric].sum()
    else:
        folded = pd.DataFrame([outside[numeric].sum()])
    folded[column] = OTHERS
    return pd.concat([inside, folded], ignore_index=True)


def legend_order(keep: Sequence[str], df: pd.DataFrame, column: str = "brand") -> list[str]:
    """The brands kept, then "Другие" only when the chart has such rows."""
    present = set(df[column]) if not df.empty else set()
    return [b for b in keep if b in present] + ([OTHERS] if OTHERS in present else [])


def colour(order: Sequence[str], colours: Mapping[str, str], title: str = "Бренд", columns: int = 4) -> alt.Color:
    """An Altair colour channel with the brands' fixed colours, in ``order`` (the focus brand first); its
    legend below the chart in ``columns`` columns (fewer for a narrow chart, so long names are not cut)."""
    domain = list(dict.fromkeys(order))
    return alt.Color(
        "brand:N",
        title=title,
        scale=alt.Scale(domain=domain, range=[colours.get(b, OTHERS_COLOUR) for b in domain]),
        legend=alt.Legend(orient="bottom", columns=columns, labelLimit=200, symbolLimit=0),
        sort=domain,
    )


def group_of_focus(groups: Mapping[str, Sequence[str]], focus: str | None) -> str | None:
    return next((group for group, members in groups.items() if focus in members), None)


def default_focus(groups: Mapping[str, Sequence[str]], known: Sequence[str], configured: str | None) -> str | None:
    """The configured focus brand when it is known, else the first brand of the first group, else any."""
    if configured and (configured in known or any(configured in m for m in groups.values())):
        return configured
    for members in groups.values():
        if members:
            return members[0]
    return known[0] if known else None
