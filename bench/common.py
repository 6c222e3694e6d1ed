"""What every benchmark shares: a throwaway portal environment and a median timer."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent


def environ(data_dir: Path) -> dict[str, str]:
    return {"PORTAL_ENV": "test", "PORTAL_DATA_DIR": str(data_dir),
            "PORTAL_SECRETS_FILE": str(data_dir / "none.toml"),
            "PORTAL_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "PORTAL_LOOKUP_KEY": "bench", "PORTAL_MIN_SUBMIT_SECONDS": "0"}


def median_time(fn, runs: int = 7, *, warm_up: bool = True) -> float:
    """Median wall time of fn() in seconds, after one untimed warm-up call unless told not to."""
    if warm_up:
        fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)
