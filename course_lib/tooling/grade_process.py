"""One submission graded in a process of its own (what ``course grade --jobs N`` starts N of at a time).

``python -m course_lib.tooling.grade_process NOTEBOOK RESULT.json [--learner NAME] [--hide DIR]...``
grades NOTEBOOK exactly as ``grade_notebook`` does (each exercise in its own sandboxed worker) and
writes the ``NotebookGrade`` as JSON to RESULT.json, atomically, so a process that dies leaves no half
file. A separate process per submission means that a grader that crashes, hangs or runs out of memory
on one submission costs that submission only. SIGTERM stops it cleanly: the running worker is killed.
"""
from __future__ import annotations

import argparse
import json
import signal
import sys
from pathlib import Path

from .grading import DEFAULT_TIMEOUT, grade_notebook
from .sandbox import Sandbox

SALT_VARIABLE = "COURSE_GRADING_SALT"
"""The grading salt comes in this environment variable, never on the command line: a process's command line
is readable by every user of the machine (the learner's code included), its environment only by its own user."""


def salt_from_environment() -> int | None:
    """The salt ``course grade`` chose for this run (``None``: draw one)."""
    import os

    text = os.environ.get(SALT_VARIABLE, "").strip()
    return int(text) if text else None


def _stop(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def write_json(path: Path, data: object) -> None:
    """``path`` gets the whole of ``data`` or stays as it was (``atomic_write``)."""
    from ..data.layers import atomic_write

    atomic_write(path, lambda tmp: tmp.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_lib.tooling.grade_process")
    parser.add_argument("notebook", type=Path)
    parser.add_argument("result", type=Path)
    parser.add_argument("--learner", default="")
    parser.add_argument("--source-dir", type=Path, default=None)
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT)
    parser.add_argument("--threads", type=int, default=2, help="CPU threads for this grader and its workers")
    parser.add_argument("--hide", type=Path, action="append", default=[], help="a folder no worker may see")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _stop)
    import torch

    torch.set_num_threads(max(1, args.threads))
    from .grading import default_source_dir

    source_dir = args.source_dir or default_source_dir()
    sandbox = Sandbox(hidden=[source_dir, args.notebook.resolve().parent, *args.hide], threads=max(1, args.threads))
    try:
        grade = grade_notebook(args.notebook, source_dir, args.timeout, sandbox, salt=salt_from_environment())
    finally:
        sandbox.cleanup()
    grade.learner = args.learner
    write_json(args.result, grade.to_dict())
    return 0


if __name__ == "__main__":
    sys.exit(main())
