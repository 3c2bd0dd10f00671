"""course release --learners DIR: the learner's copy holds no solution and no hidden case."""
from __future__ import annotations

import re
import subprocess
import sys
from argparse import Namespace
from pathlib import Path

import nbformat
import pytest

from course_lib.exercises import all_exercises
from course_lib.tooling.release import ReleaseError, leaks, release, release_main

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    target = tmp_path_factory.mktemp("learners")
    release(target)
    return target


def _texts(folder: Path):
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        try:
            yield path, path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue


def test_the_release_has_no_solutions_tests_or_history(released):
    top = {p.name for p in released.iterdir()}
    assert {"notebooks", "course_lib", "pyproject.toml", "README.md", "RELEASE.md"} <= top
    assert not top & {"solutions", "tests", "instructor", ".git", ".ci", "benchmarks"}
    notebooks = sorted(p.name for p in (released / "notebooks").glob("*.ipynb"))
    assert notebooks == sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert all((released / "notebooks" / n).read_bytes() == (ROOT / "notebooks" / n).read_bytes() for n in notebooks)


def test_no_file_of_the_release_holds_a_solution_or_names_a_hidden_case(released):
    hidden = {case.__name__ for exercise in all_exercises() for case in exercise.hidden_cases}
    assert len(hidden) > 40  # the instructor's copy has them
    solutions = set()
    for path in (ROOT / "solutions").glob("*.ipynb"):
        for cell in nbformat.read(path, as_version=4).cells:
            for block in re.findall(r"### BEGIN SOLUTION(.*?)### END SOLUTION", cell.source, re.DOTALL):
                solutions |= {line.strip() for line in block.splitlines() if len(line.strip()) >= 25}
    assert len(solutions) > 20
    for path, text in _texts(released):
        found = [name for name in hidden if re.search(rf"\b{name}\b", text)]
        assert not found, f"{path} names hidden cases {found[:3]}"
        if path.suffix == ".ipynb":
            assert "### BEGIN SOLUTION" not in text, path
            exercise_cells = [c.source for c in nbformat.read(path, as_version=4).cells if c.metadata.get("course", {}).get("exercise")]
            assert exercise_cells and not [line for line in solutions if any(line in c for c in exercise_cells)], path
    assert leaks(released) == []


def test_the_released_library_registers_every_exercise_with_visible_cases_only(released):
    code = ("from course_lib.exercises import all_exercises\n"
            "ex = all_exercises()\n"
            "print(len(ex), sum(len(e.hidden_cases) for e in ex), min(len(e.visible_cases) for e in ex))\n"
            "import course_lib; print(course_lib.__file__)")
    out = subprocess.run([sys.executable, "-c", code], cwd=released, env={"PYTHONPATH": str(released), "PATH": "/usr/bin:/bin"},
                         capture_output=True, text=True, check=True).stdout.split()
    assert out[0] == str(len(all_exercises())) and out[1] == "0" and int(out[2]) >= 1
    assert out[3].startswith(str(released))


def test_a_planted_leak_is_found(released, tmp_path):
    copy = tmp_path / "copy"
    (copy / "notebooks").mkdir(parents=True)
    source = (ROOT / "solutions" / "00_start_here.ipynb").read_text(encoding="utf-8")
    (copy / "notebooks" / "00_start_here.ipynb").write_text(source, encoding="utf-8")
    problems = leaks(copy)
    assert any("solution marker" in p for p in problems) and any("line of a solution" in p for p in problems)


def test_a_non_empty_folder_is_refused_unless_forced(tmp_path, capsys):
    (tmp_path / "mine.txt").write_text("keep me")
    assert release_main(Namespace(learners=tmp_path, force=False)) == 1
    assert "not empty" in capsys.readouterr().out and (tmp_path / "mine.txt").read_text() == "keep me"
    with pytest.raises(ReleaseError, match="inside the course"):
        release(ROOT / "release-here")
    assert release_main(Namespace(learners=tmp_path, force=True)) == 0
    assert not (tmp_path / "mine.txt").exists() and (tmp_path / "RELEASE.md").exists()
