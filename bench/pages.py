"""Benchmark 1: each page's run time (AppTest) against a trivial Streamlit page."""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Iterator

from bench.common import ROOT, environ as _environ


def _median_run(make, runs: int) -> float:
    from streamlit.testing.v1 import AppTest  # noqa: F401  (imported once before timing)

    at = make()
    at.run()  # the first run loads caches (templates, engine): not what a visitor waits for
    times = []
    for _ in range(runs):
        at = make()
        start = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - start)
        assert not at.exception, at.exception
    return statistics.median(times)


def bench_pages(runs: int = 15) -> Iterator[tuple[str, str]]:
    """Median AppTest run time of the letter pages, against a trivial Streamlit page."""
    from streamlit.testing.v1 import AppTest

    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        saved = dict(os.environ)
        os.environ.update(_environ(data_dir))
        try:
            trivial = _median_run(lambda: AppTest.from_string(
                "import streamlit as st\nst.title('Hello')\nst.button('Go')"), runs)

            def write_page(campaign: str | None = None):
                at = AppTest.from_file(str(ROOT / "pages" / "write.py"), default_timeout=60)
                if campaign:
                    at.query_params["campaign"] = campaign
                return at

            listing = _median_run(write_page, runs)
            details = _median_run(lambda: write_page("end-family-separation"), runs)
            home = _median_run(lambda: AppTest.from_file(str(ROOT / "pages" / "home.py")), runs)
        finally:
            os.environ.clear()
            os.environ.update(saved)
    yield "trivial Streamlit page (AppTest run, median)", f"{trivial * 1000:.1f} ms"
    for label, value in (("home page", home), ("letter page, campaign list", listing),
                         ("letter page, draft and details form", details)):
        yield f"{label} (AppTest run, median)", f"{value * 1000:.1f} ms ({value / trivial:.1f}x trivial)"
