"""E-mailing a storyteller their receipt code, at once, only if they gave an address (S5).

The message is sent during the request and never queued: the code must not sit in the outbox
table or, without an SMTP server, in an .eml file on disk. When it cannot be sent, the receipt
page says so and asks the storyteller to copy the code.
"""

from __future__ import annotations

import logging
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

from letters.transports import Outcome, SmtpTransport
from portal.db import utcnow
from portal.i18n import N_, translator
from portal.runtime import Runtime

log = logging.getLogger(__name__)

SUBJECT = N_("Your story receipt code")
BODY = N_(
    "Thank you for sharing your story.\n\n"
    "Your receipt code is:\n\n    {code}\n\n"
    "With this code you can see what is happening with your story, change how it may be used, "
    "or withdraw it at any time: {url}\n\n"
    "Keep the code private. Anyone who has it can see your story's status and withdraw it. "
    "If you think someone else has it, withdraw your story and share it again.")


def receipt_message(runtime: Runtime, to: str, code: str, language: str) -> EmailMessage:
    _ = translator(language)
    config = runtime.config
    name, addr = parseaddr(config.mail_from)
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = Address(display_name=name, addr_spec=addr)
    msg["To"] = to
    msg["Subject"] = _(SUBJECT)
    msg["Date"] = format_datetime(utcnow())
    msg["Message-ID"] = make_msgid(domain=addr.rpartition("@")[2] or None)
    msg.set_content(_(BODY).format(code=code, url=f"{config.public_url}/my_story"),
                    charset="utf-8", cte="quoted-printable")
    return msg


def email_receipt(runtime: Runtime, to: str, code: str, language: str) -> bool:
    """Send the receipt now; False when there is no SMTP server or it did not accept the message."""
    settings = runtime.config.smtp
    if settings is None or not to:
        return False
    with SmtpTransport(settings, mail_from=runtime.config.mail_from) as transport:
        result = transport.send_message(receipt_message(runtime, to, code, language), to)
    if result.outcome is not Outcome.SENT:
        # The reply code only: never the address or the code.
        log.warning("receipt e-mail not sent (SMTP reply %s)", result.code)
        return False
    return True
