"""``course notebooks [DEST]``: the learner notebooks that come with the installed course, copied to a folder of one's own.

A wheel carries them as ``course_lib/notebooks/*.ipynb`` (pyproject maps that package onto the repository's
``notebooks/``, the only copy, generated from ``solutions/``); a checkout or an editable install reads ``notebooks/``
itself. A file that is already in the folder is never overwritten: it may hold the learner's work.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

LIBRARY = Path(__file__).resolve().parents[1]
DEFAULT_DEST = Path("dgm-course")


def notebooks_folder() -> Path:
    """Where the learner notebooks of this installation are: inside the installed package, else the checkout's ``notebooks/``."""
    for folder in (LIBRARY / "notebooks", LIBRARY.parent / "notebooks"):
        if any(folder.glob("[0-9][0-9]_*.ipynb")):
            return folder
    raise FileNotFoundError(
        f"no learner notebooks were found in {LIBRARY / 'notebooks'} or {LIBRARY.parent / 'notebooks'}: "
        "this installation of course_lib lacks them; reinstall it from the course's wheel or repository"
    )


@dataclass
class CopyReport:
    """What :func:`copy_notebooks` did: the notebooks it wrote and those it left alone because they were there."""

    dest: Path
    copied: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)

    def summary(self) -> str:
        lines = []
        if self.copied:
            lines.append(f"Copied {len(self.copied)} notebook{'s' if len(self.copied) != 1 else ''} into {self.dest}:")
            lines += [f"  {name}" for name in self.copied]
        if self.kept:
            lines.append(f"Kept {len(self.kept)} that {'were' if len(self.kept) != 1 else 'was'} already there "
                         "(not overwritten, your work is safe; delete or rename one to get a fresh copy):")
            lines += [f"  {name}" for name in self.kept]
        first = self.dest / "00_start_here.ipynb"
        lines.append(f"Start with {first}: `jupyter lab {self.dest}` opens the folder.")
        return "\n".join(lines)


def copy_notebooks(dest: Path | str = DEFAULT_DEST, source: Path | None = None) -> CopyReport:
    """Copy every learner notebook into ``dest`` (made when missing), never overwriting a file that exists."""
    source = notebooks_folder() if source is None else Path(source)
    dest = Path(dest).expanduser()
    if dest.exists() and not dest.is_dir():
        raise NotADirectoryError(f"{dest} is a file, not a folder: name a folder to copy the notebooks into")
    dest.mkdir(parents=True, exist_ok=True)
    report = CopyReport(dest)
    for notebook in sorted(source.glob("[0-9][0-9]_*.ipynb")):
        try:
            with open(dest / notebook.name, "xb") as target:  # "x": fails instead of overwriting a file that is there
                target.write(notebook.read_bytes())
        except FileExistsError:
            report.kept.append(notebook.name)
            continue
        report.copied.append(notebook.name)
    return report


def notebooks_main(args) -> int:
    """The ``course notebooks`` command: copy, print what was copied and kept; 1 with a message when it cannot."""
    try:
        report = copy_notebooks(args.dest or DEFAULT_DEST)
    except OSError as err:
        print(f"course notebooks: {err}")
        return 1
    print(report.summary())
    return 0
