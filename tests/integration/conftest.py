"""Real peers on loopback for the integration tests: a scriptable SMTP server (aiosmtpd)."""

from __future__ import annotations

import dataclasses
import email
import socket
import threading
from email import policy

import pytest
from aiosmtpd.controller import Controller

from portal.config import SmtpSettings
from portal.runtime import open_runtime


class ScriptedSmtp:
    """An SMTP handler that stores what it accepts and answers as a test tells it to."""

    def __init__(self):
        self.lock = threading.Lock()
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.connections = 0
        self.rcpt_commands = 0
        self.mail_commands = 0
        self.data_replies: list[str] = []  # answers for the next DATA commands, in order
        self.refuse: dict[str, str] = {}   # recipient -> reply to its RCPT
        self.drop_on_mail: set[int] = set()  # close the connection on these MAIL commands (1-based)

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        with self.lock:
            self.connections += 1
        return responses

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        with self.lock:
            self.mail_commands += 1
            drop = self.mail_commands in self.drop_on_mail
        if drop:
            server.transport.close()  # the server goes away without answering
            return "421 4.4.2 closing"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self.lock:
            self.rcpt_commands += 1
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            if self.data_replies:
                return self.data_replies.pop(0)
            self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 2.0.0 Message accepted for delivery"

    def message_ids(self) -> list[str]:
        with self.lock:
            return [email.message_from_bytes(c, policy=policy.default)["Message-ID"]
                    for _, _, c in self.messages]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(handler, port):
    controller = Controller(handler, hostname="127.0.0.1", port=port, ready_timeout=30)
    controller.start()
    return controller


@pytest.fixture
def smtp():
    handler = ScriptedSmtp()
    port = free_port()
    controller = start_server(handler, port)
    handler.port = port
    yield handler
    controller.stop()


def smtp_config(config, port):
    settings = SmtpSettings(host="127.0.0.1", port=port, security="none", username="",
                            password="", timeout=20)
    return dataclasses.replace(config, smtp=settings)


@pytest.fixture
def make_runtime(config):
    opened = []

    def make(port, **changes):
        rt = open_runtime(dataclasses.replace(smtp_config(config, port), **changes))
        opened.append(rt)
        return rt

    yield make
    for rt in opened:
        rt.db.dispose()


