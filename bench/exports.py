"""Benchmarks 3 and 4: the press files, made as the exports page makes them.

Both time `stories.ledger.export_stories`, what the page calls: read the approved stories,
decrypt them, write the file and record it in the export ledger.

3. The XLSX of N stories against raw openpyxl in write-only mode writing the same cells, from
   values decrypted and arranged before the clock starts. Its peak memory is measured at each
   size in a fresh child process (the peak resident memory during the export over what the
   process held just before it), so one size's allocations cannot hide another's. Files go to
   disk, as the command line writes them: an in-memory file would grow with the stories
   whatever the export does.
4. The DOCX press kit of 1,000 stories: seconds, and stories per second.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Iterator

from bench.common import ROOT, environ as _environ

XLSX_SIZES = (10_000, 100_000)
XLSX_TARGET = 1.5  # times raw openpyxl
DOCX_STORIES = 1_000
DOCX_TARGET_SECONDS = 20.0
CAMPAIGN = "Families belong together"


def _open(data_dir: Path):
    from portal.config import load_config
    from portal.runtime import open_runtime

    return open_runtime(load_config(_environ_for(data_dir)))


_ENVIRONS: dict[Path, dict[str, str]] = {}


def _environ_for(data_dir: Path) -> dict[str, str]:
    """One environment (one key) per data folder, so the child process can read what was seeded."""
    return _ENVIRONS.setdefault(data_dir, _environ(data_dir))


def _grow(runtime, stories: int) -> None:
    """Add approved stories with press consent until `stories` of them are in the database."""
    from sqlalchemy import func, select

    from bench.seed import add_stories
    from stories.models import Story

    with runtime.db.session() as session:
        have = session.scalar(select(func.count()).select_from(Story)) or 0
    add_stories(runtime, stories - have, seed=stories, for_press=True)


def _export(runtime, path: Path, fmt: str) -> int:
    from portal.audit import Actor
    from stories.ledger import export_stories

    with path.open("wb") as fh:
        return export_stories(runtime, Actor(moderator_id=None, email="bench"), fh, fmt=fmt,
                              outlet="Benchmark", campaign=CAMPAIGN)


def _same_cells(runtime) -> tuple[list[tuple], list[tuple]]:
    """The values the export writes in its two sheets, decrypted and arranged beforehand."""
    from collections import Counter

    from portal.office_files import naive_utc
    from stories.exports import TERMS_OF_USE, press_stories

    with runtime.db.session() as session:
        stories = [(s.id, s.title, s.text, s.credit or None, s.state, s.language,
                    naive_utc(s.approved_at).date() if s.approved_at else None)
                   for s in press_stories(runtime, session)]
    languages = Counter(row[5] for row in stories)
    states = Counter(row[4] or "" for row in stories)
    summary = [("campaign", CAMPAIGN), ("export date", datetime.now().date()),
               ("number of stories", len(stories)),
               *((f"stories in language {k}", n) for k, n in sorted(languages.items())),
               *((f"stories from state {k or '(not given)'}", n) for k, n in sorted(states.items())),
               ("terms of use", TERMS_OF_USE)]
    return stories, summary


def _raw_xlsx(path: Path, stories: list[tuple], summary: list[tuple]) -> None:
    """The baseline: openpyxl's write-only mode, plain values, nothing checked or escaped."""
    from openpyxl import Workbook

    from stories.exports import STORY_HEADERS

    wb = Workbook(write_only=True)
    sheet = wb.create_sheet("Stories")
    sheet.append(STORY_HEADERS)
    for row in stories:
        sheet.append(row)
    sheet = wb.create_sheet("Summary")
    sheet.append(("item", "value"))
    for row in summary:
        sheet.append(row)
    wb.save(path)


@contextmanager
def _write_transactions_timed(runtime, seconds: list[float]):
    """Record how long each write transaction of the export lasts (the SQLite write lock)."""
    run = runtime.db.run

    def timed(work, **kwargs):
        start = time.perf_counter()
        try:
            return run(work, **kwargs)
        finally:
            seconds.append(time.perf_counter() - start)

    runtime.db.run = timed
    try:
        yield
    finally:
        del runtime.db.run


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _median(values: list[float]) -> float:
    values = sorted(values)
    return values[len(values) // 2]


def _memory_kib(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def _child_peak_memory(out: str, fmt: str) -> None:
    """In a fresh process: print how far the export raised the peak resident memory, in bytes.

    Opening the runtime (imports, migrations) may peak higher than the export itself, so the peak
    is reset just before the export (Linux: "5" to /proc/self/clear_refs) and read after it.
    """
    import stories.exports  # noqa: F401  (openpyxl and python-docx loaded before the baseline)
    import stories.ledger  # noqa: F401
    from portal.config import load_config
    from portal.runtime import open_runtime

    runtime = open_runtime(load_config())
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")
    before = _memory_kib("VmRSS")
    _export(runtime, Path(out), fmt)
    peak = _memory_kib("VmHWM")
    runtime.db.dispose()
    print((peak - before) * 1024)


def export_memory(data_dir: Path, fmt: str) -> int:
    """Peak memory the export adds, measured in a child process (bytes)."""
    out = data_dir / f"memory.{fmt}"
    done = subprocess.run(
        [sys.executable, "-c", f"import bench.exports as b; b._child_peak_memory({str(out)!r}, {fmt!r})"],
        env={**os.environ, **_environ_for(data_dir)}, cwd=ROOT, capture_output=True, text=True,
        check=True)
    return int(done.stdout.strip().splitlines()[-1])


def bench_xlsx(sizes: tuple[int, ...] = XLSX_SIZES, runs: int = 3) -> Iterator[tuple[str, str]]:
    """The press XLSX against raw write-only openpyxl, and its peak memory, at each size."""
    with tempfile.TemporaryDirectory(prefix="portal-bench-xlsx-") as tmp:
        data_dir = Path(tmp)
        runtime = _open(data_dir)
        try:
            memory = {}
            for size in sizes:
                start = time.perf_counter()
                _grow(runtime, size)
                yield f"XLSX: seeding to {size:,} approved stories", f"{time.perf_counter() - start:.1f} s"
                stories, summary = _same_cells(runtime)
                assert len(stories) == size, (len(stories), size)
                portal_times, raw_times, writes = [], [], []
                _export(runtime, data_dir / "warm.xlsx", "xlsx")  # a warm-up of each, untimed
                _raw_xlsx(data_dir / "warm-raw.xlsx", stories, summary)
                with _write_transactions_timed(runtime, writes):
                    for _ in range(runs):  # alternated, so a busy moment weighs on both alike
                        portal_times.append(_timed(lambda: _export(runtime, data_dir / "p.xlsx", "xlsx")))
                        raw_times.append(_timed(lambda: _raw_xlsx(data_dir / "r.xlsx", stories, summary)))
                portal, raw = _median(portal_times), _median(raw_times)
                ratio = portal / raw
                yield (f"XLSX press export of {size:,} stories vs raw write-only openpyxl, same cells",
                       f"{portal:.1f} s vs {raw:.1f} s: {ratio:.2f}x (target ≤{XLSX_TARGET:g}x: "
                       f"{'met' if ratio <= XLSX_TARGET else 'missed'}); "
                       f"{size / portal:,.0f} stories/s, file {(data_dir / 'p.xlsx').stat().st_size / 1e6:.1f} MB")
                yield (f"XLSX press export of {size:,} stories: write transaction (check and ledger)",
                       f"{max(writes):.2f} s at most, of the {portal:.1f} s export: other writers "
                       f"wait only that long")
                memory[size] = export_memory(data_dir, "xlsx")
                yield (f"XLSX press export of {size:,} stories: peak memory added (child process)",
                       f"{memory[size] / 2**20:.1f} MiB")
            if len(memory) > 1:
                small, large = min(memory), max(memory)
                growth = memory[large] / max(memory[small], 1)
                yield (f"XLSX peak memory, {large:,} vs {small:,} stories",
                       f"{growth:.2f}x for {large // small}x the stories (target: flat, "
                       f"{'met' if growth <= 1.25 else 'missed'})")
        finally:
            runtime.db.dispose()


def bench_docx(stories: int = DOCX_STORIES, runs: int = 3) -> Iterator[tuple[str, str]]:
    """The DOCX press kit of `stories` stories, against a fixed time budget."""
    with tempfile.TemporaryDirectory(prefix="portal-bench-docx-") as tmp:
        data_dir = Path(tmp)
        runtime = _open(data_dir)
        try:
            _grow(runtime, stories)
            out = data_dir / "kit.docx"
            assert _export(runtime, out, "docx") == stories  # also the warm-up
            seconds = _median([_timed(lambda: _export(runtime, out, "docx")) for _ in range(runs)])
            met = "met" if seconds <= DOCX_TARGET_SECONDS else "missed"
            yield (f"DOCX press kit of {stories:,} stories",
                   f"{seconds:.1f} s (target ≤{DOCX_TARGET_SECONDS:g} s: {met}); "
                   f"{stories / seconds:,.0f} stories/s, file {out.stat().st_size / 1e6:.1f} MB")
        finally:
            runtime.db.dispose()
