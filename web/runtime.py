"""The portal's runtime, built once per server process and shared by every session."""

from __future__ import annotations

import logging

import streamlit as st

from portal.config import ConfigError
from portal.keys import MissingKeyError
from portal.logs import configure_logging
from portal.rate_limit import SlidingWindowLimiter
from portal.runtime import Runtime, open_runtime

log = logging.getLogger(__name__)


@st.cache_resource(show_spinner=False)
def _runtime() -> Runtime:
    configure_logging()
    runtime = open_runtime()
    for problem in runtime.campaigns.problems:
        log.warning("letter template problem: %s", problem)
    return runtime


def get_runtime() -> Runtime:
    """The shared runtime; a configuration error stops the page with a generic message."""
    try:
        return _runtime()
    except (ConfigError, MissingKeyError) as exc:
        # The reason goes to the operator's log, never to the browser (SAFETY.md L1, L2).
        log.error("cannot start: %s", exc)
        st.error("The portal is not configured correctly. Please try again later.")
        st.stop()
        raise


@st.cache_resource(show_spinner=False)
def limiter(name: str, per_minute: int) -> SlidingWindowLimiter:
    """One in-memory limiter per process and purpose (letters, receipt codes), shared by sessions."""
    return SlidingWindowLimiter(per_minute, 60.0)
