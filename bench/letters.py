"""Letter benchmarks: submitting at the domain level, and the letter pages' run time."""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Iterator

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent


def _environ(data_dir: Path) -> dict[str, str]:
    return {"PORTAL_ENV": "test", "PORTAL_DATA_DIR": str(data_dir),
            "PORTAL_SECRETS_FILE": str(data_dir / "none.toml"),
            "PORTAL_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "PORTAL_LOOKUP_KEY": "bench", "PORTAL_MIN_SUBMIT_SECONDS": "0"}


def bench_submit(count: int = 2000) -> Iterator[tuple[str, str]]:
    """Letters stored per second by submit_letter on SQLite, one at a time, as the page does."""
    from letters.sender import Sender
    from letters.submit import LetterDraft, submit_letter
    from portal.config import load_config
    from portal.runtime import open_runtime

    with tempfile.TemporaryDirectory() as tmp:
        runtime = open_runtime(load_config(_environ(Path(tmp))))
        text = "Please end family separation now.\n\n" * 20
        drafts = [LetterDraft("end-family-separation", "en",
                              Sender("Ana", "García", f"ana{n}@example.org", "El Paso", "TX", "79901",
                                     street="1 Main St", phone="915-555-0100"),
                              text, False, n % 2 == 0, f"bench-{n}") for n in range(count)]
        timings = []
        for draft in drafts:
            start = time.perf_counter()
            submit_letter(runtime, draft)
            timings.append(time.perf_counter() - start)
        runtime.db.dispose()
    total = sum(timings)
    yield "submit one letter (domain, SQLite): median", f"{statistics.median(timings) * 1000:.2f} ms"
    yield "submit one letter (domain, SQLite): p95", f"{sorted(timings)[int(count * 0.95)] * 1000:.2f} ms"
    yield "letters submitted per second, one thread", f"{count / total:,.0f}"


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
