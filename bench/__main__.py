"""`python -m bench [NAME ...]`: run the benchmarks and print their figures as a Markdown table.

Each benchmark is a generator of (what was measured, figure) rows. The six ratio benchmarks
measure the portal and its baseline in the same run, so the ratio holds on any machine even
when the absolute figures do not; BENCHMARKS.md keeps the figures of the last recorded run.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import platform

# name -> "module:function"; imported only when run, so one benchmark's imports never slow another.
BENCHES = {
    "pages": "bench.pages:bench_pages",            # 1. page run time vs a trivial page, 10k/100k
    "submit": "bench.submit:bench_submit",         # 2. letters/s vs raw SQLite inserts
    "xlsx": "bench.exports:bench_xlsx",            # 3. XLSX export vs raw write-only openpyxl
    "docx": "bench.exports:bench_docx",            # 4. DOCX press kit of 1,000 stories
    "delivery": "bench.delivery:bench_delivery",   # 5. delivery vs a bare smtplib loop
    "workers": "bench.delivery:bench_workers",     # 6. two workers vs one on PostgreSQL
    "queue": "bench.stories:bench_queue",          # the moderators' queue and search at size
}


def _load(name: str):
    module, function = BENCHES[name].split(":")
    return getattr(importlib.import_module(module), function)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help=f"benchmarks to run: {', '.join(BENCHES)} (default: all)")
    args = parser.parse_args()
    unknown = set(args.names) - set(BENCHES)
    if unknown:
        parser.error(f"unknown benchmark: {', '.join(sorted(unknown))}")
    # AppTest runs pages outside a server, and Streamlit warns about that on every run; the
    # warnings say nothing about the figures and would bury the table.
    logging.disable(logging.WARNING)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print("| benchmark | figure |\n|---|---|")
    for name in args.names or BENCHES:
        for label, value in _load(name)():
            print(f"| {label} | {value} |", flush=True)


if __name__ == "__main__":
    main()
