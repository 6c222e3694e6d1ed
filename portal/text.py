"""Normalizing what people type before it is checked or stored (SAFETY.md I1)."""

from __future__ import annotations

import unicodedata


def clean_text(value: str | None, *, multiline: bool = False) -> str:
    """Normalize user text: NFC, no control characters, trimmed; newlines kept only if multiline."""
    text = unicodedata.normalize("NFC", value or "")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    kept = []
    for ch in text:
        if ch == "\n" and multiline:
            kept.append(ch)
        elif ch in "\t\n":
            kept.append(" ")
        elif unicodedata.category(ch) in ("Cc", "Cf") and ch not in "\u200d":
            continue
        else:
            kept.append(ch)
    return "".join(kept).strip()
