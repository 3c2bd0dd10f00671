"""Every chapter, graded: the instructor's solution scores full marks, the untouched student notebook 0."""
from __future__ import annotations

import io
from pathlib import Path

import pytest

from course_lib.tooling.classroom import grade

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted(p.name for p in (ROOT / "solutions").glob("0*.ipynb"))


@pytest.fixture(scope="module")
def graded():
    paths = [ROOT / "solutions" / name for name in CHAPTERS] + [ROOT / "notebooks" / name for name in CHAPTERS]
    return {(Path(g.notebook).parent.name, Path(g.notebook).name): g
            for g in grade(paths, ROOT / "solutions", timeout=120, out=io.StringIO())}


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_the_solution_scores_full_marks(graded, chapter):
    result = graded["solutions", chapter]
    assert result.error is None and result.exercises
    assert result.score == result.max_score, result.table()


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_the_untouched_student_notebook_scores_zero(graded, chapter):
    result = graded["notebooks", chapter]
    assert result.error is None and result.score == 0, result.table()
    assert all("not done yet" in e.feedback for e in result.exercises), result.table()
