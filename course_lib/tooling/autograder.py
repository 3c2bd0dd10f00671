"""``course autograder [--chapters 02 03] --out autograder.zip``: the course as a Gradescope autograder.

The zip follows Gradescope's autograder specification: Gradescope unpacks it into
``/autograder/source``, runs ``setup.sh`` once to build the image (Python, a CPU build of torch and
torchvision from PyTorch's package index, then this course, editable, so that the library and its hidden
cases stay in ``source/`` where the sandbox hides them from every worker), and runs ``run_autograder``
for each submission. That grades ``/autograder/submission/*.ipynb`` (one notebook per chapter of the
assignment) exactly as ``course grade`` does and writes ``/autograder/results/results.json``: two tests
per exercise (the visible checks, shown at once; the hidden ones, ``after_published``), the top-level
``visibility``, ``stdout_visibility`` and ``execution_time``. A missing notebook, or one of another
chapter, scores 0 on every exercise of its chapter, and the output says what was expected.

``COURSE_AUTOGRADER_ROOT`` moves the root (``/autograder``), and ``COURSE_AUTOGRADER_PYTHON`` the Python
``run_autograder`` uses; the tests use both to run the zip in a temporary folder.
"""
from __future__ import annotations

import argparse
import io
import os
import stat
import sys
import time
import zipfile
from pathlib import Path
from typing import Any, Sequence

from .authoring import NotebookReadError, chapter_of, read_notebook
from .grading import DEFAULT_TIMEOUT, NotebookGrade, gradescope_results, not_graded, plan_exercises

REPO = Path(__file__).resolve().parents[2]
FILES = ("pyproject.toml", "README.md")
TORCH_INDEX = "https://download.pytorch.org/whl/cpu"

SETUP_SH = f"""#!/usr/bin/env bash
# Gradescope runs this once, as root, in /autograder/source, to build the autograder's image.
set -euo pipefail
ROOT="${{COURSE_AUTOGRADER_ROOT:-/autograder}}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq python3 python3-venv python3-pip util-linux >/dev/null
python3 -m venv "$ROOT/venv"
"$ROOT/venv/bin/pip" install --quiet --upgrade pip
# a CPU build of torch and torchvision, from PyTorch's package index, installed together so their versions match
"$ROOT/venv/bin/pip" install --quiet torch torchvision --index-url {TORCH_INDEX}
# the course itself, editable: the library and its hidden cases stay in source/, which the sandbox hides
"$ROOT/venv/bin/pip" install --quiet -e "$ROOT/source"
"$ROOT/venv/bin/python" -c "import course_lib.tooling.autograder"
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for each submission: it grades /autograder/submission/*.ipynb into
# /autograder/results/results.json (COURSE_AUTOGRADER_ROOT moves /autograder).
set -uo pipefail
ROOT="${COURSE_AUTOGRADER_ROOT:-/autograder}"
PYTHON="${COURSE_AUTOGRADER_PYTHON:-$ROOT/venv/bin/python}"
cd "$ROOT/source" || exit 1
export COURSE_PROGRESS=0 MPLBACKEND=Agg
exec "$PYTHON" -m course_lib.tooling.autograder run --root "$ROOT"
"""


class AutograderError(ValueError):
    """The autograder zip cannot be built as asked (an unknown chapter, say)."""


def chapters_available(source_dir: Path) -> dict[str, Path]:
    """{chapter: instructor notebook} for ``solutions/NN_*.ipynb``."""
    return {p.name.split("_", 1)[0]: p for p in sorted(source_dir.glob("[0-9][0-9]_*.ipynb"))}


def _add(zf: zipfile.ZipFile, name: str, data: bytes, executable: bool = False) -> None:
    info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
    info.external_attr = ((0o755 if executable else 0o644) | stat.S_IFREG) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(info, data)


def build_autograder(out: Path, chapters: Sequence[str] | None = None, repo: Path = REPO) -> list[str]:
    """Write the autograder zip to ``out`` for ``chapters`` (default: all); returns the chapters it grades."""
    available = chapters_available(repo / "solutions")
    chosen = [c.zfill(2) for c in chapters] if chapters else list(available)
    unknown = [c for c in chosen if c not in available]
    if unknown:
        raise AutograderError(f"no chapter {', '.join(unknown)} in {repo / 'solutions'}; the chapters are {', '.join(available)}")
    out.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        _add(zf, "setup.sh", SETUP_SH.encode(), executable=True)
        _add(zf, "run_autograder", RUN_AUTOGRADER.encode(), executable=True)
        _add(zf, "chapters.txt", ("\n".join(chosen) + "\n").encode())
        for name in FILES:
            if (repo / name).is_file():
                _add(zf, name, (repo / name).read_bytes())
        for path in sorted((repo / "course_lib").rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                _add(zf, path.relative_to(repo).as_posix(), path.read_bytes())
        for chapter in chosen:
            _add(zf, f"solutions/{available[chapter].name}", available[chapter].read_bytes())
    out.write_bytes(buffer.getvalue())
    return chosen


# ---------------------------------------------------------------- inside Gradescope

def _missing(chapter: str, source: Path, why: str) -> NotebookGrade:
    from nbformat.v4 import new_notebook

    plan = plan_exercises(read_notebook(source), new_notebook())
    return NotebookGrade(f"(chapter {chapter})", chapter, [not_graded(p, why) for p in plan], error=why, learner="submission")


def run(root: Path, timeout: float = DEFAULT_TIMEOUT, out: Any = None) -> dict[str, Any]:
    """Grade ``root/submission`` against the chapters in ``root/source``; write ``root/results/results.json``."""
    from .classroom import grade_submissions
    from .grade_process import write_json
    from .submissions import Submission

    out = out or sys.stdout
    source, submission, results_dir = root / "source", root / "submission", root / "results"
    started = time.perf_counter()
    available = chapters_available(source / "solutions")
    wanted = [c.strip() for c in (source / "chapters.txt").read_text().split()] if (source / "chapters.txt").is_file() else list(available)
    notebooks = sorted(p for p in submission.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts) if submission.is_dir() else []
    notes: list[str] = []
    chosen: dict[str, Path] = {}
    for path in notebooks:
        name = path.relative_to(submission)
        try:
            chapter = chapter_of(read_notebook(path))
        except NotebookReadError as err:
            notes.append(f"{name} could not be read: {str(err).split(': ', 1)[-1]}")
            continue
        if chapter not in wanted:
            notes.append(f"{name} is {'chapter ' + chapter if chapter else 'not a notebook of the course'}; "
                         f"this assignment grades chapter{'s' if len(wanted) > 1 else ''} {', '.join(wanted)}")
        elif chapter in chosen:
            notes.append(f"{name} is a second notebook of chapter {chapter}: {chosen[chapter].relative_to(submission)} was graded")
        else:
            chosen[chapter] = path
    if not notebooks:
        notes.append(f"no notebook (.ipynb) in your submission: upload the notebook of chapter {', '.join(wanted)}")
    found = [c for c in wanted if c in chosen]
    submissions = [Submission(f"chapter-{c}", chosen[c], submission) for c in found]
    graded = dict(zip(found, grade_submissions(submissions, source / "solutions", timeout, jobs=1))) if submissions else {}
    grades = []
    for chapter in wanted:
        if chapter in graded:
            grade = graded[chapter]
            if not grade.exercises:  # not graded at all: every exercise still shows, with 0 and the reason
                grade.exercises = _missing(chapter, available[chapter], grade.error or "not graded").exercises
        else:
            grade = _missing(chapter, available[chapter], f"no notebook of chapter {chapter} in your submission: all its exercises score 0")
        grades.append(grade)
        print(grade.table(), file=out)
        for flag in grade.flags:
            print(f"  ! {flag}", file=out)
    data = gradescope_results(grades, notes)
    data["execution_time"] = round(time.perf_counter() - started, 1)
    results_dir.mkdir(parents=True, exist_ok=True)
    write_json(results_dir / "results.json", data)
    print(f"score {data['score']} of {sum(t['max_score'] for t in data['tests']):g}; wrote {results_dir / 'results.json'}", file=out)
    return data


def autograder_main(args: Any) -> int:
    """Entry point of ``course autograder``."""
    try:
        chosen = build_autograder(Path(args.out), args.chapters)
    except AutograderError as err:
        print(f"course autograder: {err}", file=sys.stderr)
        return 2
    print(f"wrote {args.out}: a Gradescope autograder for chapter{'s' if len(chosen) > 1 else ''} {', '.join(chosen)}.\n"
          f"Upload it under the assignment's 'Configure Autograder' (Ubuntu base image); learners upload their .ipynb.")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_lib.tooling.autograder")
    sub = parser.add_subparsers(dest="command", required=True)
    runner = sub.add_parser("run", help="grade the submission (what run_autograder does)")
    runner.add_argument("--root", type=Path, default=Path(os.environ.get("COURSE_AUTOGRADER_ROOT", "/autograder")))
    runner.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT)
    args = parser.parse_args(argv)
    run(args.root, args.timeout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
