"""The message an office receives: what compose() writes reads back as the letter and its sender."""

from __future__ import annotations

import email
from datetime import UTC, datetime, timedelta
from email import policy
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from letters.transports import OutgoingMail, WireMessage, compose, message_id, wire_message

MAIL_FROM = "Families Together Portal <letters@portal.invalid>"
# "From " at the start of a line is where an mbox-minded writer would put a ">".
BODY = "Señor Presidente:\n\nNo separen a las familias. " + "x" * 90 + "\n.\nFrom here on.\n"

# What a cleaned form field can hold (portal.text.clean_text removes control characters).
NAME_CHARS = st.characters(blacklist_categories=("Cs", "Cc", "Cf"))
names = st.text(NAME_CHARS, max_size=60)
# A campaign's subject: one line of text, trimmed as the templates are.
subjects = st.text(NAME_CHARS, min_size=1, max_size=120).map(str.strip).filter(bool)
bodies = st.text(max_size=400)
line_breaks = st.sampled_from(["\r\n", "\n", "\r"])


def mail(**over) -> OutgoingMail:
    fields = dict(outbox_id=42, letter_id=7, office_id="president", recipient="president@letters.invalid",
                  subject="Familias unidas — ahora", body=BODY, sender_first_name="José",
                  sender_last_name="Núñez", sender_email="jose@example.org",
                  created_at=datetime(2026, 11, 23, 16, 5, 9, tzinfo=UTC))
    fields.update(over)
    return OutgoingMail(**fields)


def read_back(data: bytes) -> email.message.EmailMessage:
    return BytesParser(policy=policy.default).parsebytes(data)


def reply_to_name(msg: email.message.EmailMessage, data: bytes) -> str:
    """The Reply-To's display name as an RFC 2047 reader reads it.

    Python 3.11's structured header parser keeps the space between two adjacent encoded-words
    in a display name (CPython gh-128110), where RFC 2047 (6.2) says a reader must drop it. A
    long name is split into several encoded-words, so an encoded name is read with the package's
    RFC 2047 decoder instead.
    """
    raw = email.message_from_bytes(data, policy=policy.compat32)["Reply-To"].replace("\r\n", "")
    phrase = raw.rpartition(" <")[0]
    if "=?" not in phrase:
        return msg["Reply-To"].addresses[0].display_name
    return str(make_header(decode_header(phrase)))


def lines_as_sent(text: str) -> list[str]:
    # A body's line ends go out as CRLF, whichever the letter had.
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def unbreakable(line: bytes) -> bool:
    """One long word of plain text: folding happens at spaces, so no writer can shorten it.

    Encoded-words are never excused: the writer chooses their length.
    """
    return b"=?" not in line and b" " not in line.lstrip().partition(b" ")[2]


def assert_reads_back(m: OutgoingMail) -> None:
    """The message is 7-bit, CRLF, folded, and every field reads back as the outbox row has it."""
    wire = wire_message(m, MAIL_FROM)
    data = wire.data
    assert data.isascii() and not wire.smtputf8
    assert b"\n" not in data.replace(b"\r\n", b""), "bare line ends"
    for line in data.split(b"\r\n"):
        assert len(line) <= 78 or unbreakable(line), line

    msg = read_back(data)
    assert not msg.defects and not any(value.defects for value in msg.values())
    assert list(msg.keys()) == ["From", "To", "Reply-To", "Subject", "Date", "Message-ID",
                                "MIME-Version", "Content-Type", "Content-Transfer-Encoding"]
    (sender,) = msg["From"].addresses
    assert (sender.display_name, sender.addr_spec) == ("Families Together Portal", "letters@portal.invalid")
    assert [a.addr_spec for a in msg["To"].addresses] == [m.recipient]
    (reply_to,) = msg["Reply-To"].addresses
    name = f"{m.sender_first_name} {m.sender_last_name}".strip()
    assert reply_to.addr_spec == m.sender_email
    assert reply_to_name(msg, data) == name
    assert msg["Subject"] == m.subject
    assert msg["Date"].datetime == m.created_at
    assert msg["Message-ID"] == message_id(m, MAIL_FROM)
    assert msg["MIME-Version"] == "1.0"
    assert msg.get_content_type() == "text/plain" and msg.get_content_charset() == "utf-8"
    assert msg["Content-Transfer-Encoding"] == "quoted-printable"
    assert lines_as_sent(msg.get_content()) == lines_as_sent(m.body)


@pytest.mark.parametrize("first, last", [
    ("José", "Núñez"), ("Nguyễn", "Thị Minh Khai"), ("😀", ""), ("Zoë", "O'Brien-Smith, Jr."),
    ("=?utf-8?q?x?=", "Ana"),  # must not be read as an encoded-word
    ("Ana", "Smith"), ("O'Brien", "Mc-Lean"), ("Ana", ""), ('Ana "Nena"', "Smith\\Jones"),
    ("Ana  Maria", "Lopez"),  # a reader would collapse the two spaces if they went out plain
    ("Ana María José Guadalupe " * 2, "de los Santos Hernández Rodríguez Villanueva"),
])
def test_the_supporters_name_reads_back_exactly(first, last):
    assert_reads_back(mail(sender_first_name=first, sender_last_name=last))


def test_without_a_name_the_reply_goes_to_the_bare_address():
    msg = read_back(wire_message(mail(sender_first_name="", sender_last_name=""), MAIL_FROM).data)
    assert msg["Reply-To"] == "jose@example.org"


@settings(max_examples=300, deadline=None)
@given(first=names, last=names, subject=subjects, body=bodies, outbox_id=st.integers(1, 10**12),
       seconds=st.integers(0, 10**9))
def test_any_name_subject_and_body_read_back_exactly(first, last, subject, body, outbox_id, seconds):
    assert_reads_back(mail(sender_first_name=first, sender_last_name=last, subject=subject, body=body,
                           outbox_id=outbox_id,
                           created_at=datetime(1990, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds)))


def test_a_line_break_in_a_name_is_refused():
    for name in ("Ana\r\nBcc: x@example.org", "José\nBcc: x@example.org", "Ana\rBcc x"):
        with pytest.raises(ValueError):
            compose(mail(sender_first_name=name), MAIL_FROM)
        with pytest.raises(ValueError):
            wire_message(mail(sender_last_name=name), MAIL_FROM)


@settings(max_examples=200, deadline=None)
@given(before=names.filter(str.strip), after=names, line_break=line_breaks, field=st.sampled_from(
    ["sender_first_name", "sender_last_name", "subject", "recipient"]))
def test_a_line_break_in_any_header_value_is_refused(before, after, line_break, field):
    with pytest.raises(ValueError):
        wire_message(mail(**{field: f"{before}{line_break}Bcc: x@example.org{after}"}), MAIL_FROM)


def test_a_line_break_at_the_edge_of_a_name_is_trimmed_away():
    data = wire_message(mail(sender_first_name="\r\nBcc: x@example.org", sender_last_name="Ana\n"),
                        MAIL_FROM).data
    msg = read_back(data)
    assert "Bcc" not in msg
    assert reply_to_name(msg, data) == "Bcc: x@example.org Ana"


def test_non_ascii_mailbox_needs_smtputf8():
    m = mail(sender_email="josé@example.org")
    assert compose(m, MAIL_FROM).policy.utf8
    wire = wire_message(m, MAIL_FROM)
    assert wire.smtputf8
    # The header holds raw UTF-8, which BytesParser would keep as undecoded bytes.
    msg = email.message_from_string(wire.data.decode("utf-8"), policy=policy.default)
    (reply_to,) = msg["Reply-To"].addresses
    assert (reply_to.display_name, reply_to.addr_spec) == ("José Núñez", "josé@example.org")
    assert lines_as_sent(msg.get_content()) == lines_as_sent(BODY)


def test_a_message_made_elsewhere_goes_out_with_crlf_line_ends():
    # SmtpTransport.send_message takes messages it did not compose, whatever their policy.
    msg = Message()  # compat32: "\n" line ends
    msg["Subject"] = "Receipt"
    msg.set_payload("one\ntwo\n")
    wire = WireMessage.of(msg)
    assert wire.data == b"Subject: Receipt\r\n\r\none\r\ntwo\r\n" and not wire.smtputf8
