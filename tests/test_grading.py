"""course grade, end to end on notebook 00 (two exercises: 0.1 worth 2 points, 0.2 worth 1).

The learners' notebooks are graded once per module (a worker per exercise is the slow part). The
attacks on the grader are in tests/test_grading_adversarial.py.
"""
from __future__ import annotations

import hashlib
import io
import json
from argparse import Namespace
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from course_lib.tooling.authoring import read_notebook
from course_lib.tooling.grading import exercise_program, grade, grade_main, plan_exercises

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
    folder = tmp_path_factory.mktemp("submissions")
    (folder / "alice.ipynb").write_bytes(SOLUTION.read_bytes())  # submissions get renamed
    paths = [folder / "alice.ipynb", learner(folder / "bob.ipynb"), learner(folder / "dave.ipynb", solve_first_loop_second),
             learner(folder / "eve.ipynb", cheat)]
    (folder / "broken.ipynb").write_text('{"cells": [')
    (folder / "not_a_notebook.ipynb").write_text('{"hello": "world"}')
    nbformat.write(new_notebook(cells=[new_code_cell("print(1)")], metadata={"course": {"chapter": "00"}}), folder / "empty.ipynb")
    paths += [folder / "broken.ipynb", folder / "not_a_notebook.ipynb", folder / "empty.ipynb"]
    digests = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}
    out = io.StringIO()
    grades = grade(paths, ROOT / "solutions", timeout=TIMEOUT, json_path=folder / "results.json", out=out)
    return {Path(g.notebook).stem: g for g in grades}, out.getvalue(), folder, digests


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
    assert all(name in summary for name in ["alice.ipynb", "bob.ipynb", "dave.ipynb", "eve.ipynb", "broken.ipynb", "empty.ipynb"])


def test_results_json_follows_gradescope(graded):
    folder = graded[2]
    results = json.loads((folder / "results-dave.json").read_text())
    assert results["score"] == 2.0 and results["execution_time"] > 0
    assert [(t["number"], t["score"], t["max_score"], t["status"]) for t in results["tests"]] == [("0.1", 2.0, 2.0, "passed"), ("0.2", 0.0, 1.0, "failed")]
    assert all(t["name"] and t["output"] for t in results["tests"])
    broken = json.loads((folder / "results-broken.json").read_text())
    assert broken["score"] == 0 and broken["tests"] == [] and "not valid JSON" in broken["output"]


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


