"""Benchmark 2: letter submissions per second at the domain level on SQLite, against raw inserts.

The portal side is `submit_letter`, one letter per transaction as the letter page does: the
lookups for a repeated form or address, encryption, the letter, its outbox rows and the tally.
The baseline is the least any code could do for the same rows: stdlib sqlite3 on a database with
the same schema (made by the same migrations) and the same PRAGMAs, one transaction per letter
holding the letter row, its outbox rows and the tally upsert, every value (encrypted) prepared
before the clock starts. The two alternate in blocks, so a change in the machine's load hits both.
"""

from __future__ import annotations

import sqlite3
import statistics
import tempfile
import time
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Iterator

from bench.common import environ as _environ

CAMPAIGN = "end-family-separation"
TEXT = "Please end family separation now.\n\n" * 20
BLOCK = 200  # letters per turn when the two sides alternate

# The baseline is plain sqlite3 by definition, so it spells its SQL out.
_INSERT_LETTER = (
    "INSERT INTO letters (campaign_id, language, idempotency_key, email_hash, first_name_enc, "
    "last_name_enc, email_enc, phone_enc, street_enc, city, state, zip_code, text_enc, edited, "
    "opt_in, opt_in_at, opt_in_text_version, created_at, updated_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
_INSERT_MESSAGE = (
    "INSERT INTO outbox (letter_id, office_id, recipient, subject, body_enc, status, attempts, "
    "next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?)")
_BUMP_TALLY = ("INSERT INTO campaign_tallies (campaign_id, letters) VALUES (?, 1) "
               "ON CONFLICT (campaign_id) DO UPDATE SET letters = letters + 1")


def _drafts(count: int):
    from letters.sender import Sender
    from letters.submit import LetterDraft

    return [LetterDraft(CAMPAIGN, "en",
                        Sender("Ana", "García", f"ana{n}@example.org", "El Paso", "TX", "79901",
                               street="1 Main St", phone="915-555-0100"),
                        TEXT, False, n % 2 == 0, f"bench-{n}") for n in range(count)]


def _raw_rows(runtime, drafts) -> list[tuple[tuple, list[tuple]]]:
    """The same rows submit_letter writes, encrypted and formatted, for the raw baseline."""
    from letters.compose import office_letter
    from letters.submit import OPT_IN_TEXT_VERSION

    cipher, offices = runtime.cipher, runtime.config.offices
    campaign = runtime.campaigns.get(CAMPAIGN)
    subject = campaign.text("en").subject
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
    rows = []
    for d in drafts:
        s = d.sender
        letter = (CAMPAIGN, d.language, d.idempotency_key, cipher.lookup_hash(s.email),
                  cipher.encrypt(s.first_name), cipher.encrypt(s.last_name), cipher.encrypt(s.email),
                  cipher.encrypt(s.phone), cipher.encrypt(s.street), s.city, s.state, s.zip_code,
                  cipher.encrypt(d.text), d.edited, d.opt_in, now if d.opt_in else None,
                  OPT_IN_TEXT_VERSION if d.opt_in else None, now, now)
        messages = [(office_id, offices[office_id].email, subject,
                     cipher.encrypt(office_letter(offices[office_id], d.language, d.text)), now, now)
                    for office_id in campaign.recipients]
        rows.append((letter, messages))
    return rows


def _raw_submit(conn: sqlite3.Connection, letter: tuple, messages: list[tuple]) -> None:
    conn.execute("BEGIN IMMEDIATE")
    letter_id = conn.execute(_INSERT_LETTER, letter).lastrowid
    conn.executemany(_INSERT_MESSAGE, [(letter_id, *m) for m in messages])
    conn.execute(_BUMP_TALLY, (CAMPAIGN,))
    conn.execute("COMMIT")


def bench_submit(count: int = 5000) -> Iterator[tuple[str, str]]:
    """Letters stored per second by submit_letter on SQLite, one at a time, against raw sqlite3."""
    from letters.submit import submit_letter
    from portal.config import load_config
    from portal.db import sqlite_pragmas
    from portal.runtime import open_runtime

    with tempfile.TemporaryDirectory() as tmp:
        portal_dir, raw_dir = Path(tmp) / "portal", Path(tmp) / "raw"
        env = _environ(portal_dir)
        runtime = open_runtime(load_config(env))
        # The raw side's database: the same migrations, then only sqlite3 touches it.
        raw_runtime = open_runtime(load_config({**env, "PORTAL_DATA_DIR": str(raw_dir)}))
        raw_runtime.db.dispose()
        raw = sqlite3.connect(raw_dir / "portal.db", isolation_level=None)
        for pragma in sqlite_pragmas(runtime.config.busy_timeout_seconds):
            raw.execute(pragma)

        drafts = _drafts(count)
        start = time.perf_counter()
        raw_rows = _raw_rows(runtime, drafts)
        # Encrypting is part of every submission, and the part the baseline does beforehand.
        sealing = (time.perf_counter() - start) / count
        portal_times, raw_times = [], []
        for block in range(0, count, BLOCK):
            for draft in drafts[block:block + BLOCK]:
                start = time.perf_counter()
                submit_letter(runtime, draft)
                portal_times.append(time.perf_counter() - start)
            for letter, messages in raw_rows[block:block + BLOCK]:
                start = time.perf_counter()
                _raw_submit(raw, letter, messages)
                raw_times.append(time.perf_counter() - start)
        raw.close()
        stored = _row_counts(runtime.db.engine.url.database), _row_counts(raw_dir / "portal.db")
        runtime.db.dispose()
    if stored[0] != stored[1] or stored[0][0] != count:
        raise AssertionError(f"the two sides stored different rows: {stored}")

    rate, raw_rate = count / sum(portal_times), count / sum(raw_times)
    ratio = rate / raw_rate
    label = f"submit_letter on SQLite, {count:,} letters one at a time"
    yield f"{label}: median per letter", _ms(statistics.median(portal_times))
    yield f"{label}: p95 per letter", _ms(_p95(portal_times))
    yield f"{label}: letters/s (target ≥1,000/s: {'met' if rate >= 1000 else 'missed'})", f"{rate:,.0f}"
    yield "of which encrypting 8 fields and hashing the address, per letter (timed apart)", _ms(sealing)
    yield "raw sqlite3, same rows and PRAGMAs, values prepared: median per letter", \
        _ms(statistics.median(raw_times))
    yield "raw sqlite3, same rows and PRAGMAs, values prepared: letters/s", f"{raw_rate:,.0f}"
    yield (f"submit_letter / raw sqlite3 (target ≥0.5x: {'met' if ratio >= 0.5 else 'missed'})",
           f"{ratio:.2f}x")


def _row_counts(path) -> tuple[int, int, int]:
    """Letters, outbox rows and the tally: what both sides must have stored."""
    with closing(sqlite3.connect(path)) as conn:
        return (conn.execute("SELECT count(*) FROM letters").fetchone()[0],
                conn.execute("SELECT count(*) FROM outbox").fetchone()[0],
                conn.execute("SELECT sum(letters) FROM campaign_tallies").fetchone()[0])


def _p95(times: list[float]) -> float:
    return sorted(times)[int(len(times) * 0.95)]


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"
