"""The front page and the router, in both languages."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from letters.demo import add_demo_letters
from portal.config import load_config
from portal.runtime import open_runtime
from tests.app.conftest import ROOT, page, texts


def test_front_page_lists_every_campaign_with_its_count(app_env):
    runtime = open_runtime(load_config())
    add_demo_letters(runtime, 25, seed=3)
    runtime.db.dispose()
    at = page("home.py").run()
    assert not at.exception
    assert "Families belong together" in texts(at)
    captions = [c.value for c in at.caption if "written so far" in c.value]
    assert len(captions) == 2
    assert sum(int(c.split()[0]) for c in captions) == 25


def test_front_page_in_spanish(app_env):
    at = page("home.py")
    at.query_params["lang"] = "es"
    at.run()
    assert "Las familias deben estar juntas" in texts(at)
    assert [b.label for b in at.button][:1] == ["Escribir esta carta"]


def test_choosing_a_campaign_opens_the_letter_page(app_env):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    at.button(key="home-end-child-detention").click().run()
    assert not at.exception
    assert "Your details" in texts(at)


def test_language_choice_stays_when_moving_between_pages(app_env):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.radio(key="_lang_picker").set_value("es").run()
    assert "Las familias deben estar juntas" in texts(at)
    at.button(key="home-end-family-separation").click().run()
    assert "Sus datos" in texts(at)
