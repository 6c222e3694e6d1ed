"""The list of states a sender chooses from, and the offline ZIP/state check."""

from __future__ import annotations

import unicodedata

import pytest

from portal.us_states import STATE_CODES, STATES, state_name, state_options, zip_matches_state

FIFTY_STATES = {
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN", "IA",
    "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ",
    "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT",
    "VA", "WA", "WV", "WI", "WY",
}


def _fold(name: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKD", name)
                   if not unicodedata.combining(ch)).casefold()


def test_list_has_states_dc_territories_and_military_once_each():
    codes = [s.code for s in STATES]
    assert len(codes) == len(set(codes)) == 59
    assert set(codes) == STATE_CODES
    assert FIFTY_STATES | {"DC", "PR", "GU", "VI", "AS", "MP", "AA", "AE", "AP"} == STATE_CODES


def test_every_state_has_english_and_spanish_names():
    for s in STATES:
        assert s.name_en.strip() and s.name_es.strip(), s.code
        assert unicodedata.is_normalized("NFC", s.name_es)


@pytest.mark.parametrize("code, english, spanish", [
    ("NY", "New York", "Nueva York"),
    ("NC", "North Carolina", "Carolina del Norte"),
    ("LA", "Louisiana", "Luisiana"),
    ("MO", "Missouri", "Misuri"),
    ("PA", "Pennsylvania", "Pensilvania"),
    ("HI", "Hawaii", "Hawái"),
    ("MI", "Michigan", "Míchigan"),
    ("OR", "Oregon", "Oregón"),
    ("KS", "Kansas", "Kansas"),
    ("TN", "Tennessee", "Tennessee"),
    ("WV", "West Virginia", "Virginia Occidental"),
    ("DC", "District of Columbia", "Distrito de Columbia"),
    ("PR", "Puerto Rico", "Puerto Rico"),
])
def test_names_in_both_languages(code, english, spanish):
    assert state_name(code, "en") == english
    assert state_name(code, "es") == spanish
    assert state_name(code.lower(), "es-MX") == spanish


def test_unknown_state_code_is_an_error():
    with pytest.raises(KeyError):
        state_name("ZZ", "en")


@pytest.mark.parametrize("language", ["en", "es"])
def test_options_cover_every_state_sorted_by_name_ignoring_accents(language):
    options = state_options(language)
    assert {code for code, _ in options} == STATE_CODES
    names = [name for _, name in options]
    assert names == sorted(names, key=_fold)
    assert all(name == state_name(code, language) for code, name in options)


def test_spanish_options_are_sorted_by_spanish_name():
    names = [name for _, name in state_options("es")]
    # "Carolina del Norte" sorts under C in Spanish, not under N as in English.
    assert names.index("California") < names.index("Carolina del Norte") < names.index("Colorado")
    # The accent in "Míchigan" does not push it after "Missouri"/"Misuri" or to the end.
    assert names.index("Massachusetts") < names.index("Míchigan") < names.index("Minnesota")
    assert names.index("Nueva York") < names.index("Nuevo Hampshire")
    assert names != [name for _, name in sorted(state_options("es"))]  # not sorted by code


@pytest.mark.parametrize("zip_code, state", [
    ("10001", "NY"), ("10001-1234", "NY"), ("100011234", "NY"), ("02108", "MA"),
    ("02903", "RI"), ("90210", "CA"), ("94103", "ca"), ("60601", "IL"), ("77001", "TX"),
    ("88510", "TX"), ("20500", "DC"), ("20170", "VA"), ("21201", "MD"), ("39901", "GA"),
    ("34001", "AA"), ("32801", "FL"), ("09001", "AE"), ("96201", "AP"), ("96813", "HI"),
    ("96910", "GU"), ("96950", "MP"), ("96799", "AS"), ("00901", "PR"), ("00802", "VI"),
    ("99501", "AK"), ("00501", "NY"), ("05501", "MA"), ("06390", "NY"), ("06320", "CT"),
    ("73301", "TX"), ("73101", "OK"), ("42223", "KY"), ("42223", "TN"), (" 97201 ", "OR"),
])
def test_consistent_zip_and_state(zip_code, state):
    assert zip_matches_state(zip_code, state) is True


@pytest.mark.parametrize("zip_code, state", [
    ("10001", "CA"), ("90210", "NY"), ("02108", "RI"), ("32801", "AA"), ("34001", "FL"),
    ("06320", "NY"), ("96813", "AS"), ("00901", "VI"), ("73301", "OK"), ("20170", "DC"),
    ("99501", "WA"), ("88510", "NM"),
])
def test_zip_from_another_state(zip_code, state):
    assert zip_matches_state(zip_code, state) is False


@pytest.mark.parametrize("zip_code, state", [
    ("00001", "NY"),   # unallocated prefix
    ("52901", "IA"),   # gap between Iowa and Wisconsin
    ("88601", "TX"),   # gap between El Paso and Nevada
    ("99901", "XX"),   # unknown state
    ("1234", "NY"),    # malformed ZIP
    ("abcde", "NY"),
    ("١٠٠٠١", "NY"),   # non-ASCII digits are not a ZIP code
    ("", "NY"),
])
def test_cannot_tell(zip_code, state):
    assert zip_matches_state(zip_code, state) is None
