"""``course build [--check]``: generate the student notebooks ``notebooks/NN_*.ipynb`` from ``solutions/NN_*.ipynb``.

In a solution notebook, an exercise is a code cell with ``{"course": {"exercise": "2.1", "points": 2}}`` in its
metadata; the answer sits between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` (nbgrader's markers), inside
a function or class; the next cell is ``name = check("2.1", name)``. The student version replaces each region
by ``# YOUR CODE HERE`` / ``raise NotImplementedError()`` at the marker's indent and clears outputs and
execution counts, except in cells tagged ``nbval-check-output`` (nbval's reference outputs). Cell ids and
metadata (tags included) are kept. The tests' markers are cell tags (``nbval-check-output``,
``nbval-ignore-output``), never comments in the source, so a learner reads only the lesson. The build refuses, naming file, cell and line, anything that would leak an answer or
break a notebook.
"""
from __future__ import annotations

import copy
import json
import re
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, TextIO

import nbformat

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")
CHECK_OUTPUT = "nbval-check-output"  # nbval's cell tag: compare this cell's output with the stored one
_NBVAL_COMMENT = re.compile(r"^\s*#\s*NBVAL_(\w+)", re.MULTILINE)  # nbval's older in-source markers
NOTEBOOK_NAME = re.compile(r"^(\d\d)_\w+\.ipynb$")
EXERCISE_ID = re.compile(r"^\d+\.\d+[a-z]?$")
_MARKER_LIKE = re.compile(r"(BEGIN|END)\s+SOLUTION", re.IGNORECASE)


class NotebookReadError(ValueError):
    """A file is not valid JSON or not a Jupyter notebook; the message says which and where."""


@dataclass(frozen=True)
class Problem:
    """Something the build refuses, located by file, cell (1-based, with its id) and line (1-based)."""

    path: str
    message: str
    cell: int | None = None
    cell_id: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = [self.path]
        if self.cell is not None:
            where.append(f"cell {self.cell}" + (f" (id {self.cell_id})" if self.cell_id else ""))
        if self.line is not None:
            where.append(f"line {self.line}")
        return f"{', '.join(where)}: {self.message}"


@dataclass
class BuildResult:
    """What a build did (or, with ``check``, would do)."""

    written: list[str] = field(default_factory=list)
    out_of_date: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and not self.out_of_date


# ---------------------------------------------------------------- reading notebooks and their course metadata

def read_notebook(path: str | Path) -> nbformat.NotebookNode:
    """Read a .ipynb file; raise :class:`NotebookReadError` with a clear reason when it is not a notebook."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise NotebookReadError(f"{path}: cannot be read ({err}).") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise NotebookReadError(f"{path}: not valid JSON (line {err.lineno}, column {err.colno}: {err.msg}); "
                                "the file is damaged or is not a notebook.") from None
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list) or data.get("nbformat") != 4:
        raise NotebookReadError(f"{path}: valid JSON but not a Jupyter notebook (version 4 with a list of cells).")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            nb = nbformat.reads(text, as_version=4)
            nbformat.validate(nb)
    except Exception as err:  # nbformat raises several kinds for a malformed notebook
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise NotebookReadError(f"{path}: not a valid Jupyter notebook ({first}).") from None
    return nb


def has_tag(cell: dict[str, Any], tag: str) -> bool:
    """Whether ``cell`` carries ``tag`` in its metadata (Jupyter's cell tags)."""
    return tag in ((cell.get("metadata") or {}).get("tags") or [])


def exercise_of(cell: dict[str, Any]) -> dict[str, Any] | None:
    """The ``{"exercise": id, "points": n}`` metadata of an exercise cell, else None."""
    course = cell.get("metadata", {}).get("course")
    if isinstance(course, dict) and "exercise" in course:
        return course
    return None


def chapter_of(nb: dict[str, Any]) -> str | None:
    """The chapter ("00") from the notebook's metadata, else from its exercise ids, else None."""
    course = nb.get("metadata", {}).get("course")
    if isinstance(course, dict) and str(course.get("chapter", "")).isdigit():
        return f"{int(course['chapter']):02d}"
    for cell in nb.get("cells", []):
        meta = exercise_of(cell)
        if meta and str(meta["exercise"]).split(".")[0].isdigit():
            return f"{int(str(meta['exercise']).split('.')[0]):02d}"
    return None


def check_call(source: str, exercise_id: str) -> str | None:
    """The name checked by ``name = check("id", name)`` in ``source``, else None."""
    pattern = rf"^\s*(\w+)\s*=\s*check\(\s*['\"]{re.escape(exercise_id)}['\"]\s*,\s*(\w+)\s*[,)]"
    for match in re.finditer(pattern, source, re.MULTILINE):
        if match.group(1) == match.group(2):
            return match.group(1)
    return None


def defined_name(source: str) -> str | None:
    """The first function or class a cell defines (for messages)."""
    match = re.search(r"^(?:def|class)\s+(\w+)", source, re.MULTILINE)
    return match.group(1) if match else None


# ---------------------------------------------------------------- turning a solution into a student notebook

def strip_solution(source: str) -> tuple[str, list[tuple[int, str]]]:
    """Replace every solution region of a cell by the stub; return the new source and (line, problem) pairs."""
    out: list[str] = []
    problems: list[tuple[int, str]] = []
    begin: int | None = None
    for n, line in enumerate(source.split("\n"), start=1):
        stripped = line.strip()
        if stripped == BEGIN:
            if begin is not None:
                problems.append((n, f"nested '{BEGIN}' (the region opened on line {begin} is not closed yet)."))
                continue
            indent = line[: len(line) - len(line.lstrip())]
            if not indent:
                problems.append((n, "solution region at the top level of the cell: the student's "
                                    "`raise NotImplementedError()` would stop the notebook; put the answer inside a function or class."))
            begin = n
            out.extend(indent + stub for stub in STUB)
        elif stripped == END:
            if begin is None:
                problems.append((n, f"'{END}' without a '{BEGIN}' before it."))
            begin = None
        elif _MARKER_LIKE.search(line):
            problems.append((n, f"malformed marker {stripped!r}: write exactly '{BEGIN}' or '{END}' on a line of its own."))
        elif begin is None:
            out.append(line)
    if begin is not None:
        problems.append((begin, f"unterminated '{BEGIN}': no '{END}' before the end of the cell."))
    return "\n".join(out), problems


def student_version(nb: nbformat.NotebookNode, path: str, seen: dict[str, str] | None = None) -> tuple[nbformat.NotebookNode, list[Problem]]:
    """The student notebook for solution ``nb`` (read from ``path``) and the problems that forbid it.

    ``seen`` maps exercise ids to where they were met, to refuse one id used twice across notebooks.
    """
    seen = {} if seen is None else seen
    problems: list[Problem] = []
    student = copy.deepcopy(nb)
    student.metadata.pop("widgets", None)
    match = NOTEBOOK_NAME.match(Path(path).name)
    chapter = (nb.metadata.get("course") or {}).get("chapter")
    if match and chapter != match.group(1):
        problems.append(Problem(path, f"the notebook metadata needs {{\"course\": {{\"chapter\": \"{match.group(1)}\"}}}} "
                                      f"(the grader finds the chapter there), found {chapter!r}."))
    for index, cell in enumerate(student.cells):
        def problem(message: str, line: int | None = None) -> None:
            problems.append(Problem(path, message, index + 1, cell.get("id"), line))

        meta = exercise_of(cell)
        has_marker = any(line.strip() in (BEGIN, END) for line in cell.source.split("\n"))
        if cell.cell_type != "code":
            if has_marker or _MARKER_LIKE.search(cell.source):
                problem(f"solution markers in a {cell.cell_type} cell: answers belong in exercise code cells.")
            continue
        if meta is None and has_marker:
            problem("solution markers in a cell without exercise metadata: add "
                    '{"course": {"exercise": "N.M", "points": P}} to the cell, or remove the markers.')
        if meta is not None:
            _check_exercise(nb, index, meta, chapter, path, seen, problem)
            if not has_marker:
                problem(f"exercise {meta.get('exercise')} has no '{BEGIN}' region: the student version would show the answer.")
        source, marker_problems = strip_solution(cell.source)
        for line, message in marker_problems:
            problem(message, line)
        if BEGIN in source or END in source:
            problem("solution text left in the student cell.")
        cell.source = source
        comment = _NBVAL_COMMENT.search(cell.source)
        if comment:
            tag = f"nbval-{comment.group(1).lower().replace('_', '-')}"
            problem(f"'{comment.group(0).strip()}' in the source: learners would read it. Remove the line and give the cell "
                    f'the tag "{tag}" instead (metadata "tags": ["{tag}"]; nbval reads tags).',
                    cell.source.count("\n", 0, comment.start()) + 1)
        if not has_tag(cell, CHECK_OUTPUT) or meta is not None:
            cell.outputs, cell.execution_count = [], None
    return student, problems


def _check_exercise(
    nb: nbformat.NotebookNode,
    index: int,
    meta: dict[str, Any],
    chapter: str | None,
    path: str,
    seen: dict[str, str],
    problem: Callable[[str], None],
) -> None:
    """The rules for one exercise cell: id, points, chapter, uniqueness, a check right after, a registry entry."""
    exercise_id, points = str(meta.get("exercise")), meta.get("points")
    if not EXERCISE_ID.match(exercise_id):
        problem(f"exercise id {meta.get('exercise')!r} should look like '2.1' (chapter.number).")
        return
    if isinstance(points, bool) or not isinstance(points, (int, float)) or points <= 0:
        problem(f"exercise {exercise_id} needs a positive number of points in its metadata, found {points!r}.")
    if chapter is not None and str(chapter).isdigit() and int(exercise_id.split(".")[0]) != int(chapter):
        problem(f"exercise {exercise_id} belongs to chapter {exercise_id.split('.')[0]}, but this notebook is chapter {chapter}.")
    here = f"{path}, cell {index + 1}"
    if exercise_id in seen:
        problem(f"two exercises with the id {exercise_id}: this one and {seen[exercise_id]}.")
    seen.setdefault(exercise_id, here)
    following = nb.cells[index + 1] if index + 1 < len(nb.cells) else None
    name = defined_name(nb.cells[index].source) or "answer"
    if following is None or following.cell_type != "code" or check_call(following.source, exercise_id) is None:
        problem(f"exercise {exercise_id} needs a check right after it: the next cell should be "
                f"`{name} = check(\"{exercise_id}\", {name})`.")
    elif has_tag(following, CHECK_OUTPUT):
        problem(f"the check of exercise {exercise_id} is tagged {CHECK_OUTPUT}, but its output differs between the solution and the student version.")
    try:
        from ..exercises import get

        get(exercise_id)
    except LookupError as err:
        problem(str(err))


# ---------------------------------------------------------------- the build

def notebook_text(nb: nbformat.NotebookNode) -> str:
    """The exact text ``course build`` writes for ``nb`` (nbformat's layout, one final newline)."""
    text = nbformat.writes(nb)
    return text if text.endswith("\n") else text + "\n"


def _missing_cell_ids(path: Path) -> list[int]:
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("nbformat_minor", 0) < 5:
        return []
    return [i + 1 for i, cell in enumerate(data["cells"]) if "id" not in cell]


def build(root: str | Path = ".", check: bool = False, out: TextIO | None = None) -> BuildResult:
    """Generate ``notebooks/`` from ``solutions/`` under ``root``; with ``check``, write nothing and report."""
    out = out or sys.stdout
    root = Path(root)
    solutions, notebooks = root / "solutions", root / "notebooks"
    result = BuildResult()
    if not solutions.is_dir():
        result.problems.append(Problem(str(solutions), "no solutions/ folder here: run `course build` from the repository root or pass --root."))
        return result
    seen: dict[str, str] = {}
    pending: dict[Path, str] = {}
    for source in sorted(solutions.glob("*.ipynb")):
        rel = source.relative_to(root).as_posix()
        if not NOTEBOOK_NAME.match(source.name):
            result.problems.append(Problem(rel, "solution notebooks are named NN_name.ipynb (two digits, then a name)."))
            continue
        try:
            nb = read_notebook(source)
        except NotebookReadError as err:
            result.problems.append(Problem(rel, str(err).split(": ", 1)[-1]))
            continue
        missing = _missing_cell_ids(source)
        if missing:
            result.problems.append(Problem(rel, f"cells {missing} have no id: save the notebook once in Jupyter "
                                                "(or nbformat.validator.normalize) so the ids stay fixed."))
        student, problems = student_version(nb, rel, seen)
        result.problems.extend(problems)
        pending[notebooks / source.name] = notebook_text(student)
    expected = set(pending)
    for target, text in pending.items():
        current = target.read_text(encoding="utf-8") if target.exists() else None
        if current != text:
            result.out_of_date.append(target.relative_to(root).as_posix())
    orphans = [p for p in sorted(notebooks.glob("*.ipynb")) if p not in expected and NOTEBOOK_NAME.match(p.name)]
    result.out_of_date.extend(p.relative_to(root).as_posix() for p in orphans)
    if result.problems:
        for problem in result.problems:
            print(f"error: {problem}", file=out)
        print(f"course build: {len(result.problems)} problem(s); nothing written.", file=out)
        return result
    if check:
        for name in result.out_of_date:
            print(f"out of date: {name}", file=out)
        print("course build --check: " + (f"{len(result.out_of_date)} notebook(s) out of date; run `course build`."
                                          if result.out_of_date else "notebooks/ is up to date."), file=out)
        return result
    notebooks.mkdir(exist_ok=True)
    for target, text in pending.items():
        if target.relative_to(root).as_posix() in result.out_of_date:
            target.write_text(text, encoding="utf-8")
            result.written.append(target.relative_to(root).as_posix())
            print(f"wrote {target.relative_to(root).as_posix()}", file=out)
    for orphan in orphans:
        orphan.unlink()
        print(f"removed {orphan.relative_to(root).as_posix()} (no source in solutions/)", file=out)
    result.out_of_date = []
    print(f"course build: {len(pending)} notebook(s), {len(result.written)} written.", file=out)
    return result


def build_main(args: Any) -> int:
    """Entry point of ``course build [--check] [--root DIR]``: 0 when all is well, 1 otherwise."""
    result = build(getattr(args, "root", None) or Path.cwd(), check=bool(getattr(args, "check", False)))
    return 0 if result.ok else 1
