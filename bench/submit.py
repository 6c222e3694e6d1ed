"""Benchmark 2: letter submissions per second at the domain level on SQLite."""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Iterator

from bench.common import environ as _environ


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
