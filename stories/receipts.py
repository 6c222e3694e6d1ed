"""Receipt codes: how a storyteller returns to their story without an account (SAFETY.md S5).

A code carries 160 random bits, written as 32 base32 letters and digits in groups of four. Only a
keyed hash of it is stored, so neither a database dump nor a guess reveals which story it opens.
"""

from __future__ import annotations

import base64
import re
import secrets

from portal.crypto import FieldCipher

CODE_BITS = 160
_GROUP = 4
# Letters people confuse when copying by hand, mapped to the base32 letters they meant.
_LOOKALIKES = str.maketrans({"0": "O", "1": "I", "8": "B"})
_VALID = re.compile(r"^[A-Z2-7]{32}$")


def new_receipt_code() -> str:
    """A fresh code like ``K7QX-2MPA-…`` (8 groups of 4)."""
    raw = base64.b32encode(secrets.token_bytes(CODE_BITS // 8)).decode("ascii")
    return "-".join(raw[i:i + _GROUP] for i in range(0, len(raw), _GROUP))


def normalize_receipt_code(typed: str) -> str | None:
    """The code's 32 characters as typed in any case, with or without spaces and dashes; None if malformed."""
    compact = re.sub(r"[\s\-–—_.]", "", typed or "").upper().translate(_LOOKALIKES)
    return compact if _VALID.match(compact) else None


def receipt_hash(cipher: FieldCipher, code: str) -> str | None:
    """The stored lookup hash for a code, or None when the code cannot be valid."""
    normal = normalize_receipt_code(code)
    return cipher.lookup_hash("receipt:" + normal) if normal else None
