"""course grade, end to end on notebook 00 (two exercises: 0.1 worth 2 points, 0.2 worth 1).

The learners' notebooks are graded once per module (a worker per exercise is the slow part). The
attacks on the grader are in tests/test_grading_adversarial.py.
"""
from __future__ import annotations

import csv
import hashlib
import html
import io
import json
from argparse import Namespace
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from course_lib.tooling.authoring import read_notebook
from course_lib.tooling.classroom import grade, grade_main
from course_lib.tooling.grading import exercise_program, plan_exercises

ROOT = Path(__file__).resolve().parents[1]
SOLUTION, STUDENT = ROOT / "solutions" / "00_start_here.ipynb", ROOT / "notebooks" / "00_start_here.ipynb"
STUB = "    # YOUR CODE HERE\n    raise NotImplementedError()"
TIMEOUT = 25  # seconds per case: far above the slowest case of notebook 00 on a busy machine


def learner(path: Path, edit=None) -> Path:
    """A copy of the student notebook, edited by ``edit(exercise_id, cells, index)`` for each exercise cell."""
    nb = nbformat.read(STUDENT, as_version=4)
    for index, cell in enumerate(nb.cells):
        exercise = cell.metadata.get("course", {}).get("exercise")
        if exercise and edit:
            edit(exercise, nb.cells, index)
    nbformat.write(nb, path)
    return path


def solve_first_loop_second(exercise, cells, index):
    body = "    return x.float() / 255" if exercise == "0.1" else "    while True:\n        pass"
    cells[index].source = cells[index].source.replace(STUB, body)


def cheat(exercise, cells, index):
    if exercise == "0.1":  # keep the stub, but make `check` hand back the reference
        cells[index].source += ("\n\ndef check(exercise_id, answer):\n    from course_lib.exercises import get\n"
                                "    print('passed')\n    return get(exercise_id).reference\n")
    else:  # hand in the reference itself and replace the check cell
        cells[index].source = "from course_lib.exercises.ch00 import flatten_images"
        cells[index + 1].source = 'print("passed")'


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder, results = tmp_path_factory.mktemp("submissions"), tmp_path_factory.mktemp("results")
    (folder / "alice.ipynb").write_bytes(SOLUTION.read_bytes())  # submissions get renamed
    paths = [folder / "alice.ipynb", learner(folder / "bob.ipynb"), learner(folder / "dave.ipynb", solve_first_loop_second),
             learner(folder / "eve.ipynb", cheat)]
    (folder / "broken.ipynb").write_text('{"cells": [')
    (folder / "not_a_notebook.ipynb").write_text('{"hello": "world"}')
    nbformat.write(new_notebook(cells=[new_code_cell("print(1)")], metadata={"course": {"chapter": "00"}}), folder / "empty.ipynb")
    paths += [folder / "broken.ipynb", folder / "not_a_notebook.ipynb", folder / "empty.ipynb"]
    digests = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}
    out = io.StringIO()
    grades = grade([folder], ROOT / "solutions", timeout=TIMEOUT, json_path=results / "results.json", out=out, jobs=2,
                   gradebook=results / "grades.csv", feedback=results / "feedback")
    return {g.learner: g for g in grades}, out.getvalue(), results, digests


def scores(grade_) -> dict[str, float]:
    return {e.id: e.score for e in grade_.exercises}


def test_a_solution_notebook_scores_full_marks(graded):
    alice = graded[0]["alice"]
    assert alice.chapter == "00" and alice.error is None
    assert scores(alice) == {"0.1": 2.0, "0.2": 1.0} and alice.score == alice.max_score == 3


def test_the_untouched_student_notebook_scores_zero_and_grading_completes(graded):
    bob = graded[0]["bob"]
    assert bob.error is None and bob.execution_time > 0
    assert scores(bob) == {"0.1": 0.0, "0.2": 0.0}
    assert all("not done yet" in e.feedback for e in bob.exercises)


def test_one_solved_exercise_scores_its_points_and_an_endless_loop_is_stopped(graded):
    dave = graded[0]["dave"]
    assert scores(dave) == {"0.1": 2.0, "0.2": 0.0}
    assert "time limit" in dave.exercises[1].feedback


def test_a_replaced_check_cell_and_a_redefined_check_gain_nothing(graded):
    eve = graded[0]["eve"]
    assert scores(eve) == {"0.1": 0.0, "0.2": 0.0}
    assert "not done yet" in eve.exercises[0].feedback
    assert "does not define flatten_images" in eve.exercises[1].feedback
    assert "not available while your answer is graded" in eve.exercises[1].feedback


def test_corrupt_files_and_notebooks_without_exercises_are_reported(graded):
    grades = graded[0]
    assert "not valid JSON" in grades["broken"].error
    assert "not a Jupyter notebook" in grades["not_a_notebook"].error
    assert "no exercise cells found" in grades["empty"].error and grades["empty"].score == 0


def test_the_score_tables_and_one_row_per_learner(graded):
    out = graded[1]
    assert "0.1 normalize_images       2    2.00  passed 7 of 7 checks" in out
    summary = out[out.index("learner"):]
    assert all(name in summary for name in ["alice", "bob", "dave", "eve", "broken", "not_a_notebook", "empty"])


def hidden_case_names(exercise_id: str) -> list[str]:
    from course_lib.exercises import get
    from course_lib.exercises.registry import _case_name

    exercise = get(exercise_id)
    return [_case_name(case) for case in exercise.cases(hidden=True)[len(exercise.visible_cases):]]


def test_results_json_follows_gradescope(graded):
    folder = graded[2]
    results = json.loads((folder / "results-dave.json").read_text())
    assert results["score"] == 2.0 and results["execution_time"] > 0
    assert results["visibility"] == "visible" and results["stdout_visibility"] == "hidden"
    tests = [(t["number"], t["score"], t["max_score"], t["status"], t["visibility"]) for t in results["tests"]]
    assert [t[0] for t in tests] == ["0.1.v", "0.1.h", "0.2.v", "0.2.h"]
    assert [t[4] for t in tests] == ["visible", "after_published"] * 2
    assert tests[0][1] + tests[1][1] == tests[0][2] + tests[1][2] == 2.0 and tests[0][3] == tests[1][3] == "passed"
    assert tests[2][1] + tests[3][1] == 0 and tests[2][2] + tests[3][2] == 1.0 and tests[2][3] == tests[3][3] == "failed"
    assert all(t["name"] and t["output"] for t in results["tests"])
    assert "time limit" in results["tests"][2]["output"]
    broken = json.loads((folder / "results-broken.json").read_text())
    assert broken["score"] == 0 and broken["tests"] == [] and "not valid JSON" in broken["output"]


def test_a_visible_test_never_names_a_hidden_case(graded):
    folder = graded[2]
    hidden = [name for exercise_id in ("0.1", "0.2") for name in hidden_case_names(exercise_id)]
    assert hidden
    for learner_ in ("alice", "bob", "dave", "eve"):
        results = json.loads((folder / f"results-{learner_}.json").read_text())
        for test in results["tests"]:
            if test["visibility"] == "visible":
                assert not any(name in test["output"] for name in hidden), test


def test_the_gradebook_has_one_row_per_learner_whose_totals_match(graded):
    grades, folder = graded[0], graded[2]
    with open(folder / "grades.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["learner"] for r in rows] == ["alice", "bob", "broken", "dave", "empty", "eve", "not_a_notebook"]
    assert list(rows[0])[:3] == ["learner", "notebook", "chapter"] and list(rows[0])[-3:] == ["total", "max", "note"]
    for row in rows:
        g = grades[row["learner"]]
        assert float(row["total"]) == g.score and float(row["max"]) == g.max_score
        assert sum(float(row[e.id]) for e in g.exercises) == pytest.approx(g.score)
    assert rows[0]["0.1"] == "2" and rows[0]["0.2"] == "1" and rows[0]["total"] == "3" and "flagged" in rows[0]["note"]
    assert "not valid JSON" in rows[2]["note"] and rows[2]["0.1"] == ""


def test_the_feedback_pages_show_scores_and_code_and_keep_hidden_names_back(graded):
    grades, folder = graded[0], graded[2]
    pages = sorted(p.stem for p in (folder / "feedback").glob("*.html"))
    assert pages == sorted(grades)
    dave = (folder / "feedback" / "dave.html").read_text()
    assert 'id="scores"' in dave and "2 of 3 points" in dave and "while True:" in dave
    assert not any(html.escape(name) in dave for e in ("0.1", "0.2") for name in hidden_case_names(e))
    assert "Hidden checks:" in dave and "flagged" not in (folder / "feedback" / "alice.html").read_text()
    from course_lib.tooling.feedback import feedback_page

    published = feedback_page(grades["dave"], publish_hidden=True)
    assert all(html.escape(name) in published for name in hidden_case_names("0.1"))


def test_a_learners_code_is_shown_escaped_never_as_html():
    from course_lib.tooling.feedback import feedback_page
    from course_lib.tooling.grading import ExerciseScore, NotebookGrade

    code = "def f(x):\n    return '<script>alert(1)</script>'"
    page = feedback_page(NotebookGrade("x.ipynb", "00", [ExerciseScore("0.1", "f", 1, 0, "", code=code)], learner="<b>mallory</b>"))
    assert "<script>" not in page and "&lt;script&gt;" in page and "<b>mallory" not in page


def test_the_class_summary_names_pass_rates_median_and_slowest(graded):
    out, folder = graded[1], graded[2]
    summary = (folder / "class-summary.txt").read_text()
    assert summary.strip() in out
    assert "chapter 00: 5 graded; median score 0 of 3" in summary
    assert "0.1 normalize_images" in summary and "hardest first" in summary and "slowest submissions" in summary


def test_the_learners_files_are_never_modified(graded):
    assert all(hashlib.sha256(p.read_bytes()).hexdigest() == digest for p, digest in graded[3].items())


def test_only_exercise_cells_are_taken_from_the_learner():
    source, student = read_notebook(SOLUTION), read_notebook(STUDENT)
    for cell in student.cells:
        if cell.cell_type == "code" and not cell.metadata.get("course"):
            cell.source = "raise SystemExit('edited')"
    plan = plan_exercises(source, student)
    assert [p.id for p in plan] == ["0.1", "0.2"] and all(p.found == 1 for p in plan)
    program = exercise_program(source, plan, 0, {})
    assert not any("edited" in text for _, text in program)
    assert program[-1] == ("exercise 0.1", next(c.source for c in student.cells if c.metadata.get("course")))
    setup = [text for label, text in program if label == "setup"]
    assert setup and all(text.startswith(("import ", "from ")) for text in setup)
    assert not any("check" in text.split("import", 1)[1] for text in setup)  # the learner's answer never sees the checks


def test_an_exercise_that_uses_an_earlier_one_gets_the_learners_answer_or_the_library_fallback():
    source = read_notebook(ROOT / "solutions" / "02_vae_reparameterization.ipynb")
    plan = plan_exercises(source, source)
    elbo = next(i for i, p in enumerate(plan) if p.id == "2.3")
    labels = [label for label, _ in exercise_program(source, plan, elbo, {"2.2": True})]
    assert "exercise 2.2" in labels and labels[-1] == "exercise 2.3"
    fallback = exercise_program(source, plan, elbo, {"2.2": False})
    assert ("setup", "from course_lib.losses.kl import kl_divergence") in fallback
    assert "exercise 2.2" not in [label for label, _ in fallback]


def test_grade_main_reports_a_corrupt_file_and_exits_non_zero(tmp_path, capsys):
    (tmp_path / "sub.ipynb").write_text("not json at all")
    code = grade_main(Namespace(notebooks=[tmp_path / "sub.ipynb"], json=tmp_path / "results.json", timeout=5, source_dir=None))
    assert code == 1 and "not valid JSON" in capsys.readouterr().out
    assert json.loads((tmp_path / "results.json").read_text())["score"] == 0


