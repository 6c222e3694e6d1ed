"""Receipt codes: 160 random bits, forgiving to type, stored only as a keyed hash (SAFETY.md S5)."""

from __future__ import annotations

import base64
import re

import pytest
from cryptography.fernet import Fernet
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.crypto import FieldCipher
from stories.receipts import CODE_BITS, new_receipt_code, normalize_receipt_code, receipt_hash

CODE = "K7QX-2MPA-ZZ3D-OIBA-4TEV-N5WC-HJ6R-LSYU"
COMPACT = CODE.replace("-", "")


@pytest.fixture
def cipher() -> FieldCipher:
    return FieldCipher([Fernet.generate_key().decode()], "receipt-test-lookup-key")


def test_a_code_carries_160_random_bits_in_8_groups_of_4():
    code = new_receipt_code()
    assert CODE_BITS >= 128
    assert re.fullmatch(r"[A-Z2-7]{4}(-[A-Z2-7]{4}){7}", code), code
    compact = code.replace("-", "")
    assert len(compact) == 32
    assert len(base64.b32decode(compact)) * 8 == 160


def test_a_thousand_codes_are_all_different():
    codes = {new_receipt_code() for _ in range(1000)}
    assert len(codes) == 1000
    # Not a counter in disguise: the first groups vary too.
    assert len({c[:4] for c in codes}) > 900


def test_a_fresh_code_reads_back_as_itself():
    code = new_receipt_code()
    assert normalize_receipt_code(code) == code.replace("-", "")


@pytest.mark.parametrize("typed", [
    CODE,
    CODE.lower(),
    COMPACT,
    COMPACT.lower(),
    " ".join(CODE.split("-")),
    "  " + CODE + "\n",
    CODE.replace("-", " - "),
    CODE.replace("-", "\u2013"),           # an en dash from a word processor
    CODE.replace("-", "\u00a0"),           # a no-break space
    CODE.replace("O", "0").replace("I", "1").replace("B", "8"),  # copied by hand
    CODE.lower().replace("o", "0").replace("i", "1").replace("b", "8"),
], ids=["as-given", "lower", "compact", "compact-lower", "spaces", "padded", "spaced-dashes",
        "en-dash", "nbsp", "lookalikes", "lookalikes-lower"])
def test_normalize_accepts_what_people_type(typed):
    assert normalize_receipt_code(typed) == COMPACT


@pytest.mark.parametrize("typed", [
    "", None, "   ", COMPACT[:-1], COMPACT + "A", COMPACT[:28], CODE + "-AAAA",
    COMPACT[:-1] + "9",                    # 9 is not base32 and looks like nothing in it
    COMPACT[:-1] + "Ä", COMPACT[:-1] + "\uff21",  # a foreign letter, a full-width A
    COMPACT[:-1] + "=", COMPACT[:-1] + "/", "' OR 1=1 --",
    COMPACT[:16] + "\n" + COMPACT[16:] + "\nXYZ",
], ids=["empty", "none", "blank", "short", "long", "28", "extra-group", "nine", "umlaut",
        "fullwidth", "padding", "slash", "sql", "extra-line"])
def test_normalize_rejects_malformed_codes(typed):
    assert normalize_receipt_code(typed) is None


@given(st.text(max_size=80))
@settings(max_examples=400)
def test_normalize_never_raises(typed):
    result = normalize_receipt_code(typed)
    assert result is None or re.fullmatch(r"[A-Z2-7]{32}", result)
    if result is not None:
        assert normalize_receipt_code(result) == result


def test_receipt_hash_is_stable_and_is_not_the_code(cipher):
    h = receipt_hash(cipher, CODE)
    assert h is not None and re.fullmatch(r"[0-9a-f]{64}", h)
    assert COMPACT not in h.upper() and CODE not in h
    assert receipt_hash(cipher, CODE) == h
    # However it was typed, the same code finds the same story.
    assert receipt_hash(cipher, COMPACT.lower()) == h
    assert receipt_hash(cipher, CODE.replace("O", "0")) == h


def test_receipt_hash_depends_on_the_code_and_on_the_key(cipher):
    other_code = new_receipt_code()
    assert receipt_hash(cipher, other_code) != receipt_hash(cipher, CODE)
    other_key = FieldCipher([Fernet.generate_key().decode()], "another-lookup-key")
    # Without the lookup key, a database dump cannot be matched against guessed codes.
    assert receipt_hash(other_key, CODE) != receipt_hash(cipher, CODE)


@pytest.mark.parametrize("typed", ["", "hello", COMPACT[:-1]])
def test_receipt_hash_of_a_malformed_code_is_none(cipher, typed):
    assert receipt_hash(cipher, typed) is None
