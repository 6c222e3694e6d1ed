"""Logging set-up: one event is one line, whatever a user typed (SAFETY.md L1)."""

from __future__ import annotations

import logging


class OneLineFormatter(logging.Formatter):
    """Escapes CR and LF so a crafted value cannot forge a second log line."""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        return text.replace("\\", "\\\\").replace("\r", "\\r").replace("\n", "\\n")


def configure_logging(verbose: bool = False) -> None:
    """Send the portal's logs to standard error, one line per event."""
    handler = logging.StreamHandler()
    handler.setFormatter(OneLineFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    # Schema upgrades announce every step at INFO; operators only need to hear about problems.
    logging.getLogger("alembic").setLevel(logging.INFO if verbose else logging.WARNING)
