"""Delivery against a real SMTP server on loopback (aiosmtpd), and to .eml files without one."""

from __future__ import annotations

import email
import logging
import re
import threading
import time
import uuid
from datetime import timedelta
from email import policy

import pytest

from letters.delivery import deliver_batch, run_worker
from letters.models import DeliveryStatus, Letter, OutboxMessage
from letters.outbox import RetryPolicy, delivery_counts, failed_messages
from letters.transports import SmtpTransport
from portal.db import utcnow

from tests.integration.conftest import ScriptedSmtp, free_port, start_server

FAST = RetryPolicy(delays=(30,), give_up_after=3600)
PRESIDENT = "president@letters.invalid"
DHS = "dhs-secretary@letters.invalid"
BODY = "Señor Presidente: mantengan unidas a las familias."


def transport(rt):
    return SmtpTransport(rt.config.smtp, mail_from=rt.config.mail_from)


def add_letters(rt, n=1, offices=("president",)):
    """`n` letters, each with one outbox row per office; returns the outbox ids."""
    cipher, ids = rt.cipher, []
    due = utcnow() - timedelta(seconds=1)
    with rt.db.session(write=True) as s:
        for i in range(n):
            addr = f"supporter{uuid.uuid4().hex[:8]}@example.org"
            letter = Letter(
                campaign_id="stop-separations", language="es", idempotency_key=uuid.uuid4().hex,
                email_hash=cipher.lookup_hash(addr), first_name_enc=cipher.encrypt("José"),
                last_name_enc=cipher.encrypt("Núñez"), email_enc=cipher.encrypt(addr),
                city="El Paso", state="TX", zip_code="79901", text_enc=cipher.encrypt(BODY))
            for office in offices:
                letter.messages.append(OutboxMessage(
                    office_id=office, recipient=rt.config.offices[office].email,
                    subject="Familias unidas", body_enc=cipher.encrypt(f"{BODY} #{i}"),
                    next_attempt_at=due, created_at=due))
            s.add(letter)
            s.flush()
            ids.extend(m.id for m in letter.messages)
    return ids


def row(rt, outbox_id):
    with rt.db.session() as s:
        return s.get(OutboxMessage, outbox_id)


def test_several_letters_go_over_one_connection(smtp, make_runtime):
    rt = make_runtime(smtp.port)
    ids = add_letters(rt, 5)
    report = deliver_batch(rt, transport(rt), worker_id="w1")
    assert (report.sent, report.retried, report.failed) == (5, 0, 0)
    assert smtp.connections == 1
    assert len(smtp.messages) == 5
    for mail_from, rcpts, _ in smtp.messages:
        assert (mail_from, rcpts) == ("letters@portal.invalid", [PRESIDENT])
    msg = email.message_from_bytes(smtp.messages[0][2], policy=policy.default)
    assert msg["Reply-To"].addresses[0].display_name == "José Núñez"
    assert msg.get_content().startswith(BODY)
    assert sorted(int(re.match(r"<outbox-(\d+)-", m).group(1)) for m in smtp.message_ids()) == ids
    assert delivery_counts(rt.db)["sent"] == 5
    # Delivered rows are never sent again.
    assert deliver_batch(rt, transport(rt), worker_id="w1", now=utcnow() + timedelta(days=5)).claimed == 0


def test_451_is_retried_later_and_then_delivered(smtp, make_runtime):
    rt = make_runtime(smtp.port)
    (oid,) = add_letters(rt, 1)
    smtp.data_replies = ["451 4.3.0 Try again later"]
    t0 = utcnow()
    report = deliver_batch(rt, transport(rt), worker_id="w1", now=t0, retry_policy=FAST)
    assert (report.sent, report.retried, report.failed) == (0, 1, 0)
    r = row(rt, oid)
    assert (r.status, r.attempts, r.last_error) == (DeliveryStatus.PENDING, 1, "451 4.3.0 Try again later")
    assert r.next_attempt_at >= t0 + timedelta(seconds=30)
    assert smtp.messages == []
    # Not due yet: nothing happens.
    early = deliver_batch(rt, transport(rt), worker_id="w1", now=t0 + timedelta(seconds=10), retry_policy=FAST)
    assert early.claimed == 0
    report = deliver_batch(rt, transport(rt), worker_id="w1", now=r.next_attempt_at, retry_policy=FAST)
    assert report.sent == 1
    r = row(rt, oid)
    assert (r.status, r.attempts, r.last_error) == (DeliveryStatus.SENT, 2, None)
    assert len(smtp.messages) == 1


@pytest.mark.parametrize("stage", ["rcpt", "data"])
def test_550_fails_for_good_and_is_shown_to_admins(smtp, make_runtime, caplog, stage):
    rt = make_runtime(smtp.port)
    (oid,) = add_letters(rt, 1)
    if stage == "rcpt":
        smtp.refuse[PRESIDENT] = "550 5.1.1 No such user"
    else:
        smtp.data_replies = ["550 5.7.1 Message rejected"]
    t0 = utcnow()
    with caplog.at_level(logging.DEBUG, logger="letters"):
        report = deliver_batch(rt, transport(rt), worker_id="w1", now=t0, retry_policy=FAST)
    assert (report.sent, report.retried, report.failed) == (0, 0, 1)
    r = row(rt, oid)
    assert r.status == DeliveryStatus.FAILED and r.attempts == 1
    expected = "550 5.1.1 No such user" if stage == "rcpt" else "550 5.7.1 Message rejected"
    assert r.last_error == expected
    assert [(f.outbox_id, f.last_error) for f in failed_messages(rt.db)] == [(oid, expected)]
    # Never retried, however long we wait.
    smtp.refuse.clear()
    later = deliver_batch(rt, transport(rt), worker_id="w1", now=t0 + timedelta(days=10), retry_policy=FAST)
    assert later.claimed == 0 and smtp.messages == [] and smtp.rcpt_commands == 1
    # The log names the row and the code, and nothing about the supporter (SAFETY.md L1).
    # (The test server's own "mail.log" logs whole messages; it is not the portal's log.)
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("letters"))
    assert f"outbox {oid}: refused for good, code 550" in ours
    for secret in ("José", "Núñez", "example.org", "Señor", "familias"):
        assert secret not in ours


def test_partial_refusal_is_per_recipient_and_never_resends_to_the_other(smtp, make_runtime):
    rt = make_runtime(smtp.port)
    president_id, dhs_id = add_letters(rt, 1, offices=("president", "dhs_secretary"))
    smtp.refuse[DHS] = "550 5.1.1 No such user"
    report = deliver_batch(rt, transport(rt), worker_id="w1", retry_policy=FAST)
    assert (report.sent, report.failed) == (1, 1)
    assert row(rt, president_id).status == DeliveryStatus.SENT
    assert row(rt, dhs_id).status == DeliveryStatus.FAILED
    assert [rcpts for _, rcpts, _ in smtp.messages] == [[PRESIDENT]]
    deliver_batch(rt, transport(rt), worker_id="w1", now=utcnow() + timedelta(days=10), retry_policy=FAST)
    assert len(smtp.messages) == 1


def test_server_down_is_retried_later(make_runtime):
    port = free_port()  # nothing listens here yet
    rt = make_runtime(port)
    ids = add_letters(rt, 3)
    t = transport(rt)
    report = deliver_batch(rt, t, worker_id="w1", retry_policy=FAST)
    assert (report.sent, report.retried, report.failed) == (0, 3, 0)
    rows = [row(rt, i) for i in ids]
    assert all(r.status == DeliveryStatus.PENDING and r.attempts == 1 for r in rows)
    assert all(r.last_error == "connection refused" for r in rows)
    assert t.connections == 0

    handler = ScriptedSmtp()
    controller = start_server(handler, port)
    try:
        due = max(r.next_attempt_at for r in rows)
        report = deliver_batch(rt, t, worker_id="w1", now=due, retry_policy=FAST)
    finally:
        controller.stop()
    assert report.sent == 3 and len(handler.messages) == 3
    assert delivery_counts(rt.db)["sent"] == 3


def test_dropped_connection_is_reopened_once(smtp, make_runtime):
    rt = make_runtime(smtp.port)
    add_letters(rt, 3)
    smtp.drop_on_mail = {2}  # the server goes away before the second message
    report = deliver_batch(rt, transport(rt), worker_id="w1", retry_policy=FAST)
    assert report.sent == 3
    assert smtp.connections == 2
    assert len(set(smtp.message_ids())) == 3


def test_connection_dropped_twice_is_retried_later(smtp, make_runtime):
    rt = make_runtime(smtp.port)
    (oid,) = add_letters(rt, 1)
    smtp.drop_on_mail = {1, 2}
    report = deliver_batch(rt, transport(rt), worker_id="w1", retry_policy=FAST)
    assert report.retried == 1 and smtp.connections == 2  # one reconnect, not a loop
    assert row(rt, oid).status == DeliveryStatus.PENDING and smtp.messages == []


def test_two_workers_drain_one_outbox_without_duplicates_or_losses(smtp, make_runtime):
    first = make_runtime(smtp.port)
    # A second runtime: its own engine and connections, as another worker process would have.
    second = make_runtime(smtp.port)
    ids = add_letters(first, 200)
    start = threading.Barrier(2)
    reports, errors = {}, []

    def work(name, rt):
        try:
            start.wait(timeout=60)
            reports[name] = run_worker(rt, once=True, batch_size=10, worker_id=name,
                                       transport_factory=lambda c: SmtpTransport(c.smtp, mail_from=c.mail_from))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n, rt), daemon=True)
               for n, rt in (("a", first), ("b", second))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == [] and not any(t.is_alive() for t in threads)

    received = smtp.message_ids()
    assert len(received) == 200 and len(set(received)) == 200  # zero duplicates
    outbox_ids = {int(re.match(r"<outbox-(\d+)-", m).group(1)) for m in received}
    assert outbox_ids == set(ids)  # zero lost
    assert delivery_counts(first.db) == {"pending": 0, "sent": 200, "failed": 0, "cancelled": 0}
    assert reports["a"].sent + reports["b"].sent == 200
    assert reports["a"].sent > 0 and reports["b"].sent > 0  # both really took part


def test_worker_loop_delivers_until_stopped(smtp, make_runtime):
    rt = make_runtime(smtp.port, deliver_poll_seconds=0.05)
    stop = threading.Event()
    result = {}
    worker = threading.Thread(target=lambda: result.update(report=run_worker(rt, once=False, stop_event=stop)),
                              daemon=True)
    worker.start()
    try:
        add_letters(rt, 4)  # arrives while the worker is already polling
        deadline = time.monotonic() + 60
        while delivery_counts(rt.db)["sent"] < 4 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        worker.join(timeout=60)
    assert not worker.is_alive()
    assert result["report"].sent == 4 and len(smtp.messages) == 4


def test_without_smtp_letters_are_written_as_eml_files(runtime, data_dir):
    assert runtime.config.smtp is None
    ids = add_letters(runtime, 3)
    report = run_worker(runtime, once=True)
    assert (report.sent, report.retried, report.failed) == (3, 0, 0)
    files = sorted((data_dir / "outbox").glob("*.eml"))
    assert sorted(int(f.stem.rsplit("-", 1)[1]) for f in files) == ids
    msg = email.message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert msg["To"].addresses[0].addr_spec == PRESIDENT
    assert msg["Reply-To"].addresses[0].display_name == "José Núñez"
    assert delivery_counts(runtime.db)["sent"] == 3
    # Already delivered: a second run writes nothing more.
    assert run_worker(runtime, once=True).claimed == 0
    assert len(list((data_dir / "outbox").iterdir())) == 3
