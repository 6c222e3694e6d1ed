"""Delivery drills (SAFETY.md R3, R4): many letters, several workers, a flaky and vanishing server.

Real SMTP on loopback (aiosmtpd), real time, real leases. Loops are bounded by deadlines and every
thread is stopped in a `finally`; the only timing here is "finishes before the deadline".
"""

from __future__ import annotations

import random
import re
import threading
import time
from collections import Counter

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

import letters.delivery as delivery
from letters.delivery import BatchReport, deliver_batch
from letters.models import OutboxMessage
from letters.outbox import RetryPolicy, delivery_counts
from letters.transports import SmtpTransport
from portal.db import StorageBusy

from tests.integration.conftest import ScriptedSmtp, free_port, start_server
from tests.integration.test_smtp_delivery import add_letters

DRILL = RetryPolicy(delays=(0.2, 0.5, 1.0), give_up_after=24 * 3600)
DEADLINE_SECONDS = 120


class FlakySmtp(ScriptedSmtp):
    """Answers 451 to a seeded-random share of DATA commands; accepts the rest."""

    def __init__(self, seed: int, temp_fail_rate: float):
        super().__init__()
        self.rng = random.Random(seed)
        self.temp_fail_rate = temp_fail_rate
        self.data_commands = 0
        self.temp_failures = 0
        # Shutting down: new messages are refused (421) so that no accepted message's "250" can
        # be cut off by the stop, which would make a resend, and a duplicate, unavoidable.
        self.closing = False

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.data_commands += 1
            if self.closing:
                return "421 4.3.2 Service shutting down"
            if self.rng.random() < self.temp_fail_rate:
                self.temp_failures += 1
                return "451 4.3.0 Try again later"
            self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 2.0.0 Message accepted for delivery"

    def accepted(self) -> int:
        with self.lock:
            return len(self.messages)


class SimulatedCrash(Exception):
    """The worker "dies" between the server's 250 and the commit of the outcome."""


class Worker(threading.Thread):
    """One delivery worker: its own runtime (engine) and SMTP transport, looping deliver_batch."""

    def __init__(self, name, rt, stop, *, batch_size=10, lease_seconds=None):
        super().__init__(name=name, daemon=True)
        self.rt, self.stop, self.batch_size, self.lease_seconds = rt, stop, batch_size, lease_seconds
        self.report = BatchReport()
        self.crashes = 0
        self.db_errors = 0
        self.errors: list[BaseException] = []

    def run(self):
        transport = SmtpTransport(self.rt.config.smtp, mail_from=self.rt.config.mail_from)
        try:
            while not self.stop.is_set():
                try:
                    report = deliver_batch(self.rt, transport, worker_id=self.name,
                                           batch_size=self.batch_size, retry_policy=DRILL,
                                           lease_seconds=self.lease_seconds, stop_event=self.stop)
                except SimulatedCrash:
                    # The process died; its supervisor starts a fresh one (new connection).
                    self.crashes += 1
                    transport = SmtpTransport(self.rt.config.smtp, mail_from=self.rt.config.mail_from)
                    continue
                except (StorageBusy, SQLAlchemyError):
                    self.db_errors += 1  # as run_worker does: wait, then go on
                    self.stop.wait(0.1)
                    continue
                self.report += report
                if report.claimed < self.batch_size:
                    self.stop.wait(0.05)  # nothing (more) due right now
        except BaseException as exc:  # pragma: no cover - reported by the test
            self.errors.append(exc)


def outbox_id_of(message_id: str) -> int:
    return int(re.match(r"<outbox-(\d+)-", message_id).group(1))


def total_attempts(rt) -> int:
    with rt.db.session() as s:
        return s.scalar(select(func.sum(OutboxMessage.attempts)))


def wait_until_drained(rt, n, deadline, on_tick=None):
    while time.monotonic() < deadline:
        if on_tick is not None:
            on_tick()
        if delivery_counts(rt.db)["sent"] >= n:
            return
        time.sleep(0.1)


def stop_all(stop, workers):
    stop.set()
    for w in workers:
        w.join(timeout=60)


def test_drill_1000_letters_three_workers_flaky_server_with_outage(make_runtime):
    handler = FlakySmtp(seed=20261123, temp_fail_rate=0.15)
    port = free_port()
    controller = start_server(handler, port)
    rts = [make_runtime(port) for _ in range(3)]
    ids = add_letters(rts[0], 1000)
    stop = threading.Event()
    workers = [Worker(f"drill-{i}", rt, stop) for i, rt in enumerate(rts)]
    outage = {"down_at": None, "restarted": False, "refused_while_down": 0}

    def outage_script():
        nonlocal controller
        if outage["down_at"] is None and handler.accepted() >= 300:
            handler.closing = True
            time.sleep(0.5)  # replies already given reach their clients before the stop
            controller.stop()
            outage["down_at"] = time.monotonic()
        elif (outage["down_at"] is not None and not outage["restarted"]
              and time.monotonic() - outage["down_at"] >= 2.0):
            handler.closing = False
            controller = start_server(handler, port)  # same port, same handler
            outage["restarted"] = True

    try:
        for w in workers:
            w.start()
        wait_until_drained(rts[0], 1000, time.monotonic() + DEADLINE_SECONDS, outage_script)
    finally:
        stop_all(stop, workers)
        if outage["down_at"] is None or outage["restarted"]:
            controller.stop()

    assert [w.errors for w in workers] == [[], [], []]
    assert not any(w.is_alive() for w in workers)
    assert outage["down_at"] is not None and outage["restarted"], "the outage never happened"
    assert delivery_counts(rts[0].db) == {"pending": 0, "sent": 1000, "failed": 0, "cancelled": 0}

    received = handler.message_ids()
    dupes = {m: c for m, c in Counter(received).items() if c > 1}
    assert dupes == {}, f"{len(dupes)} Message-ID(s) received more than once"
    assert len(set(received)) == 1000
    assert {outbox_id_of(m) for m in received} == set(ids)  # none lost

    assert handler.temp_failures > 0 and handler.connections > 3  # the script really bit
    # Every send is one recorded attempt: the 1,000 accepted, each 451, and each refused
    # connection during the outage.
    attempts = total_attempts(rts[0])
    assert attempts >= 1000 + handler.temp_failures
    reports = [w.report for w in workers]
    assert sum(r.sent for r in reports) == 1000
    assert attempts == sum(r.sent + r.retried + r.failed for r in reports)
    assert all(r.sent > 0 for r in reports)  # all three really took part


def test_worker_killed_between_smtp_answer_and_commit_resends_at_most_the_killed(smtp, make_runtime,
                                                                                 monkeypatch):
    kills = 5
    victim_rt, healthy_rt = make_runtime(smtp.port), make_runtime(smtp.port)
    ids = add_letters(victim_rt, 200)
    killed_rows: list[int] = []
    real_complete = delivery.complete

    def complete_or_die(db, claimed, result, **kw):
        # Only the victim dies, and only after the server said 250 (the letter went out).
        if (threading.current_thread().name == "victim" and result.outcome.value == "sent"
                and len(killed_rows) < kills):
            killed_rows.append(claimed.outbox_id)
            raise SimulatedCrash
        return real_complete(db, claimed, result, **kw)

    monkeypatch.setattr(delivery, "complete", complete_or_die)
    stop = threading.Event()
    # Short leases for the victim, so its orphaned rows come back within seconds.
    victim = Worker("victim", victim_rt, stop, batch_size=5, lease_seconds=2.0)
    healthy = Worker("healthy", healthy_rt, stop, batch_size=5)
    try:
        victim.start()
        deadline = time.monotonic() + DEADLINE_SECONDS
        while victim.crashes < kills and time.monotonic() < deadline and victim.is_alive():
            time.sleep(0.02)
        healthy.start()
        wait_until_drained(victim_rt, 200, deadline)
    finally:
        stop_all(stop, [victim, healthy])

    assert victim.errors == [] and healthy.errors == []
    assert not victim.is_alive() and not healthy.is_alive()
    assert victim.crashes == kills and len(killed_rows) == kills
    assert delivery_counts(victim_rt.db) == {"pending": 0, "sent": 200, "failed": 0, "cancelled": 0}

    received = smtp.message_ids()
    counts = Counter(outbox_id_of(m) for m in received)
    assert set(counts) == set(ids)  # none lost
    duplicated = {oid for oid, c in counts.items() if c > 1}
    assert len(received) - len(set(received)) <= kills
    assert all(c <= 2 for c in counts.values())
    assert duplicated <= set(killed_rows)  # only a killed worker's letters go out twice
