"""The dashboard's parts: the figures over every letter and outbox row, and their charts.

Counting every letter by day and by state, and every outbox row by status, takes a time that
grows with them (about a quarter of a second at a million letters), so each server process does
it at most once per FIGURES_TTL_SECONDS and the moderators in between see the same figures. The
number of letters comes from the campaign tallies and is always current.

The charts are Vega-Lite specifications written out here: Streamlit's built-in charts build
theirs through Altair, whose schema validation alone takes some 80 ms on every run of the page.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from letters.outbox import delivery_counts
from letters.stats import letters_by_state, letters_per_day, letters_total
from portal.i18n import Translate
from portal.runtime import Runtime
from web.queue_view import STATUS_LABELS, STATUS_ORDER, recent_status_counts

FIGURES_TTL_SECONDS = 30
TOP_STATES = 20


@dataclass(frozen=True)
class DashboardFigures:
    delivery: dict[str, int]  # outbox rows by status value
    per_day: list[tuple[str, int]]  # (YYYY-MM-DD, letters), oldest first
    by_state: list[tuple[str, int]]  # (state, letters), most first


def dashboard_figures(runtime: Runtime) -> DashboardFigures:
    """The figures that count every letter and outbox row, computed now."""
    return DashboardFigures(delivery=delivery_counts(runtime.db), per_day=letters_per_day(runtime),
                            by_state=letters_by_state(runtime)[:TOP_STATES])


@st.cache_data(ttl=FIGURES_TTL_SECONDS, show_spinner=False)
def _recent_figures(_runtime: Runtime) -> DashboardFigures:
    # One runtime (one database) per server process: the runtime need not be part of the key.
    return dashboard_figures(_runtime)


def recent_figures(runtime: Runtime) -> DashboardFigures:
    """The dashboard's figures, at most FIGURES_TTL_SECONDS old."""
    return _recent_figures(runtime)


def metrics(runtime: Runtime, figures: DashboardFigures, _: Translate) -> None:
    delivery = figures.delivery
    cols = st.columns(4)
    cols[0].metric(_("Letters"), f"{letters_total(runtime):,}")
    cols[1].metric(_("Delivered"), f"{delivery.get('sent', 0):,}")
    cols[2].metric(_("Waiting to be sent"), f"{delivery.get('pending', 0):,}")
    cols[3].metric(_("Failed"), f"{delivery.get('failed', 0):,}")
    st.caption(_("Figures other than the number of letters are updated every {seconds} seconds.")
               .format(seconds=FIGURES_TTL_SECONDS))


def _chart(rows: list[dict], mark: str, x: dict, y: dict) -> None:
    st.vega_lite_chart(rows, {"mark": {"type": mark, "tooltip": True},
                              "encoding": {"x": x, "y": y}}, width="stretch")


def per_day_chart(figures: DashboardFigures, _: Translate) -> None:
    st.subheader(_("Letters per day (last 60 days)"))
    _chart([{"day": day, "letters": n} for day, n in figures.per_day], "line",
           {"field": "day", "type": "temporal", "title": None},
           {"field": "letters", "type": "quantitative", "title": _("Letters")})


def by_state_chart(figures: DashboardFigures, _: Translate) -> None:
    st.subheader(_("Letters by state"))
    _chart([{"state": state, "letters": n} for state, n in figures.by_state], "bar",
           {"field": "letters", "type": "quantitative", "title": _("Letters")},
           {"field": "state", "type": "nominal", "title": None, "sort": "-x"})


def stories_chart(runtime: Runtime, _: Translate) -> None:
    st.subheader(_("Stories by status"))
    counts = recent_status_counts(runtime)
    # In the order work moves through, not alphabetically.
    _chart([{"status": _(STATUS_LABELS[s]), "stories": counts[s]} for s in STATUS_ORDER], "bar",
           {"field": "status", "type": "nominal", "title": None, "sort": None},
           {"field": "stories", "type": "quantitative", "title": _("Stories")})
