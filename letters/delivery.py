"""The delivery worker: claim due outbox rows, send them, record each outcome.

Logs carry counts, outbox ids and SMTP codes only: never names, addresses or letter text
(SAFETY.md L1).
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Iterator

from sqlalchemy.exc import SQLAlchemyError

from letters.outbox import (DEFAULT_RETRY_POLICY, RetryPolicy, claim_due, complete,
                            lease_seconds_for, release, renew, send_seconds_for)
from letters.transports import Outcome, SendResult, Transport, transport_for
from portal.config import Config
from portal.db import StorageBusy, utcnow
from portal.runtime import Runtime

log = logging.getLogger(__name__)


@dataclass
class BatchReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    # Claimed, then not sent: the lease was lost, or the worker was asked to stop.
    skipped: int = 0

    @property
    def claimed(self) -> int:
        return self.sent + self.retried + self.failed + self.skipped

    def __add__(self, other: BatchReport) -> BatchReport:
        return BatchReport(self.sent + other.sent, self.retried + other.retried,
                           self.failed + other.failed, self.skipped + other.skipped)

    def __str__(self) -> str:
        return f"sent={self.sent} retried={self.retried} failed={self.failed} skipped={self.skipped}"


def default_worker_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{threading.get_ident()}"


def deliver_batch(runtime: Runtime, transport: Transport, *, worker_id: str, batch_size: int = 50,
                  now: datetime | None = None, retry_policy: RetryPolicy | None = None,
                  lease_seconds: float | None = None,
                  stop_event: threading.Event | None = None) -> BatchReport:
    """Claim up to `batch_size` due messages and send them over one transport session.

    `now` (for tests) fixes the batch's start time; the clock still advances from there.
    """
    db = runtime.db
    policy = retry_policy or DEFAULT_RETRY_POLICY
    lease = lease_seconds if lease_seconds is not None else lease_seconds_for(runtime.config)
    one_send = timedelta(seconds=send_seconds_for(runtime.config))
    start, started = (now or utcnow()), time.monotonic()
    claimed_until = start + timedelta(seconds=lease)

    def clock() -> datetime:
        return start + timedelta(seconds=time.monotonic() - started)

    claimed = claim_due(db, runtime.cipher, worker_id=worker_id, limit=batch_size,
                        lease_seconds=lease, now=start)
    report = BatchReport()
    if not claimed:
        return report
    with transport:
        for i, item in enumerate(claimed):
            if stop_event is not None and stop_event.is_set():
                release(db, claimed[i:])
                report.skipped += len(claimed) - i
                break
            # Sending late in a long batch, when what is left of the claim's lease might not
            # cover one more send and its record: make sure the row is still ours, for a full
            # lease. Earlier, no other worker can have taken it: the lease has not expired.
            if claimed_until - clock() < one_send and not renew(db, item, lease_seconds=lease,
                                                                 now=clock()):
                log.warning("outbox %d: lease lost before sending, skipped", item.outbox_id)
                report.skipped += 1
                continue
            try:
                result = transport.send(item.mail)
            except Exception as exc:  # a bug must not stall the queue: retry later
                log.error("outbox %d: transport error %s", item.outbox_id, type(exc).__name__)
                result = SendResult.retry(None, f"internal error ({type(exc).__name__})")
            if not complete(db, item, result, now=clock(), retry_policy=policy):
                report.skipped += 1
            elif result.outcome is Outcome.SENT:
                report.sent += 1
            elif result.outcome is Outcome.FAILED:
                report.failed += 1
                log.warning("outbox %d: refused for good, code %s", item.outbox_id, result.code)
            else:
                report.retried += 1
                # Without a reply code the reason is our own words ("connection refused").
                log.info("outbox %d: will retry, code %s", item.outbox_id,
                         result.code if result.code is not None else f"none ({result.reason})")
    log.info("delivery batch by %s: %s", worker_id, report)
    return report


@contextmanager
def _stop_on_sigterm(stop_event: threading.Event) -> Iterator[None]:
    """SIGTERM (systemd, docker stop) finishes the current message and stops the loop."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, lambda *_: stop_event.set())
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_worker(runtime: Runtime, *, once: bool, stop_event: threading.Event | None = None,
               transport_factory: Callable[[Config], Transport] | None = None,
               batch_size: int = 50, retry_policy: RetryPolicy | None = None,
               worker_id: str | None = None) -> BatchReport:
    """Deliver due messages: everything due now (`once`), or forever until stopped.

    Uses SMTP when configured, else .eml files in `config.outbox_dir`. Stops on `stop_event`,
    SIGTERM (main thread only) or Ctrl-C, after the message in hand.
    """
    config = runtime.config
    transport = (transport_factory or transport_for)(config)
    stop_event = stop_event or threading.Event()
    worker_id = worker_id or default_worker_id()
    total = BatchReport()
    if config.delivers_to_files:
        log.info("no SMTP server configured: writing letters as .eml files to the data folder's outbox")
    with _stop_on_sigterm(stop_event):
        try:
            while not stop_event.is_set():
                try:
                    report = deliver_batch(runtime, transport, worker_id=worker_id,
                                           batch_size=batch_size, retry_policy=retry_policy,
                                           stop_event=stop_event)
                except (StorageBusy, SQLAlchemyError) as exc:
                    if once:
                        raise
                    # A long-running worker outlives a database hiccup; unrecorded rows keep
                    # their leases and come back when those expire.
                    log.warning("delivery worker %s: database error %s, will try again",
                                worker_id, type(exc).__name__)
                    stop_event.wait(config.deliver_poll_seconds)
                    continue
                total += report
                if report.claimed >= batch_size:
                    continue  # there may be more due right now
                if once:
                    break
                stop_event.wait(config.deliver_poll_seconds)
        except KeyboardInterrupt:
            log.info("delivery worker %s interrupted", worker_id)
    return total
