"""Every moderator page: logged out it shows only the sign-in form; logged in it works."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.accounts import add_moderator
from portal.accounts_models import AuditEntry
from portal.config import load_config
from portal.runtime import open_runtime
from stories.consent import ConsentAnswers
from stories.intake import submit_story
from stories.models import AgeConfirmation, Story, StoryStatus
from streamlit.testing.v1 import AppTest

from tests.app.conftest import ROOT, page, texts
from tests.app.test_login_page import PASSWORD, sign_in
from tests.unit.story_fixtures import submission

PAGES = ["moderate.py", "review.py", "exports.py", "dashboard.py", "audit.py"]
SECRET_TITLE = "Cuatro meses sin Lucía"
SECRET_TEXT = "Nos separaron en el puente internacional. Mi número es A123456789."


@pytest.fixture
def seeded(app_env):
    runtime = open_runtime(load_config())
    add_moderator(runtime, "mod@campaign.org", PASSWORD, is_admin=False)
    add_moderator(runtime, "admin@campaign.org", PASSWORD, is_admin=True)
    answers = ConsentAnswers(keep_for_review=True, publish=True, press=True, age=AgeConfirmation.ADULT)
    receipt = submit_story(runtime, submission(title=SECRET_TITLE, text=SECRET_TEXT, answers=answers))
    runtime.db.dispose()
    return receipt.story_id


def everything_shown(at) -> str:
    shown = texts(at)
    for frame in at.dataframe:
        shown += "\n" + frame.value.to_string()
    return shown


def signed_in(name: str, email: str = "mod@campaign.org"):
    at = page(name).run()
    at = sign_in(at, email)
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize("name", PAGES)
def test_logged_out_page_shows_sign_in_and_no_story_data(seeded, name):
    at = page(name).run()
    assert not at.exception
    assert at.text_input(key="login-email") is not None
    shown = everything_shown(at)
    assert SECRET_TITLE not in shown and "puente" not in shown
    assert not at.dataframe


def test_queue_lists_the_story_and_opens_it(seeded):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("pages/login.py").run()
    at = sign_in(at, "mod@campaign.org")
    # Signed in, the moderator pages exist for this session.
    at.switch_page("pages/moderate.py").run()
    assert "Story queue" in texts(at)
    assert SECRET_TITLE in everything_shown(at)
    [open_button] = [b for b in at.button if b.label == "Open story"]
    open_button.click().run()
    assert not at.exception
    assert f"Story #{seeded}" in texts(at)
    assert "What the storyteller allowed" in texts(at)


def test_review_shows_consent_original_and_redacts_in_one_step(seeded):
    at = signed_in("review.py")
    at.number_input[0].set_value(seeded).run()
    shown = texts(at)
    assert "What the storyteller allowed" in shown
    assert SECRET_TEXT in shown  # the original, shown inert to the moderator
    assert "A123456789" in shown  # listed among the detected details
    [redact] = [b for b in at.button if b.label.startswith("Replace every detected detail")]
    redact.click().run()
    [editor] = [t for t in at.text_area if t.key and t.key.startswith("pub_text_")]
    assert "A123456789" not in editor.value and "[removed]" in editor.value
    [approve] = [b for b in at.button if b.label == "Save and approve"]
    approve.click().run()
    assert "Approved." in texts(at)
    runtime = open_runtime(load_config())
    with runtime.db.session() as s:
        story = s.get(Story, seeded)
        assert story.status is StoryStatus.APPROVED
        assert "A123456789" not in runtime.cipher.decrypt(story.publication_text_enc)
        assert "A123456789" in runtime.cipher.decrypt(story.text_enc)  # the original is kept
        actions = list(s.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    runtime.db.dispose()
    assert actions[-3:] == ["open_story", "save_publication", "approve"]


def test_exports_page_requires_an_outlet_then_offers_the_file(seeded):
    at = signed_in("exports.py")
    assert "Stories for the press" in texts(at)
    [prepare, _letters] = [b for b in at.button if b.label == "Prepare the file"]
    prepare.click().run()
    assert any("Say who the file is for" in e.value for e in at.error)
    at.text_input[0].input("El Diario")
    [prepare, _letters] = [b for b in at.button if b.label == "Prepare the file"]
    prepare.click().run()
    assert [b.label for b in at.get("download_button")] == ["Download 0 stories (Excel)"]


def test_dashboard_shows_the_figures(seeded):
    at = signed_in("dashboard.py")
    assert not at.exception
    assert "Letters per day (last 60 days)" in texts(at)
    assert [m.label for m in at.metric][:4] == ["Letters", "Delivered", "Waiting to be sent", "Failed"]


def test_audit_log_is_for_administrators_only(seeded):
    at = signed_in("audit.py")
    assert "Audit log" not in [t.value for t in at.title]
    admin = signed_in("audit.py", "admin@campaign.org")
    assert "Audit log" in texts(admin)
    assert "login" in everything_shown(admin)


def _count(at, label: str) -> str:
    [metric] = [m for m in at.metric if m.label == label]
    return metric.value


def test_queue_counts_show_the_moderators_own_decision_at_once(seeded):
    # The status counts are kept for a few seconds per server process; a decision made here must
    # not wait for that to show.
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("pages/login.py").run()
    at = sign_in(at, "mod@campaign.org")
    at.switch_page("pages/moderate.py").run()
    assert (_count(at, "New"), _count(at, "Approved")) == ("1", "0")
    at.switch_page("pages/review.py").run()
    at.number_input[0].set_value(seeded).run()
    [approve] = [b for b in at.button if b.label == "Save and approve"]
    approve.click().run()
    assert "Approved." in texts(at)
    at.switch_page("pages/moderate.py").run()
    assert not at.exception
    assert (_count(at, "New"), _count(at, "Approved")) == ("0", "1")
