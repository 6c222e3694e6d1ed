"""Story benchmarks: the moderators' queue at 10,000 and 100,000 stories."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Iterator

from bench.common import environ as _environ, median_time


def bench_queue(sizes: tuple[int, ...] = (10_000, 100_000)) -> Iterator[tuple[str, str]]:
    """Queue page (filters, count, one page) and word search, as the story count grows."""
    from portal.config import load_config
    from portal.runtime import open_runtime
    from stories.demo import add_demo_stories
    from stories.moderation import QueueFilters, queue
    from stories.models import StoryStatus

    with tempfile.TemporaryDirectory() as tmp:
        runtime = open_runtime(load_config(_environ(Path(tmp))))
        have = 0
        for size in sizes:
            start = time.perf_counter()
            add_demo_stories(runtime, size - have, seed=size)
            have = size
            yield f"demo-data: {size:,} stories in total", f"{time.perf_counter() - start:.1f} s to add"
            open_work = QueueFilters(statuses=(StoryStatus.NEW, StoryStatus.IN_REVIEW))
            cases = {
                "queue, open work, first page": lambda: queue(runtime, open_work),
                "queue, open work, page 50": lambda: queue(runtime, open_work, page=50),
                "queue, Spanish + press consent": lambda: queue(runtime, QueueFilters(language="es", press_consent=True)),
                "queue, search one common word": lambda: queue(runtime, QueueFilters(search="children")),
                "queue, search two words": lambda: queue(runtime, QueueFilters(search="hija semanas")),
            }
            for label, fn in cases.items():
                yield f"{label} ({size:,} stories)", f"{median_time(fn) * 1000:.1f} ms"
        size_mb = sum(p.stat().st_size for p in Path(tmp).glob("portal.db*")) / 1e6
        yield f"database size at {have:,} stories", f"{size_mb:.0f} MB"
        runtime.db.dispose()
