"""``course release --learners DIR``: the learner's copy of the course for a graded class.

It holds the student notebooks, the library, and what installs them (``pyproject.toml``, ``Makefile``,
``environment.yml``, ``README.md``), and nothing only the instructor may have: no ``solutions/``, no
tests, no git history, and in ``course_lib/exercises`` no hidden cases (their functions are removed and
every exercise registers its visible cases only). The references stay: a learner's ``check()`` falls
back to them, and the grader keeps them out of the graded code's reach. The grader keeps loading the
hidden cases from the instructor's copy (this repository). The release is checked after it is written:
no solution marker, no hidden case's name, no line of a solution cell in any file.
"""
from __future__ import annotations

import ast
import re
import shutil
from pathlib import Path
from typing import Any

import nbformat

ROOT = Path(__file__).resolve().parents[2]
FILES = ("pyproject.toml", "Makefile", "environment.yml", "README.md", "LICENSE")
MARKER = "### BEGIN SOLUTION"


class ReleaseError(Exception):
    """The release cannot be written, or what was written holds something it must not."""


def hidden_case_names() -> dict[str, list[str]]:
    """Every exercise's hidden cases, by function name: {exercise id: [case function names]}."""
    from ..exercises import all_exercises

    return {e.id: [c.__name__ for c in e.hidden_cases] for e in all_exercises()}


def without_hidden_cases(source: str) -> str:
    """A chapter module's source with its hidden cases removed (functions and ``hidden_cases=`` lists)."""
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    hidden: set[str] = set()
    spans: list[tuple[int, int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg == "hidden_cases":
            hidden |= {n.id for n in ast.walk(node.value) if isinstance(n, ast.Name)}
            spans.append((node.value.lineno, node.value.col_offset, node.value.end_lineno, node.value.end_col_offset))
    from collections import Counter

    refs = Counter(n.id for n in ast.walk(tree) if isinstance(n, ast.Name))
    listed = Counter(n.id for kw in ast.walk(tree) if isinstance(kw, ast.keyword) and kw.arg == "hidden_cases"
                     for n in ast.walk(kw.value) if isinstance(n, ast.Name))
    defs = {node.name: node for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name in hidden}
    own = {name: sum(1 for n in ast.walk(node) if isinstance(n, ast.Name) and n.id == name) for name, node in defs.items()}
    used_elsewhere = {name for name in defs if refs[name] - listed[name] - own[name] > 0}
    edits: list[tuple[int, int, int, int, str]] = [(a, b, c, d, "()") for a, b, c, d in spans]
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name in hidden and node.name not in used_elsewhere:
            start = min([node.lineno] + [d.lineno for d in node.decorator_list])
            edits.append((start, 0, node.end_lineno + 1, 0, ""))
    text = lines
    for a, b, c, d, new in sorted(edits, reverse=True):
        head = "".join(text[: a - 1]) + text[a - 1][:b] if a - 1 < len(text) else "".join(text)
        tail = (text[c - 1][d:] if c - 1 < len(text) else "") + "".join(text[c:])
        text = (head + new + tail).splitlines(keepends=True)
    return "".join(text)


def _solution_lines(solutions: Path) -> set[str]:
    lines = set()
    for path in sorted(solutions.glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            inside = False
            for line in cell.source.splitlines():
                if "### BEGIN SOLUTION" in line:
                    inside = True
                elif "### END SOLUTION" in line:
                    inside = False
                elif inside and len(line.strip()) >= 25:
                    lines.add(line.strip())
    return lines


def release(target: Path, force: bool = False, root: Path = ROOT) -> list[Path]:
    """Write the learner's copy into ``target``; returns the files written. Raises ReleaseError."""
    target = Path(target).resolve()
    if target == root.resolve() or root.resolve() in target.parents and target.parent == root.resolve():
        raise ReleaseError(f"{target} is inside the course itself: choose a folder outside {root}")
    if target.exists() and any(target.iterdir()):
        if not force:
            raise ReleaseError(f"{target} is not empty: choose an empty folder, or pass --force to replace its content")
        shutil.rmtree(target)
    target.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")
    shutil.copytree(root / "notebooks", target / "notebooks", ignore=ignore)
    shutil.copytree(root / "course_lib", target / "course_lib", ignore=ignore)
    for chapter in sorted((target / "course_lib" / "exercises").glob("ch[0-9][0-9].py")):
        chapter.write_text(without_hidden_cases(chapter.read_text(encoding="utf-8")), encoding="utf-8")
    for name in FILES:
        if (root / name).exists():
            shutil.copy2(root / name, target / name)
    (target / "RELEASE.md").write_text(
        "# The learner's copy of the course\n\n"
        "Written by `course release --learners` for a graded class: the notebooks and the library, with the\n"
        "visible checks of every exercise. The solutions and the grader's hidden cases stay with the instructor.\n"
        "Set up and open the course as README.md says (`make lab`); `check()` in each notebook checks your\n"
        "answer on the visible cases, and the instructor's grader runs more.\n", encoding="utf-8")
    written = sorted(p for p in target.rglob("*") if p.is_file())
    problems = leaks(target, root)
    if problems:
        raise ReleaseError("the release would give away: " + "; ".join(problems[:5]))
    return written


def leaks(target: Path, root: Path = ROOT) -> list[str]:
    """What in ``target`` a learner must not have: solution markers, hidden case names, solution lines."""
    names = {name for names in hidden_case_names().values() for name in names}
    solution_lines = _solution_lines(root / "solutions")
    problems = []
    for path in sorted(p for p in target.rglob("*") if p.is_file()):
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        where = path.relative_to(target)
        found = sorted(n for n in names if re.search(rf"\b{re.escape(n)}\b", text))
        if found:
            problems.append(f"{where} names hidden cases ({', '.join(found[:3])})")
        if path.suffix == ".ipynb":
            cells = nbformat.read(path, as_version=4).cells
            if any(MARKER in c.source for c in cells):
                problems.append(f"{where} holds a solution marker")
            exercise_cells = "\n".join(c.source for c in cells if c.get("metadata", {}).get("course", {}).get("exercise"))
            shown = sorted(line for line in solution_lines if line in exercise_cells)
            if shown:
                problems.append(f"{where} holds a line of a solution in an exercise cell ({shown[0][:40]}...)")
    return problems


def release_main(args: Any) -> int:
    """Entry point of ``course release``."""
    try:
        written = release(args.learners, force=args.force)
    except ReleaseError as err:
        print(f"course release: {err}")
        return 1
    size = sum(p.stat().st_size for p in written)
    print(f"course release: wrote {len(written)} files ({size / 2**20:.1f} MiB) to {args.learners}: notebooks/, course_lib/ "
          f"(visible cases only), {', '.join(n for n in FILES if (Path(args.learners) / n).exists())}, RELEASE.md; "
          f"no solutions, no hidden cases, no tests")
    return 0
