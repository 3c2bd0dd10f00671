"""``course grade NOTEBOOK... [--json results.json] [--timeout SECONDS]``: score learners' notebooks.

For each learner notebook the grader builds a *graded notebook*: the instructor's source
(``solutions/NN_*.ipynb``, the chapter read from the notebook's metadata, never from its file name) with
only the learner's exercise cells taken over; edits anywhere else count for nothing. After each exercise
cell, an injected cell captures the learner's object; at the end, one injected cell per exercise runs the
visible and hidden cases on it (through the grader's own import, so a learner's ``check`` changes nothing)
and hands back a JSON result. The notebook runs in a fresh kernel (``COURSE_PROFILE=quick``), continuing
past errors, with a time limit per cell; a cell that runs too long is interrupted and the rest still runs.
The learner's file is only read.
"""
from __future__ import annotations

import copy
import json
import math
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence, TextIO

import nbformat

from .authoring import NotebookReadError, chapter_of, check_call, exercise_of, read_notebook, strip_solution

MIME = "application/vnd.course.grade+json"
KERNEL_ENV = {"COURSE_PROFILE": "quick", "COURSE_PROGRESS": "0", "MPLBACKEND": "Agg"}
DEFAULT_TIMEOUT = 120.0


# ---------------------------------------------------------------- inside the kernel (called by injected cells)

_captured: dict[str, Any] = {}
_MISSING = object()


def _capture(exercise_id: str, name: str, namespace: dict[str, Any]) -> None:
    """Keep the learner's object before the check cell can replace it; bind the reference if it is missing."""
    from ..exercises import get

    _captured[exercise_id] = namespace.get(name, _MISSING)
    if name not in namespace:
        namespace[name] = get(exercise_id).reference  # so later cells still run


def _report(exercise_id: str) -> None:
    """Run the visible and hidden cases on the captured object; display the result as JSON."""
    from IPython.display import display

    from ..exercises import get, run_cases

    exercise = get(exercise_id)
    answer = _captured.get(exercise_id, _MISSING)
    if answer is _MISSING:
        result = {"n_passed": 0, "total": 1, "summary": f"your exercise cell does not define {exercise.name}"}
    elif answer is exercise.reference:
        result = {"n_passed": 0, "total": 1, "summary": "the answer is the course's reference implementation, which earns no points"}
    else:
        report = run_cases(exercise, answer, hidden=True)
        result = {"n_passed": report.n_passed, "total": report.total, "summary": report.summary()}
    display({MIME: result, "text/plain": f"exercise {exercise_id}: {result['summary']}"}, raw=True)


# ---------------------------------------------------------------- results

@dataclass
class ExerciseScore:
    """One row of the score table (and one Gradescope test)."""

    id: str
    name: str
    points: float
    score: float
    feedback: str

    @property
    def status(self) -> str:
        return "passed" if self.score >= self.points else "failed"


@dataclass
class NotebookGrade:
    """The grade of one learner notebook."""

    notebook: str
    chapter: str | None = None
    exercises: list[ExerciseScore] = field(default_factory=list)
    execution_time: float = 0.0
    error: str | None = None  # why the notebook could not be graded (or only partly)

    @property
    def score(self) -> float:
        return round(sum(e.score for e in self.exercises), 2)

    @property
    def max_score(self) -> float:
        return sum(e.points for e in self.exercises)

    def gradescope(self) -> dict[str, Any]:
        """Gradescope's results.json content."""
        results: dict[str, Any] = {
            "score": self.score,
            "execution_time": round(self.execution_time, 1),
            "tests": [
                {"name": f"Exercise {e.id}: {e.name}", "number": e.id, "score": e.score, "max_score": e.points,
                 "status": e.status, "output": e.feedback}
                for e in self.exercises
            ],
        }
        if self.error:
            results["output"] = self.error
        return results

    def table(self) -> str:
        """The score table: exercise, points, score, feedback."""
        title = f"{self.notebook} (chapter {self.chapter or '?'})"
        if self.execution_time:
            title += f", executed in {self.execution_time:.1f} s"
        lines = [title]
        if self.error:
            lines.append(f"  {self.error}")
        if self.exercises:
            width = max(len(f"{e.id} {e.name}") for e in self.exercises + [ExerciseScore("total", "", 0, 0, "")])
            lines.append(f"  {'exercise':<{width}}  {'points':>6}  {'score':>6}  feedback")
            for e in self.exercises:
                lines.append(f"  {e.id + ' ' + e.name:<{width}}  {e.points:>6g}  {e.score:>6.2f}  {e.feedback}")
            lines.append(f"  {'total':<{width}}  {self.max_score:>6g}  {self.score:>6.2f}")
        return "\n".join(lines)


# ---------------------------------------------------------------- building the graded notebook

@dataclass
class _Planned:
    id: str
    name: str
    points: float
    exercise_cell: int
    report_cell: int = -1
    found: int = 0  # how many learner cells carry this id


def _injected(source: str) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["course"] = {"grader": True}
    return cell


def graded_notebook(source: nbformat.NotebookNode, learner: nbformat.NotebookNode) -> tuple[nbformat.NotebookNode, list[_Planned]]:
    """The instructor's notebook with the learner's exercise cells, capture cells and report cells."""
    from ..exercises import get

    taken: dict[str, list[str]] = {}
    for cell in learner.cells:
        meta = exercise_of(cell)
        if meta is not None and cell.cell_type == "code":
            taken.setdefault(str(meta["exercise"]), []).append(cell.source)
    nb = copy.deepcopy(source)
    cells: list[nbformat.NotebookNode] = []
    plan: list[_Planned] = []
    for index, cell in enumerate(source.cells):
        cell = copy.deepcopy(cell)
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        meta = exercise_of(cell)
        cells.append(cell)
        if meta is None or cell.cell_type != "code":
            continue
        exercise_id = str(meta["exercise"])
        following = source.cells[index + 1].source if index + 1 < len(source.cells) else ""
        name = check_call(following, exercise_id) or get(exercise_id).name
        learner_sources = taken.get(exercise_id, [])
        cell.source = learner_sources[-1] if learner_sources else strip_solution(cell.source)[0]
        plan.append(_Planned(exercise_id, name, float(meta.get("points", 1)), len(cells) - 1, found=len(learner_sources)))
        cells.append(_injected(f"from course_lib.tooling.grading import _capture as _course_grader_capture\n"
                               f"_course_grader_capture({exercise_id!r}, {name!r}, globals())"))
    for planned in plan:
        cells.append(_injected(f"from course_lib.tooling.grading import _report as _course_grader_report\n"
                               f"_course_grader_report({planned.id!r})"))
        planned.report_cell = len(cells) - 1
    nb.cells = cells
    return nb, plan


# ---------------------------------------------------------------- executing it

@dataclass
class Execution:
    """The executed notebook, the cells stopped by the time limit and those skipped after a stuck kernel."""

    nb: nbformat.NotebookNode
    timed_out: set[int]
    skipped: dict[int, str]  # cell index -> why it was left out of the final run
    seconds: float


class _Stuck(Exception):
    def __init__(self, index: int, reason: str) -> None:
        self.index, self.reason = index, reason


def _error_output(name: str, message: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_output("error", ename=name, evalue=message, traceback=[f"{name}: {message}"])


TIMEOUT_ENAME = "CourseTimeLimit"


def _run_once(nb: nbformat.NotebookNode, timeout: int, cwd: str, skip: dict[int, str], after: dict[int, int]) -> set[int]:
    """Execute every cell but ``skip``; a cell past ``timeout`` is interrupted and the next cells run.

    Cell ``k`` is not run when cell ``after[k]`` ran past the limit (a report whose visible check already did).

    Returns the cells stopped by the time limit. Raises _Stuck when the kernel dies, or when it does not
    answer a probe after an interrupt (the cell ignored it, e.g. a loop that catches KeyboardInterrupt).
    """
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    timed_out: set[int] = set()
    probe = nbformat.v4.new_code_cell("pass")

    def on_cell_executed(cell: nbformat.NotebookNode, cell_index: int, execute_reply: dict[str, Any]) -> None:
        if execute_reply.get("content", {}).get("ename") == TIMEOUT_ENAME:
            timed_out.add(-1 if cell is probe else cell_index)

    client = NotebookClient(
        nb, timeout=timeout, allow_errors=True, kernel_name="python3", resources={"metadata": {"path": cwd}},
        interrupt_on_timeout=True, on_cell_executed=on_cell_executed,
        error_on_timeout={"ename": TIMEOUT_ENAME, "evalue": f"stopped after {timeout} s", "traceback": []},
    )
    # the kernel's own stderr carries only start-up chatter; the notebook's output comes through Jupyter's channels
    with client.setup_kernel(env={**os.environ, **KERNEL_ENV}, stderr=subprocess.DEVNULL):
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            if index in skip:
                cell.outputs = [_error_output("Skipped", f"this cell was not run: {skip[index]}")]
                continue
            if after.get(index) in timed_out:
                timed_out.add(index)
                cell.outputs = [_error_output(TIMEOUT_ENAME, f"skipped: cell {after[index]} already ran past the time limit")]
                continue
            try:
                client.execute_cell(cell, index)
                if index not in timed_out:
                    continue
                cell.outputs.append(_error_output(TIMEOUT_ENAME, f"stopped after the {timeout} s time limit"))
                client.timeout = max(5, min(timeout, 30))
                client.execute_cell(probe, index)  # answered only once the interrupt took effect
            except DeadKernelError:
                raise _Stuck(index, "it stopped the kernel") from None
            finally:
                client.timeout = timeout
                nb.cells[index] = cell  # execute_cell stored the probe in its place
            if -1 in timed_out:
                raise _Stuck(index, "it ran past the time limit and ignored the interrupt")
    return timed_out


def execute(nb: nbformat.NotebookNode, timeout: float, cwd: str | Path, after: dict[int, int] | None = None) -> Execution:
    """Run ``nb`` top to bottom in a fresh kernel, continuing past errors, with a per-cell time limit.

    A cell past the limit is interrupted and the next cells run. If the interrupt does not stop it (or
    the kernel dies), the notebook is run again from the start without that cell. ``after[k] = j``:
    do not run cell k when cell j ran past the limit.
    """
    start, skip = time.perf_counter(), {}
    while True:
        run = copy.deepcopy(nb)
        try:
            timed_out = _run_once(run, max(1, math.ceil(timeout)), str(cwd), skip, after or {})
            return Execution(run, timed_out, skip, time.perf_counter() - start)
        except _Stuck as stuck:
            skip[stuck.index] = stuck.reason


# ---------------------------------------------------------------- grading

def _error_text(cell: nbformat.NotebookNode) -> str | None:
    for output in cell.get("outputs", []):
        if output.output_type == "error":
            return f"{output.ename}: {output.evalue}".strip(": ")
    return None


def _score(planned: _Planned, run: Execution, timeout: float) -> ExerciseScore:
    """Read the report cell's result and turn it into points and feedback."""
    exercise_cell, report_cell = run.nb.cells[planned.exercise_cell], run.nb.cells[planned.report_cell]
    result = next((o.data[MIME] for o in report_cell.outputs if o.output_type == "display_data" and MIME in o.get("data", {})), None)
    notes = []
    if planned.found == 0:
        notes.append(f"no cell with exercise {planned.id} in the notebook (was the cell deleted, or its metadata lost?)")
    elif planned.found > 1:
        notes.append(f"{planned.found} cells carry exercise {planned.id}; the last one was graded")
    if planned.exercise_cell in run.skipped:
        notes.append(f"your cell was left out because {run.skipped[planned.exercise_cell]}")
    elif planned.exercise_cell in run.timed_out:
        notes.append(f"your cell ran past the {timeout:g} s time limit and was stopped")
    elif planned.found and _error_text(exercise_cell):
        notes.append(f"your cell raised {_error_text(exercise_cell)}")
    if result is None:
        check_cells = {planned.report_cell, planned.exercise_cell + 2}
        if check_cells & run.timed_out:
            summary = f"checking your answer ran past the {timeout:g} s time limit (an endless loop?)"
        elif check_cells & set(run.skipped):
            summary = f"checking your answer was left out because {run.skipped[min(check_cells & set(run.skipped))]}"
        else:
            summary = f"no result from the checks ({_error_text(report_cell) or 'the kernel stopped'})"
        fraction = 0.0
    else:
        summary, fraction = result["summary"], result["n_passed"] / max(result["total"], 1)
    feedback = "; ".join([summary, *notes]) if planned.found else notes[0]
    return ExerciseScore(planned.id, planned.name, planned.points, round(planned.points * fraction, 2), feedback)


def default_source_dir() -> Path:
    """The repository's ``solutions/`` (next to the ``course_lib`` package)."""
    return Path(__file__).resolve().parents[2] / "solutions"


def grade_notebook(path: str | Path, source_dir: str | Path | None = None, timeout: float = DEFAULT_TIMEOUT) -> NotebookGrade:
    """Grade one learner notebook; problems with the file come back in ``NotebookGrade.error``, never raised."""
    path, source_dir = Path(path), Path(source_dir) if source_dir else default_source_dir()
    grade = NotebookGrade(str(path))
    try:
        learner = read_notebook(path)
    except NotebookReadError as err:
        grade.error = f"cannot grade: {str(err).split(': ', 1)[-1]}"
        return grade
    grade.chapter = chapter_of(learner)
    if grade.chapter is None:
        grade.error = "cannot grade: no course metadata and no exercise cells; is this a notebook of the course?"
        return grade
    sources = sorted(source_dir.glob(f"{grade.chapter}_*.ipynb"))
    if len(sources) != 1:
        grade.error = f"cannot grade: {len(sources)} instructor notebooks for chapter {grade.chapter} in {source_dir} (expected one)"
        return grade
    source = read_notebook(sources[0])
    nb, plan = graded_notebook(source, learner)
    if not any(p.found for p in plan):
        grade.error = ("no exercise cells found (cells whose metadata has course.exercise): was the notebook "
                       "re-created, or its cell metadata stripped? Nothing was run.")
        grade.exercises = [ExerciseScore(p.id, p.name, p.points, 0.0, "exercise cell not found") for p in plan]
        return grade
    # a report is not run when the exercise's visible check (the cell after its capture) ran past the limit
    try:
        run = execute(nb, timeout, sources[0].parent, after={p.report_cell: p.exercise_cell + 2 for p in plan})
    except Exception as err:  # the kernel could not start, or nbclient failed: report it, never crash
        grade.error = f"the notebook could not be run: {type(err).__name__}: {err}"
        grade.exercises = [ExerciseScore(p.id, p.name, p.points, 0.0, "not graded (the notebook could not be run)") for p in plan]
        return grade
    grade.execution_time = run.seconds
    grade.exercises = [_score(p, run, timeout) for p in plan]
    return grade


def _json_paths(json_path: Path, grades: Sequence[NotebookGrade]) -> list[Path]:
    """One notebook: ``json_path``. Several: ``<stem>-<notebook>.json`` next to it, one per learner."""
    if len(grades) == 1:
        return [json_path]
    paths, used = [], set()
    for grade in grades:
        stem = Path(grade.notebook).stem
        name = f"{json_path.stem}-{stem}.json"
        n = 2
        while name in used:
            name, n = f"{json_path.stem}-{stem}-{n}.json", n + 1
        used.add(name)
        paths.append(json_path.with_name(name))
    return paths


def grade(
    notebooks: Sequence[str | Path],
    source_dir: str | Path | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    json_path: str | Path | None = None,
    out: TextIO | None = None,
) -> list[NotebookGrade]:
    """Grade ``notebooks``, print a score table for each (and one row per learner), write results.json."""
    out = out or sys.stdout
    grades = []
    for notebook in notebooks:
        print(f"grading {notebook} ...", file=out, flush=True)
        grades.append(grade_notebook(notebook, source_dir, timeout))
        print(grades[-1].table() + "\n", file=out, flush=True)
    if len(grades) > 1:
        width = max(len(g.notebook) for g in grades)
        print(f"{'learner':<{width}}  chapter   score     max  note", file=out)
        for g in grades:
            print(f"{g.notebook:<{width}}  {g.chapter or '-':>7}  {g.score:>6.2f}  {g.max_score:>6g}  {g.error or ''}", file=out)
    if json_path is not None:
        for g, target in zip(grades, _json_paths(Path(json_path), grades)):
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(g.gradescope(), indent=2) + "\n", encoding="utf-8")
            print(f"wrote {target}", file=out)
    return grades


def grade_main(args: Any) -> int:
    """Entry point of ``course grade``: 0 when every notebook could be graded, 1 otherwise."""
    grades = grade(args.notebooks, getattr(args, "source_dir", None), getattr(args, "timeout", DEFAULT_TIMEOUT) or DEFAULT_TIMEOUT,
                   getattr(args, "json", None))
    return 0 if all(g.error is None for g in grades) else 1
