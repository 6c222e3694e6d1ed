"""Loading letter campaigns: the shipped templates, and every way a template can be broken."""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path
from typing import Any

import pytest

from letters.compose import LETTER_MAX_CHARS, draft_text
from letters.templates import (
    LONG_SAMPLE_SENDER,
    CampaignCatalog,
    TemplateProblem,
    load_campaigns,
)

ROOT = Path(__file__).resolve().parents[2]
OFFICES = ("president", "dhs_secretary")
SHIPPED = ("end-family-separation", "end-child-detention")

GOOD_BODY = """I am writing about {city}.

Please act.

{personal_paragraph}

Sincerely,
{full_name}
{street}
{city}, {state} {zip_code}
"""

_UNSET = object()


def template(campaign_id: str, body: str = GOOD_BODY, **overrides: Any) -> str:
    """A template file; override a key with a value, or with _UNSET to leave it out."""
    meta: dict[str, Any] = {
        "id": campaign_id,
        "title": "A title",
        "summary": "A summary of the campaign.",
        "goal": 500,
        "recipients": ["president", "dhs_secretary"],
        "subject": "A subject",
        "hashtag": "#FamiliesBelongTogether",
        "share_text": "Share this.",
        "phone_script": "I am {full_name} from {zip_code}.",
    }
    meta.update(overrides)
    # JSON strings, numbers, booleans and arrays are valid TOML values.
    lines = [f"{key} = {json.dumps(value)}" for key, value in meta.items() if value is not _UNSET]
    return "+++\n" + "\n".join(lines) + "\n+++\n" + body


def write_campaign(root: Path, folder: str, files: dict[str, str]) -> Path:
    path = root / folder
    path.mkdir(parents=True)
    for name, content in files.items():
        (path / name).write_text(content, encoding="utf-8")
    return path


# --- the templates we ship -------------------------------------------------------------------

@pytest.fixture(scope="module")
def shipped() -> CampaignCatalog:
    return load_campaigns(ROOT / "letter_templates", OFFICES)


def test_shipped_templates_load_without_problems(shipped: CampaignCatalog) -> None:
    assert [str(p) for p in shipped.problems] == []
    assert set(SHIPPED) <= {campaign.id for campaign in shipped}
    for campaign in shipped:
        assert campaign.languages == ("en", "es"), campaign.id
        assert set(campaign.recipients) <= set(OFFICES)
        assert campaign.goal > 0


def test_shipped_templates_are_truly_translated(shipped: CampaignCatalog) -> None:
    for campaign in shipped:
        english, spanish = campaign.text("en"), campaign.text("es")
        assert spanish.language == "es"
        for field in ("title", "summary", "subject", "body", "share_text", "phone_script"):
            assert getattr(english, field) != getattr(spanish, field), (campaign.id, field)


@pytest.mark.parametrize("campaign_id", SHIPPED)
@pytest.mark.parametrize("language", ["en", "es"])
def test_shipped_draft_leaves_room_for_a_personal_paragraph(
        shipped: CampaignCatalog, campaign_id: str, language: str) -> None:
    campaign = shipped.get(campaign_id)
    assert campaign is not None
    paragraph = "p" * 500
    long_sender = dataclasses.replace(LONG_SAMPLE_SENDER, personal_paragraph=paragraph)
    draft = draft_text(campaign.text(language), long_sender)
    assert paragraph in draft
    assert len(draft) <= LETTER_MAX_CHARS
    assert not draft.lower().startswith(("dear", "estimad", "a la")), "salutation belongs to compose"


def test_shipped_campaigns_follow_their_order(shipped: CampaignCatalog) -> None:
    assert [c.id for c in shipped][:2] == list(SHIPPED)


# --- a good campaign, as loaded ---------------------------------------------------------------

def test_good_campaign_loads_with_its_values(tmp_path: Path) -> None:
    root = tmp_path / "letter_templates"
    write_campaign(root, "good-one", {
        "en.md": template("good-one", title="  Padded title  "),
        "es.md": template("good-one", title="Título"),
    })
    catalog = load_campaigns(root, {"president": object(), "dhs_secretary": object()})
    assert catalog.problems == ()
    campaign = catalog.get("good-one")
    assert campaign is not None
    assert (campaign.goal, campaign.recipients, campaign.hashtag) == (
        500, ("president", "dhs_secretary"), "#FamiliesBelongTogether")
    assert campaign.text("en").title == "Padded title"
    assert campaign.text("es").title == "Título"
    assert campaign.text("en").body == GOOD_BODY.strip()
    assert len(catalog) == 1 and list(catalog) == [campaign]


def test_missing_translation_falls_back_to_english(tmp_path: Path) -> None:
    root = tmp_path / "letter_templates"
    write_campaign(root, "english-only", {"en.md": template("english-only")})
    campaign = load_campaigns(root, OFFICES).get("english-only")
    assert campaign is not None
    assert campaign.languages == ("en",)
    assert campaign.text("es").language == "en"


def test_catalog_get_handles_unknown_and_missing_ids(tmp_path: Path) -> None:
    root = tmp_path / "letter_templates"
    write_campaign(root, "good-one", {"en.md": template("good-one")})
    catalog = load_campaigns(root, OFFICES)
    assert catalog.get(None) is None
    assert catalog.get("") is None
    assert catalog.get("no-such-campaign") is None


def test_campaigns_sort_by_order_then_id(tmp_path: Path) -> None:
    root = tmp_path / "letter_templates"
    write_campaign(root, "aaa-unordered", {"en.md": template("aaa-unordered")})
    write_campaign(root, "zzz-first", {"en.md": template("zzz-first", order=1)})
    write_campaign(root, "mmm-second", {"en.md": template("mmm-second", order=2)})
    write_campaign(root, "bbb-unordered", {"en.md": template("bbb-unordered")})
    ids = [c.id for c in load_campaigns(root, OFFICES)]
    assert ids == ["zzz-first", "mmm-second", "aaa-unordered", "bbb-unordered"]


def test_missing_directory_is_reported_not_raised(tmp_path: Path) -> None:
    catalog = load_campaigns(tmp_path / "nowhere", OFFICES)
    assert len(catalog) == 0
    assert [p.field for p in catalog.problems] == ["directory"]


def test_problem_reads_as_file_field_message() -> None:
    problem = TemplateProblem(Path("letter_templates/x/es.md"), "goal",
                              "must be a positive whole number")
    assert str(problem) == "letter_templates/x/es.md: field 'goal': must be a positive whole number"


# --- broken templates -------------------------------------------------------------------------

B = "broken-one"
LONG_BODY = ("Words. " * 290) + "\n\n{personal_paragraph}\n\n{full_name}"

# (case, files in the folder, folder name, file and field the problem names, campaign still loads)
BROKEN: list[tuple[str, dict[str, str], str, str, str, bool]] = [
    ("no front matter", {"en.md": "Dear friend,\n{personal_paragraph}\n"}, B,
     "en.md", "front matter", False),
    ("unclosed front matter", {"en.md": template(B).replace("\n+++\n", "\n", 1)}, B,
     "en.md", "front matter", False),
    ("bad toml", {"en.md": "+++\nid = \"broken-one\"\ngoal = \n+++\n{personal_paragraph}\n"}, B,
     "en.md", "front matter", False),
    ("goal is text", {"en.md": template(B, goal="many")}, B, "en.md", "goal", False),
    ("goal is zero", {"en.md": template(B, goal=0)}, B, "en.md", "goal", False),
    ("goal is boolean", {"en.md": template(B, goal=True)}, B, "en.md", "goal", False),
    ("goal is fractional", {"en.md": template(B, goal=2.5)}, B, "en.md", "goal", False),
    ("goal missing", {"en.md": template(B, goal=_UNSET)}, B, "en.md", "goal", False),
    ("subject missing", {"en.md": template(B, subject=_UNSET)}, B, "en.md", "subject", False),
    ("unknown key", {"en.md": template(B, sumary="typo")}, B, "en.md", "sumary", False),
    ("order not int", {"en.md": template(B, order="first")}, B, "en.md", "order", False),
    ("unknown recipient", {"en.md": template(B, recipients=["president", "governor"])}, B,
     "en.md", "recipients", False),
    ("no recipients", {"en.md": template(B, recipients=[])}, B, "en.md", "recipients", False),
    ("recipients not a list", {"en.md": template(B, recipients="president")}, B,
     "en.md", "recipients", False),
    ("bad hashtag", {"en.md": template(B, hashtag="Families Together")}, B,
     "en.md", "hashtag", False),
    ("empty title", {"en.md": template(B, title="  ")}, B, "en.md", "title", False),
    ("long title", {"en.md": template(B, title="t" * 121)}, B, "en.md", "title", False),
    ("long subject", {"en.md": template(B, subject="s" * 151)}, B, "en.md", "subject", False),
    ("long summary", {"en.md": template(B, summary="s" * 601)}, B, "en.md", "summary", False),
    ("long share text", {"en.md": template(B, share_text="s" * 201)}, B,
     "en.md", "share_text", False),
    ("link in share text", {"en.md": template(B, share_text="See https://example.org now")}, B,
     "en.md", "share_text", False),
    ("unknown body placeholder", {"en.md": template(B, body=GOOD_BODY + "{nickname}\n")}, B,
     "en.md", "body", False),
    ("positional body placeholder", {"en.md": template(B, body=GOOD_BODY + "{}\n")}, B,
     "en.md", "body", False),
    ("formatted body placeholder", {"en.md": template(B, body=GOOD_BODY + "{city!r}\n")}, B,
     "en.md", "body", False),
    ("lone brace in body", {"en.md": template(B, body=GOOD_BODY + "a { b\n")}, B,
     "en.md", "body", False),
    ("no personal paragraph line", {"en.md": template(B, body="Hello.\n\n{full_name}\n")}, B,
     "en.md", "body", False),
    ("empty body", {"en.md": template(B, body="\n\n")}, B, "en.md", "body", False),
    ("over-long body", {"en.md": template(B, body=LONG_BODY)}, B, "en.md", "body", False),
    ("email in phone script", {"en.md": template(B, phone_script="Reach me at {email}.")}, B,
     "en.md", "phone_script", False),
    ("id mismatch", {"en.md": template("another-id")}, B, "en.md", "id", False),
    ("bad folder name", {"en.md": template("Bad_Name")}, "Bad_Name", "en.md", "id", False),
    ("missing english", {"es.md": template(B)}, B, "en.md", "file", False),
    ("unsupported language", {"en.md": template(B), "fr.md": template(B)}, B,
     "fr.md", "file name", True),
    ("broken spanish", {"en.md": template(B), "es.md": template(B, goal="x")}, B,
     "es.md", "goal", True),
    ("goal differs in spanish", {"en.md": template(B), "es.md": template(B, goal=501)}, B,
     "es.md", "goal", True),
    ("recipients differ in spanish",
     {"en.md": template(B), "es.md": template(B, recipients=["president"])}, B,
     "es.md", "recipients", True),
    ("hashtag differs in spanish",
     {"en.md": template(B), "es.md": template(B, hashtag="#FamiliasUnidas")}, B,
     "es.md", "hashtag", True),
]


@pytest.mark.parametrize(("case", "files", "folder", "bad_file", "field", "loads"),
                         BROKEN, ids=[row[0] for row in BROKEN])
def test_broken_template_is_reported_and_the_rest_still_load(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, case: str, files: dict[str, str],
        folder: str, bad_file: str, field: str, loads: bool) -> None:
    root = tmp_path / "letter_templates"
    write_campaign(root, "good-one", {"en.md": template("good-one"), "es.md": template("good-one")})
    write_campaign(root, folder, files)

    with caplog.at_level(logging.WARNING, logger="letters.templates"):
        catalog = load_campaigns(root, OFFICES)

    where = f"letter_templates/{folder}/{bad_file}"
    assert any(str(p).startswith(f"{where}: field '{field}': ") for p in catalog.problems), (
        [str(p) for p in catalog.problems])
    assert all(p.path.parts[1] == folder for p in catalog.problems)
    assert any(where in r.getMessage() and field in r.getMessage() for r in caplog.records)

    good = catalog.get("good-one")
    assert good is not None and good.languages == ("en", "es")
    broken = catalog.get(folder)
    if loads:
        assert broken is not None
        assert broken.languages == ("en",)  # the bad translation is left out
        assert broken.text("es").language == "en"
    else:
        assert broken is None
        assert len(catalog) == 1


def test_goal_problem_message_is_exact(tmp_path: Path) -> None:
    root = tmp_path / "letter_templates"
    write_campaign(root, "xyz", {"en.md": template("xyz"), "es.md": template("xyz", goal=-3)})
    problems = [str(p) for p in load_campaigns(root, OFFICES).problems]
    assert problems == ["letter_templates/xyz/es.md: field 'goal': must be a positive whole number"]


def test_log_names_file_and_field_but_not_template_text(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    root = tmp_path / "letter_templates"
    write_campaign(root, B, {"en.md": template(B, body=GOOD_BODY + "{secret_word}\n")})
    with caplog.at_level(logging.WARNING, logger="letters.templates"):
        catalog = load_campaigns(root, OFFICES)
    assert "secret_word" in str(catalog.problems[0])
    assert caplog.records and all("secret_word" not in r.getMessage() for r in caplog.records)


def test_all_problems_of_a_file_are_reported_together(tmp_path: Path) -> None:
    root = tmp_path / "letter_templates"
    write_campaign(root, B, {"en.md": template(B, goal="x", recipients=["mayor"], body=LONG_BODY)})
    fields = {p.field for p in load_campaigns(root, OFFICES).problems}
    assert fields == {"goal", "recipients", "body"}


def test_hidden_files_and_folders_are_ignored(tmp_path: Path) -> None:
    root = tmp_path / "letter_templates"
    write_campaign(root, "good-one", {"en.md": template("good-one"), ".DS_Store": "junk"})
    write_campaign(root, ".git", {"en.md": "junk"})
    (root / "README.md").write_text("How to write a campaign.", encoding="utf-8")
    catalog = load_campaigns(root, OFFICES)
    assert catalog.problems == ()
    assert [c.id for c in catalog] == ["good-one"]
