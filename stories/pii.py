"""Gentle hints when a story seems to hold details that could identify a family (SAFETY.md S4).

The patterns look for A-numbers, phone numbers, e-mail addresses, USCIS receipt and court case
numbers, and street addresses, in English and Spanish. They are hints, not a guarantee: the form
shows them kindly before submitting, and moderators use `redact` on what remains. A false alarm
costs a storyteller a second look; a miss can cost a family much more, so the patterns lean towards
warning, while staying quiet on years, ages, ZIP codes and other short numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Iterator

from portal.i18n import N_, Msg

KINDS: tuple[str, ...] = ("email", "a_number", "case_number", "phone", "street_address")
"""Every kind of hit, in order of precedence when two candidates overlap."""

PII_MESSAGES: dict[str, str] = {
    "a_number": N_("This looks like an A-number. We suggest removing it: it can identify you."),
    "phone": N_("This looks like a phone number. We suggest removing it from your story. If you "
                "want us to contact you, please use the contact section, which we keep private."),
    "email": N_("This looks like an e-mail address. We suggest removing it from your story. If you "
                "want us to contact you, please use the contact section, which we keep private."),
    "case_number": N_("This looks like a case or receipt number. We suggest removing it: it can "
                      "identify you."),
    "street_address": N_("This looks like a street address. We suggest removing it or writing only "
                         "the city: an address can show where your family lives."),
}


@dataclass(frozen=True)
class PiiHit:
    """One stretch of text that looks like an identifying detail: text[start:end] == hit.text."""

    kind: str
    start: int
    end: int
    text: str

    @property
    def message(self) -> Msg:
        return Msg(PII_MESSAGES[self.kind])


# Separators people put inside numbers: space, no-break space, dot and the common dashes.
_SEP = r"[ \u00a0.\-\u2010\u2011\u2012\u2013\u2014]"
_DASH = r"[.\-\u2010\u2011\u2012\u2013\u2014]"

# --- A-numbers -----------------------------------------------------------------------------------
# 9 digits (or 8, older numbers), bare or grouped 3-3-3 / 2-3-3, never the start of a longer number.
_A_GROUPS = rf"(?:\d{{9}}|\d{{8}}|\d{{3}}{_SEP}\d{{3}}{_SEP}\d{{3}}|\d{{2}}{_SEP}\d{{3}}{_SEP}\d{{3}})"
_NUMBER_END = rf"(?!\w)(?!{_DASH}\d)"
_A_NUMBER = re.compile(
    rf"(?<![\w#\-])(?:A|a(?=[#\-]))(?:[ \u00a0]?[#\-][ \u00a0]?|[ \u00a0])?{_A_GROUPS}{_NUMBER_END}"
)
# "my A-number is 123456789", "alien number: 1234567", "mi número A es 123456789": the phrase makes
# a bare 7 to 9 digit number an A-number (older ones have 7), and only the number is marked.
_A_PHRASE = re.compile(
    r"(?i)(?<!\w)(?:"
    r"a[ \u00a0\-]?(?:number|num\.?|no\.?|\#)"
    r"|alien[ \u00a0]+(?:registration[ \u00a0]+)?(?:number|num\.?|no\.?|\#)"
    r"|n[úu]m(?:ero|\.)?[ \u00a0]+(?:de[ \u00a0]+)?(?:a|extranjero|registro[ \u00a0]+de[ \u00a0]+extranjero)"
    r")(?:(?<=[#.])|(?!\w))[ \u00a0]*(?:(?:is|was|es|era)[ \u00a0]+|[:\#][ \u00a0]*)?"
    rf"(?P<value>(?:\d{{7}}|{_A_GROUPS})){_NUMBER_END}"
)

# --- Case and receipt numbers --------------------------------------------------------------------
# USCIS receipt numbers: three letters for the service center, then 10 digits (year, workday, serial).
_RECEIPT_CENTERS = "EAC|WAC|LIN|SRC|NBC|MSC|IOE|YSC|TSC|VSC|NSC|CSC|ESC|ZLA|ZNY|ZSF"
_RECEIPT = re.compile(
    rf"(?<![\w\-])(?:(?i:{_RECEIPT_CENTERS})|[A-Z]{{3}})[ \u00a0\-]?"
    rf"(?:\d{{10}}|\d{{2}}{_SEP}\d{{3}}{_SEP}\d{{5}}){_NUMBER_END}"
)
# "case number 2019-123456", "número de caso: 123 456 789": a phrase, then a code with digits in it.
_CASE_PHRASE = re.compile(
    r"(?i)(?<!\w)(?:"
    r"(?:court[ \u00a0]+)?(?:case|file|receipt)[ \u00a0]+(?:number|num\.?|no\.?|\#)"
    r"|case[ \u00a0]*\#"
    r"|n[úu]m(?:ero|\.)?[ \u00a0]+de[ \u00a0]+(?:caso|expediente|recibo)"
    r"|(?:caso|expediente)[ \u00a0]+(?:n[úu]m(?:ero|\.)?|no\.?|\#)"
    r"|(?:caso|expediente)[ \u00a0]*\#"
    r")(?:(?<=[#.])|(?!\w))[ \u00a0]*(?:(?:is|was|es|era)[ \u00a0]+|[:\#][ \u00a0]*)?"
    r"(?P<value>[A-Za-z0-9]+(?:[\-/.][A-Za-z0-9]+|[ \u00a0]\d+)*)"
)

# --- Phone numbers -------------------------------------------------------------------------------
# A run of digit groups, each joined to the next by one separator (no nested optional parts, so no
# catastrophic backtracking). `_phones_in_run` then looks for a phone-shaped stretch of groups.
_PHONE_RUN = re.compile(
    r"(?<![\w+\-.,/])(?:\+[ \u00a0]?)?"
    r"(?:(?:\(\d{1,4}\)[ \u00a0]?|\d+(?:[ \u00a0]?" + _DASH + r"[ \u00a0]?|[ \u00a0])))*"
    r"(?:\(\d{1,4}\)|\d+)"
    r"(?!\w)(?![.\-,]\d)"
)
_GROUP = re.compile(r"\(\d+\)|\d+")
_PHONE_SHAPES_10 = {(10,), (3, 3, 4), (3, 7), (6, 4), (2, 4, 4), (2, 2, 2, 2, 2), (3, 3, 2, 2)}
_PHONE_SHAPES_11 = {(11,), (1, 3, 3, 4), (1, 3, 7)}


def _is_phone(plus: bool, groups: list[str], joints: list[str]) -> bool:
    """Whether digit groups (joined by `joints`) have the shape of a US or international number."""
    sizes = tuple(len(g.strip("()")) for g in groups)
    count = sum(sizes)
    if plus:
        return 10 <= count <= 13
    if count == 10:
        return sizes in _PHONE_SHAPES_10
    if count == 11:
        return sizes in _PHONE_SHAPES_11 and groups[0].strip("(").startswith("1")
    if count == 7:
        # A local number such as 555-0123 only with a dash or dot: "2018 2019" is not a phone.
        return sizes == (3, 4) and "(" not in groups[0] and re.search(_DASH, joints[0]) is not None
    return False


def _phones_in_run(m: re.Match[str]) -> Iterator[tuple[int, int]]:
    """Spans of phone numbers in a run of digit groups, longest first from the left."""
    run = m.group()
    plus = run.startswith("+")
    groups = list(_GROUP.finditer(run))
    # A phone inside a longer run must stand apart by spaces: "3.14159265358" holds no phone.
    apart = [True] + [re.search(_DASH, run[a.end():b.start()]) is None
                      for a, b in zip(groups, groups[1:])] + [True]
    i = 0
    while i < len(groups):
        for j in range(min(len(groups), i + 5), i, -1):
            if not (apart[i] and apart[j]):
                continue
            chosen = groups[i:j]
            joints = [run[a.end():b.start()] for a, b in zip(chosen, chosen[1:])]
            if _is_phone(plus and i == 0, [g.group() for g in chosen], joints):
                start = 0 if plus and i == 0 else chosen[0].start()
                yield m.start() + start, m.start() + chosen[-1].end()
                i = j
                break
        else:
            i += 1


# --- E-mail addresses ----------------------------------------------------------------------------
_EMAIL = re.compile(
    r"(?<![\w.+\-%])[\w.+\-%]+@[\w\-]+(?:\.[\w\-]+)*\.[^\W\d_]{2,}(?![\w\-])(?!\.\w)"
)

# --- Street addresses ----------------------------------------------------------------------------
_CAP = r"[A-ZÁÉÍÓÚÑÜ]"
# The first word of a street's name: capitalized, an ordinal (5th, 42nd) or a direction (N., W).
_FIRST_WORD = rf"(?:{_CAP}[\w'’\-]*\.?|\d{{1,3}}(?:st|nd|rd|th)|[NSEW]\.?)"
# Later words may also be linking words ("Avenue of the Americas", "Calle 5 de Mayo").
_NAME_WORD = (rf"(?:{_CAP}[\w'’\-]*\.?|\d{{1,3}}(?:st|nd|rd|th|a|o|º|ª)?|de|del|la|las|los|el|y"
              r"|of|the)(?!\w)")
_EN_SUFFIX = (r"(?:Street|St|Avenue|Ave|Av|Road|Rd|Boulevard|Blvd|Drive|Dr|Lane|Ln|Way|Court|Ct|"
              r"Place|Pl|Terrace|Ter|Parkway|Pkwy|Highway|Hwy|Circle|Cir|Square|Sq|Trail|Trl|"
              r"Loop|Pike|Row|Alley|Plaza|Crescent|Cres)")
_ES_KEYWORD = (r"(?:Calle|C/|Avenida|Av|Avda|Calzada|Callejón|Callejon|Camino|Carretera|Boulevard|"
               r"Bulevar|Blvd|Paseo|Privada|Cerrada|Andador|Prolongación|Prolongacion|Circuito|Retorno)")
_SP = r"[ \u00a0]+"
# "1200 Main St", "45 W 34th Street", "1200 main st", "45 Calle Ocho"
_EN_ADDRESS = re.compile(
    rf"(?<![\w\-.,/#$])(?P<number>\d{{1,6}}[A-Za-z]?)(?!\w){_SP}(?:"
    rf"{_FIRST_WORD}(?:{_SP}{_NAME_WORD}){{0,3}}{_SP}(?i:{_EN_SUFFIX})(?!\w)\.?"
    rf"|[a-z][\w'’\-]*(?:{_SP}[a-z][\w'’\-]*){{0,2}}{_SP}(?:st|ave|blvd|rd)(?!\w)\.?"
    rf"|(?i:{_ES_KEYWORD})\.?{_SP}(?:{_FIRST_WORD}|\d{{1,3}})(?:{_SP}{_NAME_WORD}){{0,3}}"
    r")"
)
# "Calle Hidalgo 23", "calle 5 de Mayo #123", "Av. Reforma No. 45"
_ES_ADDRESS = re.compile(
    rf"(?<!\w)(?i:{_ES_KEYWORD})\.?{_SP}(?:{_FIRST_WORD}|{_NAME_WORD})(?:{_SP}{_NAME_WORD}){{0,4}}"
    rf"[ \u00a0,]+(?:(?i:\#|No\.?|N[úu]m\.?|n[úu]mero)[ \u00a0]*)?\d{{1,5}}[A-Za-z]?(?!\w)"
)
# A year after words like "in" or "desde" starts a sentence about time, not an address.
_YEAR = re.compile(r"(?:19|20)\d\d")
_YEAR_CONTEXT = re.compile(r"(?i)(?<!\w)(?:in|en|since|desde|by|until|hasta|of|de|del|year|año|"
                           r"around|circa|after|before|antes|después|despues)[ \u00a0]+$")
# Counting words: "15 Years", "Avenida Juárez 2 horas" are not addresses.
_COUNTED = re.compile(r"(?i)[ \u00a0]*(?:years?|años?|days?|días?|dias|months?|meses|mes|weeks?|"
                      r"semanas?|hours?|horas?|minutes?|minutos?|times|veces|miles?|millas?|"
                      r"blocks?|cuadras?|km|kil[oó]metros?|kids|children|niños?|hijos?|people|"
                      r"personas)(?!\w)")


def _looks_like_address(text: str, m: re.Match[str]) -> bool:
    number = m.groupdict().get("number")
    if number is not None:
        if _YEAR.fullmatch(number) and _YEAR_CONTEXT.search(text[max(0, m.start() - 20):m.start()]):
            return False
        if _COUNTED.match(text, m.end("number")):
            return False
    return _COUNTED.match(text, m.end()) is None


def _candidates(text: str) -> Iterator[PiiHit]:
    def hit(kind: str, start: int, end: int) -> PiiHit:
        return PiiHit(kind, start, end, text[start:end])

    for m in _EMAIL.finditer(text):
        yield hit("email", m.start(), m.end())
    for m in _A_NUMBER.finditer(text):
        yield hit("a_number", m.start(), m.end())
    for m in _A_PHRASE.finditer(text):
        yield hit("a_number", m.start("value"), m.end("value"))
    for m in _RECEIPT.finditer(text):
        yield hit("case_number", m.start(), m.end())
    for m in _CASE_PHRASE.finditer(text):
        value = m.group("value")
        if sum(ch.isdigit() for ch in value) >= 4 and len(value) >= 5:
            yield hit("case_number", m.start("value"), m.end("value"))
    for m in _PHONE_RUN.finditer(text):
        for start, end in _phones_in_run(m):
            yield hit("phone", start, end)
    for pattern in (_EN_ADDRESS, _ES_ADDRESS):
        for m in pattern.finditer(text):
            if _looks_like_address(text, m):
                yield hit("street_address", m.start(), m.end())


def _merge(candidates: Iterable[PiiHit], text: str) -> list[PiiHit]:
    """Overlapping candidates become one hit covering all of them, named by the strongest kind.

    Merging rather than dropping the weaker candidate means redacting the hits removes every
    character any pattern matched, so no leftover fragment can still read as an A-number.
    """
    rank = {kind: i for i, kind in enumerate(KINDS)}
    merged: list[PiiHit] = []
    for c in sorted(candidates, key=lambda h: (h.start, -h.end, rank[h.kind])):
        if c.start == c.end:
            continue
        if merged and c.start < merged[-1].end:
            last = merged[-1]
            end = max(last.end, c.end)
            kind = min(last.kind, c.kind, key=rank.__getitem__)
            merged[-1] = PiiHit(kind, last.start, end, text[last.start:end])
        else:
            merged.append(c)
    return merged


def find_pii(text: str) -> list[PiiHit]:
    """Stretches of `text` that look like identifying details, non-overlapping, sorted by start."""
    if not text:
        return []
    return _merge(_candidates(text), text)


def redact_all(text: str, replacement: str = "[removed]", rounds: int = 5) -> str:
    """`text` with every detected detail replaced, again until nothing more is found.

    Removing one match can join what was around it into a new one (two e-mail-like runs glued by
    a "+"), so one pass is not always enough.
    """
    for _round in range(rounds):
        hits = find_pii(text)
        if not hits:
            break
        text = redact(text, hits, replacement)
    return text


def redact(text: str, hits: Iterable[PiiHit], replacement: str = "[removed]") -> str:
    """`text` with each hit replaced by `replacement`; overlapping hits are removed as one stretch."""
    out: list[str] = []
    position = 0
    for h in sorted(hits, key=lambda h: (h.start, h.end)):
        if not 0 <= h.start <= h.end <= len(text):
            raise ValueError("a hit lies outside the text")
        if h.start == h.end:
            continue
        if h.start < position:
            position = max(position, h.end)
            continue
        out.append(text[position:h.start])
        out.append(replacement)
        position = h.end
    out.append(text[position:])
    return "".join(out)
