"""Sharing a story and coming back to it, as a storyteller does, in English and Spanish."""

from __future__ import annotations

import io

import pytest

from PIL import Image
from sqlalchemy import select

from portal.config import load_config
from portal.runtime import open_runtime
from stories.models import AgeConfirmation, ConsentChange, Connection, Credit, Story, StoryStatus
from tests.app.conftest import page, texts

STORY = ("My son and I were separated at the border in 2018. He was six. We were apart for "
         "four months, and he still asks me every night if I will be there in the morning.")


def press(at, label: str):
    [button] = [b for b in at.button if b.label == label]
    return button.click().run()


def stories_in_db():
    runtime = open_runtime(load_config())
    try:
        with runtime.db.session() as s:
            return [(st.status, st.consent_publish, st.consent_press, st.photo_name is not None,
                     [e.change for e in st.consent_events]) for st in s.scalars(select(Story))]
    finally:
        runtime.db.dispose()


def start(lang="en"):
    at = page("share_story.py")
    at.query_params["lang"] = lang
    at.run()
    assert not at.exception
    return at


def fill_story(at, text=STORY):
    at.text_input(key="story_title").input("Four months apart")
    at.text_area(key="story_text").input(text)
    at.radio(key="story_connection").set_value(Connection.SEPARATED)
    return at


def png_bytes():
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def walk_to_consent(at, continue_label="Continue"):
    at = press(at, "I understand. Start my story")
    at = fill_story(at).run()
    return press(at, continue_label)


def test_before_you_start_explains_use_risks_and_what_to_leave_out(app_env):
    at = start()
    shown = texts(at)
    for phrase in ("Who reads it", "The risks", "A-numbers", "withdraw it at any time"):
        assert phrase in shown
    assert "Cómo se puede usar" in texts(start("es"))


def test_no_consent_box_starts_ticked(app_env):
    at = walk_to_consent(start())
    assert "How it may be used" in texts(at)
    boxes = [c for c in at.checkbox if c.key and c.key.startswith("story_consent_")]
    assert len(boxes) == 4  # no photo added: the photo question is not asked
    assert all(box.value is False for box in boxes)
    assert at.radio(key="story_credit").value.value == "none"  # anonymous by default
    assert at.radio(key="story_age").value is None


LABELS = {
    "en": {"start": "I understand. Start my story", "continue": "Continue", "submit": "Submit my story",
           "thanks": "Thank you for sharing your story", "contact": "Contact (optional)",
           "publish_yes": "Yes — Publish my story on this website.",
           "press_no": "No — Give my story to reporters and partner organizations.",
           "show": "Show my story", "received": "Received. Your story is waiting for our team to read it.",
           "confirm": "Yes, withdraw and delete my story.", "withdraw": "Withdraw my story",
           "withdrawn": "Withdrawn."},
    "es": {"start": "Entiendo. Empezar mi historia", "continue": "Continuar", "submit": "Enviar mi historia",
           "thanks": "Gracias por compartir su historia", "contact": "Contacto (opcional)",
           "publish_yes": "Sí — Publicar mi historia en este sitio web.",
           "press_no": "No — Entregar mi historia a periodistas y organizaciones aliadas.",
           "show": "Ver mi historia", "received": "Recibida. Su historia espera a que nuestro equipo la lea.",
           "confirm": "Sí, retirar y borrar mi historia.", "withdraw": "Retirar mi historia",
           "withdrawn": "Retirada."},
}


@pytest.mark.parametrize("lang", ["en", "es"])
def test_full_journey_gives_a_receipt_code_that_opens_the_story(app_env, lang):
    words = LABELS[lang]
    at = press(start(lang), words["start"])
    at = press(fill_story(at).run(), words["continue"])
    at.checkbox(key="story_consent_keep_for_review").check()
    at.checkbox(key="story_consent_publish").check()
    at.radio(key="story_age").set_value(AgeConfirmation.ADULT)
    at = press(at, words["continue"])
    assert words["contact"] in texts(at)
    at = press(at, words["continue"])
    assert STORY in texts(at)
    assert words["publish_yes"] in texts(at)
    assert words["press_no"] in texts(at)
    at = press(at, words["submit"])
    assert not at.exception
    assert words["thanks"] in texts(at)
    [code_block] = at.code
    code = code_block.value
    assert len(code.replace("-", "")) == 32
    assert stories_in_db() == [(StoryStatus.NEW, True, False, False, [ConsentChange.GIVEN])]

    # Coming back with the code: the status in plain words, then withdrawal in one confirmation.
    mine = page("my_story.py")
    mine.query_params["lang"] = lang
    mine.run()
    mine.text_input[0].input(code.lower().replace("-", " "))
    mine = press(mine, words["show"])
    assert words["received"] in texts(mine)
    [confirm] = [c for c in mine.checkbox if c.label == words["confirm"]]
    confirm.check()
    mine = press(mine, words["withdraw"])
    assert words["withdrawn"] in texts(mine)
    [(status, publish, _press, _photo, changes)] = stories_in_db()
    assert status is StoryStatus.WITHDRAWN and publish is False
    assert changes == [ConsentChange.GIVEN, ConsentChange.WITHDRAWN]


def test_consent_step_requires_review_consent_and_age_but_not_publication(app_env):
    at = walk_to_consent(start())
    at = press(at, "Continue")
    errors = [e.value for e in at.error]
    assert any("allow us to keep it for review" in e for e in errors)
    assert any("confirm your age" in e for e in errors)
    assert "Contact (optional)" not in texts(at)


def test_going_back_keeps_everything_typed(app_env):
    at = walk_to_consent(start())
    at.checkbox(key="story_consent_press").check().run()
    at = press(at, "Back")
    assert at.text_area(key="story_text").value == STORY
    at = press(at, "Continue")
    assert at.checkbox(key="story_consent_press").value is True


def test_story_errors_are_shown_next_to_fields_in_spanish(app_env):
    at = start("es")
    at = press(at, "Entiendo. Empezar mi historia")
    at.text_area(key="story_text").input("Muy corta")
    at = press(at, "Continuar")
    errors = [e.value for e in at.error]
    assert any("título" in e for e in errors)
    assert at.text_area(key="story_text").value == "Muy corta"


def test_identifying_details_get_a_gentle_warning(app_env):
    at = press(start(), "I understand. Start my story")
    at = fill_story(at, STORY + " My A-number is A123456789, call me at (915) 555-0142.").run()
    warnings = " ".join(w.value for w in at.warning)
    assert "A-number" in warnings and "phone" in warnings.lower()


def test_naming_asks_for_the_name_only_when_chosen(app_env):
    at = walk_to_consent(start())
    assert not [t for t in at.text_input if t.key == "story_credited_name"]
    at.radio(key="story_credit").set_value(Credit.FULL_NAME).run()
    assert [t for t in at.text_input if t.key == "story_credited_name"]
    at.checkbox(key="story_consent_keep_for_review").check()
    at.radio(key="story_age").set_value(AgeConfirmation.ADULT)
    at = press(at, "Continue")
    assert any("name you want us to use" in e.value for e in at.error)


def test_wrong_receipt_code_reveals_nothing(app_env):
    at = page("my_story.py").run()
    at.text_input[0].input("AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH")
    at = press(at, "Show my story")
    assert "We could not find a story with this code" in texts(at)
    at.text_input[0].input("not even a code")
    at = press(at, "Show my story")
    assert "We could not find a story with this code" in texts(at)


def test_wrong_codes_are_throttled(app_env):
    at = page("my_story.py").run()
    for _attempt in range(11):
        at.text_input[0].input("AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH")
        at = press(at, "Show my story")
    assert "Too many attempts" in texts(at)
