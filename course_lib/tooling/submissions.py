"""What an instructor hands ``course grade``: notebooks, folders, globs or zips of them, and who each is from.

A folder is searched for notebooks (``.ipynb_checkpoints`` left out); a pattern that names no file is
expanded as a glob; a zip (Gradescope's "export submissions", most LMS downloads) is unpacked into a
scratch folder, safely: only notebooks come out, and a member with an absolute path, a ``..``, a link,
or a size past the limits is refused. The learner's name is the first folder under the root when the
notebooks sit in one folder per learner (``submission_123/02_vae.ipynb``), else the file's stem; two
submissions with one name become ``name`` and ``name-2``.
"""
from __future__ import annotations

import glob
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Iterable, Sequence

MAX_NOTEBOOK_BYTES = 64 * 2**20  # one notebook in a zip
MAX_ZIP_BYTES = 2 * 2**30  # all notebooks of one zip, unpacked
MAX_ZIP_MEMBERS = 20_000


class SubmissionsError(ValueError):
    """A submission argument cannot be read (a missing file, a zip that is corrupt or unsafe)."""


@dataclass(frozen=True)
class Submission:
    """One notebook to grade and who handed it in."""

    learner: str
    path: Path
    root: Path  # the folder the learner's name was taken under (hidden from every worker while grading)


def _skipped(relative: PurePosixPath) -> bool:
    return any(part.startswith(".") or part == "__MACOSX" for part in relative.parts)


def _notebooks_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.ipynb") if p.is_file() and not _skipped(PurePosixPath(p.relative_to(root).as_posix())))


def unpack_zip(archive: Path, target: Path) -> Path:
    """Unpack the notebooks of ``archive`` into ``target`` (created), refusing anything unsafe."""
    try:
        with zipfile.ZipFile(archive) as zf:
            members = zf.infolist()
            if len(members) > MAX_ZIP_MEMBERS:
                raise SubmissionsError(f"{archive}: {len(members)} files in the zip (at most {MAX_ZIP_MEMBERS})")
            total = 0
            target.mkdir(parents=True, exist_ok=True)
            for info in members:
                name = PurePosixPath(info.filename.replace("\\", "/"))
                if name.is_absolute() or ".." in name.parts or ":" in info.filename:
                    raise SubmissionsError(f"{archive}: refusing {info.filename!r} (a path outside the zip's folder)")
                if info.is_dir() or name.suffix != ".ipynb" or _skipped(name):
                    continue
                if stat.S_ISLNK(info.external_attr >> 16):
                    raise SubmissionsError(f"{archive}: refusing {info.filename!r} (a symbolic link)")
                if info.file_size > MAX_NOTEBOOK_BYTES:
                    raise SubmissionsError(f"{archive}: {info.filename!r} is {info.file_size / 2**20:.0f} MiB "
                                           f"(at most {MAX_NOTEBOOK_BYTES / 2**20:.0f} MiB per notebook)")
                total += info.file_size
                if total > MAX_ZIP_BYTES:
                    raise SubmissionsError(f"{archive}: more than {MAX_ZIP_BYTES / 2**30:.0f} GiB of notebooks")
                destination = target.joinpath(*name.parts)
                destination.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as source, open(destination, "wb") as sink:
                    left = MAX_NOTEBOOK_BYTES + 1  # the header's size may lie: count what really comes out
                    while chunk := source.read(min(1 << 20, left)):
                        left -= len(chunk)
                        if left <= 0:
                            raise SubmissionsError(f"{archive}: {info.filename!r} unpacks to more than its stated size")
                        sink.write(chunk)
    except zipfile.BadZipFile as err:
        raise SubmissionsError(f"{archive}: not a readable zip file ({err}); download it again") from None
    return target


def _named(root: Path, notebooks: Iterable[Path]) -> list[tuple[str, Path]]:
    notebooks = list(notebooks)
    per_folder: dict[str, int] = {}
    for path in notebooks:
        parts = path.relative_to(root).parts
        if len(parts) > 1:
            per_folder[parts[0]] = per_folder.get(parts[0], 0) + 1
    named = []
    for path in notebooks:
        parts = path.relative_to(root).parts
        if len(parts) == 1:
            named.append((path.stem, path))
        elif per_folder[parts[0]] == 1:
            named.append((parts[0], path))
        else:
            named.append((f"{parts[0]}/{path.stem}", path))
    return named


def collect(arguments: Sequence[str | Path], scratch: Path) -> list[Submission]:
    """The submissions ``arguments`` name, in order; zips are unpacked under ``scratch``.

    Raises ``SubmissionsError`` when an argument names nothing (a typo should not grade an empty class)."""
    found: list[tuple[str, Path, Path]] = []
    for number, argument in enumerate(arguments):
        path = Path(argument)
        if path.is_dir():
            notebooks = _notebooks_under(path)
            if not notebooks:
                raise SubmissionsError(f"{path}: a folder with no .ipynb notebook in it")
            found += [(name, nb, path) for name, nb in _named(path, notebooks)]
        elif path.is_file() and zipfile.is_zipfile(path) and path.suffix.lower() == ".zip":
            root = unpack_zip(path, scratch / f"zip-{number}")
            notebooks = _notebooks_under(root)
            if not notebooks:
                raise SubmissionsError(f"{path}: a zip with no .ipynb notebook in it")
            found += [(name, nb, root) for name, nb in _named(root, notebooks)]
        elif path.exists():
            found.append((path.stem, path, path.parent))
        elif glob.has_magic(str(argument)):
            matches = sorted(Path(m) for m in glob.glob(str(argument), recursive=True) if m.endswith(".ipynb"))
            if not matches:
                raise SubmissionsError(f"{argument}: no notebook matches this pattern")
            found += [(m.stem, m, m.parent) for m in matches]
        else:
            raise SubmissionsError(f"{argument}: no such file or folder")
    kept, seen = [], set()
    for name, path, root in found:
        if path.resolve() not in seen:  # named twice (a folder and a glob): graded once
            seen.add(path.resolve())
            kept.append((name, path, root))
    return [Submission(unique, path, root) for unique, (_, path, root) in zip(unique_names(n for n, _, _ in kept), kept)]


def unique_names(names: Iterable[str]) -> list[str]:
    """``names`` with repeats told apart: ``name``, ``name-2``, ``name-3``..."""
    unique, used = [], set()
    for name in names:
        candidate, n = name, 2
        while candidate in used:
            candidate, n = f"{name}-{n}", n + 1
        used.add(candidate)
        unique.append(candidate)
    return unique
