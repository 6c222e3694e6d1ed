"""The wire format of a letter: wire_message() reads exactly as compose() and the sender's details."""

from __future__ import annotations

import email
from datetime import UTC, datetime, timedelta
from email import policy
from email.header import decode_header, make_header

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from letters.transports import OutgoingMail, compose, wire_message

MAIL_FROM = "Families Together Portal <letters@portal.invalid>"
BODY = "Señor Presidente:\n\nNo separen a las familias. " + "x" * 90 + "\n.\nFrom here on.\n"

# What a cleaned form field can hold (portal.text.clean_text removes control characters).
NAME_CHARS = st.characters(blacklist_categories=("Cs", "Cc", "Cf"))
names = st.text(NAME_CHARS, max_size=60)
plain_names = st.from_regex(r"[A-Za-z0-9'-]{1,20}", fullmatch=True)


def mail(**over) -> OutgoingMail:
    fields = dict(outbox_id=42, letter_id=7, office_id="president", recipient="president@letters.invalid",
                  subject="Familias unidas — ahora", body=BODY, sender_first_name="José",
                  sender_last_name="Núñez", sender_email="jose@example.org",
                  created_at=datetime(2026, 11, 23, 16, 5, 9, tzinfo=UTC))
    fields.update(over)
    return OutgoingMail(**fields)


def parsed(data: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(data, policy=policy.default)


def assert_reads_like_compose(m: OutgoingMail) -> None:
    wire = wire_message(m, MAIL_FROM)
    ours, theirs = parsed(wire.data), parsed(compose(m, MAIL_FROM).as_bytes())
    assert wire.data.isascii() and not wire.smtputf8
    assert list(ours.keys()) == list(theirs.keys())
    for name in ("From", "To", "Subject", "Date", "Message-ID", "Content-Type",
                 "Content-Transfer-Encoding", "MIME-Version"):
        assert str(ours[name]) == str(theirs[name]), name
    assert ours.get_content() == theirs.get_content()
    # The supporter's name and address come back exactly as given.
    name = f"{m.sender_first_name} {m.sender_last_name}".strip()
    assert reply_to(wire.data) == (name, m.sender_email)
    assert all(len(line) <= 78 for line in wire.data.split(b"\r\n")), wire.data


def reply_to(data: bytes) -> tuple[str, str]:
    """The Reply-To's name and address as an RFC 2047 reader decodes them.

    Python's structured header parser keeps the space between two adjacent encoded-words,
    which RFC 2047 (6.2) says a reader must drop; the legacy decoder follows the RFC.
    """
    raw = email.message_from_bytes(data, policy=policy.compat32)["Reply-To"].replace("\r\n", "")
    phrase, _, angle = raw.rpartition(" <")
    if not angle:
        return "", raw
    return str(make_header(decode_header(phrase))), angle.rstrip(">")


@pytest.mark.parametrize("first, last", [("José", "Núñez"), ("Nguyễn", "Thị Minh Khai"), ("😀", ""),
                                         ("Zoë", "O'Brien-Smith, Jr."), ("=?utf-8?q?x?=", "Ana")])
def test_names_beyond_ascii_read_back_exactly(first, last):
    assert_reads_like_compose(mail(sender_first_name=first, sender_last_name=last))


@pytest.mark.parametrize("first, last", [("Ana", "Smith"), ("O'Brien", "Mc-Lean"), ("", ""), ("Ana", "")])
def test_plain_names_give_the_same_bytes_as_the_email_package(first, last):
    m = mail(sender_first_name=first, sender_last_name=last)
    assert wire_message(m, MAIL_FROM).data == compose(m, MAIL_FROM).as_bytes()
    assert_reads_like_compose(m)


@settings(max_examples=300, deadline=None)
@given(first=plain_names, last=plain_names, subject=st.text(NAME_CHARS, max_size=120),
       body=st.text(max_size=400), outbox_id=st.integers(1, 10**12),
       seconds=st.integers(0, 10**9))
def test_plain_ascii_names_give_the_same_bytes_as_the_email_package(first, last, subject, body,
                                                                    outbox_id, seconds):
    m = mail(sender_first_name=first, sender_last_name=last, subject=subject, body=body,
             outbox_id=outbox_id, created_at=datetime(1990, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds))
    assert wire_message(m, MAIL_FROM).data == compose(m, MAIL_FROM).as_bytes()


@settings(max_examples=300, deadline=None)
@given(first=names, last=names, body=st.text(max_size=400))
def test_any_name_reads_back_exactly(first, last, body):
    assert_reads_like_compose(mail(sender_first_name=first, sender_last_name=last, body=body))


def test_long_names_are_folded_into_short_lines():
    assert_reads_like_compose(mail(sender_first_name="Ana María José Guadalupe " * 2,
                                   sender_last_name="de los Santos Hernández Rodríguez Villanueva"))


def test_a_line_break_in_a_name_is_refused_as_compose_refuses_it():
    with pytest.raises(ValueError):
        compose(mail(sender_first_name="Ana\r\nBcc: x@example.org"), MAIL_FROM)
    with pytest.raises(ValueError):
        wire_message(mail(sender_first_name="Ana\r\nBcc: x@example.org"), MAIL_FROM)


def test_non_ascii_mailbox_needs_smtputf8_like_compose():
    m = mail(sender_email="josé@example.org")
    wire = wire_message(m, MAIL_FROM)
    assert wire.smtputf8
    assert wire.data == compose(m, MAIL_FROM).as_bytes()
