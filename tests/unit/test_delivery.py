"""The delivery batch and its leases: renewed only when what is left might not cover a send."""

from __future__ import annotations

import time
from datetime import timedelta

import letters.delivery as delivery
from letters.delivery import deliver_batch
from letters.models import DeliveryStatus
from letters.outbox import claim_due, delivery_counts
from letters.transports import SendResult
from portal.db import utcnow

from tests.unit.test_outbox import add_letters, row


class RecordingTransport:
    """Accepts every message; `on_send(n)` runs before the n-th (0-based) is accepted."""

    def __init__(self, on_send=None):
        self.sent: list[int] = []
        self.on_send = on_send

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass

    def send(self, mail):
        if self.on_send is not None:
            self.on_send(len(self.sent))
        self.sent.append(mail.outbox_id)
        return SendResult.sent()


def count_renewals(monkeypatch) -> list[int]:
    renewed: list[int] = []
    real = delivery.renew

    def renew(db, claimed, **kw):
        renewed.append(claimed.outbox_id)
        return real(db, claimed, **kw)

    monkeypatch.setattr(delivery, "renew", renew)
    return renewed


def test_a_batch_well_within_its_lease_is_sent_without_renewing(runtime, monkeypatch):
    ids = add_letters(runtime, 5)
    renewed = count_renewals(monkeypatch)
    transport = RecordingTransport()
    report = deliver_batch(runtime, transport, worker_id="w")
    assert report.sent == 5 and transport.sent == ids
    assert renewed == []  # one commit per message, the outcome's, and no more
    assert delivery_counts(runtime.db)["sent"] == 5


def test_a_row_is_renewed_once_its_lease_might_not_cover_one_more_send(runtime, monkeypatch):
    ids = add_letters(runtime, 3)
    renewed = count_renewals(monkeypatch)
    # A 10 s lease against a send that may take 9.8 s: after 0.3 s the rest must be renewed.
    monkeypatch.setattr(delivery, "send_seconds_for", lambda config: 9.8)
    transport = RecordingTransport(on_send=lambda n: time.sleep(0.3) if n == 0 else None)
    start = utcnow()
    report = deliver_batch(runtime, transport, worker_id="w", now=start, lease_seconds=10)
    assert report.sent == 3
    assert renewed == ids[1:]


def test_rows_taken_by_another_worker_mid_batch_are_not_sent(runtime):
    ids = add_letters(runtime, 3)
    start = utcnow()
    taken = []

    def another_worker_claims(n):
        # A short lease, long expired by the other worker's clock: it takes every row.
        if n == 0:
            taken.extend(claim_due(runtime.db, runtime.cipher, worker_id="other", limit=10,
                                   lease_seconds=60, now=start + timedelta(seconds=5)))

    transport = RecordingTransport(on_send=another_worker_claims)
    report = deliver_batch(runtime, transport, worker_id="w", now=start, lease_seconds=1)
    assert sorted(c.outbox_id for c in taken) == ids
    assert transport.sent == ids[:1]  # the one already in hand; the rest are no longer ours
    assert report.sent == 0 and report.skipped == 3
    assert all(row(runtime, i).status == DeliveryStatus.PENDING for i in ids)
    assert {row(runtime, i).lease_token for i in ids} == {taken[0].lease_token}
