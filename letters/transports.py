"""Building one e-mail and handing it to an SMTP server or to an .eml file.

Transports know nothing of the database: they get an `OutgoingMail` with the decrypted fields and
answer with a `SendResult` that says what the outbox should do next (SAFETY.md R4, R5). Each
message has exactly one recipient, so a refusal always concerns that one recipient.
"""

from __future__ import annotations

import enum
import functools
import hashlib
import logging
import os
import re
import smtplib
import socket
import ssl
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.charset import BASE64, QP, Charset
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage, Message
from email.utils import format_datetime, formataddr, parseaddr
from pathlib import Path
from typing import Protocol

from portal.config import Config, SmtpSettings

log = logging.getLogger(__name__)

REASON_MAX = 300


@dataclass(frozen=True)
class OutgoingMail:
    """One outbox row with its personal fields decrypted: everything a transport needs."""

    outbox_id: int
    letter_id: int
    office_id: str
    recipient: str
    subject: str
    body: str
    sender_first_name: str
    sender_last_name: str
    sender_email: str
    created_at: datetime

    def __repr__(self) -> str:  # never print names, addresses or the letter in a traceback
        return f"OutgoingMail(outbox_id={self.outbox_id}, office_id={self.office_id!r})"


class Outcome(str, enum.Enum):
    SENT = "sent"
    RETRY = "retry"    # a temporary failure: try again later
    FAILED = "failed"  # a permanent refusal: never try again


_ADDRESS = re.compile(r"<?[^\s<>@\"']+@[^\s<>@\"']+>?")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def short_reason(text: str | bytes) -> str:
    """A server's reply text made safe to store and log: one line, no e-mail address, bounded."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    text = _CONTROL.sub(" ", text)
    # A server may echo an address back; the admin view has the recipient column already.
    text = _ADDRESS.sub("<address>", text)
    return " ".join(text.split())[:200]


@dataclass(frozen=True)
class SendResult:
    outcome: Outcome
    code: int | None = None
    reason: str = ""

    @classmethod
    def sent(cls) -> SendResult:
        return cls(Outcome.SENT)

    @classmethod
    def retry(cls, code: int | None, reason: str | bytes) -> SendResult:
        return cls(Outcome.RETRY, code, short_reason(reason))

    @classmethod
    def failed(cls, code: int | None, reason: str | bytes) -> SendResult:
        return cls(Outcome.FAILED, code, short_reason(reason))

    @classmethod
    def from_reply(cls, code: int, reason: str | bytes) -> SendResult:
        """Classify an SMTP reply: 5xx is permanent, anything else unexpected is retried."""
        if 200 <= code < 300:
            return cls.sent()
        if 500 <= code < 600:
            return cls.failed(code, reason)
        return cls.retry(code, reason)

    @property
    def summary(self) -> str:
        """"550 5.1.1 No such user": what the outbox stores as last_error."""
        text = f"{self.code} {self.reason}" if self.code is not None else self.reason
        return text.strip()[:REASON_MAX]


@functools.lru_cache(maxsize=16)  # one configured value, parsed for every message otherwise
def _mail_from_address(mail_from: str) -> tuple[str, str]:
    name, addr = parseaddr(mail_from)
    if "@" not in addr:
        raise ValueError("mail_from must contain an e-mail address")
    return name, addr


def message_id(mail: OutgoingMail, mail_from: str) -> str:
    """The same Message-ID for every attempt at one outbox row, so a receiver can drop a repeat."""
    domain = _mail_from_address(mail_from)[1].rpartition("@")[2]
    seed = f"{mail.outbox_id}|{mail.letter_id}|{mail.recipient}|{mail.created_at.isoformat()}"
    digest = hashlib.sha256(seed.encode("utf-8")).hexdigest()[:16]
    return f"<outbox-{mail.outbox_id}-{digest}@{domain}>"


def _reply_to(mail: OutgoingMail) -> Address | None:
    if "@" not in mail.sender_email:
        return None
    local, _, domain = mail.sender_email.rpartition("@")
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    name = f"{mail.sender_first_name} {mail.sender_last_name}".strip()
    # Address refuses a line break in any part: a name cannot smuggle in a header of its own.
    return Address(display_name=name, username=local, domain=domain)


# Quoted-printable keeps the body 7-bit, so no server needs 8BITMIME to carry accents. Headers
# use base64 encoded-words: the package's default for UTF-8 measures every header both ways to
# pick the shorter, about a tenth of the cost of writing a message, for nothing a reader sees.
_UTF8 = Charset("utf-8")
_UTF8.body_encoding = QP
_UTF8.header_encoding = BASE64
# The legacy API (compat32) writes a message several times faster than EmailMessage, which
# re-parses every header to fold it. CRLF line ends are what SMTP and an .eml file want. A
# generator that follows the policy (smtplib.send_message's does; as_bytes() never mangles)
# would otherwise write a body line starting "From " as ">From ", as for an mbox file.
_WIRE = policy.compat32.clone(linesep="\r\n", mangle_from_=False)


def build_message(config: Config, mail: OutgoingMail) -> Message:
    """The e-mail an office receives for one outbox row (From us, Reply-To the supporter)."""
    return compose(mail, config.mail_from)


def compose(mail: OutgoingMail, mail_from: str) -> Message:
    """`build_message` for callers that hold only the From address (the transports).

    `as_bytes()` gives the message as it goes over SMTP, with CRLF line ends.
    """
    reply_to = _reply_to(mail)
    if reply_to is not None and not reply_to.username.isascii():
        # A non-ASCII local part cannot be written in a 7-bit header; it needs SMTPUTF8, which
        # only the modern API writes. Rare enough that its cost does not matter.
        return _compose_smtputf8(mail, mail_from, reply_to)
    msg = Message(policy=_WIRE)
    msg["From"] = _mailbox(*_mail_from_address(mail_from), "From")
    msg["To"] = _no_line_break(mail.recipient)
    if reply_to is not None:
        msg["Reply-To"] = _mailbox(reply_to.display_name, reply_to.addr_spec, "Reply-To")
    msg["Subject"] = _text(mail.subject, "Subject")
    msg["Date"] = format_datetime(mail.created_at.astimezone(UTC))
    msg["Message-ID"] = message_id(mail, mail_from)
    msg.set_payload(mail.body, _UTF8)
    return msg


def _compose_smtputf8(mail: OutgoingMail, mail_from: str, reply_to: Address) -> EmailMessage:
    msg = EmailMessage(policy=policy.SMTPUTF8)
    name, addr = _mail_from_address(mail_from)
    msg["From"] = Address(display_name=name, addr_spec=addr)
    msg["To"] = mail.recipient
    msg["Reply-To"] = reply_to
    msg["Subject"] = mail.subject
    msg["Date"] = format_datetime(mail.created_at.astimezone(UTC))
    msg["Message-ID"] = message_id(mail, mail_from)
    msg.set_content(mail.body, subtype="plain", charset="utf-8", cte="quoted-printable")
    return msg


def _no_line_break(value: str) -> str:
    # The legacy API writes a value as given, so a line break would start a header of its own
    # (the modern API refuses it; so do we).
    if "\r" in value or "\n" in value:
        raise ValueError("a header value cannot contain a line break")
    return value


def _as_written(value: str) -> bool:
    # Anything else goes into encoded-words: non-ASCII, control characters, runs of spaces (a
    # reader would collapse them), and text that a reader would itself take for an encoded-word.
    return value.isascii() and value.isprintable() and "=?" not in value and "  " not in value


def _text(value: str, name: str) -> str | Header:
    """An unstructured header value (Subject): as written when plain ASCII, RFC 2047 otherwise."""
    if _as_written(_no_line_break(value)):
        return value
    return Header(value, _UTF8, header_name=name)


def _mailbox(display_name: str, addr_spec: str, name: str) -> str | Header:
    """`Name <address>`, the name quoted or RFC 2047 encoded as it needs."""
    if not display_name or _as_written(_no_line_break(display_name)):
        return formataddr((display_name, _no_line_break(addr_spec)))
    # A Header rather than formataddr's single encoded-word, so that a long name is split into
    # several encoded-words, folded to lines of at most 78 characters.
    header = Header(display_name, _UTF8, header_name=name)
    header.append(f"<{_no_line_break(addr_spec)}>", "us-ascii")
    return header


@dataclass(frozen=True)
class WireMessage:
    """A message as it goes over SMTP (CRLF line ends), and whether it needs SMTPUTF8."""

    data: bytes
    smtputf8: bool

    @classmethod
    def of(cls, msg: Message) -> WireMessage:
        """Any message, ours or a caller's, written with CRLF line ends whatever its policy."""
        wire_policy = msg.policy.clone(linesep="\r\n")
        # compat32 has no utf8 setting: it never writes raw UTF-8 in a header.
        return cls(msg.as_bytes(policy=wire_policy), getattr(wire_policy, "utf8", False))


def wire_message(mail: OutgoingMail, mail_from: str) -> WireMessage:
    """`compose(mail, mail_from)` as it goes over SMTP or into an .eml file."""
    return WireMessage.of(compose(mail, mail_from))


class Transport(Protocol):
    def open(self) -> None: ...
    def send(self, mail: OutgoingMail) -> SendResult: ...
    def close(self) -> None: ...
    def __enter__(self) -> Transport: ...
    def __exit__(self, *exc) -> None: ...


class _TransportBase:
    def open(self) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self):
        self.open()
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class EmlTransport(_TransportBase):
    """Writes each message as `{outbox_dir}/{YYYYmmdd-HHMMSS}-{outbox_id}.eml` (no SMTP needed)."""

    def __init__(self, outbox_dir: Path, *, mail_from: str):
        self.outbox_dir = Path(outbox_dir)
        self.mail_from = mail_from

    def open(self) -> None:
        # The files hold supporters' names and addresses: readable by the portal's user only.
        self.outbox_dir.mkdir(parents=True, exist_ok=True, mode=0o700)

    def path_for(self, mail: OutgoingMail) -> Path:
        # Named by the row's creation time, so a repeat overwrites the same file instead of adding one.
        stamp = mail.created_at.astimezone(UTC).strftime("%Y%m%d-%H%M%S")
        return self.outbox_dir / f"{stamp}-{mail.outbox_id}.eml"

    def send(self, mail: OutgoingMail) -> SendResult:
        final = self.path_for(mail)
        tmp = final.with_name(f".{final.name}.{uuid.uuid4().hex}.tmp")
        try:
            data = wire_message(mail, self.mail_from).data
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            # A reader sees either no file or the whole file, never half of one.
            os.replace(tmp, final)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            return SendResult.retry(None, f"could not write the .eml file ({exc.strerror or type(exc).__name__})")
        return SendResult.sent()


class _ConnectFailed(Exception):
    def __init__(self, result: SendResult):
        super().__init__(result.summary)
        self.result = result


class SmtpTransport(_TransportBase):
    """Sends through one SMTP connection per batch, opened on the first message."""

    def __init__(self, settings: SmtpSettings, *, mail_from: str):
        self.settings = settings
        self.mail_from = mail_from
        self.envelope_from = _mail_from_address(mail_from)[1]
        self._smtp: smtplib.SMTP | None = None
        # Set when connecting failed: the rest of the batch is retried without more timeouts.
        self._down: SendResult | None = None
        self._tls: ssl.SSLContext | None = None
        self.connections = 0

    def open(self) -> None:
        self._down = None

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()

    def _tls_context(self) -> ssl.SSLContext:
        # Made once: loading the system's CA certificates takes tens of milliseconds, which
        # paid on every connection would cost more than the messages sent over it.
        if self._tls is None:
            self._tls = ssl.create_default_context()
        return self._tls

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        smtp: smtplib.SMTP | None = None
        try:
            if s.security == "ssl":
                smtp = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=self._tls_context())
            else:
                smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
            smtp.ehlo()
            if s.security == "starttls":
                smtp.starttls(context=self._tls_context())
                smtp.ehlo()
            if s.username:
                smtp.login(s.username, s.password)
        except smtplib.SMTPResponseException as exc:
            _close_quietly(smtp)
            # A refused greeting or login is our server's problem, not the letter's: retry.
            raise _ConnectFailed(SendResult.retry(exc.smtp_code, exc.smtp_error)) from None
        except (smtplib.SMTPException, OSError) as exc:
            _close_quietly(smtp)
            raise _ConnectFailed(SendResult.retry(None, _describe(exc))) from None
        self.connections += 1
        return smtp

    def send(self, mail: OutgoingMail) -> SendResult:
        return self._send_wire(wire_message(mail, self.mail_from), mail.recipient)

    def send_message(self, msg: Message, recipient: str) -> SendResult:
        """Send a prepared message to one recipient over this transport's connection."""
        return self._send_wire(WireMessage.of(msg), recipient)

    def _send_wire(self, msg: WireMessage, recipient: str) -> SendResult:
        if self._down is not None:
            return self._down
        for attempt in (1, 2):
            try:
                if self._smtp is None:
                    self._smtp = self._connect()
                return self._send_on(self._smtp, recipient, msg)
            except _ConnectFailed as exc:
                self._down = exc.result
                return exc.result
            except (smtplib.SMTPServerDisconnected, ConnectionResetError, BrokenPipeError) as exc:
                _close_quietly(self._smtp)
                self._smtp = None
                # A connection the server dropped (idle too long, restarted) is worth one new try;
                # a timeout is not, as the server may be slow rather than gone.
                if attempt == 2 or "timed out" in str(exc):
                    return SendResult.retry(None, _describe(exc))
            except (TimeoutError, OSError) as exc:
                _close_quietly(self._smtp)
                self._smtp = None
                return SendResult.retry(None, _describe(exc))
        raise AssertionError("unreachable")

    def _send_on(self, smtp: smtplib.SMTP, recipient: str, msg: WireMessage) -> SendResult:
        options: tuple[str, ...] = ()
        if msg.smtputf8:
            if not smtp.has_extn("smtputf8"):
                return SendResult.failed(None, "the supporter's address needs SMTPUTF8, "
                                               "which the SMTP server does not offer")
            options = ("SMTPUTF8",)
        try:
            refused = smtp.sendmail(self.envelope_from, [recipient], msg.data, mail_options=options)
        except smtplib.SMTPRecipientsRefused as exc:
            refused = exc.recipients
        except smtplib.SMTPResponseException as exc:  # sender refused, data refused
            if exc.smtp_code == 421:  # the server is closing this connection
                _close_quietly(smtp)
                self._smtp = None
            return SendResult.from_reply(exc.smtp_code, exc.smtp_error)
        except smtplib.SMTPNotSupportedError as exc:
            return SendResult.failed(None, str(exc))
        if refused:
            # One recipient per message: its own reply code decides, nothing else is resent.
            code, text = refused.get(recipient, next(iter(refused.values())))
            if code == 421:
                _close_quietly(smtp)
                self._smtp = None
            return SendResult.from_reply(code, text)
        return SendResult.sent()


def _close_quietly(smtp: smtplib.SMTP | None) -> None:
    if smtp is not None:
        try:
            smtp.close()
        except OSError:
            pass


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return "connection timed out"
    if isinstance(exc, socket.gaierror):
        return "SMTP host not found"
    if isinstance(exc, ssl.SSLError):
        return f"TLS error ({exc.reason or type(exc).__name__})"
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"


def transport_for(config: Config) -> SmtpTransport | EmlTransport:
    """SMTP when a server is configured, otherwise .eml files in the data folder (SAFETY.md R5)."""
    if config.smtp is not None:
        return SmtpTransport(config.smtp, mail_from=config.mail_from)
    return EmlTransport(config.outbox_dir, mail_from=config.mail_from)
