"""``course autograder``: the zip follows Gradescope's autograder specification, and ``run_autograder``,
run from the unpacked zip in a temporary root that stands in for /autograder, writes a results.json
that validates against the specification's fields, for a solved, an unsolved, a wrong and a missing
submission (notebook 00: two exercises, the fastest to grade)."""
from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from course_lib.tooling.autograder import AutograderError, build_autograder

ROOT = Path(__file__).resolve().parents[1]
VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}
TEST_FIELDS = {"score", "max_score", "status", "name", "name_format", "number", "output", "output_format", "tags",
               "visibility", "extra_data"}
TOP_FIELDS = {"score", "execution_time", "output", "output_format", "test_output_format", "test_name_format", "visibility",
              "stdout_visibility", "extra_data", "tests", "leaderboard"}


def validate(results: dict) -> None:
    """The fields of Gradescope's results.json, their types and allowed values."""
    assert set(results) <= TOP_FIELDS, set(results) - TOP_FIELDS
    assert isinstance(results["score"], (int, float)) and isinstance(results["execution_time"], (int, float))
    assert results["visibility"] in VISIBILITY and results["stdout_visibility"] in VISIBILITY
    assert isinstance(results.get("output", ""), str)
    for test in results["tests"]:
        assert set(test) <= TEST_FIELDS, set(test) - TEST_FIELDS
        assert isinstance(test["name"], str) and test["name"] and isinstance(test["number"], str)
        assert isinstance(test["score"], (int, float)) and isinstance(test["max_score"], (int, float))
        assert 0 <= test["score"] <= test["max_score"] + 1e-9
        assert test["status"] in ("passed", "failed") and test["visibility"] in VISIBILITY
        assert isinstance(test["output"], str)
    assert results["score"] == pytest.approx(sum(t["score"] for t in results["tests"]), abs=0.011)


@pytest.fixture(scope="module")
def autograder(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("zip") / "autograder.zip"
    assert build_autograder(out, ["0"]) == ["00"]
    return out


def run_autograder(zip_path: Path, root: Path, submission: dict[str, bytes]) -> tuple[dict, str]:
    """Unpack the zip into root/source as Gradescope does, put the submission in place and run run_autograder."""
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(root / "source")
        for info in zf.infolist():
            os.chmod(root / "source" / info.filename, (info.external_attr >> 16) & 0o777)
    (root / "submission").mkdir(parents=True)
    for name, data in submission.items():
        (root / "submission" / name).write_bytes(data)
    env = {**os.environ, "COURSE_AUTOGRADER_ROOT": str(root), "COURSE_AUTOGRADER_PYTHON": sys.executable}
    done = subprocess.run([str(root / "source" / "run_autograder")], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads((root / "results" / "results.json").read_text()), done.stdout


def test_the_zip_holds_what_gradescope_runs_and_the_instructors_cases(autograder):
    with zipfile.ZipFile(autograder) as zf:
        names = set(zf.namelist())
        modes = {i.filename: i.external_attr >> 16 for i in zf.infolist()}
        setup = zf.read("setup.sh").decode()
        chapter00 = zf.read("course_lib/exercises/ch00.py").decode()
    assert {"setup.sh", "run_autograder", "pyproject.toml", "chapters.txt"} <= names
    assert all(modes[n] & stat.S_IXUSR for n in ("setup.sh", "run_autograder"))
    assert [n for n in names if n.startswith("solutions/")] == ["solutions/00_start_here.ipynb"]
    assert "hidden_cases" in chapter00 and not any("__pycache__" in n for n in names)
    assert "download.pytorch.org/whl/cpu" in setup and "torch torchvision" in setup and 'pip" install --quiet -e' in setup


def test_an_unknown_chapter_is_refused_with_the_choices():
    with pytest.raises(AutograderError, match="no chapter 42.*the chapters are 00, 01"):
        build_autograder(Path("/nonexistent/x.zip"), ["42"])


def test_a_solved_submission_gets_full_marks_in_visible_and_hidden_tests(autograder, tmp_path):
    results, log = run_autograder(autograder, tmp_path, {"lab.ipynb": (ROOT / "solutions" / "00_start_here.ipynb").read_bytes()})
    validate(results)
    assert results["score"] == 3 and [t["number"] for t in results["tests"]] == ["0.1.v", "0.1.h", "0.2.v", "0.2.h"]
    assert [t["visibility"] for t in results["tests"]] == ["visible", "after_published"] * 2
    assert all(t["status"] == "passed" for t in results["tests"])
    assert "flagged for the instructor" in log  # the solution is the reference: the instructor's log says so


def test_an_unsolved_submission_scores_zero_and_says_not_done(autograder, tmp_path):
    results, _ = run_autograder(autograder, tmp_path, {"lab.ipynb": (ROOT / "notebooks" / "00_start_here.ipynb").read_bytes()})
    validate(results)
    assert results["score"] == 0 and len(results["tests"]) == 4
    assert all(t["status"] == "failed" and "not done yet" in t["output"] for t in results["tests"])


def test_a_wrong_chapter_or_an_empty_submission_scores_zero_with_the_reason(autograder, tmp_path):
    wrong, _ = run_autograder(autograder, tmp_path / "wrong", {"lab.ipynb": (ROOT / "notebooks" / "02_vae_reparameterization.ipynb").read_bytes()})
    validate(wrong)
    assert wrong["score"] == 0 and sum(t["max_score"] for t in wrong["tests"]) == 3
    assert "is chapter 02; this assignment grades chapter 00" in wrong["output"]
    empty, _ = run_autograder(autograder, tmp_path / "empty", {"notes.txt": b"hello"})
    validate(empty)
    assert empty["score"] == 0 and "no notebook (.ipynb) in your submission" in empty["output"]
