"""Grading one learner's notebook (``classroom.py`` grades a class of them, ``course grade``).

The learner's code is untrusted, and it never runs beside the judge. For each exercise of a learner's
notebook (the chapter read from its metadata, never from its file name), the grader starts a worker in a
sandbox (``sandbox.py``: its own process, user, scratch directory, no network, the instructor's folders
hidden, limits) and sends it a program: the import lines of the instructor's notebook above the
exercise, the earlier exercises the cell uses, and the learner's exercise cell; edits anywhere else count
for nothing, and the rest of the notebook is not run. The visible and hidden cases then run here, in the
grader's process, on a proxy of the learner's answer (``remote.py``): every call into the learner's code
crosses to the worker as data and comes back as data, so nothing the learner's code prints, displays,
patches or returns can declare a case passed. The course's reference and its twins in the library are
out of the worker's reach. The cases run under a salt drawn here for each grading run
(``secrets.randbits(62)``; ``registry.salted_cases``), so their inputs are ones the learner's own copy of
the library never produced: a table of outputs recorded at home answers nothing. The salt stays in this
process (it is never sent to the worker) and goes into the instructor's record (``NotebookGrade.salt``);
``grade_notebook(..., salt=N)`` regrades with the same inputs. A case that runs past the time limit is stopped by killing the worker; a
worker that dies is started again for the next case. The learner's file is only read.
"""
from __future__ import annotations

import ast
import functools
import importlib
import inspect
import pkgutil
import secrets
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Sequence

import nbformat

from .authoring import NotebookReadError, chapter_of, check_call, exercise_of, read_notebook

DEFAULT_TIMEOUT = 120.0
FLAG = "flagged for the instructor: matches the course's reference implementation"


# ---------------------------------------------------------------- results

@dataclass
class CaseOutcome:
    """One case of an exercise, as the learner's feedback shows it."""

    name: str
    passed: bool
    message: str = ""  # one line: what was expected and what came back
    hidden: bool = False


@dataclass
class ExerciseScore:
    """One row of the score table (and two Gradescope tests: the visible cases and the hidden ones)."""

    id: str
    name: str
    points: float
    score: float
    feedback: str  # one line for the instructor's table (it may name a hidden case)
    flags: list[str] = field(default_factory=list)
    n_visible: int = 0  # the exercise's visible and hidden case counts (0 and 0: not known)
    n_hidden: int = 0
    cases: list[CaseOutcome] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # about the cell itself: could not run, time limit, two cells
    code: str = ""  # the learner's exercise cell, as handed in
    overhead: float = 0.0  # seconds spent starting workers, not running the learner's code

    @property
    def status(self) -> str:
        return "passed" if self.score >= self.points else "failed"

    def split(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """((visible score, visible points), (hidden score, hidden points)), the points shared by case count:
        an exercise worth P with v visible and h hidden cases gives P v/(v+h) to the visible ones."""
        total = self.n_visible + self.n_hidden
        if not total:
            return (self.score, self.points), (0.0, 0.0)
        visible_max = round(self.points * self.n_visible / total, 2)
        hidden_max = round(self.points - visible_max, 2)
        parts = []
        for hidden, count, most in ((False, self.n_visible, visible_max), (True, self.n_hidden, hidden_max)):
            passed = sum(c.passed for c in self.cases if c.hidden == hidden)
            parts.append((round(most * min(passed, count) / count, 2) if count else 0.0, most))
        return parts[0], parts[1]

    def outcome(self, hidden: bool) -> str:
        """The feedback line of the visible (or hidden) cases alone: a visible line never names a hidden case."""
        cases = [c for c in self.cases if c.hidden == hidden]
        kind = "hidden" if hidden else "visible"
        expected = self.n_hidden if hidden else self.n_visible
        if not cases:
            return self.notes[0] if self.notes else f"no {kind} check was run"
        passed = [c for c in cases if c.passed]
        checks = f"{expected} {kind} check{'s' if expected != 1 else ''}"
        if len(passed) == len(cases) == expected:
            return f"passed {checks}"
        if all("NotImplementedError" in c.message for c in cases if not c.passed) and not passed:
            return "not done yet (NotImplementedError)"
        first = next((c for c in cases if not c.passed), None)
        failed = f"; failed '{first.name}': {first.message}" if first else ""
        return f"passed {len(passed)} of {checks}{failed}"

    def _with_notes(self, line: str) -> str:
        return "\n".join([line, *(note for note in self.notes if note != line)])

    def tests(self) -> list[dict[str, Any]]:
        """Gradescope's tests for this exercise: visible cases now, hidden ones once grades are published."""
        title = f"Exercise {self.id}: {self.name}"
        if not (self.n_visible or self.n_hidden):
            return [{"name": title, "number": self.id, "score": self.score, "max_score": self.points, "status": self.status,
                     "output": self.feedback, "visibility": "visible"}]
        (visible, visible_max), (hidden, hidden_max) = self.split()
        tests = [{"name": f"{title} (visible checks)", "number": f"{self.id}.v", "score": visible, "max_score": visible_max,
                  "status": "passed" if visible >= visible_max else "failed", "output": self._with_notes(self.outcome(False)),
                  "visibility": "visible"}]
        if self.n_hidden:
            tests.append({"name": f"{title} (hidden checks)", "number": f"{self.id}.h", "score": hidden, "max_score": hidden_max,
                          "status": "passed" if hidden >= hidden_max else "failed", "output": self.outcome(True),
                          "visibility": "after_published"})
        if self.flags:
            tests[-1]["extra_data"] = {"flags": list(self.flags)}
        return tests


@dataclass
class NotebookGrade:
    """The grade of one learner notebook."""

    notebook: str
    chapter: str | None = None
    exercises: list[ExerciseScore] = field(default_factory=list)
    execution_time: float = 0.0  # grading the exercises, worker starts included
    error: str | None = None  # why the notebook could not be graded (or only partly)
    sandbox: str = ""  # what the sandbox applied on this machine
    learner: str = ""  # who handed it in (from the file or folder name)
    wall_time: float = 0.0  # the whole submission, the grader's own start included (class grading)
    overhead: float = 0.0  # of which outside the learner's code: grader start, sandbox set-up, worker starts
    salt: int | None = None  # the cases' grading salt (for the instructor: the same salt regrades with the same inputs)

    @property
    def flags(self) -> list[str]:
        return [f"{e.id}: {flag}" for e in self.exercises for flag in e.flags]

    @property
    def score(self) -> float:
        return round(sum(e.score for e in self.exercises), 2)

    @property
    def max_score(self) -> float:
        return sum(e.points for e in self.exercises)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "NotebookGrade":
        """The inverse of ``to_dict`` (what a grading process writes)."""
        exercises = [ExerciseScore(**{**e, "cases": [CaseOutcome(**c) for c in e.get("cases", [])]}) for e in data.get("exercises", [])]
        return cls(**{**data, "exercises": exercises})

    def gradescope(self) -> dict[str, Any]:
        """Gradescope's results.json content: two tests per exercise (visible, and hidden until published)."""
        return gradescope_results([self])

    def table(self) -> str:
        """The score table: exercise, points, score, feedback."""
        title = f"{self.learner or self.notebook} (chapter {self.chapter or '?'})"
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


def gradescope_results(grades: Sequence[NotebookGrade], notes: Sequence[str] = ()) -> dict[str, Any]:
    """One results.json for one notebook or an assignment of several: every exercise's tests, the top-level
    ``visibility`` and ``stdout_visibility`` (the grader's log names the sandbox and the flags: for the
    instructor), the time, and ``notes`` and the grades' errors as the output."""
    results: dict[str, Any] = {
        "score": round(sum(g.score for g in grades), 2),
        "execution_time": round(sum(g.wall_time or g.execution_time for g in grades), 1),
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [test for g in grades for e in g.exercises for test in e.tests()],
    }
    output = [*notes, *(g.error for g in grades if g.error)]
    if output:
        results["output"] = "\n".join(output)
    return results


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


def draw_salt() -> int:
    """A fresh grading salt: 62 random bits from the operating system."""
    return secrets.randbits(62)


def judge_exercise(planned: Planned, program: list[tuple[str, str]], sandbox: Any, timeout: float,
                   device: Any = None, salt: int | None = None) -> tuple[ExerciseScore, bool]:
    """Score one exercise: its cases run here on a proxy of the answer, under ``salt`` (``None``: a fresh one);
    returns the score and whether the visible cases all passed (which decides what a later exercise that uses
    this one gets)."""
    from ..exercises import get
    from ..exercises.registry import CaseResult, Report, default_device, salted_cases
    from .remote import MISSING, Channel
    from .sandbox import CaseTimeout, WorkerDied

    exercise = get(planned.id)
    device = default_device(device)
    salt = draw_salt() if salt is None else salt
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

    visible, n_hidden = case_counts(exercise)

    def done(summary: str, results: Sequence[Any] = (), visible_passed: bool = False) -> tuple[ExerciseScore, bool]:
        channel.close()
        cases = [CaseOutcome(r.name, r.passed, "passed" if r.passed else r.one_line(), index >= visible)
                 for index, r in enumerate(results)]
        score = ExerciseScore(planned.id, planned.name, planned.points, 0.0, "; ".join([summary, *notes]), flags, visible,
                              n_hidden, cases, ([] if results else [summary]) + notes, planned.source,
                              round(max(channel.load_seconds - channel.program_seconds, 0.0), 3))
        (visible_score, _), (hidden_score, _) = score.split()
        score.score = round(visible_score + hidden_score, 2)
        return score, visible_passed

    try:
        candidate = channel.answer()
    except CaseTimeout:
        return done(f"your cell ran past the {timeout:g} s time limit and was stopped")
    except (WorkerDied, Exception) as err:
        return done(f"your cell could not be run: {err}")
    for problem in channel.loaded.get("problems", []):
        if problem["label"] == f"exercise {planned.id}":
            notes.append(f"your cell raised {problem['error']}")
    if candidate is MISSING:
        return done(f"your exercise cell does not define {planned.name}")
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
            with salted_cases(salt):  # the salt stays here: the worker only ever sees the inputs drawn with it
                result, timed_out = _case_result(case, candidate, device)
            report.results.append(result)
            if timed_out:
                stopped = "not run: an earlier check ran past the time limit"
                notes.append(f"a check ran past the {timeout:g} s time limit and was stopped")
    visible_passed = all(r.passed for r in report.results[:visible]) and len(report.results) >= visible
    return done(report.summary(), report.results, visible_passed)


def default_source_dir() -> Path:
    """The repository's ``solutions/`` (next to the ``course_lib`` package)."""
    return Path(__file__).resolve().parents[2] / "solutions"


def grade_notebook(path: str | Path, source_dir: str | Path | None = None, timeout: float = DEFAULT_TIMEOUT,
                   sandbox: Any = None, salt: int | None = None) -> NotebookGrade:
    """Grade one learner notebook; problems with the file come back in ``NotebookGrade.error``, never raised.

    The cases run under ``salt``, a fresh one (``draw_salt``) when not given; ``grade.salt`` records it, and
    grading again with ``salt=grade.salt`` runs every case on the same inputs."""
    from .sandbox import Sandbox

    path, source_dir = Path(path), Path(source_dir) if source_dir else default_source_dir()
    grade = NotebookGrade(str(path), salt=draw_salt() if salt is None else int(salt))
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
        grade.exercises = [not_graded(p, "exercise cell not found") for p in plan]
        return grade
    start, passed = time.perf_counter(), {}
    own = sandbox is None
    if own:
        sandbox = Sandbox(hidden=[source_dir, path.resolve().parent])
    grade.sandbox = sandbox.describe()
    set_up = time.perf_counter() - start
    try:
        for index, planned in enumerate(plan):
            if not planned.found:
                grade.exercises.append(not_graded(planned, f"no cell with exercise {planned.id} in the notebook "
                                                           f"(was the cell deleted, or its metadata lost?)"))
                continue
            score, passed[planned.id] = judge_exercise(planned, exercise_program(source, plan, index, passed), sandbox, timeout,
                                                       salt=grade.salt)
            grade.exercises.append(score)
    finally:
        if own:
            sandbox.cleanup()
    grade.execution_time = time.perf_counter() - start
    grade.overhead = round(set_up + sum(e.overhead for e in grade.exercises), 3)
    return grade


def not_graded(planned: Planned, why: str) -> ExerciseScore:
    """An exercise that scores 0 without running: ``why`` says so in both its tests."""
    from ..exercises import get

    visible, hidden = case_counts(get(planned.id))
    return ExerciseScore(planned.id, planned.name, planned.points, 0.0, why, n_visible=visible, n_hidden=hidden, notes=[why])


def case_counts(exercise: Any) -> tuple[int, int]:
    """(visible, hidden) case counts of a registered exercise."""
    visible = len(exercise.visible_cases)
    return visible, len(exercise.cases(hidden=True)) - visible
