"""The receipt code e-mailed at once to a storyteller who gave an address, and never stored."""

from __future__ import annotations

import email
from email import policy

from stories.receipt_mail import email_receipt
from stories.receipts import new_receipt_code


def test_receipt_is_sent_in_the_storytellers_language(smtp, make_runtime):
    rt = make_runtime(smtp.port)
    code = new_receipt_code()
    assert email_receipt(rt, "ines@example.org", code, "es") is True
    [(_sender, recipients, content)] = smtp.messages
    message = email.message_from_bytes(content, policy=policy.default)
    assert recipients == ["ines@example.org"]
    assert message["To"] == "ines@example.org"
    assert message["Subject"] == "El código de recibo de su historia"
    body = message.get_content()
    assert code in body and "/my_story" in body
    # The code exists only in that message: not in the outbox table, not on disk.
    outbox = rt.config.outbox_dir
    assert not outbox.exists() or not any(outbox.iterdir())


def test_a_refused_receipt_is_reported_so_the_page_can_say_copy_it_now(smtp, make_runtime):
    smtp.refuse["nobody@example.org"] = "550 5.1.1 No such user"
    rt = make_runtime(smtp.port)
    assert email_receipt(rt, "nobody@example.org", new_receipt_code(), "en") is False


def test_without_smtp_the_receipt_is_not_written_anywhere(runtime):
    assert email_receipt(runtime, "ines@example.org", new_receipt_code(), "en") is False
    outbox = runtime.config.outbox_dir
    assert not outbox.exists() or not any(outbox.iterdir())
