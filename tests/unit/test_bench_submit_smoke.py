"""Benchmark 2 at a tiny size: it runs, both sides store the same rows, and it reports every figure."""

from __future__ import annotations

import re

from bench.submit import bench_submit


def test_bench_submit_reports_both_sides_and_the_verdicts():
    rows = dict(bench_submit(count=30))  # raises if the two sides stored different rows
    labels = "\n".join(rows)
    for expected in ("median per letter", "p95 per letter", "letters/s (target ≥1,000/s: ",
                     "raw sqlite3, same rows and PRAGMAs", "(target ≥0.5x: "):
        assert expected in labels, expected
    assert all(re.fullmatch(r"[0-9.,]+( ms|x)?", value) for value in rows.values()), rows
    assert len(rows) == 7
