"""Benchmark 1: every page's run time (AppTest) against a trivial Streamlit page, as data grows.

Each timed run is a fresh AppTest session of one page file, as a visitor opening it: moderator
pages start with the session state the sign-in form leaves (the form itself is used once per page
and size, not timed), the review page with a story open, "My story" with a receipt code entered.
A fresh AppTest also spends some 70 ms of its own discovering components, the same for every page;
so each row also gives the script alone (a rerun in the same session), where a page's own cost
shows without that constant.

The database grows from the first size to the next in place (stories and letters added by
bench.seed), so both sizes are measured with the same server caches and the same trivial page.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from bench.common import ROOT, environ as _environ, median_time

# (stories, letters) in the database for each round of measurements.
SIZES = ((10_000, 100_000), (100_000, 1_000_000))
TARGET = 2.0  # times the trivial page
PASSWORD = "a long bench password for moderators"
MODERATOR, ADMIN = "moderator@bench.example.org", "admin@bench.example.org"
TRIVIAL = "import streamlit as st\nst.title('Hello')\nst.button('Go')"


@dataclass(frozen=True)
class PageCase:
    label: str
    file: str
    who: str | None = None  # the account signed in, for moderator pages


PAGES = (
    PageCase("home page", "home.py"),
    PageCase("letter page, list of campaigns", "write.py"),
    PageCase("share-your-story page", "share_story.py"),
    PageCase("my-story page, a receipt code entered", "my_story.py"),
    PageCase("moderator sign-in page", "login.py"),
    PageCase("story queue page", "moderate.py", MODERATOR),
    PageCase("review page, a story open", "review.py", MODERATOR),
    PageCase("exports page", "exports.py", MODERATOR),
    PageCase("dashboard page", "dashboard.py", MODERATOR),
    PageCase("audit log page", "audit.py", ADMIN),
)


@dataclass(frozen=True)
class Timing:
    fresh: float  # seconds: a new session running the page
    script: float  # seconds: a rerun in that session


def _time_page(make, state: dict, runs: int) -> Timing:
    """Median of `runs` fresh sessions after a warm-up, then of `runs` reruns of the last one."""
    holder = {}

    def fresh() -> None:
        at = make()
        for key, value in state.items():
            at.session_state[key] = value
        at.run()
        assert not at.exception, at.exception
        holder["at"] = at

    fresh()  # the first run fills the server's caches (runtime, templates): not what a visitor waits for
    fresh_time = median_time(fresh, runs, warm_up=False)
    at = holder["at"]
    at.run()
    script_time = median_time(at.run, runs, warm_up=False)
    assert not at.exception, at.exception
    return Timing(fresh_time, script_time)


def _signed_in_state(page_file: str, email: str, *, review_story: int | None) -> dict:
    """What a session holds after signing in through the page's own form (and opening a story)."""
    from streamlit.testing.v1 import AppTest

    from web.auth import ACTOR_KEY
    from web.queue_view import REVIEW_ID

    at = AppTest.from_file(str(ROOT / "pages" / page_file), default_timeout=120).run()
    at.text_input(key="login-email").input(email)
    at.text_input(key="login-password").input(PASSWORD)
    at.button(key="login-submit").click()
    at.run()
    assert not at.exception, at.exception
    assert at.session_state[ACTOR_KEY] is not None, "sign-in failed"
    if review_story is not None:
        at.number_input[0].set_value(review_story).run()
        assert not at.exception, at.exception
    return {key: at.session_state[key] for key in at.session_state
            if key.startswith("moderator") or key in (REVIEW_ID, "review_opened")}


def _story_to_review(runtime) -> int:
    """The newest story in review that still has its words: what a moderator opens most."""
    from sqlalchemy import func, select

    from stories.models import Story, StoryStatus

    with runtime.db.session() as session:
        return session.scalar(select(func.max(Story.id)).where(
            Story.status == StoryStatus.IN_REVIEW, Story.text_enc.is_not(None)))


def _size_label(stories: int, letters: int) -> str:
    return f"{stories:,} stories / {letters:,} letters"


def bench_pages(sizes: tuple[tuple[int, int], ...] = SIZES, runs: int = 7) -> Iterator[tuple[str, str]]:
    """Each page's AppTest run time against a trivial page, at each (stories, letters) size."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from bench.seed import seed
    from portal.accounts import add_moderator
    from portal.config import load_config
    from portal.runtime import open_runtime
    from stories.moderation import status_counts
    from web.dashboard_view import FIGURES_TTL_SECONDS, dashboard_figures
    from web.my_story_view import CODE
    from web.queue_view import COUNTS_TTL_SECONDS

    saved = dict(os.environ)
    with tempfile.TemporaryDirectory(prefix="portal-bench-pages-") as tmp:
        os.environ.update(_environ(Path(tmp)))
        st.cache_resource.clear()
        st.cache_data.clear()
        try:
            runtime = open_runtime(load_config())
            add_moderator(runtime, MODERATOR, PASSWORD, is_admin=False)
            add_moderator(runtime, ADMIN, PASSWORD, is_admin=True)
            first: dict[str, Timing] = {}
            receipt_code = None
            for stories, letters in sizes:
                size = _size_label(stories, letters)
                seeded = seed(runtime, stories=stories, letters=letters)
                receipt_code = receipt_code or seeded.receipt_code
                yield f"seeding to {size}", f"{seeded.seconds:.1f} s to add the rows"
                st.cache_data.clear()  # figures cached at the smaller size must not be shown
                review_story = _story_to_review(runtime)

                trivial = _time_page(lambda: AppTest.from_string(TRIVIAL), {}, runs)
                yield (f"trivial Streamlit page, {size}",
                       f"{trivial.fresh * 1000:.0f} ms (script alone {trivial.script * 1000:.1f} ms)")
                for case in PAGES:
                    state: dict = {}
                    if case.who:
                        state = _signed_in_state(case.file, case.who, review_story=(
                            review_story if case.file == "review.py" else None))
                    if case.file == "my_story.py":
                        state = {CODE: receipt_code}
                    timing = _time_page(lambda: AppTest.from_file(
                        str(ROOT / "pages" / case.file), default_timeout=120), state, runs)
                    yield f"{case.label}, {size}", _figure(timing, trivial, first.get(case.label),
                                                           f"{sizes[0][0]:,}-story")
                    first.setdefault(case.label, timing)
                yield (f"dashboard figures and story counts computed afresh (at most once per "
                       f"{FIGURES_TTL_SECONDS} s and {COUNTS_TTL_SECONDS} s per server process), {size}",
                       f"{median_time(lambda: (dashboard_figures(runtime), status_counts(runtime)), 3) * 1000:.0f} ms")
            runtime.db.dispose()
        finally:
            st.cache_resource.clear()  # the cached runtime holds the database about to be removed
            st.cache_data.clear()
            os.environ.clear()
            os.environ.update(saved)


def _figure(timing: Timing, trivial: Timing, smaller: Timing | None, smaller_name: str) -> str:
    ratio = timing.fresh / trivial.fresh
    text = (f"{timing.fresh * 1000:.0f} ms ({ratio:.2f}x trivial, target ≤{TARGET:g}x: "
            f"{'met' if ratio <= TARGET else 'missed'}")
    if smaller is not None:
        text += f"; {timing.fresh / smaller.fresh:.2f}x the {smaller_name} figure"
    text += (f") · script alone {timing.script * 1000:.1f} ms "
             f"({timing.script / trivial.script:.1f}x the trivial script")
    if smaller is not None:
        text += f"; {timing.script / smaller.script:.2f}x the {smaller_name} figure"
    return text + ")"
