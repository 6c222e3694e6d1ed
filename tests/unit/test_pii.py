"""Hints about identifying details in story text (SAFETY.md S4), in English and Spanish."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.i18n import Msg
from stories.pii import KINDS, PII_MESSAGES, PiiHit, find_pii, redact, redact_all

# (text, kind, the exact text that should be marked)
POSITIVES = [
    # A-numbers
    ("My A-number is A123456789.", "a_number", "A123456789"),
    ("Mi número es A-123-456-789, por favor no lo compartan.", "a_number", "A-123-456-789"),
    ("A# 123456789", "a_number", "A# 123456789"),
    ("his number A 123 456 789 was on the letter", "a_number", "A 123 456 789"),
    ("the old card said A12345678", "a_number", "A12345678"),
    ("A-number 123456789", "a_number", "123456789"),
    ("my A-number is 098765432", "a_number", "098765432"),
    ("Alien number: 1234567", "a_number", "1234567"),
    ("alien registration number 12345678", "a_number", "12345678"),
    ("mi número A es 123456789", "a_number", "123456789"),
    ("número de extranjero: 123 456 789", "a_number", "123 456 789"),
    ("a#987654321", "a_number", "a#987654321"),
    # phones
    ("Call me at (202) 555-0123 after work.", "phone", "(202) 555-0123"),
    ("mi cel es 202-555-0123", "phone", "202-555-0123"),
    ("text +1 202.555.0123", "phone", "+1 202.555.0123"),
    ("1 (202) 555-0123", "phone", "1 (202) 555-0123"),
    ("number 2025550123 works", "phone", "2025550123"),
    ("202 555 0123", "phone", "202 555 0123"),
    ("llame a mi mamá al +52 55 1234 5678", "phone", "+52 55 1234 5678"),
    ("+52 1 55 1234 5678", "phone", "+52 1 55 1234 5678"),
    ("su número en Guatemala: +502 5512 3456", "phone", "+502 5512 3456"),
    ("en México: 55 1234 5678", "phone", "55 1234 5678"),
    ("local 555-0123 only", "phone", "555-0123"),
    ("when I was 15 555-123-4567 was our number", "phone", "555-123-4567"),
    # e-mail
    ("write to maria.lopez+news@example.org.", "email", "maria.lopez+news@example.org"),
    ("mi correo es josé_pérez@correo.com.mx", "email", "josé_pérez@correo.com.mx"),
    ("E-mail: JUAN@EXAMPLE.COM", "email", "JUAN@EXAMPLE.COM"),
    # case and receipt numbers
    ("The receipt EAC1234567890 came in May.", "case_number", "EAC1234567890"),
    ("recibo IOE0912345678", "case_number", "IOE0912345678"),
    ("MSC2190123456", "case_number", "MSC2190123456"),
    ("our receipt was src-21-123-45678", "case_number", "src-21-123-45678"),
    ("WAC 1912345678", "case_number", "WAC 1912345678"),
    ("LIN1234567890, NBC1234567890", "case_number", "LIN1234567890"),
    ("case number 2019-123456", "case_number", "2019-123456"),
    ("Court case no. ABC-2020-00123", "case_number", "ABC-2020-00123"),
    ("número de caso: 123 456 78", "case_number", "123 456 78"),
    ("expediente #20-45678", "case_number", "20-45678"),
    # street addresses
    ("We lived at 1200 Main St. for years.", "street_address", "1200 Main St."),
    ("45 W 34th Street", "street_address", "45 W 34th Street"),
    ("our house, 77 Sunset Boulevard", "street_address", "77 Sunset Boulevard"),
    ("1200 main st", "street_address", "1200 main st"),
    ("12B Oak Ave", "street_address", "12B Oak Ave"),
    ("the store at 45 Calle Ocho", "street_address", "45 Calle Ocho"),
    ("vivíamos en Calle Hidalgo 23, Oaxaca", "street_address", "Calle Hidalgo 23"),
    ("en la calle 5 de Mayo #123", "street_address", "calle 5 de Mayo #123"),
    ("Av. Reforma No. 45", "street_address", "Av. Reforma No. 45"),
    ("Avenida de los Insurgentes 1234", "street_address", "Avenida de los Insurgentes 1234"),
]

# Text that must raise no hint at all.
NEGATIVES = [
    "In 2018 we crossed the border.",
    "En 2019 nos separaron.",
    "My son was 4 years old; my daughter is 12.",
    "Mi hijo tenía 4 años y mi hija 12.",
    "We lived in ZIP 90210 for a while, then 90210-1234.",
    "It took 3 days and 2 nights.",
    "We paid $1,200,000 over 10 years.",
    "Nos cobraron 1.500.000 pesos.",
    "Between 1999 2000 2001 and 2002 we moved a lot.",
    "She was born 12-05-2018 in Phoenix.",
    "The judge gave us 30 days.",
    "I walked 3 days along the road.",
    "In 2018 Main Street was closed.",
    "Caminé por la Avenida Juárez 2 horas.",
    "When I was 5 the Court took my son.",
    "I was 15 Years old.",
    "pi is 3.14159265358",
    "Plan A 2018 failed.",
    "My A-number? I do not remember it.",
    "Our case number is still pending.",
    "Call 911.",
    "room 101",
    "the form I-130 and the I-485",
    "Calle Ocho in Miami",
    "ver el artículo 123456 del código",
    "a 12345678",
    "AA12345678",
    "A1234567890",
    "juan at example dot com",
    "",
]


@pytest.mark.parametrize("text, kind, marked", POSITIVES, ids=[p[0] for p in POSITIVES])
def test_identifying_details_are_found(text, kind, marked):
    hits = find_pii(text)
    assert (kind, marked) in [(h.kind, h.text) for h in hits]


@pytest.mark.parametrize("text", NEGATIVES)
def test_ordinary_numbers_and_words_raise_no_hint(text):
    assert find_pii(text) == []


def test_hits_point_into_the_text_in_order():
    text = ("Me llamo Ana, A-123-456-789, tel. (202) 555-0123, ana@example.org, "
            "recibo EAC1234567890, vivo en 1200 Main St.")
    hits = find_pii(text)
    assert [h.kind for h in hits] == ["a_number", "phone", "email", "case_number", "street_address"]
    for h in hits:
        assert text[h.start:h.end] == h.text


def test_every_kind_has_a_kind_message():
    assert set(PII_MESSAGES) == set(KINDS)
    for kind in KINDS:
        assert PiiHit(kind, 0, 1, "x").message == Msg(PII_MESSAGES[kind])
        assert "We suggest removing it" in PII_MESSAGES[kind]
    assert PII_MESSAGES["a_number"] == (
        "This looks like an A-number. We suggest removing it: it can identify you.")


def test_redact_replaces_each_hit():
    text = "Soy A123456789 y mi correo es ana@example.org."
    assert redact(text, find_pii(text)) == "Soy [removed] y mi correo es [removed]."
    assert redact(text, find_pii(text), replacement="█") == "Soy █ y mi correo es █."
    assert redact(text, []) == text


def test_redact_removes_overlapping_hand_picked_hits_once():
    text = "abcdefghij"
    hits = [PiiHit("phone", 2, 6, "cdef"), PiiHit("email", 4, 8, "efgh")]
    assert redact(text, hits) == "ab[removed]ij"


def test_redact_refuses_hits_outside_the_text():
    with pytest.raises(ValueError):
        redact("short", [PiiHit("email", 2, 40, "")])


def test_a_long_story_is_checked_quickly():
    import time

    story = ("Llegamos en 2018. " * 400 + "a" * 20000 + " 1" * 5000 + "x@" * 3000)
    started = time.perf_counter()
    find_pii(story)
    assert time.perf_counter() - started < 2


# Text made of the pieces that identifying details are built from, so hypothesis explores the
# neighbourhood of real matches, not just random letters.
PIECES = st.sampled_from([
    "A", "a", "A-", "A#", "#", "-", ".", " ", "\u00a0", "@", "+", "(", ")", ",", "1", "12", "123",
    "1234", "12345", "123456789", "2025550123", "EAC", "número A ", "A-number ", "case number ",
    "Main", " St", " Calle ", "Calle", "x", "ex.com", "example.org", "\n", "é", "0",
])
STORY_TEXT = st.one_of(st.text(max_size=300), st.lists(PIECES, max_size=60).map("".join))


@settings(max_examples=400, deadline=None)
@given(STORY_TEXT)
def test_find_pii_never_raises_and_hits_are_sane(text):
    hits = find_pii(text)
    previous_end = 0
    for h in hits:
        assert h.kind in KINDS
        assert 0 <= previous_end <= h.start < h.end <= len(text)
        assert text[h.start:h.end] == h.text
        previous_end = h.end


@settings(max_examples=400, deadline=None)
@given(STORY_TEXT)
def test_redacted_text_holds_no_a_number_or_email(text):
    cleaned = redact_all(text)
    assert not [h for h in find_pii(cleaned) if h.kind in ("a_number", "email")]


def test_redaction_repeats_when_removing_one_match_reveals_another():
    # Found by hypothesis: removing the first address leaves "+@0.AA", itself address-like.
    assert find_pii(redact("0@0.AA+@0.AA", find_pii("0@0.AA+@0.AA")))
    assert not find_pii(redact_all("0@0.AA+@0.AA"))
