"""Benchmarks 5 and 6 at a tiny size: every message reaches the SMTP server once, figures reported.

The benchmarks check delivery themselves (every Message-ID at the server, every outbox row sent,
and raise otherwise); here they run small, and the duplicate counts they report must be zero.
"""

from __future__ import annotations

import pytest

from bench.delivery import _postgres_installed, bench_delivery, bench_workers


def test_bench_delivery_sends_every_message_once():
    rows = dict(bench_delivery(messages=20))
    (duplicates,) = [v for k, v in rows.items() if "duplicates" in k]
    assert duplicates == "0"
    (verdict,) = [k for k in rows if "(target ≥0.7x: " in k]
    assert rows[verdict].endswith("x")
    assert len(rows) == 5


@pytest.mark.skipif(not _postgres_installed(), reason="PostgreSQL is not installed")
def test_bench_workers_two_processes_send_every_message_once():
    rows = dict(bench_workers(messages=20, relay_delay=0.001))
    duplicates = [v for k, v in rows.items() if "duplicates" in k]
    assert duplicates == ["0", "0"]  # one worker, then two
    (verdict,) = [k for k in rows if "(target ≥1.6x: " in k]
    assert "every message delivered once" in verdict and rows[verdict].endswith("x")


def test_bench_workers_says_when_postgresql_is_missing(monkeypatch):
    import bench.delivery

    monkeypatch.setattr(bench.delivery, "_postgres_installed", lambda: False)
    ((label, figure),) = list(bench_workers(messages=20))
    assert figure == "skipped: PostgreSQL is not installed"
