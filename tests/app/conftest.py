"""AppTest fixtures: each test gets its own data folder and fresh Streamlit caches."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.conftest import portal_environ

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def app_env(data_dir, monkeypatch):
    """Point the portal at a throwaway database; clear caches so no test sees another's runtime."""
    for name, value in portal_environ(data_dir).items():
        monkeypatch.setenv(name, value)
    st.cache_resource.clear()
    st.cache_data.clear()
    yield data_dir
    st.cache_resource.clear()
    st.cache_data.clear()


def page(name: str) -> AppTest:
    """An AppTest for one page file, run on its own as a fresh server would."""
    return AppTest.from_file(str(ROOT / "pages" / name), default_timeout=60)


def texts(at: AppTest) -> str:
    """Everything a visitor reads on the page, as one string, for `in` checks."""
    parts = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "text", "info", "warning",
                 "error", "success"):
        parts.extend(str(el.value) for el in getattr(at, kind))
    return "\n".join(parts)
