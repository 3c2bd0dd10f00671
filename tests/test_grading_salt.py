"""The grading salt: graded cases draw their inputs with a salt only the judge knows, recorded for the instructor.

A learner's copy of the library runs the hidden cases too, so inputs fixed once and for all could be answered from
a table recorded at home (``memorised_outputs`` in ``test_grading_adversarial.py``). Each grading run draws a fresh
salt in the judge; the cases mix it into every seed; the worker only ever sees the inputs drawn with it.
"""
from __future__ import annotations

import io
import json
from pathlib import Path

import nbformat
import pytest

from course_lib.tooling import classroom, grading, sandbox as sandbox_module
from course_lib.tooling.grade_process import SALT_VARIABLE
from course_lib.tooling.grading import NotebookGrade, grade_notebook
from course_lib.tooling.sandbox import Sandbox

ROOT = Path(__file__).resolve().parents[1]
STUDENT, SOURCES = ROOT / "notebooks" / "00_start_here.ipynb", ROOT / "solutions"
TIMEOUT = 25
SALT, OTHER = 3_141_592_653_589_793_238, 2_718_281_828_459_045_235  # both below 2**62, as drawn ones are
# 0.1 divides by 256: every case on pixel values fails it, with a message that names values of the inputs
CELLS = {"0.1": "def normalize_images(x):\n    return x.float() / 256", "0.2": "def flatten_images(x):\n    return x.reshape(len(x), -1)"}


def _submission(path: Path) -> Path:
    nb = nbformat.read(STUDENT, as_version=4)
    for cell in nb.cells:
        exercise = cell.metadata.get("course", {}).get("exercise")
        if exercise in CELLS:
            cell.source = CELLS[exercise]
    nbformat.write(nb, path)
    return path


def _outcomes(grade: NotebookGrade) -> list[tuple[str, str, bool, str]]:
    return [(e.id, c.name, c.passed, c.message) for e in grade.exercises for c in e.cases]


def _salt_in(data: bytes, salt: int) -> bool:
    return any(form in data for form in (str(salt).encode(), salt.to_bytes(8, "little"), salt.to_bytes(8, "big"),
                                         hex(salt).encode()))


@pytest.fixture(scope="module")
def regraded(tmp_path_factory):
    """One submission graded three times in one sandbox: twice with SALT, once with OTHER; every frame sent to a
    worker, and every worker's command line and environment, recorded."""
    path = _submission(tmp_path_factory.mktemp("salt") / "learner.ipynb")
    sent: list[bytes] = []
    started: list[tuple[list[str], dict[str, str]]] = []
    patch = pytest.MonkeyPatch()
    write_frame, popen = sandbox_module.write_frame, sandbox_module.subprocess.Popen

    def recording_write_frame(fd, payload):
        sent.append(bytes(payload))
        return write_frame(fd, payload)

    def recording_popen(command, *args, **kwargs):
        started.append((list(map(str, command)), dict(kwargs.get("env") or {})))
        return popen(command, *args, **kwargs)

    patch.setattr(sandbox_module, "write_frame", recording_write_frame)
    patch.setattr(sandbox_module.subprocess, "Popen", recording_popen)
    box = Sandbox(hidden=[SOURCES, path.parent])
    try:
        grades = [grade_notebook(path, SOURCES, TIMEOUT, box, salt=salt) for salt in (SALT, SALT, OTHER)]
    finally:
        box.cleanup()
        patch.undo()
    return grades, sent, started


def test_the_grade_record_carries_the_salt_and_the_learners_results_do_not(regraded):
    first = regraded[0][0]
    assert first.salt == SALT and first.to_dict()["salt"] == SALT
    assert NotebookGrade.from_dict(json.loads(json.dumps(first.to_dict()))).salt == SALT  # what a grading process writes
    assert not _salt_in(json.dumps(first.gradescope()).encode(), SALT)  # Gradescope's results.json: the learner's
    assert first.exercises and all(e.cases for e in first.exercises), first.table()


def test_a_regrade_with_the_same_salt_gives_the_same_case_outcomes_and_another_salt_other_inputs(regraded):
    first, again, other = regraded[0]
    assert _outcomes(first) == _outcomes(again)
    assert [e.score for e in first.exercises] == [e.score for e in other.exercises] == [0.86, 1.0]  # 3 of 0.1's 7 cases pass /256
    assert _outcomes(first) != _outcomes(other)  # "element k: a instead of b" names values of other inputs


def test_the_salt_is_never_sent_to_the_worker(regraded):
    _, sent, started = regraded
    assert sent and started
    for salt in (SALT, OTHER):
        assert not any(_salt_in(payload, salt) for payload in sent)
        assert not any(salt_text in " ".join(command) or salt_text in " ".join(env.values())
                       for command, env in started for salt_text in (str(salt), hex(salt)))


def test_without_a_salt_each_grading_run_draws_a_fresh_one(monkeypatch, tmp_path):
    drawn = []

    def randbits(k):
        drawn.append(k)
        return 12345 + len(drawn)

    monkeypatch.setattr(grading.secrets, "randbits", randbits)
    assert grading.draw_salt() == 12346 and drawn == [62]
    empty = tmp_path / "empty.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")], metadata={"course": {"chapter": "00"}}), empty)
    assert grade_notebook(empty, SOURCES, TIMEOUT).salt == 12347  # nothing to grade, and still a salt of its own


def test_course_grade_passes_its_salt_to_the_grading_process_in_the_environment_not_the_command_line(monkeypatch, tmp_path):
    """A process's command line is readable by any user (the learner's code too); its environment is not."""
    path = _submission(tmp_path / "learner.ipynb")
    seen: list[tuple[list[str], dict[str, str]]] = []
    popen = classroom.subprocess.Popen

    def recording_popen(command, *args, **kwargs):
        seen.append((list(map(str, command)), dict(kwargs.get("env") or {})))
        return popen(command, *args, **kwargs)

    monkeypatch.setattr(classroom.subprocess, "Popen", recording_popen)
    out = io.StringIO()
    (graded,) = classroom.grade([path], SOURCES, timeout=TIMEOUT, out=out, salt=SALT)
    assert graded.salt == SALT and graded.error is None, graded.table()
    assert [e.score for e in graded.exercises] == [0.86, 1.0]
    ((command, env),) = seen
    assert env[SALT_VARIABLE] == str(SALT) and str(SALT) not in " ".join(command)
    assert f"salt {SALT}" in out.getvalue()  # the instructor's output names it, to regrade with


def test_the_course_grade_command_takes_a_salt(monkeypatch):
    from course_lib.tooling.cli import main

    calls = []
    monkeypatch.setattr(classroom, "grade", lambda *args, **kwargs: calls.append(kwargs) or [])
    assert main(["grade", "some.ipynb", "--salt", "77"]) == 0
    assert calls[-1]["salt"] == 77
    main(["grade", "some.ipynb"])
    assert calls[-1]["salt"] is None
