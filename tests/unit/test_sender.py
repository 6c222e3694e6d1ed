"""Checking the sender's details and the letter text on the server (SAFETY.md I1)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from letters.sender import FIELD_LIMITS, Sender, validate_letter_text, validate_sender
from portal.i18n import Msg
from portal.us_states import STATE_CODES

VALID = {
    "first_name": "Ana",
    "last_name": "Pérez",
    "email": "ana@example.com",
    "street": "123 Main St",
    "city": "Springfield",
    "state": "IL",
    "zip_code": "62701",
    "phone": "",
    "personal_paragraph": "",
}


def form(**changes: str) -> dict[str, str]:
    return {**VALID, **changes}


def only_error(field: str, **changes: str) -> Msg:
    sender, errors = validate_sender(form(**changes))
    assert sender is None
    assert set(errors) == {field}, errors
    return errors[field]


def test_valid_form_gives_a_sender():
    sender, errors = validate_sender(VALID)
    assert errors == {}
    assert sender == Sender(first_name="Ana", last_name="Pérez", email="ana@example.com",
                            city="Springfield", state="IL", zip_code="62701",
                            street="123 Main St")
    assert sender.full_name == "Ana Pérez"


def test_optional_fields_may_be_missing_entirely():
    raw = {k: v for k, v in VALID.items() if k not in ("street", "phone", "personal_paragraph")}
    sender, errors = validate_sender(raw)
    assert errors == {} and sender.street == sender.phone == sender.personal_paragraph == ""


def test_empty_form_names_every_required_field():
    sender, errors = validate_sender({})
    assert sender is None
    assert errors == {
        "first_name": Msg("Enter your first name."),
        "last_name": Msg("Enter your last name."),
        "email": Msg("Enter your e-mail address."),
        "city": Msg("Enter your city or town."),
        "state": Msg("Choose your state from the list."),
        "zip_code": Msg("Enter your ZIP code."),
    }


def test_limits_are_documented_for_every_field():
    assert FIELD_LIMITS == {
        "first_name": 60, "last_name": 60, "email": 254, "street": 120, "city": 80,
        "state": 2, "zip_code": 10, "phone": 25, "personal_paragraph": 1000,
    }


# --- names -------------------------------------------------------------------------------

@pytest.mark.parametrize("name", [
    "José", "Nguyễn", "O'Brien", "Anne-Marie", "محمد", "王秀英", "Zoë", "Đặng Thị",
    "María José", "D’Angelo", "Ngũgĩ", "Јован", "Ó Súilleabháin", "X Æ", "a" * 60,
])
def test_names_in_any_script_are_accepted(name):
    sender, errors = validate_sender(form(first_name=name, last_name=name))
    assert errors == {}
    assert sender.first_name == name and sender.last_name == name


@pytest.mark.parametrize("name, key", [
    ("", "Enter your first name."),
    ("   ", "Enter your first name."),
    ("\x00\x07", "Enter your first name."),
    ("123", "Enter a name with at least one letter."),
    ("-'- .", "Enter a name with at least one letter."),
    ("bob@example.com", "Enter only your name here, without links or e-mail addresses."),
    ("Visit http://spam.example", "Enter only your name here, without links or e-mail addresses."),
    ("HTTPS spam", "Enter only your name here, without links or e-mail addresses."),
    ("www.spam.example", "Enter only your name here, without links or e-mail addresses."),
])
def test_bad_first_names(name, key):
    assert only_error("first_name", first_name=name).key == key


def test_decomposed_accent_is_normalized_to_nfc():
    sender, errors = validate_sender(form(first_name="Jose\u0301", city="Bogota\u0301"))
    assert errors == {}
    assert sender.first_name == "Jos\u00e9"
    assert len(sender.first_name) == 4
    assert sender.city == "Bogotá"


def test_control_characters_are_removed():
    sender, errors = validate_sender(form(first_name="An\x00a\u200b", last_name="\tPérez\x1b\n",
                                          personal_paragraph="Line one\r\nLine\x07 two"))
    assert errors == {}
    assert sender.first_name == "Ana"
    assert sender.last_name == "Pérez"
    assert sender.personal_paragraph == "Line one\nLine two"


def test_sixty_one_character_first_name_is_rejected_with_the_limit():
    msg = only_error("first_name", first_name="a" * 61)
    assert msg == Msg("Enter at most {limit} characters.", {"limit": 60})
    assert msg.render(lambda s: s) == "Enter at most 60 characters."


@pytest.mark.parametrize("field, limit", sorted(FIELD_LIMITS.items()))
def test_every_field_over_its_limit_is_rejected_not_cut(field, limit):
    value = {"email": "a" * 64 + "@" + "b" * 190 + ".com", "state": "NYC",
             "zip_code": "12345-67890", "phone": "  ".join("2025550123")}.get(field, "x" * (limit + 1))
    assert len(value) > limit
    msg = only_error(field, **{field: value})
    assert msg == Msg("Enter at most {limit} characters.", {"limit": limit})


def test_length_is_counted_after_normalization():
    # 60 decomposed "é" are 120 code points but 60 characters once composed.
    sender, errors = validate_sender(form(first_name="e\u0301" * 60))
    assert errors == {} and sender.first_name == "é" * 60


# --- e-mail ------------------------------------------------------------------------------

@pytest.mark.parametrize("given, stored", [
    ("ana@example.com", "ana@example.com"),
    ("  Ana.Perez@EXAMPLE.COM ", "Ana.Perez@example.com"),
    ("josé@example.com", "josé@example.com"),
    ("ana+letters@mail.example.org", "ana+letters@mail.example.org"),
])
def test_valid_emails_are_stored_normalized(given, stored):
    sender, errors = validate_sender(form(email=given))
    assert errors == {} and sender.email == stored


@pytest.mark.parametrize("email", [
    "ana", "ana@", "@example.com", "ana@example", "ana@@example.com", "ana example@x.com",
    "ana@localhost", "ana@example..com", '"ana"@example.com', "ana@exa mple.com",
])
def test_invalid_emails(email):
    assert only_error("email", email=email).key == "Enter an e-mail address like name@example.com."


# --- state and ZIP -----------------------------------------------------------------------

@pytest.mark.parametrize("given, stored", [("NY", "NY"), ("ny", "NY"), (" Ny ", "NY"),
                                           ("pr", "PR"), ("AE", "AE")])
def test_state_accepts_any_case_and_stores_uppercase(given, stored):
    zips = {"NY": "10001", "PR": "00901", "AE": "09001"}
    sender, errors = validate_sender(form(state=given, zip_code=zips[stored]))
    assert errors == {} and sender.state == stored


@pytest.mark.parametrize("state", ["ZZ", "XX", "N", "1", "ß", "Ny"[::-1]])
def test_state_outside_the_list_is_rejected(state):
    _, errors = validate_sender(form(state=state))
    assert errors["state"].key == "Choose your state from the list."
    assert "zip_code" not in errors


@pytest.mark.parametrize("zip_code", ["62701", "62701-1234", " 62701 "])
def test_valid_zip_codes(zip_code):
    sender, errors = validate_sender(form(zip_code=zip_code))
    assert errors == {} and sender.zip_code == zip_code.strip()


@pytest.mark.parametrize("zip_code", [
    "6270", "627011", "62701 1234", "627011234", "62701-123", "abcde", "62 701", "６２７０１",
    "٦٢٧٠١",
])
def test_malformed_zip_codes(zip_code):
    msg = only_error("zip_code", zip_code=zip_code)
    assert msg.key == "Enter a 5-digit ZIP code, or ZIP+4 like 12345-6789."


def test_zip_from_another_state_is_rejected():
    msg = only_error("zip_code", zip_code="10001", state="CA")
    assert msg.key == "This ZIP code does not match the state you chose."


@pytest.mark.parametrize("zip_code, state", [("10001", "NY"), ("10001-0001", "ny"),
                                             ("00001", "NY"), ("52901", "WI")])
def test_zip_matching_or_unknown_prefix_is_accepted(zip_code, state):
    sender, errors = validate_sender(form(zip_code=zip_code, state=state))
    assert errors == {} and sender.state == state.upper()


# --- phone -------------------------------------------------------------------------------

@pytest.mark.parametrize("phone", [
    "202-555-0123", "(202) 555-0123", "202.555.0123", "2025550123", "+1 202 555 0123",
    "1-202-555-0123", "+1 (202) 555-0123",
])
def test_valid_phones_are_stored_as_typed(phone):
    sender, errors = validate_sender(form(phone=f" {phone}\t"))
    assert errors == {} and sender.phone == phone


@pytest.mark.parametrize("phone, key", [
    ("555-0123", "Enter a 10-digit US phone number, like 202-555-0123, or leave it empty."),
    ("2-202-555-0123", "Enter a 10-digit US phone number, like 202-555-0123, or leave it empty."),
    ("+44 20 7946 0958", "Enter a 10-digit US phone number, like 202-555-0123, or leave it empty."),
    ("202 555 0123 ext 4", "Use only digits, spaces and + - ( ) . in your phone number."),
    ("call me", "Use only digits, spaces and + - ( ) . in your phone number."),
    ("２０２５５５０１２３", "Use only digits, spaces and + - ( ) . in your phone number."),
])
def test_bad_phones(phone, key):
    assert only_error("phone", phone=phone).key == key


# --- other fields ------------------------------------------------------------------------

@pytest.mark.parametrize("city, ok", [
    ("San José", True), ("Winston-Salem", True), ("Coeur d'Alene", True), ("12345", False),
    ("http://spam.example", False),
])
def test_city(city, ok):
    _, errors = validate_sender(form(city=city))
    assert ("city" not in errors) is ok
    if not ok:
        assert errors["city"].key == "Enter the name of your city or town."


def test_personal_paragraph_keeps_line_breaks_and_its_limit():
    text = "Mi familia.\n\n" + "x" * 987
    assert len(text) == 1000
    sender, errors = validate_sender(form(personal_paragraph=text))
    assert errors == {} and sender.personal_paragraph == text


def test_several_errors_are_reported_together():
    _, errors = validate_sender(form(first_name="", email="nope", zip_code="1"))
    assert set(errors) == {"first_name", "email", "zip_code"}


# --- letter text -------------------------------------------------------------------------

def test_letter_text_is_cleaned():
    text, error = validate_letter_text("  Dear Mr. President,\r\n\r\nReunite fami\u0301lies.\x00 ")
    assert error is None
    assert text == "Dear Mr. President,\n\nReunite famílies."


@pytest.mark.parametrize("text", ["", "   ", "\n\n\t", "\x00\x1b"])
def test_empty_letter(text):
    cleaned, error = validate_letter_text(text)
    assert cleaned == "" and error is not None
    assert error.key.startswith("Your letter is empty")


def test_letter_at_limit_is_accepted_and_over_limit_says_how_long():
    assert validate_letter_text("a" * 2000) == ("a" * 2000, None)
    cleaned, error = validate_letter_text("a" * 2001)
    assert cleaned == "a" * 2001  # nothing cut
    assert error.params == {"count": 2001, "limit": 2000}
    assert error.render(lambda s: s) == (
        "Your letter has 2001 characters; the limit is 2000. Please shorten it.")
    assert validate_letter_text("a" * 51, limit=50)[1].params == {"count": 51, "limit": 50}


# --- never crashes -----------------------------------------------------------------------

field_text = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=40),
    st.sampled_from(["", "NY", "ca", "10001", "12345-6789", "a@b.co", "202-555-0123", "José"]),
)


@settings(max_examples=300, deadline=None)
@given(st.fixed_dictionaries({}, optional={name: field_text for name in FIELD_LIMITS}))
def test_random_input_never_raises_and_errors_are_messages(raw):
    sender, errors = validate_sender(raw)
    assert (sender is None) == bool(errors)
    assert set(errors) <= set(FIELD_LIMITS)
    for msg in errors.values():
        assert isinstance(msg, Msg)
        assert isinstance(msg.key, str) and msg.key.strip()
        assert msg.render(lambda s: s)  # every placeholder has its parameter
    if sender is not None:
        for name, limit in FIELD_LIMITS.items():
            assert len(getattr(sender, name)) <= limit
        assert sender.state in STATE_CODES


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=3000), st.integers(min_value=1, max_value=2500))
def test_random_letter_text_never_raises(text, limit):
    cleaned, error = validate_letter_text(text, limit=limit)
    assert (error is None) == (0 < len(cleaned) <= limit)
    if error is not None:
        assert error.key and error.render(lambda s: s)
