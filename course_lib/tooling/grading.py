"""``course grade NOTEBOOK... [--json results.json] [--timeout SECONDS]``: score learners' notebooks.

The learner's code is untrusted, and it never runs beside the judge. For each exercise of a learner's
notebook (the chapter read from its metadata, never from its file name), the grader starts a worker in a
sandbox (``sandbox.py``: its own process, user, scratch directory, no network, the instructor's folders
hidden, limits) and sends it a program: the import lines of the instructor's notebook above the
exercise, the earlier exercises the cell uses, and the learner's exercise cell; edits anywhere else count
for nothing, and the rest of the notebook is not run. The visible and hidden cases then run here, in the
grader's process, on a proxy of the learner's answer (``remote.py``): every call into the learner's code
crosses to the worker as data and comes back as data, so nothing the learner's code prints, displays,
patches or returns can declare a case passed. The course's reference and its twins in the library are
out of the worker's reach. A case that runs past the time limit is stopped by killing the worker; a
worker that dies is started again for the next case. The learner's file is only read.
"""
from __future__ import annotations

import ast
import functools
import importlib
import inspect
import json
import pkgutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence, TextIO

import nbformat

from .authoring import NotebookReadError, chapter_of, check_call, exercise_of, read_notebook

DEFAULT_TIMEOUT = 120.0
FLAG = "flagged for the instructor: matches the course's reference implementation"


# ---------------------------------------------------------------- results

@dataclass
class ExerciseScore:
    """One row of the score table (and one Gradescope test)."""

    id: str
    name: str
    points: float
    score: float
    feedback: str
    flags: list[str] = field(default_factory=list)

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
    sandbox: str = ""  # what the sandbox applied on this machine

    @property
    def flags(self) -> list[str]:
        return [f"{e.id}: {flag}" for e in self.exercises for flag in e.flags]

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
                 "status": e.status, "output": e.feedback + "".join(f"\n{flag}" for flag in e.flags)}
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
                lines.extend(f"  {'':<{width}}  {'':>6}  {'':>6}  ! {flag}" for flag in e.flags)
            lines.append(f"  {'total':<{width}}  {self.max_score:>6g}  {self.score:>6.2f}")
        return "\n".join(lines)


# ---------------------------------------------------------------- what each exercise's worker runs

@dataclass
class Planned:
    """One exercise of the instructor's notebook and what the learner handed in for it."""

    id: str
    name: str
    points: float
    cell: int  # the exercise cell's index in the instructor's notebook
    sources: list[str] = field(default_factory=list)  # the learner's cells carrying this id, in order

    @property
    def found(self) -> int:
        return len(self.sources)

    @property
    def source(self) -> str:
        return self.sources[-1] if self.sources else ""


def plan_exercises(source: nbformat.NotebookNode, learner: nbformat.NotebookNode) -> list[Planned]:
    """The instructor's exercises, in order, with the learner's exercise cells (only those are taken)."""
    from ..exercises import get

    taken: dict[str, list[str]] = {}
    for cell in learner.cells:
        meta = exercise_of(cell)
        if meta is not None and cell.cell_type == "code":
            taken.setdefault(str(meta["exercise"]), []).append(cell.source)
    plan = []
    for index, cell in enumerate(source.cells):
        meta = exercise_of(cell)
        if meta is None or cell.cell_type != "code":
            continue
        exercise_id = str(meta["exercise"])
        following = source.cells[index + 1].source if index + 1 < len(source.cells) else ""
        name = check_call(following, exercise_id) or get(exercise_id).name
        plan.append(Planned(exercise_id, name, float(meta.get("points", 1)), index, taken.get(exercise_id, [])))
    return plan


def _parse(source: str) -> ast.Module | None:
    lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    try:
        return ast.parse("\n".join(lines))
    except SyntaxError:
        return None


def setup_imports(source: nbformat.NotebookNode, before: int) -> list[str]:
    """The import lines of the instructor's code cells above cell ``before`` (not the checks, not the grader)."""
    lines = []
    for cell in source.cells[:before]:
        tree = _parse(cell.source) if cell.cell_type == "code" and exercise_of(cell) is None else None
        for node in tree.body if tree else []:
            if isinstance(node, ast.Import):
                names = [a for a in node.names if not a.name.startswith(("course_lib.exercises", "course_lib.tooling"))]
                node.names = names
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                if (node.module or "").startswith(("course_lib.exercises", "course_lib.tooling")):
                    continue
                node.names = [a for a in node.names if not (node.module == "course_lib" and a.name in ("check", "exercises", "tooling"))]
                names = node.names
            else:
                continue
            if names:
                lines.append(ast.unparse(node))
    return lines


def _free_names(source: str) -> set[str]:
    tree = _parse(source)
    if tree is None:
        return set()
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def exercise_program(source: nbformat.NotebookNode, plan: list[Planned], index: int, passed: dict[str, bool]) -> list[tuple[str, str]]:
    """What the worker of exercise ``plan[index]`` runs: (label, source) pieces, each run on its own.

    An earlier exercise the cell uses (2.3 calls 2.2's ``kl_divergence``) is the learner's own answer when
    it passed its visible checks, else the course library's version where there is one, as the notebook's
    fallback would have it.
    """
    planned = plan[index]
    program = [("setup", line) for line in setup_imports(source, planned.cell)]
    used = _free_names(planned.source)
    for earlier in plan[:index]:
        if earlier.name not in used or not earlier.found:
            continue
        twins = library_twins(earlier.name)
        if passed.get(earlier.id) or not twins:
            program.append((f"exercise {earlier.id}", earlier.source))
        else:
            module = twins[0][1]
            program.append(("setup", f"from {module} import {earlier.name}"))
    program.append((f"exercise {planned.id}", planned.source))
    return program


@functools.lru_cache(maxsize=None)
def _library_index() -> dict[str, list[tuple[str, str]]]:
    """Top-level functions and classes of course_lib (not its exercises or tooling): name -> [(file, module)]."""
    root = Path(__file__).resolve().parents[1]  # the course_lib package
    index: dict[str, list[tuple[str, str]]] = {}
    for info in pkgutil.walk_packages([str(root)], "course_lib."):
        if info.name.startswith(("course_lib.exercises", "course_lib.tooling")):
            continue
        try:
            module = importlib.import_module(info.name)
        except Exception:
            continue
        for name, value in vars(module).items():
            if (inspect.isfunction(value) or inspect.isclass(value)) and value.__module__ == info.name:
                index.setdefault(name, []).append((str(Path(module.__file__).resolve().relative_to(root)), info.name))
    return index


def library_twins(name: str) -> list[tuple[str, str]]:
    """Where course_lib defines its own ``name`` (the exercise's answer under the library's roof)."""
    return _library_index().get(name, [])


def _definition(tree: ast.Module, name: str) -> ast.AST | None:
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == name:
            return node
    return None


def _shape(node: ast.AST) -> str:
    """The code of a definition without its docstrings, comments, annotations or layout."""
    node = ast.parse(ast.unparse(node)).body[0]
    for item in ast.walk(node):
        body = getattr(item, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant) \
                and isinstance(body[0].value.value, str):
            item.body = body[1:] or [ast.Pass()]
        if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
            item.returns = None
            for arg in item.args.args + item.args.kwonlyargs + item.args.posonlyargs:
                arg.annotation = None
        if isinstance(item, ast.AnnAssign):
            item.annotation = ast.Constant(None)
    return ast.dump(node, annotate_fields=False)


def matches_reference(cell_source: str, exercise: Any) -> bool:
    """True when the cell defines the answer with the very code of the course's reference (or its twin)."""
    tree = _parse(cell_source)
    mine = _definition(tree, exercise.name) if tree else None
    if mine is None:
        return False
    candidates = [exercise.reference]
    for _, module in library_twins(exercise.name):
        candidates.append(getattr(importlib.import_module(module), exercise.name, None))
    for candidate in candidates:
        try:
            theirs = _definition(ast.parse(inspect.cleandoc("\n" + inspect.getsource(candidate))), exercise.name)
        except (OSError, TypeError, SyntaxError):
            continue
        if theirs is not None and _shape(theirs) == _shape(mine):
            return True
    return False


# ---------------------------------------------------------------- judging one exercise

def _case_result(case: Any, candidate: Any, device: Any) -> Any:
    from ..exercises.registry import CaseResult, _case_name, run_case
    from .remote import LearnerError
    from .sandbox import CaseTimeout, WorkerDied

    result = run_case(case, candidate, device)
    kind = result.error.split(":", 1)[0]
    if kind == CaseTimeout.__name__:
        return CaseResult(_case_name(case), False, note=result.error.split(": ", 1)[-1]), True
    if kind == WorkerDied.__name__:
        return CaseResult(_case_name(case), False, note=result.error.split(": ", 1)[-1]), False
    del LearnerError
    return result, False


def judge_exercise(planned: Planned, program: list[tuple[str, str]], sandbox: Any, timeout: float,
                   device: Any = None) -> tuple[ExerciseScore, bool]:
    """Score one exercise: its cases run here on a proxy of the answer; returns the score and whether the
    visible cases all passed (which decides what a later exercise that uses this one gets)."""
    from ..exercises import get
    from ..exercises.registry import CaseResult, Report, default_device
    from .remote import MISSING, Channel
    from .sandbox import CaseTimeout, WorkerDied

    exercise = get(planned.id)
    device = default_device(device)
    message = (f"exercise {planned.id} is being graded: the course's own {planned.name} is not available here; "
               f"the answer must be your code")
    blocked: dict[str, list[str]] = {}
    for path, _ in library_twins(planned.name):
        blocked.setdefault(path, []).append(planned.name)
    notes = []
    if planned.found > 1:
        notes.append(f"{planned.found} cells carry exercise {planned.id}; the last one was graded")
    flags = [FLAG] if matches_reference(planned.source, exercise) else []
    channel = Channel(sandbox, program, planned.name, timeout, blocked, message)

    def done(summary: str, fraction: float, visible_passed: bool = False) -> tuple[ExerciseScore, bool]:
        channel.close()
        feedback = "; ".join([summary, *notes])
        return ExerciseScore(planned.id, planned.name, planned.points, round(planned.points * fraction, 2), feedback, flags), visible_passed

    try:
        candidate = channel.answer()
    except CaseTimeout:
        return done(f"your cell ran past the {timeout:g} s time limit and was stopped", 0.0)
    except (WorkerDied, Exception) as err:
        return done(f"your cell could not be run: {err}", 0.0)
    for problem in channel.loaded.get("problems", []):
        if problem["label"] == f"exercise {planned.id}":
            notes.append(f"your cell raised {problem['error']}")
    if candidate is MISSING:
        return done(f"your exercise cell does not define {planned.name}", 0.0)
    report = Report(exercise.id, exercise.title, exercise.hint)
    if not callable(candidate):
        got = "None" if candidate is None else f"a {type(candidate).__name__}"
        report.results.append(CaseResult(f"{exercise.name} is a function or class", False, f"a function or class named {exercise.name}", got))
    else:
        stopped = ""
        for case in exercise.cases(hidden=True):
            if stopped:
                from ..exercises.registry import _case_name

                report.results.append(CaseResult(_case_name(case), False, note=stopped))
                continue
            try:
                channel.start_case()
            except Exception as err:
                stopped = f"not run: {err}"
                report.results.append(CaseResult("starting your code", False, note=stopped))
                continue
            result, timed_out = _case_result(case, candidate, device)
            report.results.append(result)
            if timed_out:
                stopped = "not run: an earlier check ran past the time limit"
                notes.append(f"a check ran past the {timeout:g} s time limit and was stopped")
    visible = len(exercise.visible_cases)
    visible_passed = all(r.passed for r in report.results[:visible]) and len(report.results) >= visible
    return done(report.summary(), report.n_passed / max(report.total, 1), visible_passed)


def default_source_dir() -> Path:
    """The repository's ``solutions/`` (next to the ``course_lib`` package)."""
    return Path(__file__).resolve().parents[2] / "solutions"


def grade_notebook(path: str | Path, source_dir: str | Path | None = None, timeout: float = DEFAULT_TIMEOUT,
                   sandbox: Any = None) -> NotebookGrade:
    """Grade one learner notebook; problems with the file come back in ``NotebookGrade.error``, never raised."""
    from .sandbox import Sandbox

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
    plan = plan_exercises(source, learner)
    if not any(p.found for p in plan):
        grade.error = ("no exercise cells found (cells whose metadata has course.exercise): was the notebook "
                       "re-created, or its cell metadata stripped? Nothing was run.")
        grade.exercises = [ExerciseScore(p.id, p.name, p.points, 0.0, "exercise cell not found") for p in plan]
        return grade
    own = sandbox is None
    if own:
        sandbox = Sandbox(hidden=[source_dir, path.resolve().parent])
    grade.sandbox = sandbox.describe()
    start, passed = time.perf_counter(), {}
    try:
        for index, planned in enumerate(plan):
            if not planned.found:
                grade.exercises.append(ExerciseScore(planned.id, planned.name, planned.points, 0.0,
                                                     f"no cell with exercise {planned.id} in the notebook (was the cell deleted, or its metadata lost?)"))
                continue
            score, passed[planned.id] = judge_exercise(planned, exercise_program(source, plan, index, passed), sandbox, timeout)
            grade.exercises.append(score)
    finally:
        if own:
            sandbox.cleanup()
    grade.execution_time = time.perf_counter() - start
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
    from .sandbox import Sandbox

    out = out or sys.stdout
    grades = []
    source_dir = Path(source_dir) if source_dir else default_source_dir()
    sandbox = Sandbox(hidden=[source_dir, *{Path(n).resolve().parent for n in notebooks}])
    print(f"sandbox: {sandbox.describe()}", file=out, flush=True)
    try:
        for notebook in notebooks:
            print(f"grading {notebook} ...", file=out, flush=True)
            grades.append(grade_notebook(notebook, source_dir, timeout, sandbox))
            print(grades[-1].table() + "\n", file=out, flush=True)
    finally:
        sandbox.cleanup()
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
