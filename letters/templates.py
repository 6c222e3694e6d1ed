"""Letter campaigns read from `letter_templates/<campaign-id>/<language>.md`, checked once at start.

Each file is TOML front matter between two `+++` lines, then the letter body. A file with any
problem is left out and the problem is reported (never raised), so one typo cannot take the whole
portal down: a campaign without a usable English file is left out; a broken translation is left
out and that language falls back to English.
"""

from __future__ import annotations

import logging
import re
import string
import tomllib
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Collection, Iterator, Mapping

from letters.compose import LETTER_MAX_CHARS, draft_text
from letters.sender import Sender
from portal.i18n import DEFAULT_LANGUAGE, LANGUAGES

logger = logging.getLogger(__name__)

FRONT_MATTER_FENCE = "+++"
CAMPAIGN_ID = re.compile(r"^[a-z0-9-]{3,64}$")
HASHTAG = re.compile(r"^#\w+$")
URL = re.compile(r"https?://|www\.", re.IGNORECASE)

TEXT_KEYS = ("title", "summary", "subject", "share_text", "phone_script")
REQUIRED_KEYS = ("id", "goal", "recipients", "hashtag", *TEXT_KEYS)
OPTIONAL_KEYS = ("order",)
# Shared by every language of a campaign: a count, a tag or an address must not depend on language.
SHARED_KEYS = ("goal", "recipients", "hashtag", "order")
MAX_LENGTHS = {"title": 120, "subject": 150, "summary": 600, "share_text": 200}

BODY_PLACEHOLDERS = frozenset({
    "first_name", "last_name", "full_name", "email", "phone",
    "street", "city", "state", "zip_code", "personal_paragraph",
})
PHONE_PLACEHOLDERS = frozenset({"first_name", "last_name", "full_name", "city", "state", "zip_code"})

# The longest details the sender form accepts, so a template that fits with these fits everyone.
LONG_SAMPLE_SENDER = Sender(
    first_name="M" * 40,
    last_name="W" * 40,
    email=("x" * 64) + "@" + ("example-" * 4) + "org",
    city="C" * 60,
    state="ZZ",
    zip_code="99999-9999",
    street="S" * 60,
    phone="+1 (999) 999-9999 x999",
    personal_paragraph="",
)


@dataclass(frozen=True)
class CampaignText:
    """One campaign's words in one language."""

    language: str
    title: str
    summary: str
    subject: str
    body: str
    share_text: str
    phone_script: str


@dataclass(frozen=True)
class Campaign:
    """A letter campaign: what it asks, to whom, and its texts by language."""

    id: str
    goal: int
    recipients: tuple[str, ...]
    hashtag: str
    texts: Mapping[str, CampaignText]
    order: int | None = None

    def text(self, language: str) -> CampaignText:
        """The campaign's text in `language`, or in English when it has no such translation."""
        return self.texts.get(language) or self.texts[DEFAULT_LANGUAGE]

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages this campaign is written in, in the portal's language order."""
        return tuple(code for code in LANGUAGES if code in self.texts)


@dataclass(frozen=True)
class TemplateProblem:
    """Something wrong in a template file; the path is relative to the templates folder's parent."""

    path: Path
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.path.as_posix()}: field '{self.field}': {self.message}"


@dataclass(frozen=True)
class CampaignCatalog:
    """The campaigns that loaded cleanly, and the problems found in the ones that did not."""

    campaigns: Mapping[str, Campaign]
    problems: tuple[TemplateProblem, ...] = ()

    def get(self, campaign_id: str | None) -> Campaign | None:
        """The campaign with this id, or None for an unknown or missing id."""
        return self.campaigns.get(campaign_id) if campaign_id else None

    def __iter__(self) -> Iterator[Campaign]:
        return iter(self.campaigns.values())

    def __len__(self) -> int:
        return len(self.campaigns)


class _Problems:
    """Collects problems for one file so each check can simply report and move on."""

    def __init__(self, path: Path):
        self.path = path
        self.found: list[TemplateProblem] = []

    def add(self, field: str, message: str) -> None:
        self.found.append(TemplateProblem(self.path, field, message))


def _split_front_matter(text: str, problems: _Problems) -> tuple[str, str] | None:
    """(front matter, body) of a template, or None when the `+++` fences are missing."""
    lines = text.lstrip("\ufeff").replace("\r\n", "\n").split("\n")
    if not lines or lines[0].strip() != FRONT_MATTER_FENCE:
        problems.add("front matter", f"the file must start with a line '{FRONT_MATTER_FENCE}'")
        return None
    for index, line in enumerate(lines[1:], start=1):
        if line.strip() == FRONT_MATTER_FENCE:
            return "\n".join(lines[1:index]), "\n".join(lines[index + 1:]).strip()
    problems.add("front matter", f"no closing line '{FRONT_MATTER_FENCE}'")
    return None


def _check_placeholders(template: str, field: str, allowed: frozenset[str],
                        problems: _Problems) -> None:
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:  # a lone "{" or "}"; literal braces must be doubled
        problems.add(field, f"braces do not pair up ({exc}); write a literal brace as '{{{{' or '}}}}'")
        return
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if name not in allowed:
            problems.add(field, f"unknown placeholder {{{name}}}; allowed: "
                                + ", ".join(sorted(allowed)))
        elif spec or conversion:
            problems.add(field, f"placeholder {{{name}}} must not have a format or conversion")


def _check_text_field(meta: Mapping[str, Any], key: str, problems: _Problems) -> None:
    value = meta[key]
    if not isinstance(value, str) or not value.strip():
        problems.add(key, "must be a non-empty string")
        return
    limit = MAX_LENGTHS.get(key)
    if limit is not None and len(value.strip()) > limit:
        problems.add(key, f"must be at most {limit} characters, has {len(value.strip())}")


def _check_front_matter(meta: Mapping[str, Any], folder: str, offices: Collection[str],
                        problems: _Problems) -> None:
    for key in meta.keys() - {*REQUIRED_KEYS, *OPTIONAL_KEYS}:
        problems.add(key, "is not a known key (a typo?)")
    missing = [key for key in REQUIRED_KEYS if key not in meta]
    for key in missing:
        problems.add(key, "is required")

    if "id" in meta:
        if meta["id"] != folder:
            problems.add("id", f"must equal the folder name {folder!r}, got {meta['id']!r}")
        elif not CAMPAIGN_ID.match(folder):
            problems.add("id", "must be 3-64 lowercase letters, digits or hyphens")
    if "goal" in meta and not _is_positive_int(meta["goal"]):
        problems.add("goal", "must be a positive whole number")
    if "order" in meta and not _is_int(meta["order"]):
        problems.add("order", "must be a whole number")
    if "recipients" in meta:
        _check_recipients(meta["recipients"], offices, problems)
    if "hashtag" in meta and not (isinstance(meta["hashtag"], str) and HASHTAG.match(meta["hashtag"])):
        problems.add("hashtag", "must be '#' followed by letters, digits or underscores")
    for key in TEXT_KEYS:
        if key in meta:
            _check_text_field(meta, key, problems)
    if isinstance(meta.get("share_text"), str) and URL.search(meta["share_text"]):
        problems.add("share_text", "must not contain a link; the portal adds the campaign's link")
    if isinstance(meta.get("phone_script"), str):
        _check_placeholders(meta["phone_script"], "phone_script", PHONE_PLACEHOLDERS, problems)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)  # TOML true is not a number


def _is_positive_int(value: Any) -> bool:
    return _is_int(value) and value > 0


def _check_recipients(recipients: Any, offices: Collection[str], problems: _Problems) -> None:
    if (not isinstance(recipients, list) or not recipients
            or not all(isinstance(r, str) for r in recipients)):
        problems.add("recipients", "must be a non-empty list of office ids")
        return
    for office_id in recipients:
        if office_id not in offices:
            problems.add("recipients", f"unknown office {office_id!r}; known: "
                                       + ", ".join(sorted(offices)))
    if len(set(recipients)) != len(recipients):
        problems.add("recipients", "lists an office more than once")


def _check_body(body: str, problems: _Problems) -> bool:
    """Check the body's placeholders; True when it is safe to fill for the length check."""
    if not body:
        problems.add("body", "the letter text after the front matter is empty")
        return False
    before = len(problems.found)
    _check_placeholders(body, "body", BODY_PLACEHOLDERS, problems)
    if "{personal_paragraph}" not in (line.strip() for line in body.split("\n")):
        problems.add("body", "needs a line '{personal_paragraph}' on its own for the sender's words")
    return len(problems.found) == before


def _check_filled_length(body: str, problems: _Problems) -> None:
    sample = CampaignText(language=DEFAULT_LANGUAGE, title="", summary="", subject="", body=body,
                          share_text="", phone_script="")
    length = len(draft_text(sample, LONG_SAMPLE_SENDER))
    if length > LETTER_MAX_CHARS:
        problems.add("body", f"is {length} characters when filled with long sample details; "
                             f"the limit is {LETTER_MAX_CHARS}")


def _read_template(path: Path, shown: Path, offices: Collection[str]
                   ) -> tuple[dict[str, Any] | None, CampaignText | None, list[TemplateProblem]]:
    """Parse and check one language file: (front matter, text, problems); text None if unusable."""
    problems = _Problems(shown)
    language = path.stem
    if path.suffix != ".md" or language not in LANGUAGES:
        problems.add("file name", "must be one of " + ", ".join(f"{c}.md" for c in LANGUAGES))
        return None, None, problems.found
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.add("file", f"cannot be read as UTF-8 text ({exc.__class__.__name__})")
        return None, None, problems.found
    parts = _split_front_matter(raw, problems)
    if parts is None:
        return None, None, problems.found
    try:
        meta = tomllib.loads(parts[0])
    except tomllib.TOMLDecodeError as exc:
        problems.add("front matter", f"not valid TOML: {exc}")
        return None, None, problems.found

    body = parts[1]
    _check_front_matter(meta, path.parent.name, offices, problems)
    if _check_body(body, problems):
        # Measured even when other fields are wrong, so the author sees every problem at once.
        _check_filled_length(body, problems)
    if problems.found:
        return meta, None, problems.found
    text = CampaignText(language=language, body=body,
                        **{key: meta[key].strip() for key in TEXT_KEYS})
    return meta, text, problems.found


def _load_campaign(folder: Path, root_name: str, offices: Collection[str]
                   ) -> tuple[Campaign | None, list[TemplateProblem]]:
    """One campaign folder: the campaign (None if its English file is unusable) and its problems."""
    shown_folder = Path(root_name) / folder.name
    found: list[TemplateProblem] = []
    metas: dict[str, dict[str, Any]] = {}
    texts: dict[str, CampaignText] = {}
    for path in sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")):
        meta, text, problems = _read_template(path, shown_folder / path.name, offices)
        found.extend(problems)
        if text is not None and meta is not None:
            metas[text.language], texts[text.language] = meta, text

    english = shown_folder / f"{DEFAULT_LANGUAGE}.md"
    if not (folder / f"{DEFAULT_LANGUAGE}.md").is_file():
        found.append(TemplateProblem(english, "file", "every campaign needs an English file"))
    if DEFAULT_LANGUAGE not in texts:
        return None, found

    reference = metas[DEFAULT_LANGUAGE]
    for language in [code for code in texts if code != DEFAULT_LANGUAGE]:
        for key in SHARED_KEYS:
            if metas[language].get(key) != reference.get(key):
                found.append(TemplateProblem(
                    shown_folder / f"{language}.md", key,
                    f"must be the same as in {DEFAULT_LANGUAGE}.md ({reference.get(key)!r}), "
                    f"got {metas[language].get(key)!r}"))
                texts.pop(language, None)

    campaign = Campaign(
        id=folder.name,
        goal=reference["goal"],
        recipients=tuple(reference["recipients"]),
        hashtag=reference["hashtag"],
        texts=MappingProxyType({code: texts[code] for code in LANGUAGES if code in texts}),
        order=reference.get("order"),
    )
    return campaign, found


def _sort_key(campaign: Campaign) -> tuple[bool, int, str]:
    # Campaigns with an explicit order come first; the rest follow alphabetically.
    return (campaign.order is None, campaign.order or 0, campaign.id)


def load_campaigns(directory: Path, offices: Collection[str] | Mapping[str, Any]) -> CampaignCatalog:
    """Read and check every campaign under `directory`; problems are reported, never raised."""
    directory = Path(directory)
    office_ids = frozenset(offices)
    problems: list[TemplateProblem] = []
    campaigns: list[Campaign] = []
    if not directory.is_dir():
        problems.append(TemplateProblem(Path(directory.name), "directory", "no such folder"))
    else:
        folders = sorted(p for p in directory.iterdir()
                         if p.is_dir() and not p.name.startswith((".", "_")))
        for folder in folders:
            campaign, found = _load_campaign(folder, directory.name, office_ids)
            problems.extend(found)
            if campaign is not None:
                campaigns.append(campaign)
    for problem in problems:
        # Path and field only: messages can quote template text, and logs travel further.
        logger.warning("letter template problem: %s, field %r", problem.path.as_posix(), problem.field)
    ordered = {c.id: c for c in sorted(campaigns, key=_sort_key)}
    return CampaignCatalog(campaigns=MappingProxyType(ordered), problems=tuple(problems))
