"""`python -m bench [NAME ...]`: run the benchmarks and print their figures as a Markdown table."""

from __future__ import annotations

import argparse
import platform
import os

from bench import letters, stories

BENCHES = {"submit": letters.bench_submit, "pages": letters.bench_pages, "queue": stories.bench_queue}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help=f"benchmarks to run: {', '.join(BENCHES)} (default: all)")
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print("| benchmark | figure |\n|---|---|")
    unknown = set(args.names) - set(BENCHES)
    if unknown:
        parser.error(f"unknown benchmark: {', '.join(sorted(unknown))}")
    for name in args.names or BENCHES:
        for label, value in BENCHES[name]():
            print(f"| {label} | {value} |", flush=True)


if __name__ == "__main__":
    main()
