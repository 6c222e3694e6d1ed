"""Silent checks that drop automated form submissions (SAFETY.md A1).

A bot that fills the hidden honeypot field, or submits faster than a person can read the form,
is shown the normal thank-you and nothing is stored, so it learns nothing from the answer.
"""

from __future__ import annotations


def looks_automated(honeypot: str | None, drawn_at: float | None, submitted_at: float,
                    min_seconds: float) -> bool:
    """True when the honeypot was filled or the form came back too fast (or was never drawn)."""
    if honeypot:
        return True
    if drawn_at is None:
        return True
    return submitted_at - drawn_at < min_seconds
