"""Benchmarks 5 and 6: the delivery worker against a bare smtplib loop, and two workers against one.

The set-up, and why:
- The SMTP server is aiosmtpd on loopback in a process of its own (SmtpSink). In the benchmark's
  process its event loop would share the GIL with the code being measured, and its own cost per
  message would be charged to the worker. It notes each message's Message-ID (one per outbox row,
  the same on every attempt), so duplicates and losses are counted where they would matter: at
  the receiving end. Every run checks that each message arrived, and reports the duplicates.
- Benchmark 5 sends the same messages three ways, one after the other, to the same server: a bare
  smtplib loop over one connection with every message rendered beforehand (by the email package,
  not by the portal), the same loop plus one raw sqlite3 UPDATE and COMMIT per message (the least
  any worker that records each send before the next can do), and the portal's worker as
  `python -m portal deliver --once` runs it (run_worker), in this process, on SQLite.
- Benchmark 6 runs one, then two, worker processes (`python -m portal deliver --once`, as in
  production) on a throwaway PostgreSQL cluster (scripts/pg_test_cluster.sh). Its server answers
  each message a few milliseconds late, as a relay across a network would: on a small machine a
  Python server answering at once is itself the bottleneck, and the figure would measure it.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import smtplib
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Iterator

from bench.common import ROOT, environ as _environ

CAMPAIGN = "end-family-separation"
TEXT = "Please end family separation now.\n\n" * 20
_MESSAGE_ID = re.compile(rb"^Message-ID: *(<[^>\r\n]+>)", re.MULTILINE | re.IGNORECASE)


# --- the SMTP sink, in its own process ---

class _SinkHandler:
    """Accepts every message after `delay` seconds and notes its Message-ID.

    The delay models a relay's round trip: the reply comes late, but the server keeps serving
    other connections meanwhile (asyncio.sleep, not time.sleep), as a real relay would.
    """

    def __init__(self, delay: float):
        self.delay = delay
        self.lock = threading.Lock()
        self.ids: list[str] = []
        self.first = self.last = 0.0

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        found = _MESSAGE_ID.search(envelope.content)
        with self.lock:
            now = time.monotonic()
            if not self.ids:
                self.first = now
            self.last = now
            self.ids.append(found.group(1).decode("ascii", "replace") if found else "")
        return "250 2.0.0 Accepted"

    def take(self) -> tuple[list[str], float]:
        with self.lock:
            ids, span = self.ids, self.last - self.first
            self.ids, self.first, self.last = [], 0.0, 0.0
        return ids, span


def serve_sink(port: int, delay: float) -> None:
    """The sink process: serve SMTP, and answer "take" on stdin with one JSON line on stdout."""
    from aiosmtpd.controller import Controller

    handler = _SinkHandler(delay)
    controller = Controller(handler, hostname="127.0.0.1", port=port, ready_timeout=30)
    controller.start()
    print("ready", flush=True)
    for command in sys.stdin:
        if command.strip() != "take":
            break
        ids, span = handler.take()
        print(json.dumps({"ids": ids, "span": span}), flush=True)
    controller.stop()


class SmtpSink:
    """An aiosmtpd server on a free loopback port, run in a child process (see the module's note)."""

    def __init__(self, delay: float = 0.0):
        self.port = _free_port()
        self.delay = delay
        self._process: subprocess.Popen | None = None

    def __enter__(self) -> SmtpSink:
        code = f"from bench.delivery import serve_sink; serve_sink({self.port}, {self.delay!r})"
        self._process = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, text=True,
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        if self._process.stdout.readline().strip() != "ready":
            self.__exit__()
            raise RuntimeError("the SMTP sink did not start")
        return self

    def take(self) -> tuple[list[str], float]:
        """The Message-IDs received since the last take, and the seconds from first to last."""
        self._process.stdin.write("take\n")
        self._process.stdin.flush()
        answer = json.loads(self._process.stdout.readline())
        return answer["ids"], answer["span"]

    def __exit__(self, *exc) -> None:
        try:
            self._process.stdin.close()  # the sink stops at the end of its input
            self._process.wait(30)
        except (OSError, subprocess.TimeoutExpired):
            self._process.kill()
            self._process.wait()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- shared set-up ---

def _smtp_environ(data_dir: Path, port: int) -> dict[str, str]:
    return {**_environ(data_dir), "PORTAL_SMTP_HOST": "127.0.0.1", "PORTAL_SMTP_PORT": str(port),
            "PORTAL_SMTP_SECURITY": "none"}


def _queue_messages(runtime, messages: int) -> None:
    """Letters through submit_letter, as supporters would send them: one outbox row per office."""
    from letters.sender import Sender
    from letters.submit import LetterDraft, submit_letter

    per_letter = len(runtime.campaigns.get(CAMPAIGN).recipients)
    if messages % per_letter:
        raise ValueError(f"the number of messages must be a multiple of {per_letter}")
    for n in range(messages // per_letter):
        sender = Sender("Ana", "García", f"ana{n}@example.org", "El Paso", "TX", "79901")
        submit_letter(runtime, LetterDraft(CAMPAIGN, "en", sender, TEXT, False, False, f"bench-{n}"))


def _prepared_messages(runtime) -> list[tuple[int, str, bytes]]:
    """Every pending outbox message as (outbox id, recipient, bytes on the wire), made beforehand."""
    from sqlalchemy import select

    from letters.models import Letter, OutboxMessage
    from letters.transports import OutgoingMail, compose

    cipher, mail_from = runtime.cipher, runtime.config.mail_from
    with runtime.db.session() as session:
        rows = session.execute(
            select(OutboxMessage, Letter).join(Letter, Letter.id == OutboxMessage.letter_id)
            .order_by(OutboxMessage.id)).all()
        mails = [OutgoingMail(
            outbox_id=m.id, letter_id=m.letter_id, office_id=m.office_id, recipient=m.recipient,
            subject=m.subject, body=cipher.decrypt(m.body_enc),
            sender_first_name=cipher.decrypt(letter.first_name_enc),
            sender_last_name=cipher.decrypt(letter.last_name_enc),
            sender_email=cipher.decrypt(letter.email_enc), created_at=m.created_at)
            for m, letter in rows]
    # The email package's own rendering: the baseline owes nothing to the portal's writer.
    return [(mail.outbox_id, mail.recipient, compose(mail, mail_from).as_bytes()) for mail in mails]


def _bare_loop(port: int, envelope_from: str, messages: list[tuple[int, str, bytes]],
               record=None) -> None:
    """smtplib over one connection; `record(outbox_id)` after each accepted message, if given."""
    smtp = smtplib.SMTP("127.0.0.1", port, timeout=30)
    smtp.ehlo()
    for outbox_id, recipient, data in messages:
        smtp.sendmail(envelope_from, [recipient], data)
        if record is not None:
            record(outbox_id)
    smtp.quit()


# The floor for any worker that records each send before the next: one UPDATE and COMMIT per
# message with plain sqlite3, on a copy of the portal's database (same table, indexes, PRAGMAs).
_MARK_SENT = ("UPDATE outbox SET status = 'sent', attempts = attempts + 1, sent_at = ?, "
              "first_attempt_at = ?, lease_token = NULL, lease_until = NULL, last_error = NULL "
              "WHERE id = ? AND lease_token IS NULL")


def _raw_recorder(runtime, copy_path: Path):
    from portal.db import sqlite_pragmas

    with closing(sqlite3.connect(runtime.db.engine.url.database)) as source:
        copy = sqlite3.connect(copy_path, isolation_level=None)
        source.backup(copy)
    for pragma in sqlite_pragmas(runtime.config.busy_timeout_seconds):
        copy.execute(pragma)

    def record(outbox_id: int) -> None:
        now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
        copy.execute("BEGIN IMMEDIATE")
        marked = copy.execute(_MARK_SENT, (now, now, outbox_id)).rowcount
        copy.execute("COMMIT")
        if marked != 1:
            raise AssertionError(f"outbox row {outbox_id} is missing from the copy")

    return copy, record


def _received_once(ids: list[str], expected: int) -> int:
    """Duplicates at the server; raises when any of the `expected` messages is missing."""
    counts = Counter(ids)
    if len(counts) != expected:
        raise AssertionError(f"the server received {len(counts)} distinct messages, expected {expected}")
    return sum(c - 1 for c in counts.values())


def _verdict(ratio: float, target: float) -> str:
    return f"target ≥{target}x: {'met' if ratio >= target else 'missed'}"


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


# --- benchmark 5 ---

def bench_delivery(messages: int = 2000) -> Iterator[tuple[str, str]]:
    """The portal's worker (run_worker, as `deliver --once` runs it) against a bare smtplib loop."""
    from letters.delivery import run_worker
    from letters.outbox import delivery_counts
    from letters.transports import SmtpTransport
    from portal.config import load_config
    from portal.runtime import open_runtime

    with tempfile.TemporaryDirectory() as tmp, SmtpSink() as sink:
        runtime = open_runtime(load_config(_smtp_environ(Path(tmp), sink.port)))
        _queue_messages(runtime, messages)
        prepared = _prepared_messages(runtime)
        envelope_from = SmtpTransport(runtime.config.smtp, mail_from=runtime.config.mail_from).envelope_from
        copy, record = _raw_recorder(runtime, Path(tmp) / "floor.db")

        bare = _timed(lambda: _bare_loop(sink.port, envelope_from, prepared))
        _received_once(sink.take()[0], messages)
        floor = _timed(lambda: _bare_loop(sink.port, envelope_from, prepared, record))
        _received_once(sink.take()[0], messages)
        copy.close()

        reports = []
        worker = _timed(lambda: reports.append(run_worker(runtime, once=True)))
        duplicates = _received_once(sink.take()[0], messages)
        counts = delivery_counts(runtime.db)
        runtime.db.dispose()
    if reports[0].sent != messages or counts["sent"] != messages:
        raise AssertionError(f"the worker sent {reports[0].sent} of {messages}: {counts}")

    ratio = bare / worker
    label = f"{messages:,} messages to aiosmtpd on loopback (own process)"
    yield f"{label}: delivery worker, SQLite, messages/s", f"{messages / worker:,.0f}"
    yield f"{label}: bare smtplib loop, one connection, messages made beforehand, messages/s", \
        f"{messages / bare:,.0f}"
    yield (f"{label}: the same loop + one raw sqlite3 UPDATE/COMMIT per message, messages/s "
           f"({bare / floor:.2f}x of bare: the floor for recording each send)"), f"{messages / floor:,.0f}"
    yield f"{label}: duplicates at the server, worker run", f"{duplicates}"
    yield f"delivery worker / bare smtplib loop ({_verdict(ratio, 0.7)})", f"{ratio:.2f}x"


# --- benchmark 6 ---

def _postgres_installed() -> bool:
    """The same test as scripts/test_postgres.sh: initdb and pg_ctl somewhere usual."""
    if shutil.which("pg_config"):
        bindir = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True).stdout.strip()
        if (Path(bindir) / "initdb").exists():
            return True
    return bool(list(Path("/usr/lib/postgresql").glob("*/bin/initdb"))) or \
        bool(shutil.which("initdb") and shutil.which("pg_ctl"))


def _new_database(server_url: str, name: str) -> str:
    from sqlalchemy import create_engine, make_url
    from sqlalchemy.pool import NullPool

    admin = create_engine(server_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def _run_workers(count: int, env: dict[str, str], logs: Path) -> float:
    """Start `count` worker processes (`python -m portal deliver --once`); seconds until all end."""
    processes = []
    start = time.perf_counter()
    for n in range(count):
        with open(logs / f"worker-{count}-{n}.log", "w") as log:
            processes.append(subprocess.Popen(
                [sys.executable, "-m", "portal", "deliver", "--once"], cwd=ROOT,
                env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT))
    codes = [p.wait(timeout=900) for p in processes]
    elapsed = time.perf_counter() - start
    if any(codes):
        raise AssertionError(f"a worker failed (exit codes {codes}); see {logs}")
    return elapsed


def bench_workers(messages: int = 2000, relay_delay: float = 0.005) -> Iterator[tuple[str, str]]:
    """Two delivery worker processes against one, on PostgreSQL, counting duplicates at the server.

    Each worker is `python -m portal deliver --once`, a process of its own as in production.
    The SMTP sink answers each message `relay_delay` seconds late, as a relay across a network
    would (its round trip); without it a Python sink on a small machine is itself the bottleneck,
    and the figure would measure the sink.
    """
    label = f"{messages:,} messages, PostgreSQL, sink answering after {relay_delay * 1000:g} ms"
    if not _postgres_installed():
        yield f"two delivery workers vs one ({label})", "skipped: PostgreSQL is not installed"
        return
    from letters.outbox import delivery_counts
    from portal.config import load_config
    from portal.runtime import open_runtime

    # Not under a private temporary folder: the cluster may run as the `postgres` user.
    cluster = tempfile.mkdtemp(prefix="portal-bench-pg.")
    script = ROOT / "scripts" / "pg_test_cluster.sh"
    try:
        server_url = subprocess.run([str(script), "start", cluster], check=True, capture_output=True,
                                    text=True).stdout.strip()
        with tempfile.TemporaryDirectory() as tmp, SmtpSink(delay=relay_delay) as sink:
            times, spans, duplicates = {}, {}, {}
            for workers in (1, 2):
                data_dir = Path(tmp) / f"run-{workers}"
                env = {**_smtp_environ(data_dir, sink.port),
                       "PORTAL_DATABASE_URL": _new_database(server_url, f"bench_{workers}")}
                runtime = open_runtime(load_config(env))
                _queue_messages(runtime, messages)
                times[workers] = _run_workers(workers, env, Path(tmp))
                ids, spans[workers] = sink.take()
                duplicates[workers] = _received_once(ids, messages)
                counts = delivery_counts(runtime.db)
                runtime.db.dispose()
                if counts["sent"] != messages:
                    raise AssertionError(f"{workers} worker(s) left outbox rows unsent: {counts}")
    finally:
        subprocess.run([str(script), "stop", cluster], capture_output=True)

    ratio = times[1] / times[2]
    for workers in (1, 2):
        yield (f"{label}: {workers} worker process(es), messages/s (start to exit; "
               f"{messages / spans[workers]:,.0f}/s first to last message)"), f"{messages / times[workers]:,.0f}"
        yield f"{label}: {workers} worker process(es), duplicates at the server", f"{duplicates[workers]}"
    yield f"two workers / one ({_verdict(ratio, 1.6)}; every message delivered once)", f"{ratio:.2f}x"
