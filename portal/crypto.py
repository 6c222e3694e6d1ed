"""Field-by-field encryption and keyed lookup hashes for personal details (SAFETY.md D1)."""

from __future__ import annotations

import hashlib
import hmac
import unicodedata

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class FieldCipher:
    """Encrypts single fields with the newest key and decrypts with any configured key."""

    def __init__(self, keys: tuple[str, ...] | list[str], lookup_key: str):
        if not keys:
            raise ValueError("at least one encryption key is needed")
        self._fernet = MultiFernet([Fernet(k) for k in keys])
        self._lookup_key = lookup_key.encode()

    def encrypt(self, value: str | None) -> bytes | None:
        """Encrypt a text field; None and "" stay empty so optional fields remain optional."""
        if not value:
            return None
        return self._fernet.encrypt(value.encode("utf-8"))

    def decrypt(self, token: bytes | None) -> str:
        if not token:
            return ""
        try:
            return self._fernet.decrypt(bytes(token)).decode("utf-8")
        except InvalidToken as exc:
            raise ValueError("a field could not be decrypted with the configured keys") from exc

    def rotate(self, token: bytes | None) -> bytes | None:
        """Re-encrypt a token with the newest key (for key rotation)."""
        if not token:
            return token
        return self._fernet.rotate(bytes(token))

    @property
    def fernet(self) -> MultiFernet:
        """For whole files (photos): encrypt(bytes) with the newest key, decrypt with any."""
        return self._fernet

    @property
    def search_key(self) -> bytes:
        """A key for search-term hashes, derived from the lookup key but distinct from it."""
        return hmac.new(self._lookup_key, b"story search terms", hashlib.sha256).digest()

    def lookup_hash(self, value: str) -> str:
        """A keyed hash for finding a record by e-mail without storing the e-mail in clear."""
        normal = unicodedata.normalize("NFKC", value).strip().casefold()
        return hmac.new(self._lookup_key, normal.encode("utf-8"), hashlib.sha256).hexdigest()
