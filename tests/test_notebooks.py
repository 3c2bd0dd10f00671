"""The notebooks themselves: notebooks/ is the build of solutions/ (nbval executes both, from the Makefile).

nbval: `COURSE_PROFILE=quick pytest --nbval-lax --nbval-current-env solutions notebooks` runs every
notebook top to bottom; the student versions run thanks to the checks' fallback to the reference.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from course_lib.tooling.authoring import exercise_of, read_notebook

ROOT = Path(__file__).resolve().parents[1]


def test_course_build_check_passes_on_the_repository():
    done = subprocess.run([sys.executable, "-m", "course_lib.tooling.cli", "build", "--check", "--root", str(ROOT)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "up to date" in done.stdout


def test_every_student_notebook_has_its_exercises_as_stubs():
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        nb = read_notebook(path)
        assert nb.metadata["course"]["chapter"] == path.name[:2], path.name
        for cell in nb.cells:
            if exercise_of(cell):
                assert "raise NotImplementedError()" in cell.source and "BEGIN SOLUTION" not in cell.source, path.name
