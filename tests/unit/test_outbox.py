"""Outbox leases, outcomes and retry schedule on SQLite, and the .eml transport."""

from __future__ import annotations

import dataclasses
import email
import re
import threading
import uuid
from datetime import timedelta
from email import policy

import pytest

from letters.models import DeliveryStatus, Letter, OutboxMessage
from letters.outbox import (RetryPolicy, claim_due, complete, delivery_counts, failed_messages,
                            lease_seconds_for)
from letters.transports import EmlTransport, OutgoingMail, SendResult, build_message
from portal.config import SmtpSettings
from portal.db import utcnow

FAST = RetryPolicy(delays=(10, 20), give_up_after=60)


def add_letters(runtime, n=1, *, first="José", last="Núñez", body="Querida Presidencia: ¡ayuda!",
                created_at=None):
    """`n` letters, each with one outbox row to the president's office; returns the outbox ids."""
    cipher = runtime.cipher
    created_at = created_at or utcnow() - timedelta(seconds=1)
    ids = []
    with runtime.db.session(write=True) as s:
        for i in range(n):
            email_addr = f"supporter{uuid.uuid4().hex[:8]}@example.org"
            letter = Letter(
                campaign_id="stop-separations", language="es", idempotency_key=uuid.uuid4().hex,
                email_hash=cipher.lookup_hash(email_addr), first_name_enc=cipher.encrypt(first),
                last_name_enc=cipher.encrypt(last), email_enc=cipher.encrypt(email_addr),
                city="El Paso", state="TX", zip_code="79901", text_enc=cipher.encrypt(body))
            msg = OutboxMessage(
                office_id="president", recipient="president@letters.invalid",
                subject="Familias unidas", body_enc=cipher.encrypt(f"{body} #{i}"),
                next_attempt_at=created_at, created_at=created_at)
            letter.messages.append(msg)
            s.add(letter)
            s.flush()
            ids.append(msg.id)
    return ids


def row(runtime, outbox_id):
    with runtime.db.session() as s:
        return s.get(OutboxMessage, outbox_id)


def claim(runtime, now, limit=50, lease=60):
    return claim_due(runtime.db, runtime.cipher, worker_id="t", limit=limit,
                     lease_seconds=lease, now=now)


def test_claim_leases_rows_and_decrypts(runtime):
    ids = add_letters(runtime, 3)
    now = utcnow()
    claimed = claim(runtime, now)
    assert sorted(c.outbox_id for c in claimed) == sorted(ids)
    assert len({c.lease_token for c in claimed}) == 1
    r = row(runtime, ids[0])
    assert r.lease_token == claimed[0].lease_token
    assert r.lease_until == now + timedelta(seconds=60)
    mail = next(c.mail for c in claimed if c.outbox_id == ids[0])
    assert (mail.sender_first_name, mail.sender_last_name) == ("José", "Núñez")
    assert mail.body == "Querida Presidencia: ¡ayuda! #0"
    assert mail.sender_email.endswith("@example.org")
    # Nothing personal in a repr that could reach a log or a traceback.
    assert "Núñez" not in repr(claimed) and "example.org" not in repr(claimed)


def test_second_claim_at_same_instant_gets_nothing(runtime):
    add_letters(runtime, 2)
    now = utcnow()
    assert len(claim(runtime, now)) == 2
    assert claim(runtime, now) == []
    assert claim(runtime, now + timedelta(seconds=59)) == []


def test_claim_respects_limit_and_due_time(runtime):
    add_letters(runtime, 5)
    later = add_letters(runtime, 1, created_at=utcnow() + timedelta(hours=1))
    now = utcnow()
    first = claim(runtime, now, limit=3)
    second = claim(runtime, now, limit=10)
    assert len(first) == 3 and len(second) == 2
    assert later[0] not in {c.outbox_id for c in first + second}


def test_expired_lease_is_reclaimable(runtime):
    (oid,) = add_letters(runtime, 1)
    now = utcnow()
    old = claim(runtime, now, lease=30)
    new = claim(runtime, now + timedelta(seconds=31))
    assert [c.outbox_id for c in new] == [oid]
    assert new[0].lease_token != old[0].lease_token


def test_complete_with_stolen_lease_does_nothing(runtime):
    (oid,) = add_letters(runtime, 1)
    now = utcnow()
    old = claim(runtime, now, lease=30)[0]
    new = claim(runtime, now + timedelta(seconds=31))[0]
    assert complete(runtime.db, old, SendResult.sent(), now=now + timedelta(seconds=32)) is False
    r = row(runtime, oid)
    assert r.status == DeliveryStatus.PENDING and r.attempts == 0 and r.lease_token == new.lease_token
    assert complete(runtime.db, new, SendResult.sent(), now=now + timedelta(seconds=33)) is True
    r = row(runtime, oid)
    assert r.status == DeliveryStatus.SENT and r.attempts == 1 and r.lease_token is None
    assert r.sent_at == now + timedelta(seconds=33)


def test_retry_schedule_then_give_up(runtime):
    (oid,) = add_letters(runtime, 1)
    t0 = utcnow()
    busy = SendResult.retry(451, "4.3.0 Try again later")
    # Attempts at t0, +10, +30, +50 are retried (delays 10, 20, 20, ...); at +70 the 60 s are up.
    expected_next = [10, 30, 50, 70]
    now = t0
    for attempt, nxt in enumerate(expected_next, start=1):
        if attempt > 1:
            assert claim(runtime, now - timedelta(seconds=1)) == []  # not due a moment before
        (c,) = claim(runtime, now)
        assert complete(runtime.db, c, busy, now=now, retry_policy=FAST)
        r = row(runtime, oid)
        assert (r.status, r.attempts) == (DeliveryStatus.PENDING, attempt)
        assert r.first_attempt_at == t0 and r.lease_token is None
        assert r.next_attempt_at == t0 + timedelta(seconds=nxt)
        assert r.last_error == "451 4.3.0 Try again later"
        now = r.next_attempt_at
    (c,) = claim(runtime, now)
    complete(runtime.db, c, busy, now=now, retry_policy=FAST)
    r = row(runtime, oid)
    assert r.status == DeliveryStatus.FAILED and r.attempts == 5
    assert r.last_error == "gave up after 5 attempts: 451 4.3.0 Try again later"
    assert claim(runtime, now + timedelta(days=30)) == []


def test_permanent_failure_is_recorded_for_admins_without_text(runtime):
    ids = add_letters(runtime, 3)
    now = utcnow()
    claimed = {c.outbox_id: c for c in claim(runtime, now)}
    complete(runtime.db, claimed[ids[0]], SendResult.sent(), now=now)
    complete(runtime.db, claimed[ids[1]],
             SendResult.failed(550, "5.1.1 <president@letters.invalid>: No such user"), now=now)
    assert delivery_counts(runtime.db) == {"pending": 1, "sent": 1, "failed": 1, "cancelled": 0}
    (f,) = failed_messages(runtime.db)
    assert (f.outbox_id, f.office_id, f.attempts) == (ids[1], "president", 1)
    assert f.last_error == "550 5.1.1 <address>: No such user"
    assert "ayuda" not in repr(f) and "Núñez" not in repr(f)
    # Never claimed again, even long after.
    assert [c.outbox_id for c in claim(runtime, now + timedelta(days=9))] == [ids[2]]


def test_default_policy_follows_rfc5321():
    p = RetryPolicy()
    assert p.delay_after(1) <= timedelta(minutes=30)
    assert p.give_up_after >= 4 * 24 * 3600
    assert p.delay_after(100) == timedelta(hours=6)
    assert [p.delay_after(n).total_seconds() for n in range(1, 9)] == \
        [60, 300, 900, 1800, 3600, 7200, 14400, 21600]
    with pytest.raises(ValueError):
        RetryPolicy(delays=(0,))


def test_lease_outlasts_smtp_and_busy_timeouts(config):
    smtp = SmtpSettings(host="mail.invalid", port=587, security="starttls", username="",
                        password="", timeout=40)
    cfg = dataclasses.replace(config, smtp=smtp, busy_timeout_seconds=7)
    assert lease_seconds_for(cfg) > 40 + 7


def test_concurrent_claims_never_overlap(runtime):
    add_letters(runtime, 120)
    now = utcnow()
    seen: list[int] = []
    lock = threading.Lock()
    errors = []

    def worker():
        try:
            for _ in range(100):  # bounded, so a broken claim fails instead of spinning
                batch = claim(runtime, now, limit=7)
                if not batch:
                    break
                with lock:
                    seen.extend(c.outbox_id for c in batch)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(seen) == 120 and len(set(seen)) == 120


# --- the .eml transport and the message itself ---

def sample_mail(**over):
    from datetime import UTC, datetime

    fields = dict(outbox_id=42, letter_id=7, office_id="president", recipient="president@letters.invalid",
                  subject="Familias unidas — ahora", body="Señor Presidente:\n\nNo separen a las familias.\n",
                  sender_first_name="José", sender_last_name="Núñez", sender_email="jose@example.org",
                  created_at=datetime(2026, 11, 23, 16, 5, 9, tzinfo=UTC))
    fields.update(over)
    return OutgoingMail(**fields)


def test_eml_transport_writes_a_parseable_message(config, tmp_path):
    outbox = tmp_path / "outbox"
    mail = sample_mail()
    with EmlTransport(outbox, mail_from=config.mail_from) as t:
        assert t.send(mail) == SendResult.sent()
    files = list(outbox.iterdir())
    assert [f.name for f in files] == ["20261123-160509-42.eml"]  # no temp file left behind
    raw = files[0].read_bytes()
    assert raw.isascii()  # headers encoded (RFC 2047), body quoted-printable
    msg = email.message_from_bytes(raw, policy=policy.default)
    assert msg["From"].addresses[0].addr_spec == "letters@portal.invalid"
    assert msg["To"].addresses[0].addr_spec == "president@letters.invalid"
    (reply_to,) = msg["Reply-To"].addresses
    assert (reply_to.display_name, reply_to.addr_spec) == ("José Núñez", "jose@example.org")
    assert msg["Subject"] == "Familias unidas — ahora"
    assert msg.get_content_type() == "text/plain" and msg.get_content_charset() == "utf-8"
    # The file holds the message as it goes over the wire, with CRLF line ends.
    assert msg.get_content().replace("\r\n", "\n") == "Señor Presidente:\n\nNo separen a las familias.\n"
    assert msg["Date"].datetime == mail.created_at
    assert re.fullmatch(r"<outbox-42-[0-9a-f]{16}@portal\.invalid>", msg["Message-ID"])


def test_message_id_is_deterministic_per_outbox_row(config):
    a = build_message(config, sample_mail())["Message-ID"]
    assert build_message(config, sample_mail(body="other text"))["Message-ID"] == a
    assert build_message(config, sample_mail(outbox_id=43))["Message-ID"] != a


def test_eml_repeat_replaces_the_file_instead_of_adding_one(config, tmp_path):
    t = EmlTransport(tmp_path / "outbox", mail_from=config.mail_from)
    with t:
        t.send(sample_mail())
        t.send(sample_mail())
        t.send(sample_mail(outbox_id=43))
    assert sorted(p.name for p in (tmp_path / "outbox").iterdir()) == \
        ["20261123-160509-42.eml", "20261123-160509-43.eml"]
