"""The library's layout: imports only point down its layers, and no two modules import each other.

Every module's imports are read from its source (AST), the ones inside functions included, and resolved to
the modules they name. A module may import its own layer or a lower one; the package root
(``course_lib/__init__.py``) is the facade on top, and no module of the library imports it.
"""
from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest

LIBRARY = Path(__file__).resolve().parents[1] / "course_lib"

# bottom to top: a module may import its own layer and the layers before it
LAYERS: list[tuple[str, ...]] = [
    ("config", "utils", "input_checks"),  # shared utilities and input checks
    ("data",),
    ("models",),
    ("diffusion",),  # schedules, the forward process, the loss and the samplers of chapter 06
    ("losses",),
    ("metrics",),
    ("train",),
    ("viz",),
    ("widgets",),
    ("analysis",),  # the chapters' own analysis, at the edge
    ("exercises",),
    ("tooling",),  # build, grading, the command line
]


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> int:
    """The layer index of ``course_lib.<top>...``; the package root is above every layer."""
    parts = module.split(".")
    if len(parts) == 1:
        return len(LAYERS)
    for index, names in enumerate(LAYERS):
        if parts[1] in names:
            return index
    raise AssertionError(f"{module}: its top-level name {parts[1]!r} is in no layer of tests/test_layout.py; add it to LAYERS")


def imports_of(path: Path, root: Path, modules: set[str]) -> list[tuple[str, int]]:
    """(imported module, line) for every import of a library module in ``path``, nested ones included."""
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            # `from .. import losses` imports the module course_lib.losses, not the package root
            targets = [f"{target}.{a.name}" if f"{target}.{a.name}" in modules else target for a in node.names]
        else:
            continue
        found += [(t, node.lineno) for t in dict.fromkeys(targets) if t.split(".")[0] == root.name]
    return found


def import_violations(root: Path = LIBRARY) -> list[str]:
    """Every upward import and every pair of modules that import each other, as 'file:line: what'."""
    files = sorted(root.rglob("*.py"))
    paths = {module_name(f, root): f.relative_to(root.parent) for f in files}
    modules = set(paths)
    graph: dict[str, dict[str, int]] = {}
    problems = []
    for path in files:
        importer = module_name(path, root)
        graph[importer] = {}
        for imported, line in imports_of(path, root, modules):
            if imported not in modules:
                problems.append(f"{path.relative_to(root.parent)}:{line}: imports {imported}, which does not exist")
                continue
            graph[importer].setdefault(imported, line)
            if importer == root.name or imported == importer:
                continue
            if imported == root.name:
                problems.append(f"{path.relative_to(root.parent)}:{line}: {importer} imports the package root {root.name}; import the module it needs")
            elif layer_of(imported) > layer_of(importer):
                problems.append(
                    f"{path.relative_to(root.parent)}:{line}: {importer} (layer {LAYERS[layer_of(importer)][0]}) imports {imported} "
                    f"(layer {LAYERS[layer_of(imported)][0]}, higher): imports only point down"
                )
    for a, targets in graph.items():
        for b, line in targets.items():
            if a < b and a in graph.get(b, {}):
                problems.append(f"{paths[a]}:{line}: {a} imports {b}, and {b} imports it back ({paths[b]}:{graph[b][a]})")
    return problems


def test_imports_only_point_down_and_no_two_modules_import_each_other():
    problems = import_violations()
    assert not problems, "the layout is broken:\n" + "\n".join(problems)


@pytest.fixture
def library_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "course_lib"
    shutil.copytree(LIBRARY, copy, ignore=shutil.ignore_patterns("__pycache__", "*.json"))
    return copy


def test_a_planted_upward_import_inside_a_function_is_reported_with_file_and_line(library_copy: Path):
    vae = library_copy / "models" / "vae.py"
    lines = vae.read_text().splitlines()
    vae.write_text("\n".join(lines + ["", "", "def _planted():", "    from ..widgets import Explorer", "    return Explorer", ""]))
    problems = import_violations(library_copy)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"course_lib/models/vae.py:{len(lines) + 4}: course_lib.models.vae (layer models) imports course_lib.widgets")


def test_two_modules_that_import_each_other_are_reported(library_copy: Path):
    (library_copy / "metrics" / "roc.py").write_text("from .sharpness import sharpness\n", encoding="utf-8")
    with open(library_copy / "metrics" / "sharpness.py", "a", encoding="utf-8") as f:
        f.write("\n\ndef _planted():\n    from . import roc\n    return roc\n")
    problems = import_violations(library_copy)
    assert any("course_lib.metrics.roc" in p and "course_lib.metrics.sharpness" in p and "imports" in p for p in problems), problems


def test_the_layers_name_every_top_level_module_and_package():
    tops = {p.stem for p in LIBRARY.glob("*.py") if p.name != "__init__.py"} | {p.name for p in LIBRARY.iterdir() if (p / "__init__.py").exists()}
    named = {name for layer in LAYERS for name in layer}
    assert tops == named, f"in the library but not in LAYERS: {sorted(tops - named)}; in LAYERS but gone: {sorted(named - tops)}"
