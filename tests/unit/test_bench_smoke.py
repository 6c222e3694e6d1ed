"""The page and export benchmarks run end to end at tiny sizes, so their code cannot rot unseen.

The figures themselves are not judged here (a busy test machine says nothing about speed); each
row must be there, and say what it measured with a figure that makes sense.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from bench.exports import bench_docx, bench_xlsx
from bench.pages import PAGES, bench_pages
from bench.seed import seed
from letters.models import CampaignTally, Letter, OutboxMessage
from stories.intake import submit_story
from stories.models import Story, StoryTerm
from stories.withdrawal import story_status
from tests.unit.story_fixtures import submission

MS = r"(\d+) ms"
RATIO = r"(\d+\.\d+)x"


def rows_of(benchmark) -> dict[str, str]:
    rows = dict(benchmark)
    assert rows and all(isinstance(v, str) and v for v in rows.values())
    return rows


def test_the_seed_fills_a_consistent_database(runtime):
    seeded = seed(runtime, stories=60, letters=150)
    seeded = seed(runtime, stories=90, letters=200)  # grows in place, as the page benchmark does
    assert (seeded.stories, seeded.letters) == (90, 200)
    with runtime.db.session() as s:
        assert s.scalar(select(func.count()).select_from(Story)) == 90
        assert s.scalar(select(func.count()).select_from(Letter)) == 200
        assert s.scalar(select(func.sum(CampaignTally.letters))) == 200
        # One outbox row per office the letter's campaign writes to.
        per_letter = {n for n, in s.execute(select(func.count()).select_from(OutboxMessage)
                                            .group_by(OutboxMessage.letter_id))}
        assert per_letter and min(per_letter) >= 1
        assert s.scalar(select(func.count(func.distinct(Story.status)))) >= 4
        assert s.scalar(select(func.count()).select_from(StoryTerm)) > 90
    assert story_status(runtime, seeded.receipt_code) is not None
    # The portal's own inserts carry on after the seeded ids (PostgreSQL's sequences too).
    assert submit_story(runtime, submission()).story_id > 90


def test_the_page_benchmark_times_every_page_at_each_size(monkeypatch):
    rows = rows_of(bench_pages(sizes=((30, 60), (40, 90)), runs=1))
    for case in PAGES:
        small = rows[f"{case.label}, 30 stories / 60 letters"]
        large = rows[f"{case.label}, 40 stories / 90 letters"]
        assert re.match(rf"{MS} \({RATIO} trivial, target ≤2x: (met|missed)\)", small), small
        assert re.match(rf"{MS} \({RATIO} trivial, target ≤2x: (met|missed); {RATIO} the 30-story "
                        rf"figure\) · script alone", large), large
        assert float(re.match(MS, large).group(1)) > 0
    assert any(label.startswith("trivial Streamlit page") for label in rows)
    assert any(label.startswith("seeding to 40 stories") for label in rows)


@pytest.mark.parametrize("name", ["xlsx", "docx"])
def test_the_export_benchmarks_write_the_files_and_measure_them(name):
    if name == "xlsx":
        rows = rows_of(bench_xlsx(sizes=(20, 40), runs=1))
        timing = rows["XLSX press export of 40 stories vs raw write-only openpyxl, same cells"]
        assert re.match(rf"\d+\.\d s vs \d+\.\d s: {RATIO} \(target ≤1.5x: (met|missed)\)", timing), timing
        memory = rows["XLSX press export of 40 stories: peak memory added (child process)"]
        assert re.fullmatch(r"\d+\.\d MiB", memory), memory
        assert "XLSX peak memory, 40 vs 20 stories" in rows
    else:
        rows = rows_of(bench_docx(stories=15, runs=1))
        figure = rows["DOCX press kit of 15 stories"]
        assert re.match(r"\d+\.\d s \(target ≤20 s: met\); [\d,]+ stories/s", figure), figure
