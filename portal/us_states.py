"""The fixed list of US states, DC, territories and military "states" a sender may choose.

It also holds an offline, approximate check that a ZIP code fits the chosen state. The check
looks only at the USPS 3-digit ZIP prefix (the "sectional center"), plus a few five-digit ZIP
codes known to cross a state line. It is prefix-based and approximate: USPS moves and adds codes,
and some towns get their mail from a post office across the line. So it answers True when the ZIP
is consistent with the state, False only when its prefix is clearly allocated to another state,
and None ("can't tell") for prefixes that are unallocated, unknown or malformed input.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from portal.i18n import normalize_language


@dataclass(frozen=True)
class State:
    """A USPS state code with its English and Spanish names."""

    code: str
    name_en: str
    name_es: str

    def name(self, language: str) -> str:
        """The name in `language` ("en" or "es"; anything else falls back to English)."""
        return self.name_es if normalize_language(language) == "es" else self.name_en


STATES: tuple[State, ...] = (
    State("AL", "Alabama", "Alabama"),
    State("AK", "Alaska", "Alaska"),
    State("AZ", "Arizona", "Arizona"),
    State("AR", "Arkansas", "Arkansas"),
    State("CA", "California", "California"),
    State("CO", "Colorado", "Colorado"),
    State("CT", "Connecticut", "Connecticut"),
    State("DE", "Delaware", "Delaware"),
    State("DC", "District of Columbia", "Distrito de Columbia"),
    State("FL", "Florida", "Florida"),
    State("GA", "Georgia", "Georgia"),
    State("HI", "Hawaii", "Hawái"),
    State("ID", "Idaho", "Idaho"),
    State("IL", "Illinois", "Illinois"),
    State("IN", "Indiana", "Indiana"),
    State("IA", "Iowa", "Iowa"),
    State("KS", "Kansas", "Kansas"),
    State("KY", "Kentucky", "Kentucky"),
    State("LA", "Louisiana", "Luisiana"),
    State("ME", "Maine", "Maine"),
    State("MD", "Maryland", "Maryland"),
    State("MA", "Massachusetts", "Massachusetts"),
    State("MI", "Michigan", "Míchigan"),
    State("MN", "Minnesota", "Minnesota"),
    State("MS", "Mississippi", "Misisipi"),
    State("MO", "Missouri", "Misuri"),
    State("MT", "Montana", "Montana"),
    State("NE", "Nebraska", "Nebraska"),
    State("NV", "Nevada", "Nevada"),
    State("NH", "New Hampshire", "Nuevo Hampshire"),
    State("NJ", "New Jersey", "Nueva Jersey"),
    State("NM", "New Mexico", "Nuevo México"),
    State("NY", "New York", "Nueva York"),
    State("NC", "North Carolina", "Carolina del Norte"),
    State("ND", "North Dakota", "Dakota del Norte"),
    State("OH", "Ohio", "Ohio"),
    State("OK", "Oklahoma", "Oklahoma"),
    State("OR", "Oregon", "Oregón"),
    State("PA", "Pennsylvania", "Pensilvania"),
    State("RI", "Rhode Island", "Rhode Island"),
    State("SC", "South Carolina", "Carolina del Sur"),
    State("SD", "South Dakota", "Dakota del Sur"),
    State("TN", "Tennessee", "Tennessee"),
    State("TX", "Texas", "Texas"),
    State("UT", "Utah", "Utah"),
    State("VT", "Vermont", "Vermont"),
    State("VA", "Virginia", "Virginia"),
    State("WA", "Washington", "Washington"),
    State("WV", "West Virginia", "Virginia Occidental"),
    State("WI", "Wisconsin", "Wisconsin"),
    State("WY", "Wyoming", "Wyoming"),
    # Territories
    State("PR", "Puerto Rico", "Puerto Rico"),
    State("GU", "Guam", "Guam"),
    State("VI", "U.S. Virgin Islands", "Islas Vírgenes de los Estados Unidos"),
    State("AS", "American Samoa", "Samoa Americana"),
    State("MP", "Northern Mariana Islands", "Islas Marianas del Norte"),
    # Military mail (APO/FPO/DPO)
    State("AA", "Armed Forces Americas", "Fuerzas Armadas de las Américas"),
    State("AE", "Armed Forces Europe", "Fuerzas Armadas de Europa"),
    State("AP", "Armed Forces Pacific", "Fuerzas Armadas del Pacífico"),
)

STATE_CODES: frozenset[str] = frozenset(s.code for s in STATES)
_BY_CODE: dict[str, State] = {s.code: s for s in STATES}


def state_name(code: str, language: str) -> str:
    """The name of the state `code` (any case) in `language`; KeyError for an unknown code."""
    return _BY_CODE[code.strip().upper()].name(language)


def _sort_key(name: str) -> tuple[str, str]:
    # Locale-independent: drop accents and case, so "Míchigan" sorts with "Minnesota" on any host.
    folded = "".join(ch for ch in unicodedata.normalize("NFKD", name)
                     if not unicodedata.combining(ch)).casefold()
    return folded, name


def state_options(language: str) -> list[tuple[str, str]]:
    """(code, name) pairs for a select box, sorted by the name in `language`, ignoring accents."""
    return sorted(((s.code, s.name(language)) for s in STATES), key=lambda o: _sort_key(o[1]))


# USPS 3-digit ZIP prefixes, as inclusive ranges. Later rows override earlier ones, so the
# oddities (a prefix inside one state's block that belongs to another) come after the blocks.
_PREFIX_RANGES: tuple[tuple[int, int, str], ...] = (
    (6, 7, "PR"), (9, 9, "PR"), (8, 8, "VI"),
    (10, 27, "MA"), (28, 29, "RI"), (30, 38, "NH"), (39, 49, "ME"), (50, 59, "VT"),
    (60, 69, "CT"), (70, 89, "NJ"), (90, 98, "AE"),
    (100, 149, "NY"), (150, 196, "PA"), (197, 199, "DE"),
    (200, 205, "DC"), (206, 219, "MD"), (220, 246, "VA"), (247, 268, "WV"),
    (270, 289, "NC"), (290, 299, "SC"), (300, 319, "GA"), (398, 399, "GA"),
    (320, 349, "FL"), (350, 369, "AL"), (370, 385, "TN"), (386, 397, "MS"),
    (400, 427, "KY"), (430, 459, "OH"), (460, 479, "IN"), (480, 499, "MI"),
    (500, 528, "IA"), (530, 549, "WI"), (550, 567, "MN"), (570, 577, "SD"),
    (580, 588, "ND"), (590, 599, "MT"), (600, 629, "IL"), (630, 658, "MO"),
    (660, 679, "KS"), (680, 693, "NE"), (700, 715, "LA"), (716, 729, "AR"),
    (730, 749, "OK"), (750, 799, "TX"), (885, 885, "TX"),
    (800, 816, "CO"), (820, 831, "WY"), (832, 838, "ID"), (840, 847, "UT"),
    (850, 865, "AZ"), (870, 884, "NM"), (889, 898, "NV"), (900, 961, "CA"),
    (962, 966, "AP"), (967, 968, "HI"), (969, 969, "GU"),
    (970, 979, "OR"), (980, 994, "WA"), (995, 999, "AK"),
    # Oddities inside other states' blocks.
    (5, 5, "NY"),      # Holtsville, NY (IRS): 00501, 00544
    (55, 55, "MA"),    # Andover, MA (IRS): 05501, 05544
    (201, 201, "VA"),  # Dulles, VA: 20101-20199
    (340, 340, "AA"),  # Armed Forces Americas, inside Florida's block
    (569, 569, "DC"),  # Washington, DC parcel return service: 56901-56999
    (733, 733, "TX"),  # Austin, TX (IRS): 73301, 73344
)


def _build_prefix_table() -> dict[str, frozenset[str]]:
    table: dict[str, frozenset[str]] = {}
    for low, high, code in _PREFIX_RANGES:
        for prefix in range(low, high + 1):
            table[f"{prefix:03d}"] = frozenset({code})
    # 969 is shared by Guam (96910-96932) and the Northern Mariana Islands (96950-96952).
    table["969"] = frozenset({"GU", "MP"})
    return table


_PREFIX_STATES: dict[str, frozenset[str]] = _build_prefix_table()

# Five-digit ZIP codes whose state differs from their prefix's, or that serve two states.
_ZIP_STATES: dict[str, frozenset[str]] = {
    "06390": frozenset({"NY"}),        # Fishers Island, NY, in Connecticut's 063
    "96799": frozenset({"AS"}),        # Pago Pago, American Samoa, in Hawaii's 967
    "83414": frozenset({"WY"}),        # Alta, WY, served from Idaho
    "42223": frozenset({"KY", "TN"}),  # Fort Campbell straddles the line
    "71749": frozenset({"AR", "LA"}),  # Junction City, AR and LA
    "73960": frozenset({"OK", "TX"}),  # Texhoma, TX, served from Oklahoma
    "83120": frozenset({"WY", "ID"}),  # Freedom, WY and ID
    "84536": frozenset({"UT", "AZ"}),  # Monument Valley, UT and AZ
    "97635": frozenset({"OR", "CA"}),  # New Pine Creek, OR and CA
}

_ZIP_RE = re.compile(r"([0-9]{5})(?:-?[0-9]{4})?")


def zip_matches_state(zip_code: str, state: str) -> bool | None:
    """Whether a ZIP code fits `state` by its USPS prefix: True, False, or None if we can't tell."""
    match = _ZIP_RE.fullmatch((zip_code or "").strip())
    code = (state or "").strip().upper()
    if match is None or code not in STATE_CODES:
        return None
    zip5 = match.group(1)
    states = _ZIP_STATES.get(zip5) or _PREFIX_STATES.get(zip5[:3])
    if states is None:
        return None
    return code in states
